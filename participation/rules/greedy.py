"""Greedy approval: most supported first, skipping what no longer fits."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from .election import ApprovalArrays, Election


def greedy_order(arrays: ApprovalArrays, exclude: Iterable[int] = ()) -> list[int]:
    """Project indices in the order greedy considers them.

    Decreasing (weighted) number of supporters, ties to the smaller project id
    compared as a string. With cost utilities a project that costs nothing
    brings no utility, so it ranks with the unsupported projects, at the end
    (it is still taken: it always fits).
    """
    skip = set(exclude)

    def key(k: int) -> tuple[int, int]:
        votes = int(arrays.support[k]) if arrays.costs[k] > 0 else 0
        return (-votes, int(arrays.tie_rank[k]))

    return sorted((k for k in range(len(arrays.ids)) if k not in skip), key=key)


def greedy_fill(
    election: Election, selected: Iterable[int] = ()
) -> tuple[list[int], list[int]]:
    """Complete ``selected`` greedily within the budget.

    Returns ``(added, skipped)``: the project indices added, in order, and
    those considered but skipped because they no longer fitted.
    """
    arrays = election.arrays()
    selected = list(selected)
    remaining = Fraction(election.budget) - sum(
        (Fraction(arrays.costs[k]) for k in selected), Fraction(0)
    )
    added: list[int] = []
    skipped: list[int] = []
    for k in greedy_order(arrays, selected):
        cost = arrays.costs[k]
        if cost <= remaining:
            added.append(k)
            remaining -= cost
        else:
            skipped.append(k)
    return added, skipped


def greedy(election: Election) -> list[str]:
    """Winners of greedy approval, in the order they are selected."""
    added, _ = greedy_fill(election)
    ids = election.arrays().ids
    return [ids[k] for k in added]
