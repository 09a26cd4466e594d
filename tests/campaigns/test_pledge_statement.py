"""A card pledge in one statement on PostgreSQL (campaigns.services.pledge_statement):
the rows of the ORM path, nothing written by a refusal, the locks of the ORM path."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from campaigns import page_cache, services
from campaigns.exceptions import CampaignNotOpen
from campaigns.models import Campaign, Pledge, PledgeEvent
from campaigns.page_cache import page_key
from campaigns.services import pledges
from payments.models import Payment, PaymentEvent
from rewards.exceptions import RewardSoldOut
from rewards.models import RewardClaim, RewardTier
from tests.factories import UserFactory

from .conftest import live_campaign, past_deadline

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHIPPING = {
    "name": "Anna Rossi",
    "address": "Via Roma 1",
    "postcode": "00100",
    "city": "Roma",
    "country": "SM",
}


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Pledge, Payment, PaymentEvent, PledgeEvent, RewardClaim)
    }


def _nothing_written():
    return set(_counts().values()) == {0}


def _rows(pledge_id):
    """Every row a pledge wrote, without ids, timestamps and the links between
    them (the pledge's id written as PLEDGE where a column holds it)."""
    pledge = Pledge.objects.filter(pk=pledge_id).values().get()
    payment = Payment.objects.filter(pk=pledge["payment_id"]).values().get()
    payment["purpose_id"] = payment["purpose_id"].replace(str(pledge_id), "PLEDGE")
    payment["description"] = payment["description"].replace(str(pledge_id), "PLEDGE")
    drop = {"id", "created_at", "updated_at", "payment_id", "pledge_id"}

    def without(values):
        return {key: value for key, value in values.items() if key not in drop}

    return {
        "pledge": without(pledge),
        "payment": without(payment),
        "payment events": [
            without(e)
            for e in PaymentEvent.objects.filter(payment_id=payment["id"]).values()
        ],
        "pledge events": [
            without(e) for e in PledgeEvent.objects.filter(pledge_id=pledge_id).values()
        ],
        "claims": [
            without(c) for c in RewardClaim.objects.filter(pledge_id=pledge_id).values()
        ],
    }


def _as_stored(obj):
    """``obj``'s field values next to its row's, for the fields the model has."""
    fields = [f.attname for f in obj._meta.concrete_fields]
    stored = type(obj).objects.filter(pk=obj.pk).values(*fields).get()
    return {name: getattr(obj, name) for name in fields}, stored


@pytest.mark.parametrize("with_tier", [True, False])
def test_a_card_pledge_writes_the_rows_the_orm_path_writes(with_tier):
    campaign = live_campaign(title="Una falegnameria · sezione B")
    tier = (
        services.tier_create(
            campaign=campaign,
            title="Borsa",
            min_pledge_cents=2000,
            quantity=5,
            delivery="shipping",
        )
        if with_tier
        else None
    )
    backer = UserFactory()
    asked = {
        "amount_cents": 2500,
        "backer": backer,
        "tier": tier,
        "anonymous": True,
        "shipping": SHIPPING if with_tier else None,
        "backer_email": "anna@example.org",
        "donor_tax_code": " rssnna80a41h501u ",
        "donor_address": "Via Roma 1, Roma",
        "language": "en",
    }

    with CaptureQueriesContext(connection) as captured:
        in_one = services.pledge_create(campaign=campaign, **asked)
    # Prepared once per database session, then one EXECUTE per pledge.
    assert [q["sql"].split()[0] for q in captured.captured_queries] in (
        ["PREPARE", "EXECUTE"],
        ["EXECUTE"],
    )
    with CaptureQueriesContext(connection) as captured:
        services.pledge_create(campaign=campaign, **asked)
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["EXECUTE"]
    # The same pledge through the ORM, one row at a time.
    in_steps = pledges._pledge_write_in_steps(
        campaign_pk=campaign.pk,
        pledge=Pledge(
            backer=backer,
            backer_name="",
            backer_email="anna@example.org",
            amount_cents=2500,
            anonymous=True,
            donor_tax_code="RSSNNA80A41H501U",
            donor_address="Via Roma 1, Roma",
            language="en",
        ),
        tier=tier,
        shipping=asked["shipping"],
        offline=None,
    )

    assert _rows(in_one.pk) == _rows(in_steps.pk)
    assert _rows(in_one.pk)["payment"]["description"] == (
        "Una falegnameria · sezione B · pledge PLEDGE"
    )
    # The rows are the record of the pledge's creation: no event is written.
    assert _rows(in_one.pk)["payment events"] == []
    assert _rows(in_one.pk)["pledge events"] == []
    if with_tier:
        assert _rows(in_one.pk)["claims"][0] | {"tier_id": None} == {
            "tier_id": None,
            "status": "claimed",
            "ship_name": "Anna Rossi",
            "ship_address": "Via Roma 1",
            "ship_postcode": "00100",
            "ship_city": "Roma",
            "ship_country": "SM",
            "fulfilled_at": None,
            "fulfilled_by_id": None,
            "tracking": "",
        }
        assert RewardTier.objects.get(pk=tier.pk).claimed == 3
    # What pledge_create returned, built without reading back, is the rows.
    assert in_one.payment.purpose_id == str(in_one.pk)
    for obj in (in_one, in_one.payment, in_one.campaign):
        built, stored = _as_stored(obj)
        assert built == stored
    assert not in_one._state.adding and not in_one.payment._state.adding
    if with_tier:
        with CaptureQueriesContext(connection) as captured:
            claim = in_one.reward_claim
        assert captured.captured_queries == []
        built, stored = _as_stored(claim)
        assert built == stored


def test_a_refused_pledge_writes_nothing():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=1
    )
    backer = UserFactory()
    services.pledge_create(
        campaign=campaign, amount_cents=3000, backer=backer, tier=tier
    )
    before = _counts()
    version = page_key(campaign, language="it", facilitator=False)

    with pytest.raises(RewardSoldOut, match="Panca"):
        services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=backer, tier=tier
        )
    assert _counts() == before
    assert RewardTier.objects.get(pk=tier.pk).claimed == 1

    RewardTier.objects.filter(pk=tier.pk).update(quantity=2)
    for status in ("draft", "charging", "failed"):
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        for with_tier in (None, tier):
            with pytest.raises(CampaignNotOpen):
                services.pledge_create(
                    campaign=campaign, amount_cents=3000, backer=backer, tier=with_tier
                )
    Campaign.objects.filter(pk=campaign.pk).update(status="live")
    campaign = past_deadline(campaign)
    with pytest.raises(CampaignNotOpen):
        services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=backer, tier=tier
        )
    # The campaign was not open: the tier's UPDATE did not take the unit left.
    assert RewardTier.objects.get(pk=tier.pk).claimed == 1
    assert _counts() == before
    assert page_key(campaign, language="it", facilitator=False) == version

    with pytest.raises(Campaign.DoesNotExist):
        services.pledge_create(
            campaign=Campaign(pk=campaign.pk + 1000), amount_cents=3000, backer=backer
        )
    assert _counts() == before


