"""Races on PostgreSQL (row locks do nothing on SQLite): claims, closes, crashes."""

import datetime
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, connections
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Pledge
from payments.ledger import account_balance
from payments.models import LedgerTransaction, Payment
from rewards.models import RewardClaim, RewardTier
from tests.factories import UserFactory

from .conftest import (
    charges_per_payment,
    live_campaign,
    past_deadline,
    saved_card_pledge,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 64


def _race(workers, attempts_each, attempt):
    barrier = Barrier(workers)

    def run(index):
        barrier.wait()
        outcomes = []
        try:
            for n in range(attempts_each):
                try:
                    attempt(index * attempts_each + n)
                    outcomes.append("ok")
                except Exception as error:  # noqa: BLE001 - the outcome is counted
                    outcomes.append(type(error).__name__)
        finally:
            connections.close_all()
        return outcomes

    with ThreadPoolExecutor(workers) as pool:
        return [o for chunk in pool.map(run, range(workers)) for o in chunk]


def test_640_concurrent_claims_on_a_100_unit_reward_give_exactly_100():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=100
    )
    backers = UserFactory.create_batch(WORKERS)

    outcomes = _race(
        WORKERS,
        10,
        lambda i: services.pledge_create(
            campaign=campaign,
            amount_cents=3000,
            backer=backers[i % WORKERS],
            tier=tier,
        ),
    )

    assert outcomes.count("ok") == 100
    assert outcomes.count("RewardSoldOut") == 540
    tier.refresh_from_db()
    assert tier.claimed == 100
    assert RewardClaim.objects.filter(tier=tier).count() == 100
    # a refused claim wrote nothing: no pledge, no payment without its reward
    assert Pledge.objects.count() == 100
    assert Payment.objects.count() == 100


def test_two_closes_at_the_same_moment_charge_each_pledge_once(stripe_emulator):
    campaign = live_campaign(goal_cents=1000)
    pledges = [saved_card_pledge(campaign, amount_cents=500 + i) for i in range(12)]
    campaign = past_deadline(campaign)
    barrier = Barrier(2)

    def close(_):
        barrier.wait()
        try:
            return services.campaign_close(campaign=campaign, batch_size=3).status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(close, range(2)))

    assert "succeeded" in statuses
    assert Campaign.objects.get(pk=campaign.pk).status == "succeeded"
    charges = charges_per_payment()
    assert sorted(charges) == sorted(str(p.payment_id) for p in pledges)
    assert set(charges.values()) == {1}
    assert LedgerTransaction.objects.filter(kind="charge").count() == 12
    total = sum(500 + i for i in range(12))
    assert account_balance(campaign.project_fund_code) == -total


def _closer(campaign, settings, options: str):
    """A close in a process of its own (killed with its session's group)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
    }
    env.pop("CELERY_BROKER_URL", None)
    script = (
        "import django; django.setup();"
        "from campaigns.models import Campaign;"
        "from campaigns.services import campaign_close;"
        f"campaign_close(campaign=Campaign.objects.get(pk={campaign.pk}), {options})"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, start_new_session=True
    )


def _close_again_after_the_lease(campaign, pledges) -> None:
    """The close run again once the dead closer's lease expired: it ends the
    campaign and every pledge is charged exactly once."""
    later = timezone.now() + services.closing.LEASE + datetime.timedelta(seconds=1)
    closed = services.campaign_close(campaign=campaign, now=later)

    assert closed.status == "succeeded"
    charges = charges_per_payment()
    assert sorted(charges) == sorted(str(p.payment_id) for p in pledges)
    assert set(charges.values()) == {1}
    assert set(Pledge.objects.values_list("status", flat=True)) == {"paid"}


def test_a_close_killed_in_the_middle_and_run_again_charges_each_pledge_once(
    stripe_emulator, settings
):
    campaign = live_campaign(goal_cents=1000)
    pledges = [saved_card_pledge(campaign, amount_cents=700) for _ in range(40)]
    campaign = past_deadline(campaign)
    closer = _closer(campaign, settings, "batch_size=5")
    # Kill it once some pledges are charged and others are not.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        paid = Pledge.objects.filter(campaign=campaign, status="paid").count()
        if paid >= 8 or closer.poll() is not None:
            break
        time.sleep(0.05)
    os.killpg(closer.pid, signal.SIGKILL)
    closer.wait()
    paid_at_kill = Pledge.objects.filter(campaign=campaign, status="paid").count()
    assert 0 < paid_at_kill < 40, "the close was not interrupted in the middle"
    assert Campaign.objects.get(pk=campaign.pk).status == "charging"

    # The beat runs it again later, after the dead closer's lease expired.
    _close_again_after_the_lease(campaign, pledges)

    assert account_balance(campaign.project_fund_code) == -700 * 40
    assert RewardTier.objects.count() == 0


def test_a_close_killed_inside_a_batch_before_recording_it_charges_each_once(
    stripe_emulator, settings
):
    """Killed after Stripe charged part of a batch whose answers were not yet
    recorded: the next run asks Stripe about those and charges the rest."""
    campaign = live_campaign(goal_cents=1000)
    pledges = [saved_card_pledge(campaign, amount_cents=600) for _ in range(30)]
    campaign = past_deadline(campaign)
    closer = _closer(campaign, settings, "batch_size=30, workers=1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(charges_per_payment().values()) >= 5 or closer.poll() is not None:
            break
        time.sleep(0.02)
    os.killpg(closer.pid, signal.SIGKILL)
    closer.wait()
    charged_at_kill = sum(charges_per_payment().values())
    assert 5 <= charged_at_kill < 30, "the batch was not interrupted in the middle"
    # counted, partly charged in Stripe, nothing recorded as paid
    assert not Payment.objects.filter(status="succeeded").exists()
    assert set(Payment.objects.values_list("charge_attempts", flat=True)) == {1}

    _close_again_after_the_lease(campaign, pledges)

    assert LedgerTransaction.objects.filter(kind="charge").count() == 30
    assert account_balance(campaign.project_fund_code) == -600 * 30
