"""Random small elections: same winners as pabutools 1.2.3 itself."""

import random
from fractions import Fraction

import pytest
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
from pabutools.election import Project as PabuProject
from pabutools.fractions import frac
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

from participation.rules import Election, Project, greedy, mes, mes_add1


def pabu_number(value):
    value = Fraction(value)
    return frac(value.numerator, value.denominator)


def pabutools_winners(election):
    instance = Instance(budget_limit=pabu_number(election.budget))
    projects = {}
    for p in election.projects:
        projects[p.id] = PabuProject(p.id, pabu_number(p.cost))
        instance.add(projects[p.id])
    profile = ApprovalProfile(
        [ApprovalBallot([projects[pid] for pid in b]) for b in election.approvals]
    )
    plain = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    add1 = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    add1 = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, initial_budget_allocation=add1
    )
    greedy_outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    return {
        "greedy": [p.name for p in greedy_outcome],
        "mes": [p.name for p in plain],
        "mes-add1": [p.name for p in add1],
    }


def tie_prone(rng):
    """Few voters, small round costs, ids like 9 and 10: exact ties everywhere."""
    ids = rng.sample([str(i) for i in range(1, 25)], rng.randint(1, 8))
    costs = [0, 1, 2, 3, 4, 5, 6, 10, 12, Fraction(3, 2), Fraction(10, 3)]
    budget = rng.choice(
        [rng.randint(1, 30), Fraction(rng.randint(1, 60), rng.choice([2, 3, 7]))]
    )
    return Election(
        budget=budget,
        projects=[Project(pid, rng.choice(costs)) for pid in ids],
        approvals=[
            set(rng.sample(ids, rng.randint(0, len(ids))))
            for _ in range(rng.randint(0, 12))
        ],
    )


def blocs(rng):
    """Up to 60 voters in a few identical blocs: ties in later MES rounds."""
    ids = [str(i) for i in range(1, rng.randint(3, 12) + 1)]
    pool = [
        set(rng.sample(ids, rng.randint(1, min(4, len(ids)))))
        for _ in range(rng.randint(2, 6))
    ]
    return Election(
        budget=rng.randint(10, 200),
        projects=[
            Project(pid, rng.choice([2, 3, 4, 6, 8, 12, 24]) * rng.choice([1, 10]))
            for pid in ids
        ],
        approvals=[rng.choice(pool) for _ in range(rng.randint(10, 60))],
    )


_rng = random.Random(20261125)
INSTANCES = [tie_prone(_rng) for _ in range(18)] + [blocs(_rng) for _ in range(12)]


@pytest.mark.parametrize("number", range(len(INSTANCES)))
def test_a_random_election_has_the_pabutools_winners(number):
    election = INSTANCES[number]

    ours = {"greedy": greedy(election), "mes": mes(election)}
    ours["mes-add1"] = mes_add1(election)

    assert ours == pabutools_winners(election)
