from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from core.front_cache import front_cacheable
from core.ratelimit import rate_limited
from documents.pdf import render_pdf

from .. import permissions, selectors, services
from ..exceptions import BallotInvalid, ParticipationError
from ..forms import BallotForm, PaperEntryForm
from ..models import PaperBatch
from ..models.process import Phase
from .process import ProcessMixin


@rate_limited("vote")
class BallotView(ProcessMixin, FormView):
    """Fill and confirm a ballot in one page; online members may change it later."""

    permission = staticmethod(permissions.is_member)
    template_name = "participation/ballot.html"
    form_class = BallotForm
    with_code = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            process=self.process,
            projects=selectors.ballot_projects(self.process),
            with_code=self.with_code,
        )
        if not self.with_code and self.request.method == "GET":
            existing = selectors.ballot_of(self.process, self.request.user)
            if existing:
                kwargs["initial"] = {
                    f"project_{item.project_id}": (
                        item.points
                        if self.process.ballot_kind == "cumulative"
                        else True
                    )
                    for item in existing.items.all()
                }
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["projects"] = selectors.ballot_projects(self.process)
        context["vote_open"] = self.process.phase == Phase.VOTE
        context["existing"] = (
            None
            if self.with_code
            else selectors.ballot_of(self.process, self.request.user)
        )
        context["with_code"] = self.with_code
        return context

    def form_valid(self, form):
        try:
            if self.with_code:
                services.ballot_cast(
                    process=self.process,
                    choices=form.choices(),
                    voter_code=form.cleaned_data["voter_code"],
                )
            else:
                services.ballot_cast(
                    process=self.process, choices=form.choices(), user=self.request.user
                )
        except BallotInvalid as error:
            for message in error.errors:
                form.add_error(None, message)
            return self.form_invalid(form)
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your vote is recorded. You can change it until the vote closes.")
            if not self.with_code
            else _("Your vote is recorded. Thank you."),
        )
        return self.back()


class CodeBallotView(BallotView):
    """For people without an account: the one-time code goes on the same page."""

    permission = staticmethod(permissions.can_view_community)
    with_code = True


@method_decorator(front_cacheable, name="dispatch")
class ResultsView(ProcessMixin, TemplateView):
    template_name = "participation/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["results"] = selectors.results_for_display(self.process)
        context["money_supporters"] = selectors.money_supporters(self.process)
        return context


class ResultsPabulibView(ProcessMixin, View):
    """The anonymous ballots as a pabulib .pb file anyone can recompute."""

    def get(self, request, *args, **kwargs):
        from ..services.results import process_to_pb

        if self.process.phase != Phase.RESULTS:
            messages.error(
                request, _("The ballots are published when the vote closes.")
            )
            return self.back()
        response = HttpResponse(
            process_to_pb(self.process), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{self.community.slug}-{self.process.slug}.pb"'
        )
        return response


class VoterCodeSheetView(ProcessMixin, View):
    """POST: issue fresh one-time codes to a ward and return the printable sheet.

    Codes are shown only in this PDF: printing again issues new codes and the
    earlier ones stop working.
    """

    permission = staticmethod(permissions.can_facilitate)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        section = get_object_or_404(
            self.community.sections, pk=request.POST.get("section")
        )
        cards = [
            {"participant": p, "code": services.voter_code_issue(participant=p)}
            for p in section.participants.order_by("pseudonym")
        ]
        pdf = render_pdf(
            "participation/voter_code_sheet.html",
            {
                "process": self.process,
                "section": section,
                "cards": cards,
                "printed_at": timezone.now(),
            },
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="codici-{section.pk}.pdf"'
        )
        return response


# --- paper ballots ---------------------------------------------------------------


class PaperBatchMixin(ProcessMixin):
    permission = staticmethod(permissions.can_facilitate)

    def get_batch(self) -> PaperBatch:
        return get_object_or_404(
            self.process.paper_batches.select_related("assembly"),
            pk=self.kwargs["batch_id"],
        )

    def back_to_batch(self, batch):
        return redirect(
            "participation:paper-batch",
            slug=self.community.slug,
            process=self.process.slug,
            batch_id=batch.pk,
        )


class PaperBatchCreateView(PaperBatchMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        assembly = get_object_or_404(
            self.process.assemblies, pk=request.POST.get("assembly")
        )
        label = request.POST.get("label", "").strip() or str(assembly)
        try:
            batch = services.paper_batch_open(
                process=self.process, assembly=assembly, label=label, actor=request.user
            )
        except ParticipationError as error:
            messages.error(request, str(error))
            return self.back("process-manage")
        return self.back_to_batch(batch)


class PaperBatchView(PaperBatchMixin, FormView):
    template_name = "participation/paper_batch.html"
    form_class = PaperEntryForm

    def get_keying(self) -> int:
        return (
            2
            if self.request.GET.get("keying") == "2"
            or self.request.POST.get("keying") == "2"
            else 1
        )

    def get_initial(self):
        batch = self.get_batch()
        last = (
            batch.entries.filter(keying=self.get_keying()).order_by("-position").first()
        )
        return {"position": (last.position + 1) if last else 1}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.get_batch()
        keying = self.get_keying()
        context.update(
            batch=batch,
            keying=keying,
            entries=batch.entries.filter(keying=keying),
            differences=services.paper_batch_differences(batch),
            counts={k: batch.entries.filter(keying=k).count() for k in (1, 2)},
            projects=selectors.ballot_projects(self.process),
        )
        return context

    def form_valid(self, form):
        batch = self.get_batch()
        try:
            services.paper_entry_key(
                batch=batch,
                keying=self.get_keying(),
                actor=self.request.user,
                **form.cleaned_data,
            )
        except ParticipationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request, _("Sheet %(n)s saved.") % {"n": form.cleaned_data["position"]}
        )
        return redirect(f"{self.request.path}?keying={self.get_keying()}")


class PaperBatchResolveView(PaperBatchMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        batch = self.get_batch()
        form = PaperEntryForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.errors.as_text())
            return self.back_to_batch(batch)
        try:
            services.paper_entry_resolve(
                batch=batch, actor=request.user, **form.cleaned_data
            )
        except ParticipationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Sheet %(n)s resolved.") % {"n": form.cleaned_data["position"]},
            )
        return self.back_to_batch(batch)


class PaperBatchAcceptView(PaperBatchMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        batch = self.get_batch()
        try:
            summary = services.paper_batch_accept(batch=batch, actor=request.user)
        except ParticipationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Batch counted: %(counted)s ballots counted, %(rejected)s rejected.")
                % summary,
            )
        return self.back_to_batch(batch)
