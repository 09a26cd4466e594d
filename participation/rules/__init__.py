"""Outcome rules of participatory budgeting (pure Python + numpy, no Django).

An :class:`Election` has a budget, projects with exact costs and ballots read
as approval sets (whatever the ballot kind: points and ranks are ignored by
the rules); a voter may carry a weight and then counts as that many identical
voters. :func:`parse_pb` and :func:`write_pb` read and write pabulib files.

The rules (each returns the winning project ids in the order it selects
them):

``greedy``
    Projects in decreasing number of supporters (summed weights); a project
    that no longer fits in what is left of the budget is skipped and the next
    one is tried.
``mes``
    The Method of Equal Shares with cost utilities (a voter's utility for a
    project she supports is its cost): each voter gets an equal share of the
    budget (proportional to her weight); round after round, the project whose
    cost its supporters can cover with the lowest price per unit of utility
    is bought, each supporter paying that price times the cost or all she has
    left if that is less; projects their supporters cannot afford are out. A
    project that costs nothing brings no utility, so plain MES never selects
    it; no completion.
``mes-add1``
    MES re-run with every share raised by 1 currency unit per unit of weight
    at a time, stopping at the first outcome that is exhaustive (no project
    with a supporter and a positive cost fits in what is left of the real
    budget); if an outcome costs more than the budget, the previous one is
    kept. The outcome is then completed by ``greedy``.

Ties, in every rule, are broken in favour of the smaller project id compared
as a string (so "10" wins over "9"). Decisions are exact: they equal those of
pabutools 1.2.3, which computes with rational numbers.
"""

from collections.abc import Callable

from .election import BALLOT_KINDS, Election, Money, Project
from .explain import Explanation, ProjectExplanation, explain
from .greedy import greedy
from .mes import (
    Add1Outcome,
    MesOutcome,
    MesRound,
    mes,
    mes_add1,
    run_mes,
    run_mes_add1,
)
from .pabulib import PabulibError, parse_pb, write_pb

RULES: dict[str, Callable[[Election], list[str]]] = {
    "greedy": greedy,
    "mes": mes,
    "mes-add1": mes_add1,
}


def winners(election: Election, rule: str) -> list[str]:
    """Winning project ids under ``rule`` (a key of :data:`RULES`)."""
    try:
        compute = RULES[rule]
    except KeyError:
        raise ValueError(
            f"unknown rule {rule!r}; choose one of {', '.join(RULES)}"
        ) from None
    return compute(election)


__all__ = [
    "BALLOT_KINDS",
    "RULES",
    "Add1Outcome",
    "Election",
    "Explanation",
    "MesOutcome",
    "MesRound",
    "Money",
    "PabulibError",
    "Project",
    "ProjectExplanation",
    "explain",
    "greedy",
    "mes",
    "mes_add1",
    "parse_pb",
    "run_mes",
    "run_mes_add1",
    "winners",
    "write_pb",
]
