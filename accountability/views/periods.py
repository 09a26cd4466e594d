"""Results periods: the public pages and PDF, and the managers' pages.

Public (a public community, an allocated period) or its enterprise managers
at any time; anyone else gets a 404, so unpublished periods and private
communities do not show that they exist. Each manager action is one POST
(``action``) calling one service; a refusal is shown on the form, keeping
what was typed.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from participation.models import Community, Section
from participation.permissions import can_manage_enterprise, community_visible_or_404
from participation.services.results import RULE_EXPLANATIONS

from .. import selectors, services
from ..exceptions import AccountabilityError
from ..forms import PeriodAllocateForm, PeriodCommitForm, PeriodDeclareForm
from ..models import ResultsPeriod
from ..statements import period_statement_pdf


def _period_or_404(request, slug: str, label: str) -> tuple[ResultsPeriod, bool]:
    """The period if this person may read it, and whether they manage it."""
    period = get_object_or_404(
        ResultsPeriod.objects.select_related("community", "process"),
        community__slug=slug,
        label=label,
    )
    manager = can_manage_enterprise(request.user, period.community)
    public = period.community.is_public and period.status == period.Status.ALLOCATED
    if not (public or manager):
        raise Http404
    return period, manager


class PeriodListView(TemplateView):
    template_name = "accountability/period_list.html"

    def dispatch(self, request, *args, **kwargs):
        self.community = get_object_or_404(Community, slug=kwargs["slug"])
        self.manager = can_manage_enterprise(request.user, self.community)
        if not (self.community.is_public or self.manager):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            community=self.community,
            periods=list(selectors.periods_of(self.community, everything=self.manager)),
            is_manager=self.manager,
        )
        return context


class PeriodDetailView(TemplateView):
    template_name = "accountability/period_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.period, self.manager = _period_or_404(
            request, kwargs["slug"], kwargs["label"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.period
        context.update(
            period=period,
            community=period.community,
            statement=selectors.period_statement(period),
            rule_explanation=_(RULE_EXPLANATIONS.get(period.process.outcome_rule, "")),
            is_manager=self.manager,
        )
        return context


class PeriodStatementView(View):
    def get(self, request, slug, label):
        period, _manager = _period_or_404(request, slug, label)
        response = HttpResponse(
            period_statement_pdf(period), content_type="application/pdf"
        )
        name = f"statement-{period.community.slug}-{period.label}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ManagerMixin:
    """Enterprise managers of the community only: anonymous people log in,
    others who may see the community get 403, the rest 404."""

    def dispatch(self, request, *args, **kwargs):
        self.community = get_object_or_404(Community, slug=kwargs["slug"])
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        community_visible_or_404(request.user, self.community)
        if not can_manage_enterprise(request.user, self.community):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PeriodDeclareView(ManagerMixin, TemplateView):
    template_name = "accountability/period_declare.html"

    def _form(self, data=None):
        partners = Section.objects.filter(
            community=self.community, kind=Section.Kind.PARTNER
        ).order_by("name")
        return PeriodDeclareForm(data, community=self.community, partners=partners)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self._form())
        context["community"] = self.community
        return context

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                period = services.period_declare(
                    community=self.community,
                    label=data["label"],
                    start=data["start"],
                    end=data["end"],
                    process=data["process"],
                    figures=data["figures"],
                    notes=data["notes"],
                    by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The period's figures are declared."))
                return redirect(
                    "accountability:period-manage",
                    slug=self.community.slug,
                    label=period.label,
                )
        return self.render_to_response(self.get_context_data(form=form))


class PeriodManageView(ManagerMixin, TemplateView):
    template_name = "accountability/period_manage.html"

    def dispatch(self, request, *args, **kwargs):
        self.label = kwargs["label"]
        return super().dispatch(request, *args, **kwargs)

    def _period(self) -> ResultsPeriod:
        return get_object_or_404(
            ResultsPeriod.objects.select_related("community", "process"),
            community=self.community,
            label=self.label,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self._period()
        proposal = None
        if period.status == period.Status.COMMITTED:
            proposal = services.period_allocation_propose(period=period)
        context.setdefault("commit_form", PeriodCommitForm())
        context.setdefault(
            "allocate_form",
            PeriodAllocateForm(
                initial={"fingerprint": proposal.fingerprint if proposal else ""}
            ),
        )
        context.update(
            community=self.community,
            period=period,
            statement=selectors.period_statement(period),
            proposal=proposal,
            rule_explanation=_(RULE_EXPLANATIONS.get(period.process.outcome_rule, "")),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        handler = {"commit": self.do_commit, "allocate": self.do_allocate}.get(action)
        if handler is None:
            raise Http404
        return handler(request)

    def _done(self, message):
        messages.success(self.request, message)
        return redirect(
            "accountability:period-manage", slug=self.community.slug, label=self.label
        )

    def do_commit(self, request):
        form = PeriodCommitForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.period_commit(
                    period=self._period(),
                    share_percent=data["share_percent"],
                    amount_cents=data["amount"],
                    by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(_("The share is in the reinvestment pool."))
        return self.render_to_response(self.get_context_data(commit_form=form))

    def do_allocate(self, request):
        form = PeriodAllocateForm(request.POST)
        if form.is_valid():
            try:
                services.period_allocate(
                    period=self._period(),
                    fingerprint=form.cleaned_data["fingerprint"],
                    by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(_("The profit is reinvested in the projects."))
        context = self.get_context_data()
        context["allocate_errors"] = form.non_field_errors() or form.errors
        return self.render_to_response(context)
