"""Disputes, refunds made in Stripe, and reconciliation after a missed webhook."""

import pytest

from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from payments.models import LedgerTransaction, Payment, Refund, StripeEvent
from payments.services import charge_now, dispute_apply, payment_create
from payments.webhooks import stripe_event_process, stripe_reconcile

from .conftest import card

pytestmark = pytest.mark.django_db(transaction=True)


def _paid(amount=4000, purpose_id=1):
    payment = payment_create(
        purpose="test",
        purpose_id=purpose_id,
        amount_cents=amount,
        credit_account="campaign:2",
    )
    charge_now(
        payment=payment, payment_method=card(stripe_client(), "4242424242424242")
    )
    payment.refresh_from_db()
    return payment


def test_reconciliation_picks_up_a_refund_whose_webhook_was_missed(stripe_emulator):
    payment = _paid(purpose_id=4)
    stripe_client().v1.refunds.create(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": 1500}
    )

    stripe_reconcile()
    stripe_reconcile()

    assert list(Refund.objects.values_list("amount_cents", "status")) == [
        (1500, "succeeded")
    ]
    assert account_balance("campaign:2") == -2500


def test_a_dispute_is_recorded_with_its_fee_posted_once_and_reversed_when_won(
    stripe_emulator, notified
):
    payment = _paid()
    dispute = {
        "id": "dp_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 4000,
        "status": "needs_response",
        "balance_transactions": [{"fee": 1500}],
    }

    dispute_apply(dispute)
    dispute_apply(dispute)

    payment.refresh_from_db()
    assert (payment.disputed_cents, payment.dispute_fee_cents) == (4000, 1500)
    assert account_balance("campaign:2") == 0
    assert account_balance("fees:stripe:eur") == 1500
    assert account_balance("clearing:stripe:eur") == -1500
    assert LedgerTransaction.objects.filter(kind="dispute").count() == 1
    assert notified.calls.count((payment.pk, "dispute_needs_response")) == 1

    dispute_apply({**dispute, "status": "won"})

    assert account_balance("campaign:2") == -4000
    assert notified.calls[-1] == (payment.pk, "dispute_won")


def test_a_refund_made_in_stripe_is_picked_up_from_the_webhook(stripe_emulator):
    payment = _paid(purpose_id=2)
    refund = stripe_client().v1.refunds.create(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": 1000}
    )
    event = StripeEvent.objects.create(
        event_id="evt_refund",
        type="charge.refund.updated",
        payload={"id": "evt_refund", "data": {"object": refund.to_dict()}},
    )

    stripe_event_process(event.pk)
    stripe_event_process(event.pk)

    assert list(Refund.objects.values_list("amount_cents", "status", "reason")) == [
        (1000, "succeeded", "made in Stripe")
    ]
    assert account_balance("campaign:2") == -3000


def test_reconciliation_repairs_a_missed_webhook(stripe_emulator):
    payment = payment_create(
        purpose="test", purpose_id=3, amount_cents=1200, credit_account="campaign:2"
    )
    client = stripe_client()
    client.v1.payment_intents.create(  # paid in the browser; its webhook never came
        params={
            "amount": 1200,
            "currency": "eur",
            "payment_method": card(client, "4242424242424242"),
            "confirm": True,
            "metadata": {"payment_id": str(payment.pk)},
        }
    )

    assert stripe_reconcile() >= 1
    assert stripe_reconcile() >= 1

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1
    assert account_balance("campaign:2") == -1200
    assert Payment.objects.filter(status="succeeded").count() == 1


def test_the_processor_fee_is_booked_to_the_fees_account(stripe_emulator):
    from payments.services import payment_intent_apply

    payment = payment_create(
        purpose="test", purpose_id=8, amount_cents=2000, credit_account="campaign:8"
    )
    intent = {
        "id": "pi_fee",
        "status": "succeeded",
        "amount": 2000,
        "metadata": {"payment_id": str(payment.pk)},
    }

    payment_intent_apply(intent, fee_cents=79)
    payment_intent_apply(intent, fee_cents=79)

    assert account_balance("campaign:8") == -2000
    assert account_balance("fees:stripe:eur") == 79
    assert account_balance("clearing:stripe:eur") == 1921
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1


def test_the_fee_is_read_from_the_charges_balance_transaction(stripe_emulator):
    from payments.services import intent_fee_cents

    payment = _paid(purpose_id=9)
    intent = stripe_client().v1.payment_intents.retrieve(
        payment.stripe_payment_intent_id
    )

    # localstripe charges no fee; the path to it (charge, balance transaction) works.
    assert intent_fee_cents(intent.to_dict()) == 0
    assert intent_fee_cents({"status": "processing"}) == 0


def _card_confirmed_in_stripe_only():
    """A card saved in Stripe (as Stripe.js does) whose news never reached us."""
    from payments.services import card_save_start

    payment = payment_create(
        purpose="test", purpose_id=9, amount_cents=1200, credit_account="campaign:3"
    )
    card_save_start(payment=payment)
    payment.refresh_from_db()
    client = stripe_client()
    client.v1.setup_intents.confirm(
        payment.stripe_setup_intent_id,
        params={"payment_method": card(client, "4242424242424242")},
    )
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    return payment


def test_reconciliation_finds_a_card_saved_without_a_webhook(stripe_emulator):
    payment = _card_confirmed_in_stripe_only()

    stripe_reconcile()

    payment.refresh_from_db()
    assert payment.status == "card_saved"
    assert payment.stripe_payment_method_id.startswith("pm_")


def test_a_refresh_asks_stripe_and_never_trusts_the_browser(stripe_emulator):
    from payments.services import payment_refresh

    payment = payment_create(
        purpose="test", purpose_id=10, amount_cents=800, credit_account="campaign:3"
    )
    charge_now(payment=payment)  # an intent the payer has not confirmed
    payment.refresh_from_db()

    assert payment_refresh(payment=payment).status == "pending"
    saved = _card_confirmed_in_stripe_only()
    assert payment_refresh(payment=saved).status == "card_saved"
    assert LedgerTransaction.objects.count() == 0
