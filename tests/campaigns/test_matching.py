"""Match-funding allocation: hand-computed cents, rounding, caps, invariants.

No database: campaigns.matching is pure Python.
"""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.matching import (
    Allocation,
    allocate_quadratic,
    allocate_ratio,
    explain_quadratic,
    explain_ratio,
)


def backers(*amounts):
    """Contributions of distinct backers, as the caller passes them."""
    return {f"backer-{n}": amount for n, amount in enumerate(amounts)}


# Quadratic mode


def test_quadratic_many_small_backers_weigh_more_than_one_large():
    # A: 4 backers of 100 -> S = (4 * sqrt(100))^2 = 40^2 = 1600
    # B: 1 backer of 400  -> S = sqrt(400)^2      = 20^2 =  400
    # 10,000 * 1600/2000 = 8,000 and 10,000 * 400/2000 = 2,000, no remainder.
    result = allocate_quadratic(
        pool_cents=10_000,
        contributions={"A": backers(100, 100, 100, 100), "B": backers(400)},
    )

    assert result == {"A": 8_000, "B": 2_000}


def test_quadratic_explain_reports_weight_backers_and_cap():
    allocations = explain_quadratic(
        pool_cents=10_000,
        contributions={"B": backers(400), "A": backers(100, 100, 100, 100)},
    )

    assert allocations == [
        Allocation(key="A", cents=8_000, weight=Decimal(1600), capped=False, backers=4),
        Allocation(key="B", cents=2_000, weight=Decimal(400), capped=False, backers=1),
    ]


def test_quadratic_largest_remainder_gives_the_last_cent_with_irrational_roots():
    # A: 100 and 200 -> sqrt(100) + sqrt(200) = 10 + 10*sqrt(2)
    #                -> S_A = 100 * (1 + sqrt(2))^2 = 300 + 200*sqrt(2)
    # B: 300 -> S_B = 300;  C: 200 -> S_C = 200
    # T = 800 + 200*sqrt(2); multiplying by (8 - 2*sqrt(2)) / (8 - 2*sqrt(2)):
    #   B = 1000 * 300 / T = (3000 - 750*sqrt(2)) / 7  = 277.0485...
    #   C = 1000 * 200 / T = (2000 - 500*sqrt(2)) / 7  = 184.6990...
    #   A = 1000 - B - C   = (2000 + 1250*sqrt(2)) / 7 = 538.2524...
    # Floors 538 + 277 + 184 = 999; the last cent goes to the largest
    # remainder, C's .6990 (A .2524, B .0485).
    result = allocate_quadratic(
        pool_cents=1_000,
        contributions={"A": backers(100, 200), "B": backers(300), "C": backers(200)},
    )

    assert result == {"A": 538, "B": 277, "C": 185}


def test_quadratic_two_leftover_cents_go_to_the_two_largest_remainders():
    # The same campaigns with a pool of 100: A 53.8252..., B 27.7048...,
    # C 18.4699...; floors 53 + 27 + 18 = 98, so A (.83) and B (.70) get the
    # two cents left, C (.47) does not.
    result = allocate_quadratic(
        pool_cents=100,
        contributions={"A": backers(100, 200), "B": backers(300), "C": backers(200)},
    )

    assert result == {"A": 54, "B": 28, "C": 18}


def test_quadratic_equal_weights_from_different_amounts_tie_on_the_key():
    # "b": 500 + 500 -> (2*sqrt(500))^2 = 4 * 500 = 2000
    # "a": 2000      -> sqrt(2000)^2            = 2000
    # Each is due 3/2 cents: floors 1 + 1, and the exact tie for the last
    # cent goes to the smaller key "a", whatever the order of the mapping.
    result = allocate_quadratic(
        pool_cents=3,
        contributions={"b": backers(500, 500), "a": backers(2000)},
    )

    assert result == {"a": 2, "b": 1}


def test_quadratic_exactly_whole_share_with_irrational_weights_is_not_floored_short():
    # A: 1 + 2 -> S_A = (1 + sqrt(2))^2;  B: 4 + 8 -> S_B = (2 + 2*sqrt(2))^2
    # = 4 * S_A. So A gets exactly 1/5 of the pool: 500 -> 100 and 400.
    # With 501: 100.2 and 400.8, the cent left goes to B.
    contributions = {"A": backers(1, 2), "B": backers(4, 8)}

    assert allocate_quadratic(pool_cents=500, contributions=contributions) == {
        "A": 100,
        "B": 400,
    }
    assert allocate_quadratic(pool_cents=501, contributions=contributions) == {
        "A": 100,
        "B": 401,
    }


def test_quadratic_cap_binds_and_the_rest_is_shared_again_by_weight():
    # S: A = (4*10)^2 = 1600, B = 20^2 = 400, C = (4*5)^2 = 400; T = 2400.
    # Pool 12,000 would give A 8,000 > cap 5,000: A gets 5,000 and the
    # 7,000 left is shared by B and C at 400:400 -> 3,500 each (under the cap).
    allocations = explain_quadratic(
        pool_cents=12_000,
        contributions={
            "A": backers(100, 100, 100, 100),
            "B": backers(400),
            "C": backers(25, 25, 25, 25),
        },
        cap_per_campaign_cents=5_000,
    )

    assert [(a.key, a.cents, a.capped) for a in allocations] == [
        ("A", 5_000, True),
        ("B", 3_500, False),
        ("C", 3_500, False),
    ]


