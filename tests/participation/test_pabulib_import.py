import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from participation.models import Ballot, Process
from participation.rules import parse_pb
from tests.factories import CommunityFactory
from tests.reference_data import PABULIB_DIR

pytestmark = pytest.mark.django_db

PABULIB = PABULIB_DIR


@pytest.fixture
def community():
    if not PABULIB.is_dir():
        pytest.fail(f"the reference elections are missing: {PABULIB}")
    return CommunityFactory(slug="assen")


@pytest.mark.parametrize("rule", ["greedy", "mes", "mes-add1"])
def test_a_real_election_is_replayed_with_the_reference_winners(community, rule):
    expected = json.loads((PABULIB / "expected.json").read_text())[
        "Netherlands_Assen_2024"
    ]

    call_command(
        "pb_import",
        str(PABULIB / "Netherlands_Assen_2024.pb"),
        community="assen",
        rule=rule,
    )

    process = Process.objects.get(community=community)
    assert process.phase == "results"
    assert set(process.result.winners) == set(expected[rule])
    assert process.result.ballots_counted == 84 == Ballot.objects.count()


def test_the_exported_ballots_recompute_to_the_same_winners(client, community):
    call_command(
        "pb_import", str(PABULIB / "Netherlands_Assen_2024.pb"), community="assen"
    )
    process = Process.objects.get(community=community)

    exported = client.get(
        reverse("participation:results-pb", args=["assen", process.slug])
    )

    assert exported.status_code == 200
    election = parse_pb(exported.content.decode())
    original = parse_pb(PABULIB / "Netherlands_Assen_2024.pb")
    assert election.budget == original.budget
    assert sorted(map(sorted, election.approvals)) == sorted(
        map(sorted, original.approvals)
    )
    from participation.rules import mes_add1

    assert set(mes_add1(election)) == set(process.result.winners)


def test_a_malformed_file_is_refused_with_a_clear_message_and_nothing_is_created(
    community, tmp_path
):
    broken = tmp_path / "broken.pb"
    broken.write_text(
        "META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;abc\nVOTES\nvoter_id;vote\n1;1\n"
    )

    with pytest.raises(CommandError, match="malformed .pb file: line 6"):
        call_command("pb_import", str(broken), community="assen")

    assert not Process.objects.exists()
