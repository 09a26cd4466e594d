"""Profit reinvestment: declared -> committed -> allocated.

1. ``period_declare``: an enterprise manager declares a period's revenue and
   costs per partner; the consortium's total is the row without a section.
2. ``period_commit``: a share of the total profit goes into the community's
   reinvestment pool: ONE ledger transaction, kind ``reinvestment_commit``.
3. ``period_allocation_propose``: the outcome of the period's process decides
   (its winners, in selection order, each funded up to what it still needs
   until the committed money runs out); nothing is written.
4. ``period_allocate``: the manager confirms the proposal they saw (its
   fingerprint): ONE ledger transaction, kind ``reinvestment``, pool -> funds.

Every transition locks the period row (``select_for_update``), re-checks the
status, saves with ``update_fields`` and appends a PeriodEvent. Refusals raise
an AccountabilityError and write nothing. See ``accountability.ledger`` for the
accounts.
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_money
from participation.models import Community, Process, ProcessResult, Project, Section
from participation.permissions import can_manage_enterprise
from participation.rules.explain import explain
from participation.services.results import process_election
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account

from .. import ledger
from ..exceptions import (
    CommitTooLarge,
    NotAllowed,
    PeriodInvalid,
    PeriodStateError,
    ProposalChanged,
)
from ..models import PeriodAllocation, PeriodEvent, PeriodFigures, ResultsPeriod

S = ResultsPeriod.Status
O = PeriodAllocation.Outcome  # noqa: E741 - read as the outcome
TRANSITIONS = {
    S.DRAFT: {S.DECLARED},
    S.DECLARED: {S.COMMITTED},
    S.COMMITTED: {S.ALLOCATED},
    S.ALLOCATED: set(),
}
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
RESERVED_LABELS = {"new"}
MAX_CENTS = 10**13  # a hundred billion euro: a typo, not a consortium


def _check_manager(user, community: Community) -> None:
    if not can_manage_enterprise(user, community):
        raise NotAllowed(_("Only an enterprise manager of the community can do this."))


def _lock(period: ResultsPeriod) -> ResultsPeriod:
    return (
        ResultsPeriod.objects.select_for_update(of=("self",))
        .select_related("community", "process")
        .get(pk=period.pk)
    )


def _move(period: ResultsPeriod, status: str) -> None:
    if status not in TRANSITIONS[period.status]:
        raise PeriodStateError(
            _("This period is %(status)s: it cannot be %(next)s now.")
            % {
                "status": period.get_status_display().lower(),
                "next": S(status).label.lower(),
            }
        )
    period.status = status


def _event(period: ResultsPeriod, kind: str, actor, **detail) -> None:
    PeriodEvent.objects.create(period=period, kind=kind, actor=actor, detail=detail)


def _money(cents: int, currency: str = "EUR") -> str:
    return format_money(cents, currency)


# --- declaring ------------------------------------------------------------------


def _clean_cents(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PeriodInvalid(
            _("%(what)s must be a whole number of cents.") % {"what": what}
        )
    if value < 0:
        raise PeriodInvalid(_("%(what)s cannot be negative.") % {"what": what})
    if value > MAX_CENTS:
        raise PeriodInvalid(_("%(what)s is too large: check it.") % {"what": what})
    return value


def period_declare(
    *,
    community: Community,
    label: str,
    start: datetime.date,
    end: datetime.date,
    process: Process,
    figures: list[dict],
    by,
    notes: str = "",
) -> ResultsPeriod:
    """Declare a period's figures: one dict per row, ``{"section": Section or
    None, "revenue_cents": int, "costs_cents": int}``.

    Sections are partner sections of the community, each at most once. The
    row with ``section=None`` is the consortium as a whole: given explicitly,
    it is kept as given (the consortium's own accounts may carry shared costs
    no partner carries, and the statement shows the difference); left out, it
    is the sum of the partner rows. Its profit is the one that can be
    reinvested. ``process`` (of the same community) is the one whose outcome
    decides the allocation. Enterprise managers only; raises NotAllowed or
    PeriodInvalid, nothing written then.
    """
    _check_manager(by, community)
    label = (label or "").strip()
    if not LABEL_RE.fullmatch(label) or label.lower() in RESERVED_LABELS:
        raise PeriodInvalid(
            _(
                "A period's label is up to 40 letters, digits, dots, dashes or "
                "underscores, for example 2026."
            )
        )
    if end < start:
        raise PeriodInvalid(_("The period ends before it starts."))
    if process.community_id != community.pk:
        raise PeriodInvalid(_("The process is not one of this community's."))
    partners = {
        s.pk: s for s in Section.objects.filter(community=community, kind="partner")
    }
    total_row, rows, seen = None, [], set()
    for row in figures:
        section = row.get("section")
        revenue = _clean_cents(row.get("revenue_cents"), _("The revenue"))
        costs = _clean_cents(row.get("costs_cents"), _("The costs"))
        if section is None:
            if total_row is not None:
                raise PeriodInvalid(_("The consortium's total is given twice."))
            total_row = (revenue, costs)
            continue
        if section.pk not in partners:
            raise PeriodInvalid(
                _("%(name)s is not a partner of this community.") % {"name": section}
            )
        if section.pk in seen:
            raise PeriodInvalid(
                _("%(name)s appears twice in the figures.") % {"name": section}
            )
        seen.add(section.pk)
        rows.append((section, revenue, costs))
    if not rows and total_row is None:
        raise PeriodInvalid(_("Give the figures of at least one partner."))
    if total_row is None:
        total_row = (sum(r[1] for r in rows), sum(r[2] for r in rows))
    try:
        with transaction.atomic():
            period = ResultsPeriod.objects.create(
                community=community,
                label=label,
                starts_on=start,
                ends_on=end,
                process=process,
                status=S.DECLARED,
                profit_cents=total_row[0] - total_row[1],
                currency=process.currency,
                notes=notes,
                declared_by=by,
                declared_at=timezone.now(),
            )
            PeriodFigures.objects.bulk_create(
                [
                    PeriodFigures(
                        period=period,
                        section=section,
                        revenue_cents=revenue,
                        costs_cents=costs,
                    )
                    for section, revenue, costs in rows
                ]
                + [
                    PeriodFigures(
                        period=period,
                        section=None,
                        revenue_cents=total_row[0],
                        costs_cents=total_row[1],
                    )
                ]
            )
            _event(
                period,
                "declared",
                by,
                revenue_cents=total_row[0],
                costs_cents=total_row[1],
                partners=len(rows),
            )
    except IntegrityError as error:
        raise PeriodInvalid(
            _("This community already has a period labelled %(label)s.")
            % {"label": label}
        ) from error
    return period


# --- committing -----------------------------------------------------------------


def _share_cents(profit_cents: int, share_percent) -> int:
    try:
        share = Decimal(str(share_percent))
    except InvalidOperation as error:
        raise PeriodInvalid(_("The share is a percentage from 0 to 100.")) from error
    if not share.is_finite() or not 0 < share <= 100:
        raise PeriodInvalid(_("The share is a percentage from 0 to 100."))
    return int((Decimal(profit_cents) * share / 100).to_integral_value(ROUND_FLOOR))


def period_commit(
    *,
    period: ResultsPeriod,
    by,
    share_percent: Decimal | int | None = None,
    amount_cents: int | None = None,
) -> ResultsPeriod:
    """Commit a share of the declared profit to the reinvestment pool.

    Give exactly one of ``share_percent`` (of the total profit, rounded down
    to the cent) or ``amount_cents``. Locks the period row, then the shop
    sales and pool account rows (by pk). Posts ONE balanced transaction, kind
    ``reinvestment_commit``, source ``results_period:<pk>``: debit
    ``shop_sales:<community>`` with as much as it holds (up to the amount),
    debit ``external:profits:<community>`` with the rest (profit held outside
    the platform), credit ``reinvestment_pool:<community>`` with the amount.
    Raises CommitTooLarge if the amount is more than the declared profit,
    NotAllowed, PeriodInvalid or PeriodStateError; nothing is written then.
    """
    if (share_percent is None) == (amount_cents is None):
        raise PeriodInvalid(_("Give either a share of the profit or an amount."))
    with transaction.atomic():
        locked = _lock(period)
        community = locked.community
        _check_manager(by, community)
        _move(locked, S.COMMITTED)
        profit = locked.profit_cents
        if amount_cents is None:
            amount = _share_cents(max(profit, 0), share_percent)
        else:
            amount = _clean_cents(amount_cents, _("The amount"))
        if amount > profit:
            raise CommitTooLarge(
                _(
                    "%(amount)s is more than the period's profit (%(profit)s): "
                    "only profit can be reinvested."
                )
                % {
                    "amount": _money(amount, locked.currency),
                    "profit": _money(profit, locked.currency),
                }
            )
        if amount < 1:
            raise PeriodInvalid(_("The share to reinvest is at least one cent."))
        shop = account_get(
            ledger.shop_sales_code(community.pk),
            kind=Account.Kind.SHOP_SALES,
            name=f"Shop sales · {community.name}"[:200],
        )
        outside = account_get(
            ledger.profits_code(community.pk),
            kind=Account.Kind.EXTERNAL,
            name=f"Profits outside the shop · {community.name}"[:200],
        )
        pool = account_get(
            ledger.pool_code(community.pk),
            kind=Account.Kind.REINVESTMENT_POOL,
            name=f"Reinvestment pool · {community.name}"[:200],
        )
        list(
            Account.objects.select_for_update()
            .filter(pk__in=[shop.pk, pool.pk])
            .order_by("pk")
        )
        shop_held = max(0, -account_balance(shop))
        from_shop = min(amount, shop_held)
        lines = [Line(shop, from_shop)] if from_shop else []
        if amount - from_shop:
            lines.append(Line(outside, amount - from_shop))
        lines.append(Line(pool, -amount))
        ledger_post(
            kind=ledger.REINVESTMENT_COMMIT,
            source_type=ledger.PERIOD_SOURCE,
            source_id=locked.pk,
            lines=lines,
            memo=f"period {locked.label}: profit committed to reinvestment"[:255],
            currency=locked.currency,
        )
        locked.committed_cents = amount
        locked.committed_by, locked.committed_at = by, timezone.now()
        locked.save(
            update_fields=["status", "committed_cents", "committed_by", "committed_at"]
        )
        _event(
            locked,
            "committed",
            by,
            amount_cents=amount,
            from_shop_cents=from_shop,
            from_outside_cents=amount - from_shop,
        )
    return locked


# --- proposing and allocating ---------------------------------------------------


def allocation_reason(
    *,
    position: int,
    cost_cents: int,
    needed_cents: int,
    amount_cents: int,
    outcome: str,
    currency: str = "EUR",
) -> str:
    """Why a winner got what it got, in the active language."""
    values = {
        "position": position,
        "cost": _money(cost_cents, currency),
        "needed": _money(needed_cents, currency),
        "amount": _money(amount_cents, currency),
    }
    head = _("Number %(position)s in the outcome of the vote; cost %(cost)s") % values
    if needed_cents != cost_cents and outcome != O.ALREADY:
        head += _(", of which %(needed)s still needed") % values
    tail = {
        O.FULL: _("fully funded with %(amount)s."),
        O.PARTIAL: _("partly funded with what was left: %(amount)s."),
        O.ALREADY: _("its fund had already received its cost: nothing needed."),
        O.NOT_REACHED: _(
            "not reached: the projects before it used up the money committed."
        ),
    }[outcome] % values
    return f"{head}; {tail}"


@dataclass(frozen=True)
class ProposalRow:
    project: Project
    position: int
    cost_cents: int
    received_cents: int
    needed_cents: int
    amount_cents: int
    outcome: str
    currency: str = "EUR"

    @property
    def reason(self) -> str:
        return allocation_reason(
            position=self.position,
            cost_cents=self.cost_cents,
            needed_cents=self.needed_cents,
            amount_cents=self.amount_cents,
            outcome=self.outcome,
            currency=self.currency,
        )


@dataclass(frozen=True)
class Proposal:
    """How the committed money would be split now; ``fingerprint`` names it."""

    period: ResultsPeriod
    rule: str
    counted_at: datetime.datetime | None  # None: counted now, not published
    committed_cents: int
    pool_held_cents: int
    available_cents: int
    rows: list[ProposalRow] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def provisional(self) -> bool:
        """No published result: the ranking is the count as it stands."""
        return self.counted_at is None

    @property
    def total_cents(self) -> int:
        return sum(row.amount_cents for row in self.rows)

    @property
    def left_cents(self) -> int:
        return self.available_cents - self.total_cents


def _winners(process: Process) -> tuple[list[str], datetime.datetime | None]:
    """The winners' codes in selection order: the published result if there
    is one, else the ballots counted now with the process's rule (nothing
    stored)."""
    result = ProcessResult.objects.filter(process=process).first()
    if result is not None:
        return list(result.winners), result.computed_at
    election, _projects = process_election(process)
    return list(explain(election, process.outcome_rule).winners), None


def _propose(period: ResultsPeriod) -> Proposal:
    from ..selectors import fund_figures

    process = period.process
    codes, counted_at = _winners(process)
    projects = {p.code: p for p in process.projects.filter(code__in=codes)}
    winners = [projects[code] for code in codes if code in projects]
    received = fund_figures(p.pk for p in winners)
    pool_held = -account_balance(ledger.pool_code(period.community_id))
    available = max(0, min(period.committed_cents, pool_held))
    left, rows = available, []
    for position, project in enumerate(winners, start=1):
        got = received[project.pk].received_cents
        needed = max(0, project.cost_cents - got)
        if not needed:
            amount, outcome = 0, O.ALREADY
        elif left >= needed:
            amount, outcome = needed, O.FULL
        elif left > 0:
            amount, outcome = left, O.PARTIAL
        else:
            amount, outcome = 0, O.NOT_REACHED
        left -= amount
        rows.append(
            ProposalRow(
                project=project,
                position=position,
                cost_cents=project.cost_cents,
                received_cents=got,
                needed_cents=needed,
                amount_cents=amount,
                outcome=outcome,
                currency=period.currency,
            )
        )
    facts = [
        period.pk,
        period.committed_cents,
        pool_held,
        process.outcome_rule,
        counted_at.isoformat() if counted_at else "now",
        [[r.project.pk, r.cost_cents, r.received_cents, r.amount_cents] for r in rows],
    ]
    digest = hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:20]
    return Proposal(
        period=period,
        rule=process.outcome_rule,
        counted_at=counted_at,
        committed_cents=period.committed_cents,
        pool_held_cents=pool_held,
        available_cents=available,
        rows=rows,
        fingerprint=digest,
    )


def period_allocation_propose(*, period: ResultsPeriod) -> Proposal:
    """The allocation the outcome rule decides, for a committed period.

    The winners of the period's process, in selection order (the published
    ProcessResult, else the ballots counted now), are funded one after the
    other with what each still needs (its cost minus what its fund has
    already received), until the money committed (or what the pool still
    holds, if less) runs out; the one reached last may be partly funded.
    Writes nothing. Raises PeriodStateError unless the period is committed.
    """
    if period.status != S.COMMITTED:
        raise PeriodStateError(
            _("Only a period whose share is committed can be allocated.")
        )
    return _propose(period)


def period_allocate(*, period: ResultsPeriod, fingerprint: str, by) -> ResultsPeriod:
    """Confirm the proposal the manager saw (its ``fingerprint``).

    Locks the period row, then the pool's Account row, and recomputes the
    proposal inside the lock: if it differs from the one seen (a new vote, a
    new payment into a fund, a change of the pool), raises ProposalChanged.
    Posts ONE balanced transaction, kind ``reinvestment``, source
    ``results_period:<pk>``: debit ``reinvestment_pool:<community>`` with the
    total, credit each ``project_fund:<pk>`` with its amount (none if every
    amount is zero); stores one PeriodAllocation per winner. Calling it again
    on an allocated period returns it unchanged. Raises NotAllowed,
    PeriodStateError or ProposalChanged; nothing is written then.
    """
    with transaction.atomic():
        locked = _lock(period)
        community = locked.community
        _check_manager(by, community)
        if locked.status == S.ALLOCATED:
            return locked
        if locked.status != S.COMMITTED:
            _move(locked, S.ALLOCATED)  # raises PeriodStateError
        pool = account_get(
            ledger.pool_code(community.pk),
            kind=Account.Kind.REINVESTMENT_POOL,
            name=f"Reinvestment pool · {community.name}"[:200],
        )
        Account.objects.select_for_update().get(pk=pool.pk)
        proposal = _propose(locked)
        _move(locked, S.ALLOCATED)
        if proposal.fingerprint != fingerprint:
            raise ProposalChanged(
                _(
                    "Something changed since this allocation was proposed (votes, "
                    "the projects' funds or the pool): look at it again and confirm."
                )
            )
        funded = [row for row in proposal.rows if row.amount_cents]
        if funded:
            funds = {
                row.project.pk: account_get(
                    ledger.fund_code(row.project.pk),
                    kind=Account.Kind.PROJECT_FUND,
                    name=str(row.project)[:200],
                )
                for row in funded
            }
            ledger_post(
                kind=ledger.REINVESTMENT,
                source_type=ledger.PERIOD_SOURCE,
                source_id=locked.pk,
                lines=[Line(pool, proposal.total_cents)]
                + [Line(funds[r.project.pk], -r.amount_cents) for r in funded],
                memo=f"period {locked.label}: profit reinvested in projects"[:255],
                currency=locked.currency,
            )
        PeriodAllocation.objects.bulk_create(
            PeriodAllocation(
                period=locked,
                project=row.project,
                position=row.position,
                cost_cents=row.cost_cents,
                needed_cents=row.needed_cents,
                amount_cents=row.amount_cents,
                outcome=row.outcome,
            )
            for row in proposal.rows
        )
        locked.allocated_by, locked.allocated_at = by, timezone.now()
        locked.save(update_fields=["status", "allocated_by", "allocated_at"])
        _event(
            locked,
            "allocated",
            by,
            amount_cents=proposal.total_cents,
            left_cents=proposal.left_cents,
            rule=proposal.rule,
            counted_at=proposal.counted_at.isoformat() if proposal.counted_at else None,
            projects=[[r.project.code, r.amount_cents] for r in proposal.rows],
        )
    return locked
