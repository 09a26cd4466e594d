"""A small public town with one of everything, a private ward, and people
whose names, e-mails and tax codes must never reach an export."""

import datetime
import json
from dataclasses import dataclass

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import MatchAllocation, MatchRound, Pledge
from participation.models import Ballot, BallotItem, ProcessResult
from participation.services.results import results_compute
from payments.ledger import Line, account_get, ledger_post
from payments.services import offline_confirm
from tests.factories import (
    CommunityFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)

# Strings that identify people: none may appear in any export.
SECRETS = {
    "backer_name": "Zebulon Quixotewright",
    "backer_email": "zebulon.quixotewright@secret.example",
    "donor_tax_code": "QXTZBL80A01H501U",
    "donor_address": "Via Segreta 99",
    "user_name": "Ophélia Snødgrass",
    "user_email": "ophelia.snodgrass@secret.example",
    "legal_name": "Bartholomew Privatename",
    "pseudonym": "Falcon-Ninetynine",
    "sponsor": "Zebulon Quixotewright Foundation",
    "memo_name": "Memo Quixotewright",
    "account_name": "quixotewright-sponsor",
    "community_tax_code": "97000000000",
    "community_legal_name": "Associazione Odtown Legale",
}
PRIVATE = ["hidden-ward", "hidden-budget", "hidden-campaign", "H01"]
DATASET_SLUGS = [
    "processes",
    "projects",
    "results",
    "campaigns",
    "match-rounds",
    "ledger",
]


@dataclass
class Town:
    community: object
    process: object
    projects: dict
    campaign: object
    round: object
    transactions: dict
    staff: tuple


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8")


def get_json(client, slug, **params) -> dict:
    return json.loads(body(client.get(f"/open-data/{slug}.json", params)))


def confirm(payment, by, capture):
    with capture(execute=True):
        offline_confirm(payment=payment, confirmed_by=by)


def make_campaign(project, slug, *, goal_cents=10_000, model="keep_it_all"):
    now = timezone.now()
    campaign = services.campaign_create(
        project=project,
        title=f"Campaign {slug}",
        story="A story.",
        slug=slug,
        goal_cents=goal_cents,
        starts_at=now - datetime.timedelta(minutes=1),
        deadline=datetime.datetime(2030, 6, 30, 18, 0, tzinfo=datetime.UTC),
        funding_model=model,
    )
    return services.campaign_publish(campaign=campaign)


def _vote(process, voter, codes, projects):
    ballot = Ballot.objects.create(process=process, participant=voter, channel="paper")
    for code in codes:
        BallotItem.objects.create(ballot=ballot, project=projects[code])


