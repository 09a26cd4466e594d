"""Ties go to the smaller project id compared as a string ("10" before "9")."""

import pytest

from participation.rules import Election, Project, greedy, mes, mes_add1, parse_pb
from tests.reference_data import PABULIB_DIR

DATA = PABULIB_DIR


def edge(name):
    path = DATA / f"{name}.pb"
    if not path.is_file():
        pytest.fail(f"reference data not found: {path}")
    return parse_pb(path)


def test_greedy_takes_10_before_9_and_then_9_fits():
    # 9, 10 and 11 all have two supporters; "10" < "11" < "9" as strings
    assert greedy(edge("edge_tie")) == ["10", "9"]


def test_greedy_with_110_takes_10_then_11_and_9_no_longer_fits():
    assert greedy(edge("edge_tie110")) == ["10", "11"]


def test_mes_breaks_the_exact_price_tie_between_9_and_10_for_10():
    assert mes(edge("edge_tie")) == ["10"]
    assert mes(edge("edge_tie110")) == ["10"]


def test_mes_add1_then_greedy_fill_on_the_tie_files():
    assert mes_add1(edge("edge_tie")) == ["10", "9"]
    assert mes_add1(edge("edge_tie110")) == ["10", "11"]


def test_decimal_costs_that_exactly_exhaust_the_budget_are_all_affordable():
    # budget 100,5 and costs 50.25 + 50,25: the affordability test is at equality
    election = edge("edge_dec")

    assert (greedy(election), mes(election), mes_add1(election)) == (
        ["A", "B"],
        ["A", "B"],
        ["A", "B"],
    )


def test_a_tie_in_a_later_mes_round_also_goes_to_the_smaller_string_id():
    # After "1" is bought, "9" and "10" have the same supporters' money left
    # and the same cost: their price per unit of utility ties exactly.
    election = Election(
        budget=30,
        projects=[Project("1", 9), Project("9", 8), Project("10", 8)],
        approvals=[{"1", "9", "10"}, {"1", "9", "10"}, {"1"}],
    )

    assert mes(election) == ["1", "10"]


def test_a_project_that_costs_nothing_is_left_out_by_mes_but_taken_by_greedy():
    election = Election(
        budget=10,
        projects=[Project("free", 0), Project("A", 10)],
        approvals=[{"free", "A"}, {"free"}],
    )

    assert mes(election) == []
    assert greedy(election) == ["A", "free"]
    assert mes_add1(election) == ["A", "free"]
