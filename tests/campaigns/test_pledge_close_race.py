"""Pledges written while a close takes the campaign: each is counted by the
close or refused, never recorded behind its back (the one-statement pledge
holds the campaign row FOR SHARE; the close takes it FOR UPDATE)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from django.db.models import Count, Sum

from campaigns import services
from campaigns.exceptions import CampaignNotOpen
from campaigns.models import Campaign, Pledge
from payments.models import Payment
from rewards.models import RewardClaim, RewardTier
from tests.factories import UserFactory

from .conftest import live_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_close_counts_every_pledge_recorded_before_it_and_no_other():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=1000
    )
    backers = UserFactory.create_batch(6)
    start, closed = threading.Barrier(7), threading.Event()

    def writer(index):
        outcomes = {"recorded": 0, "refused": 0}
        start.wait()
        try:
            # Until a refusal after the close: some pledges run into it.
            while True:
                try:
                    services.pledge_create(
                        campaign=campaign,
                        amount_cents=3000 + index,
                        backer=backers[index],
                        tier=tier if index % 2 else None,
                    )
                    outcomes["recorded"] += 1
                except CampaignNotOpen:
                    outcomes["refused"] += 1
                    if closed.is_set():
                        return outcomes
        finally:
            connections.close_all()

    def close():
        # What campaign_close does first: the row FOR UPDATE, the new status,
        # then the pledges it decides on, read in the same transaction.
        start.wait()
        time.sleep(0.3)
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update().get(pk=campaign.pk)
                Campaign.objects.filter(pk=campaign.pk).update(status="charging")
                counted = Pledge.objects.filter(campaign=campaign).aggregate(
                    n=Count("pk"), cents=Sum("amount_cents")
                )
            closed.set()
            return counted
        finally:
            connections.close_all()

    with ThreadPoolExecutor(7) as pool:
        writers = [pool.submit(writer, index) for index in range(6)]
        counted = pool.submit(close).result(timeout=60)
        outcomes = [future.result(timeout=60) for future in writers]

    recorded = sum(o["recorded"] for o in outcomes)
    assert recorded > 0 and all(o["refused"] >= 1 for o in outcomes)
    after = Pledge.objects.filter(campaign=campaign).aggregate(
        n=Count("pk"), cents=Sum("amount_cents")
    )
    assert after == counted
    assert counted["n"] == recorded
    assert Payment.objects.count() == recorded
    claims = RewardClaim.objects.count()
    assert RewardTier.objects.get(pk=tier.pk).claimed == claims
