import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from campaigns import services
from campaigns.exceptions import (
    CampaignError,
    CampaignNotDue,
    CampaignNotOpen,
    PledgeBelowMinimum,
    PledgeStateError,
)
from campaigns.models import Campaign, Pledge, Receipt
from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from payments.models import LedgerTransaction, Payment
from payments.services import action_required_give_up, charge_now, offline_confirm
from rewards.exceptions import RewardSoldOut
from rewards.models import RewardTier
from tests.factories import ProjectFactory, UserFactory
from tests.payments.conftest import card

from .conftest import (
    DECLINED_LATER,
    OK,
    live_campaign,
    nonprofit_campaign,
    past_deadline,
    saved_card_pledge,
    winning_project,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English (the source language)."""
    with translation.override("en"):
        yield


def _books_balance():
    for txn in LedgerTransaction.objects.prefetch_related("entries"):
        assert sum(e.amount_cents for e in txn.entries.all()) == 0, txn


def test_only_a_winning_project_becomes_a_campaign_once():
    project = winning_project()
    loser = ProjectFactory(process=project.process, code="P99")
    now = timezone.now()
    args = {
        "title": "T",
        "story": "S",
        "goal_cents": 5000,
        "starts_at": now,
        "deadline": now + datetime.timedelta(days=3),
    }
    with pytest.raises(CampaignError, match="won the vote"):
        services.campaign_create(project=loser, slug="a", **args)
    services.campaign_create(project=project, slug="b", **args)
    with pytest.raises(CampaignError, match="has a campaign already"):
        services.campaign_create(project=project, slug="c", **args)
    assert Campaign.objects.count() == 1


def test_the_form_starts_from_the_project():
    project = winning_project(cost_cents=24_900)
    initial = services.campaign_initial(project)
    assert initial["goal_cents"] == 24_900
    assert initial["title"] == project.title
    assert initial["story"] == project.description


def test_pledges_below_minimum_or_on_a_closed_campaign_write_nothing(stripe_emulator):
    campaign = live_campaign()
    tier = services.tier_create(campaign=campaign, title="Mug", min_pledge_cents=1500)
    backer = UserFactory()
    with pytest.raises(PledgeBelowMinimum):
        services.pledge_create(campaign=campaign, amount_cents=99, backer=backer)
    with pytest.raises(PledgeBelowMinimum):
        services.pledge_create(
            campaign=campaign, amount_cents=1499, backer=backer, tier=tier
        )
    past_deadline(campaign)
    with pytest.raises(CampaignNotOpen):
        services.pledge_create(campaign=campaign, amount_cents=5000, backer=backer)
    assert Pledge.objects.count() == 0
    assert Payment.objects.count() == 0
    tier.refresh_from_db()
    assert tier.claimed == 0


def test_a_limited_reward_sells_out_and_comes_back_when_a_pledge_is_withdrawn():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Bench", min_pledge_cents=5000, quantity=2
    )
    first, _second = (
        services.pledge_create(
            campaign=campaign, amount_cents=5000, backer=UserFactory(), tier=tier
        )
        for _ in range(2)
    )
    with pytest.raises(RewardSoldOut):
        services.pledge_create(
            campaign=campaign, amount_cents=5000, backer=UserFactory(), tier=tier
        )
    assert Pledge.objects.count() == 2
    services.pledge_cancel(pledge=first)
    tier.refresh_from_db()
    assert tier.claimed == 1
    assert first.reward_claim.__class__.objects.get(
        pk=first.reward_claim.pk
    ).status == ("released")
    services.pledge_create(
        campaign=campaign, amount_cents=6000, backer=UserFactory(), tier=tier
    )
    tier.refresh_from_db()
    assert tier.claimed == 2


def test_a_shipping_reward_needs_the_address():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign,
        title="Bag",
        min_pledge_cents=2000,
        quantity=5,
        delivery="shipping",
    )
    with pytest.raises(PledgeStateError, match="address"):
        services.pledge_create(
            campaign=campaign, amount_cents=2000, backer=UserFactory(), tier=tier
        )
    assert RewardTier.objects.get(pk=tier.pk).claimed == 0


def test_all_or_nothing_saves_the_card_and_charges_it_only_at_success(stripe_emulator):
    campaign = live_campaign(goal_cents=3_000)
    first = saved_card_pledge(campaign, amount_cents=2_000)
    second = saved_card_pledge(campaign, amount_cents=1_500)
    assert first.status == second.status == "committed"
    assert account_balance(campaign.account_code) == 0  # nothing charged yet
    assert services.pledged_cents(campaign) == 3_500
    with pytest.raises(CampaignNotDue):
        services.campaign_close(campaign=campaign)

    closed = services.campaign_close(campaign=past_deadline(campaign))

    assert closed.status == "succeeded"
    assert set(Pledge.objects.values_list("status", flat=True)) == {"paid"}
    # the money went through the campaign to the project's fund
    assert account_balance(campaign.account_code) == 0
    assert account_balance(campaign.project_fund_code) == -3_500
    assert LedgerTransaction.objects.filter(kind="charge").count() == 2
    again = services.campaign_close(campaign=closed)
    assert again.status == "succeeded"
    assert LedgerTransaction.objects.filter(kind="charge").count() == 2
    assert LedgerTransaction.objects.filter(kind="campaign_sweep").count() == 1
    _books_balance()


def test_a_declined_card_at_close_asks_the_backer_then_gives_the_reward_back(
    stripe_emulator,
):
    campaign = live_campaign(goal_cents=2_000)
    tier = services.tier_create(
        campaign=campaign, title="Box", min_pledge_cents=1000, quantity=3
    )
    good = saved_card_pledge(campaign, amount_cents=2_000)
    bad = saved_card_pledge(campaign, DECLINED_LATER, amount_cents=1_000, tier=tier)
    mail.outbox.clear()

    services.campaign_close(campaign=past_deadline(campaign))

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == "paid"
    assert bad.status == "action_required"
    assert bad.payment.grace_until is not None
    assert [m.to for m in mail.outbox if "action" in m.subject.lower()] or any(
        "/payments/pay/" in m.body for m in mail.outbox
    )
    assert RewardTier.objects.get(pk=tier.pk).claimed == 1

    gone = action_required_give_up(now=timezone.now() + datetime.timedelta(days=8))

    assert gone == 1
    bad.refresh_from_db()
    assert bad.status == "given_up"
    assert RewardTier.objects.get(pk=tier.pk).claimed == 0
    assert account_balance(campaign.project_fund_code) == -2_000
    _books_balance()


def test_a_late_payment_after_action_required_reaches_the_project_fund(
    stripe_emulator,
):
    campaign = live_campaign(goal_cents=1_000)
    saved_card_pledge(campaign, amount_cents=1_000)
    late = saved_card_pledge(campaign, DECLINED_LATER, amount_cents=700)
    services.campaign_close(campaign=past_deadline(campaign))
    late.refresh_from_db()
    assert late.status == "action_required"

    charge_now(payment=late.payment, payment_method=card(stripe_client(), OK))

    late.refresh_from_db()
    assert late.status == "paid"
    assert account_balance(campaign.project_fund_code) == -1_700
    assert account_balance(campaign.account_code) == 0
    _books_balance()


def test_a_campaign_not_funded_charges_nothing_and_releases_rewards(stripe_emulator):
    campaign = live_campaign(goal_cents=100_000)
    tier = services.tier_create(
        campaign=campaign, title="Box", min_pledge_cents=1000, quantity=3
    )
    pledge = saved_card_pledge(campaign, amount_cents=1_000, tier=tier)
    staff, other = UserFactory(), UserFactory()
    cash = services.pledge_offline_record(
        campaign=campaign,
        amount_cents=5_000,
        method="cash",
        recorded_by=staff,
        backer_name="Maria R.",
        place="Sportello",
    )
    offline_confirm(payment=cash.payment, confirmed_by=other)
    cash.refresh_from_db()
    assert cash.status == "paid"
    mail.outbox.clear()

    closed = services.campaign_close(campaign=past_deadline(campaign))

    assert closed.status == "failed"
    pledge.refresh_from_db()
    cash.refresh_from_db()
    assert pledge.status == "not_funded"
    assert pledge.payment.status == "canceled"
    assert cash.status == "refunded"
    assert RewardTier.objects.get(pk=tier.pk).claimed == 0
    assert LedgerTransaction.objects.filter(kind="charge").count() == 0
    assert account_balance(campaign.account_code) == 0
    assert account_balance(campaign.project_fund_code) == 0
    assert any(pledge.backer.email in m.to for m in mail.outbox)
    _books_balance()


def test_keep_it_all_is_charged_at_once_and_kept_below_the_goal(stripe_emulator):
    campaign = live_campaign(goal_cents=50_000, model="keep_it_all")
    pledge = services.pledge_create(
        campaign=campaign, amount_cents=2_500, backer=UserFactory()
    )
    start = services.pledge_payment_start(pledge=pledge)
    assert start["mode"] == "payment"
    charge_now(payment=pledge.payment, payment_method=card(stripe_client(), OK))
    pledge.refresh_from_db()
    assert pledge.status == "paid"

    closed = services.campaign_close(campaign=past_deadline(campaign))

    assert closed.status == "ended"
    assert account_balance(campaign.project_fund_code) == -2_500
    _books_balance()


def test_a_pledge_receipt_is_stored_and_emailed_once(stripe_emulator):
    campaign = live_campaign()
    mail.outbox.clear()
    pledge = saved_card_pledge(campaign, amount_cents=1_234)

    receipt = Receipt.objects.get(pledge=pledge, kind="pledge")
    stored = receipt.file.read()
    assert stored[:4] == b"%PDF"
    assert receipt.emailed_at is not None
    sent = [m for m in mail.outbox if pledge.backer.email in m.to]
    assert len(sent) == 1
    # The attachment is the stored file, byte for byte, under its name.
    assert sent[0].attachments == [
        (receipt.file.name.rsplit("/", 1)[-1], stored, "application/pdf")
    ]
    assert services.receipt_render(pledge_id=pledge.pk, kind="pledge") == receipt
    assert Receipt.objects.filter(pledge=pledge).count() == 1


def test_donation_receipts_are_numbered_in_sequence_for_a_nonprofit(stripe_emulator):
    campaign = nonprofit_campaign()
    tier = services.tier_create(campaign=campaign, title="Gift", min_pledge_cents=500)
    numbers = []
    for with_reward in (False, True, False):
        pledge = services.pledge_create(
            campaign=campaign,
            amount_cents=1_000,
            backer=UserFactory(),
            tier=tier if with_reward else None,
            donor_tax_code="rssmra80a01h501u",
        )
        charge_now(payment=pledge.payment, payment_method=card(stripe_client(), OK))
        numbers.append(
            Receipt.objects.filter(pledge=pledge, kind="donation")
            .values_list("number", flat=True)
            .first()
        )
    year = timezone.localdate().year
    assert numbers == [f"{year}/000001", None, f"{year}/000002"]
    assert Pledge.objects.filter(donor_tax_code="RSSMRA80A01H501U").count() == 3


def test_a_partial_refund_after_success_comes_back_from_the_project_fund(
    stripe_emulator,
):
    from payments.services import refund_create

    campaign = live_campaign(goal_cents=1_000)
    pledge = saved_card_pledge(campaign, amount_cents=3_000)
    services.campaign_close(campaign=past_deadline(campaign))
    assert account_balance(campaign.project_fund_code) == -3_000
    pledge.refresh_from_db()

    refund_create(payment=pledge.payment, amount_cents=1_000, reason="broken mug")

    pledge.refresh_from_db()
    assert pledge.status == "paid"
    assert account_balance(campaign.project_fund_code) == -2_000
    assert account_balance(campaign.account_code) == 0

    refund_create(payment=pledge.payment, amount_cents=2_000)

    pledge.refresh_from_db()
    assert pledge.status == "refunded"
    assert account_balance(campaign.project_fund_code) == 0
    _books_balance()


def test_a_campaign_picture_loses_its_location_data():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    picture = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # a tag that must not survive
    raw = io.BytesIO()
    picture.save(raw, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("p.jpg", raw.getvalue(), "image/jpeg")
    campaign = live_campaign(image=upload)
    with Image.open(campaign.image.path) as stored:
        assert dict(stored.getexif()) == {}
    with pytest.raises(CampaignError, match="image"):
        live_campaign(
            project=winning_project(code="P02"),
            slug="other",
            image=SimpleUploadedFile("x.jpg", b"not a picture", "image/jpeg"),
        )
