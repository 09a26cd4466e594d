"""Reads for the transparency pages: every figure is a sum of ledger entries.

Each selector runs a fixed number of queries whatever the number of
projects, expenses or ledger transactions involved.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from participation.models import Community, Project
from payments.models import Account, Entry, Payment, Refund

from . import ledger
from .ledger import KIND_TO_SOURCE, SOURCES
from .models import Expense, Milestone, PeriodFigures, ResultsPeriod


@dataclass
class FundFigures:
    """What one project's fund received (by source), paid out and holds."""

    project_id: int
    sources: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    spent_cents: int = 0
    held_cents: int = 0

    @property
    def received_cents(self) -> int:
        return sum(self.sources.values())

    @property
    def has_money(self) -> bool:
        return bool(self.received_cents or self.spent_cents or self.held_cents)

    def source_rows(self) -> list[tuple[str, str, int]]:
        """(key, label, cents) of the sources that brought something, in order."""
        return [
            (key, str(SOURCES[key]), cents)
            for key, cents in self.sources.items()
            if cents
        ]


def fund_figures(project_ids) -> dict[int, FundFigures]:
    """The fund figures of these projects, in three queries.

    Money in is the net of the fund's entries per transaction kind (a sweep
    back after a refund lowers "pledges"); money out is the ``expense`` kind.
    A campaign sweep carries pledges and match funds together: it is split in
    the proportion in which the swept campaign account was credited by
    ``match`` transactions and by everything else (the pledges).
    """
    project_ids = list(project_ids)
    figures = {pid: FundFigures(project_id=pid) for pid in project_ids}
    codes = {ledger.fund_code(pid): pid for pid in project_ids}
    if not codes:
        return figures
    rows = (
        Entry.objects.filter(account__code__in=codes)
        .values_list("account__code", "transaction__kind")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    for code, kind, total in rows:
        figure = figures[codes[code]]
        figure.held_cents -= total
        if kind == ledger.EXPENSE:
            figure.spent_cents += total
        else:
            figure.sources[KIND_TO_SOURCE.get(kind, "other")] -= total
    _split_match_funds(figures, codes)
    return figures


def _split_match_funds(figures: dict[int, FundFigures], codes: dict[str, int]):
    sweep_ids = Entry.objects.filter(
        account__code__in=codes, transaction__kind=ledger.SWEEP
    ).values("transaction_id")
    swept: dict[int, int] = defaultdict(int)  # (campaign account) -> cents to fund
    fund_of: dict[int, int] = {}
    sides: dict[int, dict] = defaultdict(dict)
    for txn_id, account_id, code, cents in Entry.objects.filter(
        transaction_id__in=sweep_ids
    ).values_list("transaction_id", "account_id", "account__code", "amount_cents"):
        sides[txn_id]["fund" if code in codes else "from"] = (account_id, code, cents)
    for side in sides.values():
        if "fund" not in side or "from" not in side:
            continue
        (_fund_id, code, cents), (source_id, *_rest) = side["fund"], side["from"]
        swept[source_id] -= cents
        fund_of[source_id] = codes[code]
    if not swept:
        return
    credited: dict[int, dict[str, int]] = defaultdict(lambda: {"match": 0, "all": 0})
    for account_id, kind, total in (
        Entry.objects.filter(account_id__in=list(swept), amount_cents__lt=0)
        .values_list("account_id", "transaction__kind")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    ):
        credited[account_id]["all"] -= total
        if kind == ledger.MATCH:
            credited[account_id]["match"] -= total
    for account_id, cents in swept.items():
        credit = credited[account_id]
        if cents <= 0 or not credit["all"] or not credit["match"]:
            continue
        match = cents * credit["match"] // credit["all"]
        figure = figures[fund_of[account_id]]
        figure.sources["pledges"] -= match
        figure.sources["match"] += match


def expenses_public(project_ids) -> QuerySet[Expense]:
    """Approved and paid expenses of these projects, for the public pages."""
    return (
        Expense.objects.filter(
            project_id__in=list(project_ids),
            status__in=[Expense.Status.APPROVED, Expense.Status.PAID],
        )
        .select_related("project")
        .order_by("project_id", "-spent_on", "-pk")
    )


def milestones_of(project_ids) -> QuerySet[Milestone]:
    return Milestone.objects.filter(project_id__in=list(project_ids)).order_by(
        "project_id", "position", "due_on", "pk"
    )


def project_public(pk: int) -> Project | None:
    """The project, if its community is public (the pages are for everyone)."""
    return (
        Project.objects.select_related("process__community")
        .filter(pk=pk, process__community__is_public=True)
        .first()
    )


def community_projects(community: Community) -> list[Project]:
    """The community's projects that have money, expenses or milestones."""
    projects = list(
        Project.objects.filter(process__community=community)
        .select_related("process")
        .order_by("process__pk", "code", "pk")
    )
    figures = fund_figures(p.pk for p in projects)
    busy = set(
        Project.objects.filter(process__community=community)
        .filter(Q(milestones__isnull=False) | Q(expenses__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
    )
    kept = []
    for project in projects:
        project.figures = figures[project.pk]
        if project.figures.has_money or project.pk in busy:
            kept.append(project)
    return kept


def expenses_for_staff(project: Project) -> QuerySet[Expense]:
    return project.expenses.select_related(
        "submitted_by", "approved_by", "paid_by", "rejected_by"
    ).order_by("-created_at", "-pk")


# --- "your money" -------------------------------------------------------------


@dataclass
class Destination:
    """The part of one payment that reached one project's fund."""

    project: Project
    cents: int
    fund_received_cents: int
    expenses: list

    def parts(self) -> list[tuple[Expense, int]]:
        """Each expense with "your part": the expense times your share of all
        the fund received (money is pooled; an indication, rounded down)."""
        received = max(self.fund_received_cents, self.cents)
        return [
            (expense, expense.amount_cents * self.cents // received)
            for expense in self.expenses
        ]


@dataclass
class PaymentTrace:
    payment: Payment
    net_cents: int
    destinations: list[Destination]


def payments_traced(user) -> list[PaymentTrace]:
    """The person's paid payments and, through the ledger only, the project
    funds their money reached: the payment credited an account (a campaign's,
    say); transactions that moved money from that account into a project fund
    (sweeps, reinvestment) lead to the project, whose expenses paid after the
    payment are listed. Six queries, whatever the number of payments."""
    if not user.is_authenticated or not user.email:
        return []
    payments = list(
        Payment.objects.filter(
            payer_email__iexact=user.email, status=Payment.Status.SUCCEEDED
        )
        .annotate(
            refunded=Sum(
                "refunds__amount_cents",
                filter=Q(refunds__status=Refund.Status.SUCCEEDED),
            )
        )
        .order_by("-paid_at", "-pk")
    )
    credited = {p.credit_account for p in payments}
    # account code -> {fund code: cents moved from it to that fund}
    reached: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code in credited:
        if ledger.project_id_from_fund(code) is not None:
            reached[code][code] = 0  # the payment went straight into the fund
    moves = dict(
        Entry.objects.filter(account__code__in=credited, amount_cents__gt=0)
        .exclude(account__kind=Account.Kind.PROJECT_FUND)
        .values_list("transaction_id", "account__code")
    )
    for txn_id, fund, cents in Entry.objects.filter(
        transaction_id__in=list(moves),
        account__kind=Account.Kind.PROJECT_FUND,
        amount_cents__lt=0,
    ).values_list("transaction_id", "account__code", "amount_cents"):
        reached[moves[txn_id]][fund] -= cents
    fund_codes = {fund for funds in reached.values() for fund in funds}
    project_ids = {ledger.project_id_from_fund(code) for code in fund_codes} - {None}
    projects = Project.objects.select_related("process__community").in_bulk(project_ids)
    received = dict(
        Entry.objects.filter(account__code__in=fund_codes, amount_cents__lt=0)
        .values_list("account__code")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    paid = defaultdict(list)
    for expense in Expense.objects.filter(
        project_id__in=project_ids, status=Expense.Status.PAID
    ).order_by("paid_at", "pk"):
        paid[expense.project_id].append(expense)

    traces = []
    for payment in payments:
        net = payment.amount_cents - (payment.refunded or 0)
        destinations = []
        funds = reached.get(payment.credit_account, {})
        moved_total = sum(funds.values())
        for fund, moved in sorted(funds.items()):
            project = projects.get(ledger.project_id_from_fund(fund))
            if project is None or net <= 0:
                continue
            # One account feeding several funds: the payment is split alike.
            cents = (
                net * moved // moved_total if len(funds) > 1 and moved_total else net
            )
            after = [
                e
                for e in paid[project.pk]
                if payment.paid_at is None or e.paid_at >= payment.paid_at
            ]
            destinations.append(
                Destination(
                    project=project,
                    cents=cents,
                    fund_received_cents=-(received.get(fund) or 0),
                    expenses=after,
                )
            )
        traces.append(
            PaymentTrace(payment=payment, net_cents=net, destinations=destinations)
        )
    return traces


# --- profit reinvestment ------------------------------------------------------


@dataclass
class PeriodStatement:
    """Everything the period page and its PDF statement show, in five queries."""

    period: ResultsPeriod
    partners: list  # PeriodFigures rows of the partners, by name
    total: PeriodFigures | None  # the consortium as a whole
    allocations: list  # PeriodAllocation rows, by position
    expenses: list  # paid expenses of the funded projects since the allocation
    commit_lines: dict[str, int] = field(default_factory=dict)
    # When the allocation was decided: the published result it followed
    # (its date), or None if the ballots were counted at that moment.
    ranking_published_at: datetime.datetime | None = None

    @property
    def shared_profit_cents(self) -> int:
        """Profit of the consortium not carried by any partner (shared costs
        are negative): the total minus the sum of the partner rows."""
        if self.total is None:
            return 0
        return self.total.profit_cents - sum(r.profit_cents for r in self.partners)

    @property
    def allocated_cents(self) -> int:
        return sum(a.amount_cents for a in self.allocations)

    @property
    def left_in_pool_cents(self) -> int:
        return self.period.committed_cents - self.allocated_cents

    @property
    def spent_cents(self) -> int:
        return sum(e.amount_cents for e in self.expenses)

    @property
    def committed_percent(self):
        """The committed share of the profit, in percent with one decimal."""
        if self.period.profit_cents <= 0:
            return None
        return round(100 * self.period.committed_cents / self.period.profit_cents, 1)


def periods_of(community: Community, *, everything: bool = False):
    """The community's periods, newest first: allocated ones only, unless
    ``everything`` (for its managers)."""
    periods = ResultsPeriod.objects.filter(community=community)
    if not everything:
        periods = periods.filter(status=ResultsPeriod.Status.ALLOCATED)
    return periods.select_related("process").order_by("-ends_on", "-pk")


def period_statement(period: ResultsPeriod) -> PeriodStatement:
    rows = list(
        period.figures.select_related("section").order_by("section__name", "pk")
    )
    allocations = list(
        period.allocations.select_related("project").order_by("position")
    )
    funded = [a.project_id for a in allocations if a.amount_cents]
    expenses = []
    if funded and period.allocated_at:
        expenses = list(
            Expense.objects.filter(
                project_id__in=funded,
                status=Expense.Status.PAID,
                paid_at__gte=period.allocated_at,
            )
            .select_related("project")
            .order_by("project__code", "paid_at", "pk")
        )
    commit_lines = {}
    for code, cents in Entry.objects.filter(
        transaction__source_type=ledger.PERIOD_SOURCE,
        transaction__source_id=str(period.pk),
        transaction__kind=ledger.REINVESTMENT_COMMIT,
        amount_cents__gt=0,
    ).values_list("account__code", "amount_cents"):
        key = (
            "shop" if code == ledger.shop_sales_code(period.community_id) else "outside"
        )
        commit_lines[key] = commit_lines.get(key, 0) + cents
    ranking = None
    event = period.events.filter(kind="allocated").only("detail").first()
    if event is not None and event.detail.get("counted_at"):
        ranking = datetime.datetime.fromisoformat(event.detail["counted_at"])
    return PeriodStatement(
        ranking_published_at=ranking,
        period=period,
        partners=[r for r in rows if r.section_id is not None],
        total=next((r for r in rows if r.section_id is None), None),
        allocations=allocations,
        expenses=expenses,
        commit_lines=commit_lines,
    )