def test_quadratic_cap_water_fills_until_no_share_exceeds_it():
    # S: A = 1600, B = 30^2 = 900, C = 10^2 = 100; T = 2600, pool 2,600.
    # Round 1: A 1,600 > 1,000 (B 900, C 100 are under): A gets 1,000.
    # Round 2: 1,600 left for B and C at 900:100 -> B 1,440 > 1,000: B 1,000.
    # Round 3: C alone gets the 600 left, under the cap. Total 2,600.
    result = allocate_quadratic(
        pool_cents=2_600,
        contributions={
            "A": backers(100, 100, 100, 100),
            "B": backers(900),
            "C": backers(100),
        },
        cap_per_campaign_cents=1_000,
    )

    assert result == {"A": 1_000, "B": 1_000, "C": 600}


def test_quadratic_leaves_the_rest_unallocated_when_every_campaign_is_capped():
    # A 8,000 > 3,000 -> 3,000; then B alone would get 7,000 > 3,000 -> 3,000.
    # 6,000 of the 10,000 are paid.
    allocations = explain_quadratic(
        pool_cents=10_000,
        contributions={"A": backers(100, 100, 100, 100), "B": backers(400)},
        cap_per_campaign_cents=3_000,
    )

    assert [(a.cents, a.capped) for a in allocations] == [(3_000, True), (3_000, True)]
    assert sum(a.cents for a in allocations) == 6_000


def test_quadratic_ignores_zero_contributions_and_lists_empty_campaigns():
    # A: 0 is ignored, 900 -> S = 900; B has no backer, C only a zero: S = 0.
    allocations = explain_quadratic(
        pool_cents=1_000,
        contributions={"A": backers(0, 900), "B": {}, "C": backers(0)},
    )

    assert [(a.key, a.cents, a.backers) for a in allocations] == [
        ("A", 1_000, 1),
        ("B", 0, 0),
        ("C", 0, 0),
    ]


def test_quadratic_pays_nothing_without_a_positive_contribution():
    result = allocate_quadratic(pool_cents=1_000, contributions={"A": backers(0)})

    assert result == {"A": 0}


# Ratio mode


PLEDGES = {"A": [2_000, 7_000, 1_500], "B": [3_000]}


def test_ratio_one_to_one_within_the_pool_applies_both_caps_exactly():
    # Per pledge at most 5,000: A earns 2,000 + 5,000 + 1,500 = 8,500, which
    # the campaign cap cuts to 8,000. B earns 3,000. 11,000 fit in 20,000.
    allocations = explain_ratio(
        pool_cents=20_000,
        pledges=PLEDGES,
        cap_per_pledge_cents=5_000,
        cap_per_campaign_cents=8_000,
    )

    assert allocations == [
        Allocation(key="A", cents=8_000, weight=Decimal(8000), capped=True, backers=3),
        Allocation(key="B", cents=3_000, weight=Decimal(3000), capped=False, backers=1),
    ]


def test_ratio_over_the_pool_is_scaled_to_exactly_the_pool():
    # Matches 8,000 and 3,000 (as above) exceed the pool of 5,000:
    #   A = 5,000 * 8,000 / 11,000 = 40,000/11 = 3,636 + 4/11
    #   B = 5,000 * 3,000 / 11,000 = 15,000/11 = 1,363 + 7/11
    # Floors 4,999; the last cent goes to B (7/11 > 4/11).
    result = allocate_ratio(
        pool_cents=5_000,
        pledges=PLEDGES,
        cap_per_pledge_cents=5_000,
        cap_per_campaign_cents=8_000,
    )

    assert result == {"A": 3_636, "B": 1_364}
    assert sum(result.values()) == 5_000


def test_ratio_two_to_one_doubles_each_pledge():
    # 2 * 1,000 + 2 * 250 = 2,500; 2 * 333 = 666.
    result = allocate_ratio(
        pool_cents=100_000, pledges={"A": [1_000, 250], "B": [333]}, factor=2
    )

    assert result == {"A": 2_500, "B": 666}


def test_ratio_one_to_two_floors_odd_cents_pledge_by_pledge():
    # floor(101/2) + floor(33/2) + floor(1/2) = 50 + 16 + 0 = 66, not
    # floor(135/2) = 67: each pledge is matched on its own.
    result = allocate_ratio(
        pool_cents=100_000, pledges={"A": [101, 33, 1]}, factor=Fraction(1, 2)
    )

    assert result == {"A": 66}


def test_ratio_tie_for_the_last_cent_goes_to_the_smaller_key_as_a_string():
    # Matches 10 and 10, pool 3: 3/2 each, floors 1 + 1. "10" < "9" as
    # strings, so campaign 10 gets the last cent.
    result = allocate_ratio(pool_cents=3, pledges={9: [10], 10: [10]})

    assert result == {10: 2, 9: 1}


