"""The Method of Equal Shares (MES) with cost utilities, and its Add1 completion.

Every voter starts with an equal share of the budget (``budget * w / W`` for a
voter of weight ``w`` when the weights add up to ``W``). In each round, each
project still in the race is priced: its cost is split among its supporters so
that nobody pays more than a common cap ``q`` (a supporter with less money than
``q`` pays all she has). The project with the smallest price per unit of
utility, ``rho = q / cost`` (a supporter's utility is the project's cost), is
selected and paid for; a project whose supporters together hold less than its
cost is out. The rule stops when no project is affordable. Ties in ``rho`` go
to the smaller project id compared as a string.

As in pabutools 1.2.3, only projects with a supporter and a positive cost take
part: with cost utilities a project that costs nothing brings no utility, so
plain MES never selects it (the greedy completion of MES+Add1 does, as it
always fits).

Speed and exactness: money is tracked in float64 numpy arrays, one entry per
voter, and each project's price is recomputed lazily (a price can only go up,
so a project whose previous price is above the best price of this round need
not be looked at). Floats only decide when the decision is clear by a margin
far larger than the rounding error; when two prices or a sum and a cost are
too close to call, the decision is taken again in exact rational arithmetic.
To make that possible without exact arithmetic on every voter, voters are kept
in *classes*: voters who paid the same projects have the same money, so a class
records its parent class and the round that changed it, and its exact money is
computed only when asked for.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .election import ApprovalArrays, Election
from .greedy import greedy_fill

_ROOT = 0  # voters who have paid nothing yet
_ZERO = 1  # voters with no money left (certainly, not just per the floats)
_EPS = np.finfo(np.float64).eps
# Float money sums are trusted only when they miss the threshold by more than
# this fraction of the total money in play; the accumulated rounding error is
# many orders of magnitude smaller (rounds * ballot length * 1e-16).
_MARGIN = 1e-9


@dataclass(frozen=True)
class MesRound:
    """One selection of a MES run (money figures are floats, for display).

    ``paid`` is what its supporters paid together (its cost, up to rounding);
    ``price`` is the most a supporter of weight 1 paid (the cap ``q``);
    ``payers`` counts supporters who paid something and ``paid_all`` those who
    paid everything they had left.
    """

    project_id: str
    cost: float
    paid: float
    price: float
    payers: int
    paid_all: int


@dataclass(frozen=True)
class MesOutcome:
    """A full MES run: winners in selection order, and what happened.

    ``share`` is the exact starting money of a voter of weight 1 (0 when
    nobody voted); ``remaining`` is every voter's money at the end, per unit of weight.
    """

    winners: list[str]
    share: Fraction
    rounds: list[MesRound]
    remaining: np.ndarray


class _Run:
    """One run of MES on fixed arrays and a fixed starting share."""

    def __init__(self, arrays: ApprovalArrays, share: Fraction) -> None:
        self.a = arrays
        self.share = share
        n = arrays.num_voters
        self.beta = np.full(n, float(share), dtype=np.float64)
        self.cls = np.zeros(n, dtype=np.int64)
        weights = arrays.int_weights
        self.wf = None if weights is None else weights.astype(np.float64)
        money = float(share) * arrays.total_weight
        scale = max(money, float(arrays.cost_f.max(initial=0.0)), 1e-300)
        self.tol = _MARGIN * scale
        # class bookkeeping: classes first_ids[r] .. first_ids[r+1]-1 were
        # created in round r from the parent classes parents[r]
        self.first_ids: list[int] = []
        self.parents: list[np.ndarray] = []
        self.next_id = 2
        self.round_project: list[int] = []
        self.round_classes: list[np.ndarray] = []
        self.round_supporters: list[np.ndarray] = []
        self.exact_price: dict[int, Fraction] = {}
        self.value: dict[int, Fraction] = {_ROOT: share, _ZERO: Fraction(0)}

    # ---- float pricing ------------------------------------------------

    def _weights_of(self, s: np.ndarray) -> np.ndarray | None:
        return None if self.wf is None else self.wf[s]

    @staticmethod
    def _price(
        bs: np.ndarray, ms: np.ndarray | None, wp: float, total: float, c: float
    ) -> tuple[float, float]:
        """Smallest cap q with sum(ms * min(bs, q)) >= c, and the rich weight."""
        q = c / wp
        if bs.min() >= q:
            return q, wp
        if total <= c:  # affordable only by the exact test: everybody pays all
            return float(bs.max()), 1.0
        # fixed point: the poor (money below the cap) pay all they have, the
        # others share the rest; a few rounds settle it, else sort
        poor_count, rich = 0, wp
        for _ in range(4):
            poor = bs < q
            count = int(np.count_nonzero(poor))
            if count == poor_count:
                return q, rich
            poor_count = count
            if ms is None:
                paid = float(bs[poor].sum())
                rich = wp - count
            else:
                paid = float(bs[poor] @ ms[poor])
                rich = wp - float(ms[poor].sum())
            if rich <= 0:
                break
            q = (c - paid) / rich
        order = np.argsort(bs, kind="stable")
        sb = bs[order]
        if ms is None:
            before = np.arange(len(sb), dtype=np.float64)
            paid_before = np.concatenate(([0.0], np.cumsum(sb)[:-1]))
        else:
            sm = ms[order]
            before = np.concatenate(([0.0], np.cumsum(sm)[:-1]))
            paid_before = np.concatenate(([0.0], np.cumsum(sb * sm)[:-1]))
        rich_w = wp - before
        caps = (c - paid_before) / rich_w
        fits = np.flatnonzero(caps <= sb)
        if len(fits) == 0:
            return float(sb[-1]), float(rich_w[-1])
        k = int(fits[0])
        return float(caps[k]), float(rich_w[k])

    # ---- exact arithmetic on classes ------------------------------------

    def _parent(self, c: int) -> tuple[int, int]:
        r = bisect.bisect_right(self.first_ids, c) - 1
        return int(self.parents[r][c - self.first_ids[r]]), r

    def _rounds_needed(self, classes) -> set[int]:
        """Rounds whose exact price the money of ``classes`` depends on."""
        needed: set[int] = set()
        seen: set[int] = set()
        for c in classes:
            c = int(c)
            while c not in self.value and c not in seen:
                seen.add(c)
                c, r = self._parent(c)
                if r not in self.exact_price:
                    needed.add(r)
        return needed

    def _ensure_prices(self, rounds: set[int]) -> None:
        # Rounds only depend on earlier rounds, so after collecting the
        # closure they can be priced in increasing order without recursion.
        closure: set[int] = set()
        stack = list(rounds)
        while stack:
            r = stack.pop()
            if r in closure or r in self.exact_price:
                continue
            closure.add(r)
            stack.extend(self._rounds_needed(np.unique(self.round_classes[r])))
        for r in sorted(closure):
            classes, weights = self._class_weights(
                self.round_classes[r], self.round_supporters[r]
            )
            self.exact_price[r] = self._exact_cap(
                self.round_project[r], classes, weights
            )

    def _values(self, classes) -> list[Fraction]:
        self._ensure_prices(self._rounds_needed(classes))
        out = []
        for c in classes:
            c = int(c)
            chain = []
            while c not in self.value:
                chain.append(c)
                c, _ = self._parent(c)
            v = self.value[c]
            for d in reversed(chain):
                _, r = self._parent(d)
                q = self.exact_price[r]
                v = v - q if v > q else Fraction(0)
                self.value[d] = v
            out.append(v)
        return out

    def _class_weights(
        self, classes: np.ndarray, supporters: np.ndarray
    ) -> tuple[np.ndarray, list[int]]:
        uniq, inverse = np.unique(classes, return_inverse=True)
        if self.a.int_weights is None:
            counts = np.bincount(inverse, minlength=len(uniq))
        else:
            counts = np.bincount(
                inverse, weights=self.a.int_weights[supporters], minlength=len(uniq)
            )
        return uniq, [int(x) for x in counts]

    def _exact_cap(self, p: int, classes: np.ndarray, weights: list[int]) -> Fraction:
        cost = Fraction(self.a.costs[p])
        values = self._values(classes)
        rich = sum(weights)
        paid = Fraction(0)
        for v, w in sorted(zip(values, weights, strict=True)):
            q = (cost - paid) / rich
            if q <= v:
                return q
            paid += w * v
            rich -= w
        raise AssertionError("exact price asked for an unaffordable project")

    def _exact_affordable(self, p: int) -> bool:
        s = self.a.supporters[p]
        classes, weights = self._class_weights(self.cls[s], s)
        values = self._values(classes)
        total = sum((w * v for v, w in zip(values, weights, strict=True)), Fraction(0))
        return total >= self.a.costs[p]

    def _exact_rho(self, p: int) -> tuple[Fraction, Fraction]:
        s = self.a.supporters[p]
        classes, weights = self._class_weights(self.cls[s], s)
        cap = self._exact_cap(p, classes, weights)
        return cap / Fraction(self.a.costs[p]), cap

    # ---- the rule ----------------------------------------------------------

    def run(self) -> tuple[list[int], list[MesRound]]:
        a = self.a
        if a.num_voters == 0:
            return [], []
        active = [k for k in range(len(a.ids)) if a.support[k] > 0 and a.costs[k] > 0]
        support_f = a.support.astype(np.float64)
        bound = np.full(len(a.ids), np.inf)
        for k in active:
            bound[k] = (1.0 / support_f[k]) * (1 - 4 * _EPS)
        selected: list[int] = []
        rounds: list[MesRound] = []
        tol = self.tol
        while active:
            order = sorted(active, key=bound.__getitem__)
            best_hi = np.inf
            priced: list[tuple[int, float, float, float]] = []
            gone: set[int] = set()
            for p in order:
                if bound[p] > best_hi:
                    break
                s = a.supporters[p]
                bs = self.beta[s]
                ms = self._weights_of(s)
                total = float(bs.sum()) if ms is None else float(bs @ ms)
                c = float(a.cost_f[p])
                if total < c - tol or (
                    total <= c + tol and not self._exact_affordable(p)
                ):
                    gone.add(p)
                    continue
                q, rich = self._price(bs, ms, float(support_f[p]), total, c)
                rho = q / c
                err = tol / (rich * c) + 8 * _EPS * rho
                bound[p] = rho - err
                priced.append((p, rho, err, q))
                best_hi = min(best_hi, rho + err)
            if gone:
                active = [k for k in active if k not in gone]
            if not priced:
                break
            close = [item for item in priced if item[1] - item[2] <= best_hi]
            if len(close) == 1:
                j, _, _, q = close[0]
                exact_q = None
            else:
                exact = []
                for p, *_ in close:
                    rho, cap = self._exact_rho(p)
                    exact.append((rho, int(a.tie_rank[p]), p, cap))
                _, _, j, exact_q = min(exact)
                q = float(exact_q)
            rounds.append(self._pay(j, q, exact_q))
            active.remove(j)
            selected.append(j)
        return selected, rounds

    def _pay(self, j: int, q: float, exact_q: Fraction | None) -> MesRound:
        s = self.a.supporters[j]
        bs = self.beta[s]
        old = self.cls[s]
        r = len(self.round_project)
        self.round_project.append(j)
        self.round_classes.append(old)
        self.round_supporters.append(s)
        if exact_q is not None:
            self.exact_price[r] = exact_q
        left = bs - q
        # a voter goes to the zero class only when the floats leave no doubt
        # that she pays all she has; otherwise she gets a child class whose
        # exact money is worked out if ever needed
        keep = (left >= -2 * self.tol) & (old != _ZERO)
        np.maximum(left, 0.0, out=left)
        self.beta[s] = left
        new = np.full(len(s), _ZERO, dtype=np.int64)
        self.first_ids.append(self.next_id)
        if keep.any():
            kept = old[keep]
            uniq = np.unique(kept)
            new[keep] = self.next_id + np.searchsorted(uniq, kept)
            self.parents.append(uniq)
            self.next_id += len(uniq)
        else:
            self.parents.append(np.empty(0, dtype=np.int64))
        self.cls[s] = new
        paying = np.minimum(bs, q)
        return MesRound(
            project_id=self.a.ids[j],
            cost=float(self.a.cost_f[j]),
            paid=float(paying.sum() if self.wf is None else paying @ self.wf[s]),
            price=q * self.a.weight_scale,
            payers=int(np.count_nonzero(bs > 0)),
            paid_all=int(np.count_nonzero((bs <= q) & (bs > 0))),
        )


def start_share(election: Election, increase: int | Fraction = 0) -> Fraction:
    """Starting money of a voter of weight 1: budget / total weight + increase."""
    arrays = election.arrays()
    weight = Fraction(arrays.total_weight, arrays.weight_scale)
    return Fraction(election.budget) / weight + increase


def run_mes(election: Election, increase: int | Fraction = 0) -> MesOutcome:
    """Run MES once, each voter's share raised by ``increase`` per unit weight."""
    arrays = election.arrays()
    if arrays.num_voters == 0:
        return MesOutcome([], Fraction(0), [], np.zeros(0))
    share = start_share(election, increase)
    # the engine works per unit of the integer-scaled weights
    run = _Run(arrays, share / arrays.weight_scale)
    selected, rounds = run.run()
    return MesOutcome(
        winners=[arrays.ids[k] for k in selected],
        share=share,
        rounds=rounds,
        remaining=run.beta * arrays.weight_scale,
    )


