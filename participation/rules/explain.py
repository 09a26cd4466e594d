"""Why each project won or lost: data for a results page.

:func:`explain` runs a rule and returns, for every project, whether it was
selected, at which step, and a sentence in plain words. Budget figures of the
greedy steps are exact; what MES voters paid or had left is in floats (it is
for display, rounded to cents in the sentences).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .election import Election, Money, exact
from .greedy import greedy_order
from .mes import MesOutcome, run_mes, run_mes_add1
from .pabulib import format_number


@dataclass(frozen=True)
class ProjectExplanation:
    """One project's fate under a rule.

    ``position`` is its 1-based place in the selection order (``None`` if
    rejected) and ``stage`` the step that decided it: ``"greedy"``,
    ``"equal shares"`` or ``"greedy completion"``. ``remaining_budget`` is
    what was left of the budget when a greedy step looked at it (before taking
    it). For equal shares: ``round`` it was bought in, ``paid_by_supporters``
    (its cost, up to rounding), ``max_payment`` (the most a supporter of
    weight 1 paid), ``payers``; for a project they could not buy,
    ``supporters_money`` is what its supporters had left in total at the end.
    """

    project_id: str
    name: str
    cost: Money
    votes: Money
    selected: bool
    position: int | None
    stage: str | None
    reason: str
    remaining_budget: Money | None = None
    round: int | None = None
    paid_by_supporters: float | None = None
    max_payment: float | None = None
    payers: int | None = None
    supporters_money: float | None = None


@dataclass(frozen=True)
class Explanation:
    """A rule's outcome with one :class:`ProjectExplanation` per project.

    ``projects`` lists the winners in selection order, then the others by
    decreasing votes. ``share`` is, for MES rules, each voter's starting money
    per unit of weight (for ``mes-add1``, with ``increase`` already added).
    """

    rule: str
    budget: Money
    spent: Money
    winners: list[str]
    projects: list[ProjectExplanation]
    share: Fraction | None = None
    increase: int | None = None


def _money(value: Money) -> str:
    return format_number(value)


def _cents(value: float) -> str:
    return f"{value:.2f}"


class _Context:
    def __init__(self, election: Election) -> None:
        self.election = election
        self.arrays = election.arrays()
        self.index = {pid: k for k, pid in enumerate(self.arrays.ids)}
        self.projects = {p.id: p for p in election.projects}

    def votes(self, k: int) -> Money:
        return exact(Fraction(int(self.arrays.support[k]), self.arrays.weight_scale))

    def base(self, k: int) -> dict:
        project = self.projects[self.arrays.ids[k]]
        return {
            "project_id": project.id,
            "name": project.name,
            "cost": project.cost,
            "votes": self.votes(k),
        }

    def greedy_walk(self, remaining: Money, exclude: list[int]):
        for k in greedy_order(self.arrays, exclude):
            fits = self.arrays.costs[k] <= remaining
            yield k, fits, remaining
            if fits:
                remaining -= self.arrays.costs[k]

    def supporters_money(self, outcome: MesOutcome, k: int) -> float:
        s = self.arrays.supporters[k]
        left = outcome.remaining[s]
        if self.arrays.int_weights is None:
            return float(left.sum())
        return float(left @ self.arrays.int_weights[s]) / self.arrays.weight_scale

    def finish(self, rule, chosen, others, **extra) -> Explanation:
        others.sort(key=lambda e: (-Fraction(e.votes), e.project_id))
        winners = [e.project_id for e in chosen]
        return Explanation(
            rule=rule,
            budget=self.election.budget,
            spent=self.election.total_cost(winners),
            winners=winners,
            projects=chosen + others,
            **extra,
        )


def _explain_greedy(ctx: _Context) -> Explanation:
    chosen, others = [], []
    for k, fits, remaining in ctx.greedy_walk(ctx.election.budget, []):
        if fits:
            entry = ProjectExplanation(
                **ctx.base(k),
                selected=True,
                position=len(chosen) + 1,
                stage="greedy",
                reason="selected",
                remaining_budget=remaining,
            )
            chosen.append(entry)
        else:
            entry = ProjectExplanation(
                **ctx.base(k),
                selected=False,
                position=None,
                stage="greedy",
                reason=f"did not fit in the remaining budget {_money(remaining)}",
                remaining_budget=remaining,
            )
            others.append(entry)
    return ctx.finish("greedy", chosen, others)


def _mes_entries(ctx: _Context, outcome: MesOutcome, raised: str):
    chosen = []
    for number, step in enumerate(outcome.rounds, start=1):
        k = ctx.index[step.project_id]
        chosen.append(
            ProjectExplanation(
                **ctx.base(k),
                selected=True,
                position=number,
                stage="equal shares",
                reason=(
                    f"selected in round {number}{raised}: {step.payers} supporters "
                    f"paid {_cents(step.paid)} of its cost "
                    f"{_money(ctx.arrays.costs[k])}, none more than "
                    f"{_cents(step.price)}"
                ),
                round=number,
                paid_by_supporters=step.paid,
                max_payment=step.price,
                payers=step.payers,
            )
        )
    rejected = {}
    taken = set(outcome.winners)
    for k, pid in enumerate(ctx.arrays.ids):
        if pid in taken:
            continue
        if ctx.arrays.support[k] == 0:
            rejected[k] = ("nobody supports it", None)
        elif ctx.arrays.costs[k] == 0:
            rejected[k] = (
                "it costs nothing, so with cost utilities it brings no utility "
                "and equal shares does not consider it",
                None,
            )
        else:
            money = ctx.supporters_money(outcome, k)
            rejected[k] = (
                f"its supporters could not afford it{raised}: they had "
                f"{_cents(money)} left in total, less than its cost "
                f"{_money(ctx.arrays.costs[k])}",
                money,
            )
    return chosen, rejected


def _explain_mes(ctx: _Context) -> Explanation:
    outcome = run_mes(ctx.election)
    chosen, rejected = _mes_entries(ctx, outcome, "")
    others = [
        ProjectExplanation(
            **ctx.base(k),
            selected=False,
            position=None,
            stage="equal shares",
            reason=reason,
            supporters_money=money,
        )
        for k, (reason, money) in rejected.items()
    ]
    return ctx.finish("mes", chosen, others, share=outcome.share)


def _explain_mes_add1(ctx: _Context) -> Explanation:
    result = run_mes_add1(ctx.election)
    outcome = result.mes
    raised = (
        f" (each voter's share raised by {result.increase})" if result.increase else ""
    )
    chosen, rejected = _mes_entries(ctx, outcome, raised)
    spent = ctx.election.total_cost(outcome.winners)
    budget = Fraction(ctx.election.budget)
    taken = [ctx.index[pid] for pid in outcome.winners]
    others = []
    for k, fits, remaining in ctx.greedy_walk(exact(budget - spent), taken):
        reason, money = rejected[k]
        if fits:
            chosen.append(
                ProjectExplanation(
                    **ctx.base(k),
                    selected=True,
                    position=len(chosen) + 1,
                    stage="greedy completion",
                    reason=(
                        "selected by the greedy completion: it fitted in the "
                        f"remaining budget {_money(remaining)}"
                    ),
                    remaining_budget=remaining,
                    supporters_money=money,
                )
            )
        else:
            others.append(
                ProjectExplanation(
                    **ctx.base(k),
                    selected=False,
                    position=None,
                    stage="greedy completion",
                    reason=(
                        f"{reason}, and it did not fit in the remaining budget "
                        f"{_money(remaining)} of the greedy completion"
                    ),
                    remaining_budget=remaining,
                    supporters_money=money,
                )
            )
    return ctx.finish(
        "mes-add1", chosen, others, share=outcome.share, increase=result.increase
    )


_EXPLAINERS = {
    "greedy": _explain_greedy,
    "mes": _explain_mes,
    "mes-add1": _explain_mes_add1,
}


def explain(election: Election, rule: str) -> Explanation:
    """Run ``rule`` ("greedy", "mes" or "mes-add1") and explain every project."""
    try:
        explainer = _EXPLAINERS[rule]
    except KeyError:
        raise ValueError(
            f"unknown rule {rule!r}; choose one of {', '.join(_EXPLAINERS)}"
        ) from None
    return explainer(_Context(election))
