from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from core.ratelimit import rate_limited

from .. import permissions, selectors, services
from ..exceptions import ParticipationError
from ..forms import (
    AssemblyForm,
    AssessForm,
    PaperProposalForm,
    ProcessForm,
    ProjectForm,
    ProposalForm,
    RulesForm,
)
from ..models import Assembly, Process
from ..models.process import PHASE_ORDER, Phase
from ..permissions import CommunityPermissionMixin


class ProcessMixin(CommunityPermissionMixin):
    """Loads ``self.process`` (of the community in the URL) after the role check."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self._process_slug = kwargs["process"]

    @property
    def process(self) -> Process:
        if not hasattr(self, "_process"):
            process = get_object_or_404(
                Process.objects.select_related("community"),
                community=self.community,
                slug=self._process_slug,
            )
            # A process in draft is its facilitators' alone (as a draft campaign).
            if process.phase == Phase.DRAFT and not permissions.can_facilitate(
                self.request.user, self.community
            ):
                raise Http404
            self._process = process
        return self._process

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["process"] = self.process
        return context

    def back(self, name="process-detail"):
        return redirect(
            f"participation:{name}", slug=self.community.slug, process=self.process.slug
        )


class ProcessCreateView(CommunityPermissionMixin, FormView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/process_form.html"
    form_class = ProcessForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "community": self.community}

    def form_valid(self, form):
        data = {
            k: v for k, v in form.cleaned_data.items() if k not in {"title", "slug"}
        }
        try:
            process = services.process_create(
                community=self.community,
                title=form.cleaned_data["title"],
                slug=form.cleaned_data["slug"],
                **data,
            )
        except (ParticipationError, ValidationError) as error:
            form.add_error(
                None, error.messages if hasattr(error, "messages") else str(error)
            )
            return self.form_invalid(form)
        messages.success(
            self.request, _("Process created. Move it to its first phase when ready.")
        )
        return redirect(
            "participation:process-manage",
            slug=self.community.slug,
            process=process.slug,
        )


class ProcessDetailView(ProcessMixin, TemplateView):
    template_name = "participation/process_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        process = self.process
        current = PHASE_ORDER.index(process.phase)
        context["timeline"] = [
            {
                "key": phase,
                "label": Phase(phase).label,
                "dates": process.phase_dates(phase),
                "state": "done"
                if PHASE_ORDER.index(phase) < current
                else ("current" if phase == process.phase else "next"),
            }
            for phase in process.enabled_phases
            if phase != Phase.DRAFT
        ]
        context["next_phase"] = (
            Phase(process.next_phase).label if process.next_phase else None
        )
        context["counts"] = selectors.process_counts(process)
        context["user_ballot"] = selectors.ballot_of(process, self.request.user)
        context["is_member"] = permissions.is_member(self.request.user, self.community)
        return context


class ProposalListView(ProcessMixin, TemplateView):
    template_name = "participation/proposal_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["proposals"] = selectors.proposal_list(
            self.process, user=self.request.user
        )
        context["supports_left"] = selectors.supports_left(
            self.process, self.request.user
        )
        context["is_member"] = permissions.is_member(self.request.user, self.community)
        return context


@rate_limited("proposal")
class ProposalCreateView(ProcessMixin, FormView):
    permission = staticmethod(permissions.is_member)
    template_name = "participation/proposal_form.html"
    form_class = ProposalForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "process": self.process}

    def form_valid(self, form):
        try:
            services.proposal_create(
                process=self.process, author_user=self.request.user, **form.cleaned_data
            )
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you: your proposal is published."))
        return self.back("proposal-list")


@rate_limited("support")
class SupportToggleView(ProcessMixin, View):
    permission = staticmethod(permissions.is_member)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        proposal = get_object_or_404(self.process.proposals, pk=kwargs["proposal_id"])
        try:
            supported = services.support_toggle(proposal=proposal, user=request.user)
        except ParticipationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                (
                    _("You support “%(title)s”.")
                    if supported
                    else _("Support taken back from “%(title)s”.")
                )
                % {"title": proposal.title},
            )
        return self.back("proposal-list")


class ProjectListView(ProcessMixin, TemplateView):
    template_name = "participation/project_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["projects"] = selectors.project_list(self.process)
        context["can_facilitate"] = permissions.can_facilitate(
            self.request.user, self.community
        )
        return context


# --- facilitators ----------------------------------------------------------------


class ProcessManageView(ProcessMixin, TemplateView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/process_manage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("rules_form", RulesForm(instance=self.process))
        context["next_phase"] = (
            Phase(self.process.next_phase).label if self.process.next_phase else None
        )
        context["counts"] = selectors.process_counts(self.process)
        context["assemblies"] = self.process.assemblies.select_related(
            "section"
        ).order_by("-held_on")
        context["batches"] = self.process.paper_batches.select_related(
            "assembly"
        ).order_by("-created_at")
        context["events"] = self.process.events.select_related("actor").order_by(
            "-created_at"
        )[:10]
        context["sections"] = self.community.sections.all()
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "advance":
                services.process_advance(process=self.process, actor=request.user)
                messages.success(request, _("The process moved on."))
            elif action == "rules":
                form = RulesForm(
                    request.POST, instance=Process.objects.get(pk=self.process.pk)
                )
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(rules_form=form)
                    )
                services.process_rules_update(
                    process=self.process,
                    actor=request.user,
                    **{
                        field: form.cleaned_data[field]
                        for field in RulesForm.Meta.fields
                    },
                )
                messages.success(request, _("Vote rules saved."))
        except ParticipationError as error:
            messages.error(request, str(error))
        return self.back("process-manage")


class AssemblyCreateView(ProcessMixin, FormView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/assembly_form.html"
    form_class = AssemblyForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "process": self.process}

    def form_valid(self, form):
        try:
            assembly = services.assembly_record(
                process=self.process,
                facilitators=[self.request.user],
                **form.cleaned_data,
            )
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        return redirect(
            "participation:assembly-detail",
            slug=self.community.slug,
            process=self.process.slug,
            assembly_id=assembly.pk,
        )


class AssemblyDetailView(ProcessMixin, FormView):
    """An assembly and the paper proposals typed in from it."""

    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/assembly_detail.html"
    form_class = PaperProposalForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "process": self.process}

    def get_assembly(self) -> Assembly:
        return get_object_or_404(self.process.assemblies, pk=self.kwargs["assembly_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assembly = self.get_assembly()
        context["assembly"] = assembly
        context["proposals"] = assembly.proposals.select_related("author_participant")
        if self.process.phase == Phase.SUPPORT:
            tallies = dict(assembly.tallies.values_list("proposal_id", "count"))
            context["tally_rows"] = [
                (proposal, tallies.get(proposal.pk, ""))
                for proposal in self.process.proposals.order_by("pk")
            ]
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "tallies":
            return super().post(request, *args, **kwargs)
        assembly = self.get_assembly()
        proposals = {p.pk: p for p in self.process.proposals.all()}
        counts = {}
        for key, value in request.POST.items():
            if key.startswith("tally_") and value.strip():
                pk = int(key.removeprefix("tally_")) if key[6:].isdigit() else None
                if pk not in proposals or not value.strip().isdigit():
                    messages.error(request, _("Write each count as a whole number."))
                    return redirect(request.path)
                counts[pk] = int(value)
        try:
            services.support_tallies_record(
                assembly=assembly,
                counts={proposals[pk]: n for pk, n in counts.items()},
                actor=request.user,
            )
        except ParticipationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Supports of this assembly saved."))
        return redirect(request.path)

    def form_valid(self, form):
        assembly = self.get_assembly()
        try:
            proposal = services.proposal_create(
                process=self.process, assembly=assembly, **form.cleaned_data
            )
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Proposal “%(title)s” recorded.") % {"title": proposal.title},
        )
        return redirect(self.request.path)


class CodesignView(ProcessMixin, FormView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/codesign.html"
    form_class = ProjectForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "process": self.process}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["projects"] = selectors.project_list(self.process)
        context["assess_form"] = AssessForm()
        return context

    def form_valid(self, form):
        try:
            services.project_create(process=self.process, **form.cleaned_data)
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Project created."))
        return self.back("codesign")


class ProjectAssessView(ProcessMixin, View):
    permission = staticmethod(permissions.can_facilitate)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        project = get_object_or_404(self.process.projects, pk=kwargs["project_id"])
        form = AssessForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("Check the verdict: %(errors)s") % {"errors": form.errors.as_text()},
            )
            return self.back("codesign")
        try:
            services.project_assess(project=project, **form.cleaned_data)
        except ParticipationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Verdict saved for %(code)s.") % {"code": project.code}
            )
        return self.back("codesign")
