import datetime
import time

import pytest
from django.utils import timezone

from campaigns import page_cache, services
from campaigns.models import Campaign
from participation.models import ProcessResult, Role
from payments.gateways.stripe_client import stripe_client
from payments.services import card_save_confirm, card_save_start
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)
from tests.payments.conftest import card

OK, DECLINED_LATER, NEEDS_AUTH = (
    "4242424242424242",
    "4000000000000341",
    "4000002760003184",
)


def winning_project(community=None, *, cost_cents=50_000, code="P01"):
    community = community or CommunityFactory(kind="prison")
    process = ProcessFactory(community=community, phase="results")
    project = ProjectFactory(process=process, code=code, cost_cents=cost_cents)
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=[code],
        explanation={"rows": [{"code": code, "votes": 42, "position": 1}]},
        ballots_counted=80,
    )
    return project


def nonprofit_campaign():
    """A live keep-it-all campaign of a community registered as a non-profit
    (its pledges without reward get numbered donation receipts)."""
    community = CommunityFactory(
        kind="prison",
        nonprofit=True,
        legal_name="Associazione Prova ETS",
        tax_code="97000000000",
    )
    return live_campaign(project=winning_project(community), model="keep_it_all")


def live_campaign(*, goal_cents=10_000, model="all_or_nothing", project=None, **kw):
    project = project or winning_project()
    now = timezone.now()
    campaign = services.campaign_create(
        project=project,
        title=kw.pop("title", f"Campaign for {project.title}"),
        story="A story.",
        slug=kw.pop("slug", f"campaign-{project.pk}"),
        goal_cents=goal_cents,
        starts_at=now - datetime.timedelta(minutes=1),
        deadline=now + datetime.timedelta(days=30),
        funding_model=model,
        **kw,
    )
    return services.campaign_publish(campaign=campaign)


def past_deadline(campaign):
    """Move the deadline into the past (tests stand in for the passing of time)."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - datetime.timedelta(days=31),
        deadline=now - datetime.timedelta(seconds=1),
    )
    campaign.refresh_from_db()
    return campaign


def saved_card_pledge(
    campaign, number=OK, *, amount_cents=2_000, backer=None, tier=None
):
    pledge = services.pledge_create(
        campaign=campaign,
        amount_cents=amount_cents,
        backer=backer or UserFactory(),
        tier=tier,
        shipping={
            "name": "A",
            "address": "Via Roma 1",
            "postcode": "00100",
            "city": "Roma",
        }
        if tier is not None and tier.delivery == "shipping"
        else None,
    )
    payment = pledge.payment
    card_save_start(payment=payment)
    payment.refresh_from_db()
    card_save_confirm(payment=payment, payment_method=card(stripe_client(), number))
    pledge.refresh_from_db()
    return pledge


@pytest.fixture
def facilitator():
    membership = MembershipFactory(role=Role.FACILITATOR)
    return membership.user, membership.community


def charges_per_payment():
    """What Stripe itself holds: succeeded charges per payment id."""
    counts: dict[str, int] = {}
    for intent in stripe_client().v1.payment_intents.list(params={"limit": 100}).data:
        if intent.status == "succeeded":
            key = intent.metadata["payment_id"]
            counts[key] = counts.get(key, 0) + 1
    return counts


class PageClock:
    """A wall clock for ``campaigns.page_cache`` that moves only when told."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def page_clock(monkeypatch):
    """The page cache's clock, stopped at the real time and moved by the test
    (``page_clock.advance(seconds)``); this process's memo of the page
    versions it wrote starts empty."""
    clock = PageClock(time.time())
    monkeypatch.setattr(page_cache, "_clock", clock)
    monkeypatch.setattr(page_cache, "_bumped", {})
    return clock