def test_ratio_lists_every_campaign_even_without_pledges():
    result = allocate_ratio(pool_cents=1_000, pledges={"A": [200], "B": [], "C": [0]})

    assert result == {"A": 200, "B": 0, "C": 0}


# Invalid input


@pytest.mark.parametrize(
    "arguments",
    [
        {"pool_cents": -1},
        {"factor": Fraction(-1, 2)},
        {"cap_per_pledge_cents": -1},
        {"cap_per_campaign_cents": -5},
        {"pledges": {"A": [100, -1]}},
    ],
)
def test_ratio_rejects_negative_input(arguments):
    call = {"pool_cents": 1_000, "pledges": {"A": [100]}} | arguments

    with pytest.raises(ValueError, match="must not be negative"):
        allocate_ratio(**call)


@pytest.mark.parametrize(
    "arguments",
    [
        {"pool_cents": -1},
        {"cap_per_campaign_cents": -1},
        {"contributions": {"A": {"ann": 100, "bob": -100}}},
    ],
)
def test_quadratic_rejects_negative_input(arguments):
    call = {"pool_cents": 1_000, "contributions": {"A": {"ann": 100}}} | arguments

    with pytest.raises(ValueError, match="must not be negative"):
        allocate_quadratic(**call)


def test_money_in_floats_is_refused():
    with pytest.raises(TypeError, match="integer cents"):
        allocate_ratio(pool_cents=10.5, pledges={"A": [100]})
    with pytest.raises(TypeError, match="integer cents"):
        allocate_quadratic(pool_cents=1_000, contributions={"A": {"ann": 1.5}})
    with pytest.raises(TypeError, match="Fraction"):
        allocate_ratio(pool_cents=1_000, pledges={"A": [100]}, factor=0.5)


# Invariants on random rounds

# Round amounts too, so that equal and rationally related weights (exact ties,
# exactly whole shares) come up as well as irrational ones.
amounts = st.one_of(
    st.integers(min_value=0, max_value=20_000),
    st.sampled_from([0, 1, 2, 4, 8, 100, 200, 400, 500, 800, 2_000, 4_500]),
)
campaign_keys = st.one_of(st.integers(0, 30), st.text(max_size=3))
pools = st.integers(min_value=0, max_value=200_000)
caps = st.none() | st.integers(min_value=0, max_value=100_000)


@settings(max_examples=300, deadline=None)
@given(
    pool=pools,
    cap=caps,
    contributions=st.dictionaries(
        campaign_keys,
        st.dictionaries(st.integers(0, 50), amounts, max_size=6),
        max_size=6,
    ),
)
def test_quadratic_invariants_hold_for_random_rounds(pool, cap, contributions):
    allocations = explain_quadratic(
        pool_cents=pool, contributions=contributions, cap_per_campaign_cents=cap
    )
    result = {a.key: a.cents for a in allocations}
    total = sum(result.values())

    assert result.keys() == contributions.keys()
    assert all(cents >= 0 for cents in result.values())
    assert total <= pool
    if cap is not None:
        assert all(a.cents <= cap for a in allocations)
        assert all(a.cents == cap for a in allocations if a.capped)
    if any(a.backers and not a.capped for a in allocations):
        assert total == pool
    # Deterministic, and blind to the order of campaigns and backers.
    reordered = {
        key: dict(reversed(list(gifts.items())))
        for key, gifts in reversed(list(contributions.items()))
    }
    again = allocate_quadratic(
        pool_cents=pool, contributions=reordered, cap_per_campaign_cents=cap
    )
    if len({str(key) for key in contributions}) == len(contributions):
        assert again == result
    assert (
        allocate_quadratic(
            pool_cents=pool, contributions=contributions, cap_per_campaign_cents=cap
        )
        == result
    )


@settings(max_examples=300, deadline=None)
@given(
    pool=pools,
    cap_per_pledge=caps,
    cap_per_campaign=caps,
    factor=st.fractions(min_value=0, max_value=5, max_denominator=10),
    pledges=st.dictionaries(campaign_keys, st.lists(amounts, max_size=6), max_size=6),
)
def test_ratio_invariants_hold_for_random_rounds(
    pool, cap_per_pledge, cap_per_campaign, factor, pledges
):
    arguments = {
        "pool_cents": pool,
        "pledges": pledges,
        "factor": factor,
        "cap_per_pledge_cents": cap_per_pledge,
        "cap_per_campaign_cents": cap_per_campaign,
    }
    allocations = explain_ratio(**arguments)
    total = sum(a.cents for a in allocations)
    matched = sum(a.weight for a in allocations)

    assert [a.key for a in allocations] == sorted(pledges, key=str)
    assert all(0 <= a.cents <= a.weight for a in allocations)
    if cap_per_campaign is not None:
        assert all(a.cents <= cap_per_campaign for a in allocations)
    if matched <= pool:
        assert all(a.cents == a.weight for a in allocations)
    else:
        assert total == pool
    assert allocate_ratio(**arguments) == {a.key: a.cents for a in allocations}