@pytest.fixture
def town(db, django_capture_on_commit_callbacks):
    community = CommunityFactory(
        slug="od-town",
        name="Odtown",
        kind="prison",
        legal_name=SECRETS["community_legal_name"],
        tax_code=SECRETS["community_tax_code"],
    )
    process = ProcessFactory(
        community=community,
        slug="budget-2026",
        title="Budget 2026",
        budget_cents=100_000,
        ballot_kind="approval",
        outcome_rule="greedy",
        proposals_enabled=False,
        proposals_starts_on=datetime.date(2026, 1, 1),
        support_enabled=True,
        support_starts_on=datetime.date(2026, 1, 10),
        support_ends_on=datetime.date(2026, 1, 31),
        codesign_enabled=False,
        vote_starts_on=datetime.date(2026, 3, 1),
        vote_ends_on=datetime.date(2026, 3, 15),
        results_on=datetime.date(2026, 3, 20),
    )
    projects = {
        "P01": ProjectFactory(
            process=process,
            code="P01",
            title="Giardino della libertà",
            cost_cents=60_000,
        ),
        "P02": ProjectFactory(
            process=process,
            code="P02",
            title='=HYPERLINK("http://evil.example","x")',
            cost_cents=50_000,
        ),
        "P03": ProjectFactory(
            process=process,
            code="P03",
            title="-5 benches",
            cost_cents=20_000,
            feasibility="not_feasible",
            feasibility_reason="Too far.",
        ),
    }
    # Inmates vote on paper, by pseudonym; the real name stays in the roster.
    inmate = ParticipantFactory(
        community=community,
        pseudonym=SECRETS["pseudonym"],
        legal_name=SECRETS["legal_name"],
    )
    others = [ParticipantFactory(community=community) for _ in range(2)]
    ProposalFactory(process=process, author_participant=inmate, title="A garden")
    _vote(process, inmate, ["P01", "P02"], projects)
    _vote(process, others[0], ["P01"], projects)
    _vote(process, others[1], ["P01"], projects)
    results_compute(process=process)
    process.phase = "results"
    process.save(update_fields=["phase"])
    ProcessFactory(community=community, slug="draft-process", phase="draft")

    campaign = make_campaign(projects["P01"], "library-garden")
    staff, second = UserFactory(), UserFactory()
    cash = services.pledge_offline_record(
        campaign=campaign,
        amount_cents=2_500,
        method="cash",
        recorded_by=staff,
        backer_name=SECRETS["backer_name"],
        backer_email=SECRETS["backer_email"],
        donor_tax_code=SECRETS["donor_tax_code"],
        donor_address=SECRETS["donor_address"],
    )
    confirm(cash.payment, second, django_capture_on_commit_callbacks)
    # The same person again (same e-mail, other case): one backer, two pledges.
    again = services.pledge_offline_record(
        campaign=campaign,
        amount_cents=1_000,
        method="bank",
        recorded_by=staff,
        backer_name=SECRETS["backer_name"],
        backer_email=SECRETS["backer_email"].upper(),
    )
    confirm(again.payment, second, django_capture_on_commit_callbacks)
    backer = UserFactory(display_name=SECRETS["user_name"], email=SECRETS["user_email"])
    card = services.pledge_create(campaign=campaign, amount_cents=1_800, backer=backer)
    # The card was saved (the emulator's part is tested in tests/campaigns).
    Pledge.objects.filter(pk=card.pk).update(status=Pledge.Status.COMMITTED)
    services.pledge_create(campaign=campaign, amount_cents=9_900, backer=UserFactory())

    round_ = MatchRound.objects.create(
        community=community,
        title="Spring match",
        sponsor=SECRETS["sponsor"],
        description=f"Given by {SECRETS['sponsor']}",
        pool_cents=5_000,
        mode="ratio",
        factor_percent=100,
        cap_per_campaign_cents=3_000,
        status="closed",
        closed_at=datetime.datetime(2026, 7, 1, 9, 0, tzinfo=datetime.UTC),
    )
    round_.campaigns.set([campaign])
    MatchAllocation.objects.create(
        round=round_,
        campaign=campaign,
        backers=2,
        pledged_cents=5_300,
        amount_cents=3_000,
        capped=True,
        weight="5300",
    )
    pool = account_get(round_.account_code, kind="match_pool")
    campaign_account = account_get(campaign.account_code, kind="campaign")
    match, _ = ledger_post(
        kind="match",
        source_type="match_round",
        source_id=round_.pk,
        lines=[Line(pool, 3_000), Line(campaign_account, -3_000)],
        memo=f"match round {round_.pk}: {SECRETS['sponsor']}",
    )
    gift_account = account_get(
        f"external:{SECRETS['account_name']}",
        kind="external",
        name=SECRETS["memo_name"],
    )
    fund = account_get(campaign.project_fund_code, kind="project_fund")
    gift, _ = ledger_post(
        kind="gift",
        source_type="manual",
        source_id="1",
        lines=[Line(gift_account, 700), Line(fund, -700)],
        memo=f"gift from {SECRETS['memo_name']}",
    )
    cash.payment.refresh_from_db()
    again.payment.refresh_from_db()
    return Town(
        community=community,
        process=process,
        projects=projects,
        campaign=campaign,
        round=round_,
        transactions={"match": match, "gift": gift},
        staff=(staff, second),
    )


@pytest.fixture
def hidden(db, django_capture_on_commit_callbacks):
    """A private community with a process, a won project, a campaign, money."""
    community = CommunityFactory(slug="hidden-ward", is_public=False)
    process = ProcessFactory(community=community, slug="hidden-budget", phase="results")
    project = ProjectFactory(process=process, code="H01", title="Hidden project")
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["H01"],
        explanation={"rows": [{"code": "H01", "votes": 5, "position": 1}]},
        ballots_counted=5,
    )
    campaign = make_campaign(project, "hidden-campaign")
    staff, second = UserFactory(), UserFactory()
    pledge = services.pledge_offline_record(
        campaign=campaign,
        amount_cents=4_444,
        method="cash",
        recorded_by=staff,
        backer_name="Hidden Backer",
    )
    confirm(pledge.payment, second, django_capture_on_commit_callbacks)
    return campaign
