"""The data model of one participatory-budgeting election.

Money (the budget, the costs, the voter weights) is kept exact: an ``int`` when
the value is whole, a :class:`fractions.Fraction` otherwise. Floats are refused
because the budget test (does this project still fit?) must be exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

Money = int | Fraction

BALLOT_KINDS = ("approval", "choose-1", "cumulative", "scoring", "ordinal")


def exact(value: Any, what: str = "value") -> Money:
    """Return ``value`` as an exact number: ``int`` if whole, else ``Fraction``.

    Accepts ``int``, ``Fraction`` and ``Decimal``; refuses ``float`` (and
    ``bool``) with a ``TypeError`` because a float budget is not exact.
    """
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TypeError(
            f"{what} must be an int, a Fraction or a Decimal, "
            f"not {type(value).__name__}"
        )
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else value


@dataclass(frozen=True)
class Project:
    """One project of an election: an id (compared as a string), an exact cost."""

    id: str
    cost: Money
    name: str = ""
    category: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"project id must be a non-empty string, not {self.id!r}")
        cost = exact(self.cost, f"cost of project {self.id!r}")
        if cost < 0:
            raise ValueError(f"cost of project {self.id!r} is negative: {cost}")
        object.__setattr__(self, "cost", cost)


@dataclass(frozen=True)
class Election:
    """An election: a budget, projects and ballots read as approval sets.

    ``approvals[i]`` is the set of project ids voter ``i`` supports; every rule
    reads ballots this way, whatever ``ballot_kind`` says. ``weights[i]``
    (default 1 for everybody, stored as ``None``) makes voter ``i`` count as
    ``weights[i]`` identical voters. For the web app, ``ballot_kind`` is one of
    :data:`BALLOT_KINDS`; ``points[i]`` maps project id to the points given
    (cumulative and scoring ballots) and ``rankings[i]`` lists the ids in the
    voter's order (ordinal ballots); ``voter_ids`` and ``meta`` carry what the
    source file said (voter ids are labels: two elections that differ only in
    them compare equal). Sequences are stored as tuples; the object is
    immutable.
    """

    budget: Money
    projects: Sequence[Project]
    approvals: Sequence[frozenset[str]]
    weights: Sequence[Money] | None = None
    ballot_kind: str = "approval"
    points: Sequence[Mapping[str, Money]] | None = None
    rankings: Sequence[tuple[str, ...]] | None = None
    voter_ids: Sequence[str] | None = field(default=None, compare=False)
    meta: Mapping[str, str] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        budget = exact(self.budget, "budget")
        if budget < 0:
            raise ValueError(f"budget is negative: {budget}")
        put("budget", budget)
        put("projects", tuple(self.projects))
        known = set()
        for project in self.projects:
            if project.id in known:
                raise ValueError(f"project {project.id!r} is listed twice")
            known.add(project.id)
        approvals = tuple(frozenset(ballot) for ballot in self.approvals)
        for number, ballot in enumerate(approvals):
            if not ballot <= known:
                unknown = sorted(ballot - known)[0]
                raise ValueError(f"voter {number} approves unknown project {unknown!r}")
        put("approvals", approvals)
        if self.weights is not None:
            weights = tuple(exact(w, "voter weight") for w in self.weights)
            if len(weights) != len(approvals):
                raise ValueError(f"{len(weights)} weights for {len(approvals)} voters")
            if any(w <= 0 for w in weights):
                raise ValueError("voter weights must be positive")
            put("weights", weights)
        if self.ballot_kind not in BALLOT_KINDS:
            raise ValueError(
                f"ballot kind {self.ballot_kind!r} is not one of "
                + ", ".join(BALLOT_KINDS)
            )
        for name in ("points", "rankings", "voter_ids"):
            value = getattr(self, name)
            if value is not None:
                if len(value) != len(approvals):
                    raise ValueError(
                        f"{len(value)} {name} entries for {len(approvals)} voters"
                    )
                if name == "points":
                    value = tuple(
                        {p: exact(x, "points") for p, x in entry.items()}
                        for entry in value
                    )
                elif name == "rankings":
                    value = tuple(tuple(entry) for entry in value)
                else:
                    value = tuple(str(entry) for entry in value)
                put(name, value)
        put("meta", dict(self.meta))

    @property
    def num_voters(self) -> int:
        return len(self.approvals)

    @property
    def voter_weights(self) -> tuple[Money, ...]:
        """The weight of every voter (1 when no weights were given)."""
        if self.weights is None:
            return (1,) * len(self.approvals)
        return tuple(self.weights)

    def project(self, project_id: str) -> Project:
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)

    def total_cost(self, project_ids: Iterable[str]) -> Money:
        costs = {p.id: p.cost for p in self.projects}
        return exact(sum((Fraction(costs[i]) for i in project_ids), Fraction(0)))

    def arrays(self) -> ApprovalArrays:
        """The numpy form the rules work on (built once, then cached)."""
        arrays = self._cache.get("arrays")
        if arrays is None:
            arrays = ApprovalArrays.build(self)
            self._cache["arrays"] = arrays
        return arrays


@dataclass(frozen=True)
class ApprovalArrays:
    """Approval ballots as per-project arrays of supporter indices.

    Weights are scaled to positive integers: ``int_weights = weights *
    weight_scale`` (``None`` when every voter has weight 1), so weighted sums
    stay exact in int64 and in float64 below 2**53.
    """

    ids: tuple[str, ...]
    costs: tuple[Money, ...]
    cost_f: np.ndarray
    supporters: tuple[np.ndarray, ...]
    int_weights: np.ndarray | None
    weight_scale: int
    support: np.ndarray
    tie_rank: np.ndarray
    num_voters: int
    total_weight: int

    @classmethod
    def build(cls, election: Election) -> ApprovalArrays:
        ids = tuple(p.id for p in election.projects)
        index = {pid: k for k, pid in enumerate(ids)}
        n = election.num_voters
        lengths = np.fromiter(
            (len(b) for b in election.approvals), dtype=np.int64, count=n
        )
        flat = np.fromiter(
            (index[p] for ballot in election.approvals for p in ballot),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        voters = np.repeat(np.arange(n, dtype=np.int64), lengths)
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(len(ids) + 1))
        sorted_voters = voters[order]
        supporters = tuple(
            np.ascontiguousarray(sorted_voters[bounds[k] : bounds[k + 1]])
            for k in range(len(ids))
        )
        if election.weights is None:
            int_weights = None
            scale = 1
            support = np.diff(bounds).astype(np.int64)
            total = n
        else:
            fractions = [Fraction(w) for w in election.weights]
            scale = math.lcm(*(w.denominator for w in fractions))
            int_weights = np.array([int(w * scale) for w in fractions], dtype=np.int64)
            total = int(sum(int(w * scale) for w in fractions))
            if total >= 2**53:
                raise ValueError("voter weights are too large to count exactly")
            support = np.array(
                [int(int_weights[s].sum()) for s in supporters], dtype=np.int64
            )
        rank = np.empty(len(ids), dtype=np.int64)
        rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        costs = tuple(p.cost for p in election.projects)
        return cls(
            ids=ids,
            costs=costs,
            cost_f=np.array([float(c) for c in costs], dtype=np.float64),
            supporters=supporters,
            int_weights=int_weights,
            weight_scale=scale,
            support=support,
            tie_rank=rank,
            num_voters=n,
            total_weight=total,
        )
