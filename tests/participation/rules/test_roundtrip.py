"""write_pb then parse_pb gives back the same election."""

from fractions import Fraction

import pytest

from participation.rules import Election, Project, parse_pb, write_pb
from tests.reference_data import PABULIB_DIR

DATA = PABULIB_DIR


def test_an_election_with_weights_fractions_and_awkward_names_round_trips():
    election = Election(
        budget=Fraction(201, 2),
        projects=[
            Project("10", Fraction(1, 3), 'A "quoted"; name', "green,sport"),
            Project("9", 25, "", None),
            Project("BO.OM.110/24", Fraction(10199403, 10), "Multi\nline", None),
        ],
        approvals=[{"10", "9"}, set(), {"BO.OM.110/24"}],
        weights=[2, Fraction(1, 2), 1],
        voter_ids=["a;1", "b", "c"],
        meta={"description": "round trip", "unit": "Łódź"},
    )

    text = write_pb(election, meta={"rule": "mes-add1"})
    again = parse_pb(text)

    assert again == Election(
        **{
            **{f: getattr(election, f) for f in ("budget", "projects", "approvals")},
            "weights": election.weights,
            "meta": {"description": "round trip", "unit": "Łódź", "rule": "mes-add1"},
        }
    )
    assert again.voter_ids == ("a;1", "b", "c")


def test_the_written_meta_states_the_budget_and_counts_from_the_election():
    election = Election(
        budget=Fraction(126189987, 100),
        projects=[Project("A", 5)],
        approvals=[{"A"}],
        meta={"budget": "stale", "num_votes": "99", "description": "d"},
    )

    head = write_pb(election).split("PROJECTS")[0]

    assert head == (
        "META\nkey;value\ndescription;d\nnum_projects;1\nnum_votes;1\n"
        "budget;1261899.87\nvote_type;approval\n"
    )


def test_ballot_points_and_rankings_round_trip():
    projects = [Project("A", 1), Project("B", 2)]
    cumulative = Election(
        budget=3,
        projects=projects,
        approvals=[{"A", "B"}, {"B"}],
        ballot_kind="cumulative",
        points=[{"A": 2, "B": Fraction(1, 2)}, {"B": 3}],
    )
    ordinal = Election(
        budget=3,
        projects=projects,
        approvals=[{"A", "B"}],
        ballot_kind="ordinal",
        rankings=[("B", "A")],
    )

    assert parse_pb(write_pb(cumulative)) == cumulative
    assert parse_pb(write_pb(ordinal)) == ordinal


@pytest.mark.parametrize(
    "name",
    [
        "France_Toulouse_2019",
        "Poland_Krakow_2023_Stare_Miasto",
        "Poland_Warszawa_2022_Wola",
        "Poland_Gdynia_2021_Babie_Doly__large",
        "edge_dec",
        "edge_tie",
    ],
)
def test_a_real_file_round_trips(name):
    path = DATA / f"{name}.pb"
    if not path.is_file():
        pytest.fail(f"reference data not found: {path}")
    election = parse_pb(path)

    again = parse_pb(write_pb(election))

    assert again == election
    assert again.voter_ids == election.voter_ids