def test_a_pledge_in_a_callers_transaction_is_its_savepoint(page_clock):
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=1
    )
    # Past the window of the tier's page version: the pledge writes one.
    page_clock.advance(page_cache.bump_window() + 0.01)
    version = page_key(campaign, language="it", facilitator=False)
    with transaction.atomic():
        made = services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=UserFactory(), tier=tier
        )
        with pytest.raises(RewardSoldOut):
            services.pledge_create(
                campaign=campaign, amount_cents=3000, backer=UserFactory(), tier=tier
            )
        # The refusal left the caller's transaction usable.
        assert Pledge.objects.get().pk == made.pk
        # The page changes at the commit, not before.
        assert page_key(campaign, language="it", facilitator=False) == version
    assert page_key(campaign, language="it", facilitator=False) != version

    with pytest.raises(RuntimeError), transaction.atomic():
        services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=UserFactory()
        )
        raise RuntimeError("the caller gives up")
    assert Pledge.objects.get().pk == made.pk
    assert Payment.objects.count() == 1
    assert RewardTier.objects.get(pk=tier.pk).claimed == 1


def test_a_pledge_waits_for_a_close_and_then_sees_it_closed():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=10
    )
    backer = UserFactory()
    locked, outcome = threading.Event(), {}

    def close():
        # What campaign_close does first: the row FOR UPDATE, the new status.
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update().get(pk=campaign.pk)
                Campaign.objects.filter(pk=campaign.pk).update(status="charging")
                locked.set()
                time.sleep(0.5)
        finally:
            connections.close_all()

    def pledge():
        locked.wait()
        started = time.monotonic()
        try:
            services.pledge_create(
                campaign=campaign, amount_cents=3000, backer=backer, tier=tier
            )
            outcome["result"] = "recorded"
        except CampaignNotOpen:
            outcome["result"] = "not open"
        finally:
            outcome["waited"] = time.monotonic() - started
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(close), pool.submit(pledge)]:
            future.result()

    assert outcome["result"] == "not open"
    assert outcome["waited"] >= 0.3
    assert _nothing_written()
    assert RewardTier.objects.get(pk=tier.pk).claimed == 0


