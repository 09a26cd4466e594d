"""The prison's campaigns in the demo: every state, real books, seeded once.

Transactional tests: the payment services tell the campaigns what happened
after each commit, so the seed must really commit.
"""

import datetime
import socket
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.db.models import F, Sum
from django.utils import timezone

from accountability.models import Expense
from accounts.models import User
from campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignUpdate,
    MatchAllocation,
    MatchRound,
    Pledge,
    PledgeEvent,
    Receipt,
)
from campaigns.services import match_pool_funded_cents
from demo.campaigns import FACILITATOR_EMAIL, SECOND_OPERATOR_EMAIL
from demo.processes import PRISON_PROCESS
from demo.seed import PRISON_SLUG, seed_demo
from participation.models import Community, Process
from payments.ledger import account_balance
from payments.models import Entry, LedgerTransaction, Payment, PaymentEvent
from rewards.models import RewardClaim, RewardTier

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY = (
    "Campagne: 10 (2 finanziate, 1 non finanziata, 1 conclusa, 6 in corso), "
    "75 sostegni, 2 round di raddoppio (1 chiuso, 1 aperto)"
)
COUNTED = (
    User,
    Campaign,
    CampaignUpdate,
    CampaignEvent,
    RewardTier,
    RewardClaim,
    Pledge,
    PledgeEvent,
    Receipt,
    MatchRound,
    MatchAllocation,
    Payment,
    PaymentEvent,
    LedgerTransaction,
    Entry,
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _campaigns() -> dict[str, Campaign]:
    return {
        c.project.code: c
        for c in Campaign.objects.filter(community__slug=PRISON_SLUG).select_related(
            "project"
        )
    }


def _states() -> Counter:
    return Counter(c.status for c in _campaigns().values())


def _assert_the_books_balance() -> None:
    for txn in LedgerTransaction.objects.prefetch_related("entries"):
        assert sum(e.amount_cents for e in txn.entries.all()) == 0, txn.pk


def test_the_seed_builds_every_state_with_real_books_and_only_once(
    stripe_emulator, media, capsys
):
    seed_demo()
    first = _counts()
    statuses = sorted(Pledge.objects.values_list("pk", "status"))

    seed_demo()

    assert _counts() == first
    assert sorted(Pledge.objects.values_list("pk", "status")) == statuses
    assert SUMMARY in capsys.readouterr().out.splitlines()
    _assert_one_campaign_per_winner()
    _assert_the_closed_campaigns_were_settled()
    _assert_the_live_campaigns_are_in_progress()
    _assert_the_rounds()
    _assert_the_receipts()
    _assert_the_books_balance()


def _assert_one_campaign_per_winner() -> None:
    process = Process.objects.get(slug=PRISON_PROCESS)
    campaigns = _campaigns()
    assert sorted(campaigns) == sorted(process.result.winners)
    assert _states() == {"succeeded": 2, "failed": 1, "ended": 1, "live": 6}
    facilitator = User.objects.get(email=FACILITATOR_EMAIL)
    for campaign in campaigns.values():
        assert campaign.goal_cents == campaign.project.cost_cents
        assert 2 <= campaign.tiers.count() <= 4
        assert list(campaign.updates.values_list("author", flat=True)) == [
            facilitator.pk
        ]
    # the demo logins, the backers, the shop's desk and its 6 other customers
    assert User.objects.count() == 6 + 40 + 1 + 6


def _assert_the_closed_campaigns_were_settled() -> None:
    campaigns = _campaigns()
    now = timezone.now()
    # Funded: every card charged but one declined, whose grace period runs.
    for code in ("P04", "P07"):
        campaign = campaigns[code]
        assert (campaign.status, campaign.funding_model) == (
            "succeeded",
            "all_or_nothing",
        )
        assert campaign.deadline <= campaign.closed_at <= now
        assert account_balance(campaign.account_code) == 0
    assert set(campaigns["P04"].pledges.values_list("status", flat=True)) == {"paid"}
    declined = Pledge.objects.get(status="action_required", campaign=campaigns["P07"])
    assert declined.payment.status == "action_required"
    assert "card_declined" in declined.payment.failure_message
    assert declined.payment.grace_until > now
    assert declined.payment.grace_until - declined.payment.action_required_since == (
        datetime.timedelta(days=7)
    )
    # Not funded: nothing charged, every reward back in stock.
    failed = campaigns["P02"]
    assert set(failed.pledges.values_list("status", flat=True)) == {"not_funded"}
    assert not Entry.objects.filter(account__code=failed.account_code).exists()
    assert set(
        RewardClaim.objects.filter(tier__campaign=failed).values_list(
            "status", flat=True
        )
    ) == {"released"}
    assert list(failed.tiers.values_list("claimed", flat=True)) == [0, 0]
    # Keep-it-all, ended below its goal: what was paid went to the project.
    ended = campaigns["P08"]
    paid = ended.pledges.filter(status="paid").aggregate(n=Sum("amount_cents"))["n"]
    assert ended.status == "ended" and paid == 585_00 < ended.goal_cents
    assert account_balance(ended.account_code) == 0


def _assert_the_live_campaigns_are_in_progress() -> None:
    campaigns = _campaigns()
    sold_out = RewardTier.objects.filter(
        campaign__community__slug=PRISON_SLUG, claimed=F("quantity")
    ).get()
    assert (sold_out.title, sold_out.claimed, sold_out.campaign.status) == (
        "Sgabello da lettura in faggio",
        4,
        "live",
    )
    assert campaigns["P01"].pledges.filter(status="committed").count() == 8
    authenticating = Pledge.objects.get(
        status="action_required", campaign=campaigns["P10"]
    )
    assert authenticating.payment.grace_until > timezone.now()
    # Desk money: one awaiting the second operator, the rest confirmed by him.
    waiting = Pledge.objects.get(payment__status="awaiting_confirmation")
    assert (waiting.status, waiting.backer_name, waiting.campaign.status) == (
        "pending",
        "Giardino condiviso San Donato",
        "live",
    )
    second = User.objects.get(email=SECOND_OPERATOR_EMAIL)
    confirmed = (
        Payment.objects.exclude(method="stripe")
        .exclude(purpose="order")  # the shop's desk, seen in test_seed_shop
        .filter(status="succeeded")
    )
    assert confirmed.count() == 20
    assert set(confirmed.values_list("confirmed_by", flat=True)) == {second.pk}


def _assert_the_rounds() -> None:
    closed = MatchRound.objects.get(status="closed")
    assert closed.mode == "quadratic"
    assert set(closed.campaigns.values_list("status", flat=True)) == {
        "succeeded",
        "ended",
    }
    allocated = closed.allocations.aggregate(n=Sum("amount_cents"))["n"]
    moved = Entry.objects.filter(
        account__code=closed.account_code, transaction__kind="match"
    ).aggregate(n=Sum("amount_cents"))["n"]
    assert allocated == moved == closed.pool_cents == 1_500_00
    assert account_balance(closed.account_code) == 0
    for campaign in closed.campaigns.all():
        paid = campaign.pledges.filter(status="paid").aggregate(n=Sum("amount_cents"))
        matched = campaign.match_allocations.get().amount_cents
        # what came in, less the demo's expenses paid from the fund since
        spent = (
            Expense.objects.filter(project=campaign.project, status="paid").aggregate(
                n=Sum("amount_cents")
            )["n"]
            or 0
        )
        assert -account_balance(campaign.project_fund_code) + spent == (
            paid["n"] + matched
        )
    opened = MatchRound.objects.get(status="open")
    assert (opened.mode, opened.factor_percent) == ("ratio", 100)
    assert (opened.cap_per_pledge_cents, opened.cap_per_campaign_cents) == (
        50_00,
        750_00,
    )
    assert set(opened.campaigns.values_list("status", flat=True)) == {"live"}
    assert match_pool_funded_cents(opened) == opened.pool_cents == 2_000_00


def _assert_the_receipts() -> None:
    prison = Community.objects.get(slug=PRISON_SLUG)
    assert prison.nonprofit and prison.legal_name == "Associazione Idee in fuga ETS"
    confirmed = Pledge.objects.filter(status__in=["committed", "paid"])
    assert confirmed.count() == 66
    for pledge in confirmed:
        receipt = pledge.receipts.get(kind="pledge")
        with default_storage.open(receipt.file.name, "rb") as handle:
            assert handle.read(5) == b"%PDF-"
    donations = Receipt.objects.filter(kind="donation")
    assert set(donations.values_list("pledge", flat=True)) == set(
        Pledge.objects.filter(status="paid", reward_claim__isnull=True).values_list(
            "pk", flat=True
        )
    )
    year = timezone.localdate().year
    assert sorted(donations.values_list("number", flat=True)) == [
        f"{year}/{n:06d}" for n in range(1, donations.count() + 1)
    ]


def test_without_the_emulator_the_campaigns_get_offline_pledges_only(
    settings, media, capsys
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"

    seed_demo()

    out = capsys.readouterr().out
    assert f"Emulatore Stripe non raggiungibile su {settings.STRIPE_API_BASE}" in out
    assert _states() == {"succeeded": 2, "failed": 1, "ended": 1, "live": 6}
    assert not Payment.objects.filter(method="stripe").exists()
    assert Pledge.objects.count() == 73
    _assert_the_books_balance()
