"""Pledges count as votes: distinct backers, one backer one vote, with a weight."""

import pytest

from campaigns import services
from participation import market_votes
from participation.models import Ballot, BallotItem, ProcessResult
from participation.services.results import process_to_pb, results_compute
from tests.factories import ProcessFactory, ProjectFactory, UserFactory

from .conftest import live_campaign

pytestmark = pytest.mark.django_db


def _process_with_two_projects():
    process = ProcessFactory(
        phase="results", budget_cents=30_000, outcome_rule="greedy"
    )
    a = ProjectFactory(process=process, code="A", cost_cents=30_000)
    b = ProjectFactory(process=process, code="B", cost_cents=30_000)
    ProcessResult.objects.create(
        process=process, rule="greedy", winners=["A", "B"], ballots_counted=0
    )
    for code_votes, project in ((3, a), (2, b)):
        for _ in range(code_votes):
            ballot = Ballot.objects.create(
                process=process, user=UserFactory(), channel="online"
            )
            BallotItem.objects.create(ballot=ballot, project=project)
    return process, a, b


def _pledge(campaign, backer, cents=1_000, status="committed"):
    pledge = services.pledge_create(
        campaign=campaign, amount_cents=cents, backer=backer
    )
    pledge.__class__.objects.filter(pk=pledge.pk).update(status=status)
    return pledge


def test_distinct_backers_rank_the_projects_next_to_the_vote():
    process, a, b = _process_with_two_projects()
    campaign_a = live_campaign(project=a, slug="a")
    campaign_b = live_campaign(project=b, slug="b")
    fan, other = UserFactory(), UserFactory()
    _pledge(campaign_a, fan)
    _pledge(campaign_a, fan, cents=50_000)  # one backer, however many euro
    for backer in (fan, other, UserFactory()):
        _pledge(campaign_b, backer)
    _pledge(campaign_b, UserFactory(), status="canceled")  # does not count

    assert market_votes.supporters_ranking(process) == [("B", 3), ("A", 1)]


def test_backers_feed_the_next_count_with_their_weight_when_the_process_says_so():
    process, a, b = _process_with_two_projects()
    campaign_b = live_campaign(project=b, slug="b")
    for _ in range(3):
        _pledge(campaign_b, UserFactory())

    without = results_compute(process=process)
    assert without.winners == ["A"]  # 3 ballots against 2
    assert without.explanation["market_ballots"] == 0

    process.market_votes = True
    process.market_vote_weight = 2
    process.save()
    counted = results_compute(process=process)

    assert counted.winners == ["B"]  # 2 ballots + 3 backers x 2 = 8 against 3
    rows = {row["code"]: row["votes"] for row in counted.explanation["rows"]}
    assert rows == {"A": 3, "B": 8}
    assert counted.ballots_counted == 5
    assert counted.explanation["market_ballots"] == 3
    assert counted.explanation["market_vote_weight"] == 2
    # the published file carries what was counted, weights included
    assert "weight" in process_to_pb(process).lower()
