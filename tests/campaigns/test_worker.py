"""Campaign tasks through a real Celery worker on Redis (CI)."""

import pytest

from campaigns import services
from campaigns.models import Campaign, Pledge, Receipt
from campaigns.tasks import campaign_close_task, receipt_render_task
from payments.ledger import account_balance
from tests.factories import UserFactory

from .conftest import (
    charges_per_payment,
    live_campaign,
    past_deadline,
    saved_card_pledge,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_env(stripe_emulator, monkeypatch):
    """The worker process reads the emulator's address from its environment."""
    monkeypatch.setenv("STRIPE_API_BASE", stripe_emulator)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_pytest")
    return stripe_emulator


def test_a_worker_renders_a_receipt_once(celery_worker):
    campaign = live_campaign()
    pledge = services.pledge_offline_record(
        campaign=campaign,
        amount_cents=2_500,
        method="cash",
        recorded_by=UserFactory(),
        backer_name="Giulia B.",
    )
    Pledge.objects.filter(pk=pledge.pk).update(status="paid")

    first = receipt_render_task.apply_async((pledge.pk, "pledge"), queue=celery_worker)
    receipt_id = first.get(timeout=60)
    again = receipt_render_task.apply_async((pledge.pk, "pledge"), queue=celery_worker)

    assert again.get(timeout=60) == receipt_id
    receipt = Receipt.objects.get(pk=receipt_id)
    assert receipt.file.read(4) == b"%PDF"
    assert Receipt.objects.filter(pledge=pledge).count() == 1


def test_a_worker_closes_a_funded_campaign_and_charges_the_cards(
    stripe_env, celery_worker
):
    campaign = live_campaign(goal_cents=1_000)
    pledges = [saved_card_pledge(campaign, amount_cents=600) for _ in range(3)]
    campaign = past_deadline(campaign)

    # Two more closes are queued behind it on the worker's queue: they find the
    # campaign closed, or charge alongside, never twice.
    status = campaign_close_task.apply_async(
        (campaign.pk,), {"helpers": 2}, queue=celery_worker
    )

    assert status.get(timeout=120) == "succeeded"
    assert Campaign.objects.get(pk=campaign.pk).status == "succeeded"
    assert {
        p.status for p in Pledge.objects.filter(pk__in=[p.pk for p in pledges])
    } == {"paid"}
    assert account_balance(campaign.project_fund_code) == -1_800
    assert charges_per_payment() == {str(p.payment_id): 1 for p in pledges}
