"""Match funding: how a sponsor's pool is shared among the campaigns of a round.

Pure Python (standard library only, no Django); money is integer cents.

Ratio mode, :func:`allocate_ratio` / :func:`explain_ratio`
    Each pledge earns ``min(floor(amount * factor), cap_per_pledge_cents)``;
    a campaign's match is the sum of its pledges' earnings, at most
    ``cap_per_campaign_cents``. If the matches together fit in the pool they
    are paid as they are (the rest of the pool stays with the sponsor);
    otherwise the pool is shared in proportion to the matches, so that exactly
    the whole pool is paid and no campaign gets more than its match.

Quadratic mode, :func:`allocate_quadratic` / :func:`explain_quadratic`
    ``contributions[campaign][backer]`` is what one backer gave in total. A
    campaign weighs ``S = (sum of the square roots of its contributions) ** 2``
    (many small backers weigh more than one large one) and the pool is shared
    in proportion to ``S``. With ``cap_per_campaign_cents`` a campaign whose
    share exceeds the cap gets exactly the cap and what it leaves is shared
    again among the others in proportion to ``S``, until no share exceeds the
    cap (water-filling). If every campaign is capped the rest of the pool stays
    unallocated.

Zero amounts are ignored (they earn nothing and count as no backer); negative
amounts, a negative pool, factor or cap raise :class:`ValueError`, and money
that is not an ``int`` (a float, say) raises :class:`TypeError`.

Rounding guarantee
    Each campaign's exact share is floored to the cent; the cents left over
    go one each to the campaigns with the largest remainders, ties to the
    smaller ``str(key)`` (then to the earlier key in the mapping). A capped
    campaign never gets more than its cap. The total paid never exceeds the
    pool, and equals it whenever at least one campaign with a positive weight
    is not capped (in ratio mode: whenever the matches exceed the pool).

Exactness
    No float is used. Ratio shares are rationals. Quadratic weights are sums of
    square roots: they are compared with integer interval arithmetic whose
    precision grows until the comparison is decided, and a comparison whose
    interval cannot exclude zero is settled exactly by writing the weights on
    a basis of square roots of square-free integers. Two campaigns with equal
    weights (``{500, 500}`` and ``{2000}`` both weigh 2000) therefore tie
    exactly, and an exactly whole share is never floored one cent short. Only
    :attr:`Allocation.weight` of a quadratic campaign is a rounded value
    (50 significant digits), for display.

The ``explain_*`` functions return one :class:`Allocation` per campaign key,
sorted by ``str(key)`` (ties in input order); ``allocate_*`` return the same
as ``{key: cents}``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cmp_to_key
from math import gcd, isqrt

__all__ = [
    "Allocation",
    "allocate_quadratic",
    "allocate_ratio",
    "explain_quadratic",
    "explain_ratio",
]

WEIGHT_DIGITS = 50


@dataclass(frozen=True)
class Allocation:
    """What one campaign receives from the pool, and why.

    ``weight`` is what the pool was shared by: in ratio mode the campaign's
    match in cents (after both caps, before any scaling to the pool, exact);
    in quadratic mode ``S`` rounded to 50 significant digits. ``capped`` says
    that the campaign cap cut the campaign down (ratio: its pledges earned
    more than the cap; quadratic: its share of the pool exceeded the cap).
    ``backers`` counts its positive pledges (ratio) or the backers with a
    positive contribution (quadratic).
    """

    key: Hashable
    cents: int
    weight: Decimal
    capped: bool
    backers: int


def explain_ratio(
    *,
    pool_cents: int,
    pledges: Mapping[Hashable, Sequence[int]],
    factor: Fraction | int = Fraction(1),
    cap_per_pledge_cents: int | None = None,
    cap_per_campaign_cents: int | None = None,
) -> list[Allocation]:
    """Match each pledge ``factor`` times, within the caps and the pool.

    Raises ValueError for a negative pool, factor, cap or pledge.
    """
    _check_cents("pool_cents", pool_cents)
    _check_cents("cap_per_pledge_cents", cap_per_pledge_cents, optional=True)
    _check_cents("cap_per_campaign_cents", cap_per_campaign_cents, optional=True)
    if isinstance(factor, bool) or not isinstance(factor, int | Fraction):
        raise TypeError(f"factor must be an int or a Fraction, not {factor!r}")
    if factor < 0:
        raise ValueError(f"factor must not be negative, got {factor}")
    factor = Fraction(factor)

    keys = _ordered_keys(pledges)
    matches: list[int] = []
    capped: list[bool] = []
    backers: list[int] = []
    for key in keys:
        earned = 0
        count = 0
        for amount in pledges[key]:
            _check_cents(f"pledge of campaign {key!r}", amount)
            if amount == 0:
                continue
            count += 1
            cents = amount * factor.numerator // factor.denominator
            if cap_per_pledge_cents is not None:
                cents = min(cents, cap_per_pledge_cents)
            earned += cents
        over = cap_per_campaign_cents is not None and earned > cap_per_campaign_cents
        matches.append(cap_per_campaign_cents if over else earned)
        capped.append(over)
        backers.append(count)

    if sum(matches) <= pool_cents:
        cents = matches
    else:
        # Every share is below its match, so rounding up stays within it.
        cents, _ = _share_out(
            pool=pool_cents, weights=_IntegerWeights(matches), cap=None
        )
    return [
        Allocation(
            key=key,
            cents=cents[i],
            weight=Decimal(matches[i]),
            capped=capped[i],
            backers=backers[i],
        )
        for i, key in enumerate(keys)
    ]


def allocate_ratio(
    *,
    pool_cents: int,
    pledges: Mapping[Hashable, Sequence[int]],
    factor: Fraction | int = Fraction(1),
    cap_per_pledge_cents: int | None = None,
    cap_per_campaign_cents: int | None = None,
) -> dict[Hashable, int]:
    """Cents per campaign key of :func:`explain_ratio`."""
    allocations = explain_ratio(
        pool_cents=pool_cents,
        pledges=pledges,
        factor=factor,
        cap_per_pledge_cents=cap_per_pledge_cents,
        cap_per_campaign_cents=cap_per_campaign_cents,
    )
    return {a.key: a.cents for a in allocations}


def explain_quadratic(
    *,
    pool_cents: int,
    contributions: Mapping[Hashable, Mapping[Hashable, int]],
    cap_per_campaign_cents: int | None = None,
) -> list[Allocation]:
    """Share the pool by quadratic funding weights, water-filling the cap.

    Raises ValueError for a negative pool, cap or contribution.
    """
    _check_cents("pool_cents", pool_cents)
    _check_cents("cap_per_campaign_cents", cap_per_campaign_cents, optional=True)
    keys = _ordered_keys(contributions)
    amounts: list[list[int]] = []
    for key in keys:
        given = contributions[key]
        for backer, amount in given.items():
            _check_cents(f"contribution of {backer!r} to campaign {key!r}", amount)
        # Sorted so that the result cannot depend on the backers' order.
        amounts.append(sorted(amount for amount in given.values() if amount > 0))

    weights = _QuadraticWeights(amounts)
    cents, capped = _share_out(
        pool=pool_cents, weights=weights, cap=cap_per_campaign_cents
    )
    return [
        Allocation(
            key=key,
            cents=cents[i],
            weight=weights.display(i),
            capped=capped[i],
            backers=len(amounts[i]),
        )
        for i, key in enumerate(keys)
    ]


def allocate_quadratic(
    *,
    pool_cents: int,
    contributions: Mapping[Hashable, Mapping[Hashable, int]],
    cap_per_campaign_cents: int | None = None,
) -> dict[Hashable, int]:
    """Cents per campaign key of :func:`explain_quadratic`."""
    allocations = explain_quadratic(
        pool_cents=pool_cents,
        contributions=contributions,
        cap_per_campaign_cents=cap_per_campaign_cents,
    )
    return {a.key: a.cents for a in allocations}


def _check_cents(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be integer cents, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _ordered_keys(campaigns: Mapping[Hashable, object]) -> list[Hashable]:
    """Keys in tie-break order: ``str(key)``, then their order in the mapping.

    Campaigns are numbered in this order, so "the smaller index wins a tie"
    is the documented rule.
    """
    return sorted(campaigns, key=str)


class _IntegerWeights:
    """Weights that are plain integers (the matches of ratio mode)."""

    def __init__(self, values: list[int]) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def is_positive(self, i: int) -> bool:
        return self.values[i] > 0

    def approx(self, i: int) -> int:
        return self.values[i]

    def sign(self, coeffs: Mapping[int, int]) -> int:
        total = sum(a * self.values[i] for i, a in coeffs.items())
        return (total > 0) - (total < 0)


class _QuadraticWeights:
    """Exact weights ``S_i = (sum of sqrt(x) for x in amounts[i]) ** 2``.

    :meth:`sign` decides the sign of an integer combination ``sum a_i S_i``
    without error. Numerically: ``isqrt(x << 2b)`` is ``sqrt(x) * 2**b``
    rounded down, so ``S_i * 4**b`` lies between ``lo**2`` and ``hi**2``
    where ``lo`` sums those roots and ``hi = lo + (number of x that are not
    perfect squares)``. If the resulting interval of the combination contains
    zero, the combination is expanded exactly; if it is not zero after all,
    the precision ``b`` is doubled until the interval excludes zero, which
    must happen.
    """

    START_BITS = 128

    def __init__(self, amounts: list[list[int]]) -> None:
        self.amounts = amounts
        self._bounds: dict[int, tuple[list[int], list[int]]] = {}
        self._expansions: dict[int, dict[int, int]] = {}
        self._splits: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.amounts)

    def is_positive(self, i: int) -> bool:
        return bool(self.amounts[i])

    def approx(self, i: int) -> int:
        """``S_i * 4**START_BITS``, rounded down (same scale for every i)."""
        return self.bounds(self.START_BITS)[0][i]

    def bounds(self, bits: int) -> tuple[list[int], list[int]]:
        """Lower and upper bounds of ``S_i * 4**bits`` for every campaign."""
        if bits not in self._bounds:
            lows, highs = [], []
            for amounts in self.amounts:
                low = sum(isqrt(x << (2 * bits)) for x in amounts)
                high = low + sum(1 for x in amounts if isqrt(x) ** 2 != x)
                lows.append(low * low)
                highs.append(high * high)
            self._bounds[bits] = (lows, highs)
        return self._bounds[bits]

    def sign(self, coeffs: Mapping[int, int]) -> int:
        coeffs = {i: a for i, a in coeffs.items() if a}
        bits = self.START_BITS
        known_nonzero = False
        while True:
            lows, highs = self.bounds(bits)
            low = sum(a * (lows[i] if a > 0 else highs[i]) for i, a in coeffs.items())
            high = sum(a * (highs[i] if a > 0 else lows[i]) for i, a in coeffs.items())
            if low > 0:
                return 1
            if high < 0:
                return -1
            if not known_nonzero:
                if self._is_zero(coeffs):
                    return 0
                known_nonzero = True
            bits *= 2

    def display(self, i: int) -> Decimal:
        """``S_i`` to 50 significant digits (exact when it is an integer)."""
        with localcontext() as ctx:
            ctx.prec = WEIGHT_DIGITS + 10
            root_sum = sum((Decimal(x).sqrt() for x in self.amounts[i]), Decimal(0))
            weight = root_sum * root_sum
            ctx.prec = WEIGHT_DIGITS
            return +weight

    def _is_zero(self, coeffs: Mapping[int, int]) -> bool:
        # Square roots of distinct square-free integers are linearly
        # independent over the rationals, so the combination is zero exactly
        # when every coordinate on that basis is.
        total: dict[int, int] = {}
        for i, a in coeffs.items():
            for core, k in self._expansion(i).items():
                total[core] = total.get(core, 0) + a * k
        return not any(total.values())

    def _expansion(self, i: int) -> dict[int, int]:
        """``S_i`` as ``{core: k}`` meaning ``sum of k * sqrt(core)``."""
        if i not in self._expansions:
            line: dict[int, int] = {}
            for x in self.amounts[i]:
                root, core = self._split(x)
                line[core] = line.get(core, 0) + root
            terms = sorted(line.items())
            square: dict[int, int] = {}
            for n, (r, kr) in enumerate(terms):
                square[1] = square.get(1, 0) + kr * kr * r
                for s, ks in terms[n + 1 :]:
                    # sqrt(r) * sqrt(s) = g * sqrt(r/g * s/g), square-free again.
                    g = gcd(r, s)
                    core = (r // g) * (s // g)
                    square[core] = square.get(core, 0) + 2 * kr * ks * g
            self._expansions[i] = square
        return self._expansions[i]

    def _split(self, x: int) -> tuple[int, int]:
        """``(root, core)`` with ``x == root**2 * core``, ``core`` square-free."""
        if x not in self._splits:
            n, root, core, p = x, 1, 1, 2
            while p * p * p <= n:
                if n % p == 0:
                    exponent = 0
                    while n % p == 0:
                        n //= p
                        exponent += 1
                    root *= p ** (exponent // 2)
                    core *= p ** (exponent % 2)
                p += 1 if p == 2 else 2
            # No prime below p divides n and n < p**3, so n is 1, a prime, the
            # square of a prime or the product of two distinct primes.
            s = isqrt(n)
            if s * s == n:
                root *= s
            else:
                core *= n
            self._splits[x] = (root, core)
        return self._splits[x]


def _share_out(
    *, pool: int, weights: _IntegerWeights | _QuadraticWeights, cap: int | None
) -> tuple[list[int], list[bool]]:
    """Cents per campaign index and whether the cap cut it, per the rules above.

    Water-filling first: while some active campaign's exact share
    ``remaining * w_i / sum(active w)`` exceeds the cap, all such campaigns
    get the cap and leave the active set (raising the others' shares). Then
    ``remaining`` is apportioned among the active campaigns by floor and
    largest remainder, ties to the smaller index.
    """
    n = len(weights)
    cents = [0] * n
    capped = [False] * n
    active = [i for i in range(n) if weights.is_positive(i)]
    remaining = pool

    def combination(terms: Mapping[int, int], each_active: int) -> dict[int, int]:
        """Coefficients of ``sum(terms[i] * w_i) + each_active * T``."""
        coeffs = dict.fromkeys(active, each_active)
        for i, a in terms.items():
            coeffs[i] = coeffs.get(i, 0) + a
        return coeffs

    while cap is not None and active:
        # share_i > cap  <=>  remaining * w_i - cap * T > 0
        over = [
            i for i in active if weights.sign(combination({i: remaining}, -cap)) > 0
        ]
        if not over:
            break
        for i in over:
            cents[i] = cap
            capped[i] = True
            remaining -= cap
        active = [i for i in active if not capped[i]]
    if not active:
        return cents, capped

    approx_total = sum(weights.approx(i) for i in active)
    floors: dict[int, int] = {}
    for i in active:
        # The largest k with k * T <= remaining * w_i, from an estimate.
        k = remaining * weights.approx(i) // approx_total
        while weights.sign(combination({i: remaining}, -k)) < 0:
            k -= 1
        while weights.sign(combination({i: remaining}, -(k + 1))) >= 0:
            k += 1
        floors[i] = k

    def by_remainder(i: int, j: int) -> int:
        # remainder_i * T = remaining * w_i - floors[i] * T; larger goes first.
        if i == j:
            return 0
        difference = weights.sign(
            combination({i: remaining, j: -remaining}, floors[j] - floors[i])
        )
        return -difference or (i > j) - (i < j)

    leftover = remaining - sum(floors.values())
    for i in sorted(active, key=cmp_to_key(by_remainder))[:leftover]:
        floors[i] += 1
    for i, k in floors.items():
        cents[i] = k
    return cents, capped
