"""Pledges count as votes: distinct backers, one backer one vote, with a weight."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import selectors, services
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


def _offline_pledge(campaign, *, name="", email="", status="committed"):
    pledge = services.pledge_create(
        campaign=campaign,
        amount_cents=1_000,
        backer_name=name or "Visitor",
        backer_email=email,
    )
    pledge.__class__.objects.filter(pk=pledge.pk).update(status=status)
    return pledge


def test_supporter_counts_from_sql_equal_the_distinct_keys():
    process, a, b = _process_with_two_projects()
    campaign_a = live_campaign(project=a, slug="a")
    campaign_b = live_campaign(project=b, slug="b")
    fan = UserFactory()
    _pledge(campaign_a, fan)
    _pledge(campaign_a, fan)  # the same account: one backer
    _offline_pledge(campaign_a, email="Anna@Example.org")
    _offline_pledge(campaign_a, email="anna@example.org")  # the same e-mail
    _offline_pledge(campaign_a)  # no account, no e-mail: one backer each
    _offline_pledge(campaign_a)
    _offline_pledge(campaign_a, email="gone@example.org", status="canceled")
    _pledge(campaign_b, fan)
    _pledge(campaign_b, UserFactory(), status="canceled")

    keys = selectors.process_money_supporters(process)
    counts = selectors.process_money_supporter_counts(process)

    assert counts == {"A": 4, "B": 1}
    assert counts == {code: len(found) for code, found in keys.items()}
    assert market_votes.supporters_ranking(process) == [("A", 4), ("B", 1)]


def test_results_page_queries_do_not_grow_with_the_backers(client):
    process, a, _b = _process_with_two_projects()
    results_compute(process=process)
    campaign = live_campaign(project=a, slug="a")
    _pledge(campaign, UserFactory())
    url = reverse(
        "participation:results",
        kwargs={"slug": process.community.slug, "process": process.slug},
    )
    client.get(url)  # warm-up: the site, the language

    with CaptureQueriesContext(connection) as one_backer:
        first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(20):
        _pledge(campaign, UserFactory())
    with CaptureQueriesContext(connection) as many_backers:
        second = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert first.status_code == second.status_code == 200
    assert "1 backer" in first.content.decode()
    assert "21 backers" in second.content.decode()
    assert len(many_backers) == len(one_backer)


def test_a_supporter_found_by_two_providers_counts_once():
    process, a, b = _process_with_two_projects()
    campaign_a = live_campaign(project=a, slug="a")
    fan = UserFactory()
    _pledge(campaign_a, fan)
    _pledge(campaign_a, UserFactory())
    market_votes.register(
        "shop", lambda process: {"A": {f"user:{fan.pk}"}, "B": {"email:x@y.org"}}
    )
    try:
        ranking = market_votes.supporters_ranking(process)
    finally:
        market_votes.unregister("shop")

    assert ranking == [("A", 2), ("B", 1)]
    assert market_votes.supporters_ranking(process) == [("A", 2)]