def mes(election: Election) -> list[str]:
    """Winners of MES with cost utilities and no completion, in selection order."""
    return run_mes(election).winners


@dataclass(frozen=True)
class Add1Outcome:
    """MES+Add1: the MES run kept, the increase it used, then the greedy fill."""

    mes: MesOutcome
    increase: int
    runs: int
    filled: list[str]
    skipped: list[str]

    @property
    def winners(self) -> list[str]:
        return self.mes.winners + self.filled


def run_mes_add1(election: Election) -> Add1Outcome:
    """MES, re-run with each share raised by 1, 2, ... then filled greedily.

    Stops at the first run whose outcome is exhaustive (no project with a
    supporter and a positive cost fits in what is left of the budget); if a
    run overspends the budget, the previous run is kept instead. The kept
    outcome is then completed by greedy approval.
    """
    arrays = election.arrays()
    budget = Fraction(election.budget)
    in_race = [k for k in range(len(arrays.ids)) if arrays.support[k] > 0]
    in_race = [k for k in in_race if arrays.costs[k] > 0]
    index = {pid: k for k, pid in enumerate(arrays.ids)}
    increase = 0
    runs = 0
    previous: tuple[MesOutcome, int] | None = None
    while True:
        outcome = run_mes(election, increase)
        runs += 1
        if not arrays.num_voters:
            break
        chosen = {index[pid] for pid in outcome.winners}
        spent = sum((Fraction(arrays.costs[k]) for k in chosen), Fraction(0))
        if spent > budget:
            if previous is None:  # cannot happen with exact arithmetic
                raise AssertionError("MES overspent with the plain share")
            outcome, increase = previous
            break
        left = budget - spent
        if all(arrays.costs[k] > left for k in in_race if k not in chosen):
            break
        previous = (outcome, increase)
        increase += 1
    added, skipped = greedy_fill(election, [index[pid] for pid in outcome.winners])
    return Add1Outcome(
        mes=outcome,
        increase=increase,
        runs=runs,
        filled=[arrays.ids[k] for k in added],
        skipped=[arrays.ids[k] for k in skipped],
    )


def mes_add1(election: Election) -> list[str]:
    """Winners of MES+Add1 followed by greedy fill, in selection order."""
    return run_mes_add1(election).winners