def test_a_close_waits_for_a_pledge_being_written():
    campaign = live_campaign()
    written, checked, outcome = threading.Event(), threading.Event(), {}

    def pledge():
        try:
            with transaction.atomic():
                services.pledge_create(
                    campaign=campaign, amount_cents=3000, backer=UserFactory()
                )
                written.set()
                checked.wait(10)
        finally:
            connections.close_all()

    def close():
        written.wait(10)
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update(nowait=True).get(pk=campaign.pk)
            outcome["lock"] = "taken"
        except OperationalError:
            outcome["lock"] = "busy"
        finally:
            checked.set()
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(pledge), pool.submit(close)]:
            future.result()

    assert outcome["lock"] == "busy"
    assert Pledge.objects.count() == 1


def test_concurrent_pledges_sell_a_limited_reward_out_exactly():
    campaign = live_campaign()
    limited = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=25
    )
    unlimited = services.tier_create(
        campaign=campaign, title="Grazie", min_pledge_cents=1000
    )
    backers = UserFactory.create_batch(16)
    barrier = threading.Barrier(16)

    def writer(index):
        barrier.wait()
        outcomes = []
        try:
            for n in range(8):
                tier = limited if n % 4 else (unlimited if index % 2 else None)
                try:
                    services.pledge_create(
                        campaign=campaign,
                        amount_cents=3000 + n,
                        backer=backers[index],
                        tier=tier,
                    )
                    outcomes.append((tier and tier.title, "ok"))
                except RewardSoldOut:
                    outcomes.append((tier.title, "sold out"))
        finally:
            connections.close_all()
        return outcomes

    with ThreadPoolExecutor(16) as pool:
        outcomes = [o for chunk in pool.map(writer, range(16)) for o in chunk]

    assert outcomes.count(("Panca", "ok")) == 25
    assert outcomes.count(("Panca", "sold out")) == 16 * 6 - 25
    assert outcomes.count(("Grazie", "ok")) == 16
    assert outcomes.count((None, "ok")) == 16
    recorded = 25 + 16 + 16
    assert RewardTier.objects.get(pk=limited.pk).claimed == 25
    assert RewardTier.objects.get(pk=unlimited.pk).claimed == 16
    assert RewardClaim.objects.filter(tier=limited).count() == 25
    assert RewardClaim.objects.filter(tier=unlimited).count() == 16
    assert Pledge.objects.count() == recorded
    assert Payment.objects.count() == recorded
    assert PaymentEvent.objects.count() == 0
    assert PledgeEvent.objects.count() == 0
    assert not Pledge.objects.filter(payment__isnull=True).exists()
    assert set(Payment.objects.values_list("purpose_id", flat=True)) == {
        str(pk) for pk in Pledge.objects.values_list("pk", flat=True)
    }


def test_behind_a_transaction_pooler_the_statement_is_not_prepared(monkeypatch):
    # A pooler in transaction mode (DB_DISABLE_SERVER_SIDE_CURSORS) may run
    # each transaction on another server session: nothing is prepared there.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Grazie", min_pledge_cents=1000
    )
    backer = UserFactory()

    with CaptureQueriesContext(connection) as captured:
        pledge = services.pledge_create(
            campaign=campaign, amount_cents=1500, backer=backer, tier=tier
        )

    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["WITH"]
    assert Pledge.objects.get().payment_id == pledge.payment.pk
    assert RewardClaim.objects.get().pledge_id == pledge.pk
