"""A voter of weight w counts as w identical voters, in every rule."""

import random
from fractions import Fraction

import pytest

from participation.rules import Election, Project, greedy, mes, mes_add1, run_mes


def random_weighted(rng):
    ids = [str(i) for i in range(rng.randint(1, 7))]
    costs = [0, 1, 2, 3, 5, 8, Fraction(7, 2)]
    projects = [Project(pid, rng.choice(costs)) for pid in ids]
    n = rng.randint(1, 8)
    approvals = [set(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(n)]
    weights = [rng.randint(1, 4) for _ in range(n)]
    return Election(
        budget=rng.randint(1, 30),
        projects=projects,
        approvals=approvals,
        weights=weights,
    )


def duplicated(election):
    return Election(
        budget=election.budget,
        projects=election.projects,
        approvals=[
            ballot
            for ballot, weight in zip(election.approvals, election.weights, strict=True)
            for _ in range(weight)
        ],
    )


@pytest.mark.parametrize("rule", [greedy, mes, mes_add1], ids=lambda r: r.__name__)
def test_a_weighted_voter_counts_as_that_many_identical_voters(rule):
    rng = random.Random(20261125)
    for _ in range(200):
        election = random_weighted(rng)

        assert rule(election) == rule(duplicated(election)), election


@pytest.mark.parametrize("rule", [greedy, mes], ids=lambda r: r.__name__)
def test_scaling_all_weights_changes_neither_greedy_nor_mes(rule):
    rng = random.Random(7)
    for _ in range(100):
        election = random_weighted(rng)
        halved = Election(
            budget=election.budget,
            projects=election.projects,
            approvals=election.approvals,
            weights=[Fraction(w, 2) for w in election.weights],
        )

        assert rule(halved) == rule(election)


def test_a_weight_two_voter_starts_with_twice_the_share():
    election = Election(
        budget=90,
        projects=[Project("A", 60), Project("B", 30)],
        approvals=[{"A"}, {"B"}],
        weights=[2, 1],
    )

    outcome = run_mes(election)

    assert outcome.share == 30
    assert outcome.winners == ["A", "B"]
    assert outcome.remaining.tolist() == [0.0, 0.0]


def test_weight_decides_greedy_between_two_projects():
    election = Election(
        budget=10,
        projects=[Project("A", 10), Project("B", 10)],
        approvals=[{"A"}, {"B"}, {"B"}],
        weights=[3, 1, 1],
    )

    assert greedy(election) == ["A"]


@pytest.mark.parametrize(
    ("weights", "message"),
    [([1], "1 weights for 2 voters"), ([1, 0], "voter weights must be positive")],
)
def test_weights_must_match_the_voters_and_be_positive(weights, message):
    with pytest.raises(ValueError) as error:
        Election(
            budget=1,
            projects=[Project("A", 1)],
            approvals=[{"A"}, {"A"}],
            weights=weights,
        )

    assert str(error.value) == message


def test_money_must_be_exact():
    with pytest.raises(TypeError) as error:
        Election(budget=1.5, projects=[], approvals=[])

    assert (
        str(error.value) == "budget must be an int, a Fraction or a Decimal, not float"
    )
