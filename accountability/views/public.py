"""Pages anyone can read (public communities only), and "your money"."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from participation.models import Community

from .. import permissions, selectors
from ..charts import Link, Ref, flow_chart
from ..models import Expense

MAX_EXPENSE_BANDS = 10


def _project_ref(project) -> Ref:
    return Ref(
        key=f"p{project.pk}", label=f"{project.code} · {project.title}", kind="project"
    )


def _source_links(project, figures) -> list[Link]:
    return [
        Link(Ref(key, label, key), _project_ref(project), cents)
        for key, label, cents in figures.source_rows()
        if cents > 0
    ]


def _held_link(project, figures) -> list[Link]:
    held = Ref("held", _("Still in the fund"), "held")
    return [Link(_project_ref(project), held, figures.held_cents)]


def project_chart(project, figures, expenses):
    paid = [e for e in expenses if e.status == Expense.Status.PAID]
    paid.sort(key=lambda e: -e.amount_cents)
    outgoing = [
        Link(
            _project_ref(project),
            Ref(f"e{e.pk}", e.supplier, "expense"),
            e.amount_cents,
        )
        for e in paid[:MAX_EXPENSE_BANDS]
    ]
    rest = sum(e.amount_cents for e in paid[MAX_EXPENSE_BANDS:])
    if rest:
        outgoing.append(
            Link(
                _project_ref(project), Ref("rest", _("Other expenses"), "expense"), rest
            )
        )
    return flow_chart(
        _source_links(project, figures), outgoing + _held_link(project, figures)
    )


def community_chart(projects):
    incoming, outgoing = [], []
    spent = Ref("spent", _("Paid for expenses"), "expense")
    for project in projects:
        incoming += _source_links(project, project.figures)
        outgoing.append(Link(_project_ref(project), spent, project.figures.spent_cents))
        outgoing += _held_link(project, project.figures)
    return flow_chart(incoming, outgoing)


class ProjectPageView(TemplateView):
    """Where one project's money came from and went, in a fixed number of
    queries whatever the number of expenses and transactions."""

    template_name = "accountability/project_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.project = selectors.project_public(kwargs["pk"])
        if self.project is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.project
        figures = selectors.fund_figures([project.pk])[project.pk]
        expenses = list(selectors.expenses_public([project.pk]))
        context.update(
            project=project,
            community=project.process.community,
            figures=figures,
            expenses=expenses,
            milestones=list(selectors.milestones_of([project.pk])),
            chart=project_chart(project, figures, expenses),
            is_staff=permissions.is_staff(self.request.user, project.process.community),
        )
        return context


class CommunityPageView(TemplateView):
    template_name = "accountability/community_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.community = get_object_or_404(
            Community, slug=kwargs["slug"], is_public=True
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        projects = selectors.community_projects(self.community)
        ids = [p.pk for p in projects]
        expenses_by_project: dict[int, list] = {pk: [] for pk in ids}
        for expense in selectors.expenses_public(ids):
            expenses_by_project[expense.project_id].append(expense)
        milestones_by_project: dict[int, list] = {pk: [] for pk in ids}
        for milestone in selectors.milestones_of(ids):
            milestones_by_project[milestone.project_id].append(milestone)
        for project in projects:
            project.public_expenses = expenses_by_project[project.pk]
            project.milestone_list = milestones_by_project[project.pk]
        totals = {
            "received": sum(p.figures.received_cents for p in projects),
            "spent": sum(p.figures.spent_cents for p in projects),
            "held": sum(p.figures.held_cents for p in projects),
        }
        sources = {}
        for project in projects:
            for key, label, cents in project.figures.source_rows():
                sources.setdefault(key, [label, 0])[1] += cents
        context.update(
            community=self.community,
            projects=projects,
            totals=totals,
            sources=[(key, label, cents) for key, (label, cents) in sources.items()],
            chart=community_chart(projects),
        )
        return context


class ReceiptDownloadView(View):
    """The receipt of an approved or paid expense of a public community; the
    community's staff may download any receipt of theirs."""

    def get(self, request, pk):
        expense = get_object_or_404(
            Expense.objects.select_related("project__process__community"), pk=pk
        )
        community = expense.project.process.community
        public = community.is_public and expense.is_public
        if not (public or permissions.is_staff(request.user, community)):
            raise Http404
        extension = expense.receipt.name.rsplit(".", 1)[-1]
        return FileResponse(
            expense.receipt.open("rb"),
            as_attachment=True,
            filename=f"receipt-{expense.pk}.{extension}",
            content_type=expense.receipt_content_type,
        )


class MyMoneyView(LoginRequiredMixin, TemplateView):
    template_name = "accountability/my_money.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["traces"] = selectors.payments_traced(self.request.user)
        return context
