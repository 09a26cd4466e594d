import datetime

import pytest
from django.utils import timezone

from payments import hooks
from payments.exceptions import (
    OfflineConfirmationRefused,
    PaymentStateError,
    RefundRefused,
)
from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from payments.models import Entry, LedgerTransaction, Payment, Refund
from payments.services import (
    action_required_give_up,
    action_required_remind,
    card_save_confirm,
    card_save_start,
    charge_now,
    charge_saved_card,
    offline_confirm,
    offline_record,
    payment_create,
    refund_create,
    saved_cards_charge,
)
from tests.factories import UserFactory

from .conftest import Recorder, card

pytestmark = pytest.mark.django_db(transaction=True)

OK, DECLINED_LATER, NEEDS_AUTH = (
    "4242424242424242",
    "4000000000000341",
    "4000002760003184",
)


def _payment(amount=2000):
    return payment_create(
        purpose="test",
        purpose_id=1,
        amount_cents=amount,
        credit_account="campaign:1",
        payer_email="b@example.org",
    )


def _saved(number, amount=2000):
    payment = _payment(amount)
    card_save_start(payment=payment)
    payment.refresh_from_db()
    return card_save_confirm(
        payment=payment, payment_method=card(stripe_client(), number)
    )


def _books_balance():
    for txn in LedgerTransaction.objects.all():
        assert sum(txn.entries.values_list("amount_cents", flat=True)) == 0


def test_a_saved_card_is_charged_off_session_and_posted_once(stripe_emulator, notified):
    payment = _saved(OK)
    assert payment.status == "card_saved" and payment.stripe_payment_method_id

    charged = charge_saved_card(payment=payment)

    assert charged.status == "succeeded"
    assert account_balance("campaign:1") == -2000
    assert account_balance("clearing:stripe:eur") == 2000
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1
    assert notified.calls == [(payment.pk, "card_saved"), (payment.pk, "succeeded")]
    with pytest.raises(Exception, match="not chargeable"):
        charge_saved_card(payment=charged)
    assert LedgerTransaction.objects.count() == 1


def test_a_declined_off_session_charge_asks_the_payer_and_books_nothing(
    stripe_emulator, notified
):
    payment = _saved(DECLINED_LATER)

    result = charge_saved_card(payment=payment)

    assert result.status == "action_required"
    assert "card_declined" in result.failure_message
    assert result.grace_until - result.action_required_since == datetime.timedelta(
        days=7
    )
    assert not Entry.objects.exists()
    assert notified.calls[-1] == (payment.pk, "action_required")


def test_after_the_grace_period_the_payment_is_given_up_and_the_owner_told(
    stripe_emulator, notified
):
    payment = charge_saved_card(payment=_saved(DECLINED_LATER))

    assert action_required_give_up(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert action_required_give_up(now=timezone.now() + datetime.timedelta(days=8)) == 1

    payment.refresh_from_db()
    assert payment.status == "given_up"
    assert notified.calls[-1] == (payment.pk, "given_up")


def test_an_immediate_charge_succeeds_and_one_needing_authentication_waits(
    stripe_emulator,
):
    paid, waiting = _payment(), _payment(1500)

    charge_now(payment=paid, payment_method=card(stripe_client(), OK))
    charge_now(payment=waiting, payment_method=card(stripe_client(), NEEDS_AUTH))

    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert (paid.status, waiting.status) == ("succeeded", "action_required")
    assert account_balance("campaign:1") == -2000


def test_partial_then_full_refunds_never_exceed_the_charge(stripe_emulator, notified):
    payment = _payment(5000)
    charge_now(payment=payment, payment_method=card(stripe_client(), OK))

    refund_create(payment=payment, amount_cents=1200, reason="reward out of stock")
    with pytest.raises(RefundRefused, match="only 3800 cents"):
        refund_create(payment=payment, amount_cents=3801)
    refund_create(payment=payment, amount_cents=3800)

    assert list(
        Refund.objects.order_by("pk").values_list("amount_cents", "status")
    ) == [
        (1200, "succeeded"),
        (3800, "succeeded"),
    ]
    assert account_balance("campaign:1") == 0
    assert account_balance("clearing:stripe:eur") == 0
    assert notified.calls.count((payment.pk, "refunded")) == 2
    _books_balance()


def test_a_refund_of_an_unpaid_payment_is_refused_and_changes_nothing(stripe_emulator):
    payment = _payment()

    with pytest.raises(RefundRefused):
        refund_create(payment=payment, amount_cents=100)

    assert not Refund.objects.exists() and not Entry.objects.exists()


def test_offline_money_counts_only_when_a_second_operator_confirms():
    desk, second = UserFactory(), UserFactory()
    payment = offline_record(
        purpose="test",
        purpose_id=3,
        amount_cents=3000,
        credit_account="campaign:1",
        method="cash",
        recorded_by=desk,
        place="Sportello del carcere",
    )
    assert payment.status == "awaiting_confirmation" and not Entry.objects.exists()

    with pytest.raises(OfflineConfirmationRefused, match="second operator"):
        offline_confirm(payment=payment, confirmed_by=desk)
    confirmed = offline_confirm(payment=payment, confirmed_by=second)

    assert (confirmed.status, confirmed.confirmed_by, confirmed.recorded_by) == (
        "succeeded",
        second,
        desk,
    )
    assert account_balance("offline:cash") == 3000
    assert account_balance("campaign:1") == -3000
    with pytest.raises(OfflineConfirmationRefused):
        offline_confirm(payment=payment, confirmed_by=second)
    assert LedgerTransaction.objects.count() == 1


def test_an_offline_payment_can_be_refunded_in_part():
    payment = offline_record(
        purpose="test",
        purpose_id=4,
        amount_cents=3000,
        credit_account="campaign:1",
        method="bank",
        recorded_by=UserFactory(),
    )
    offline_confirm(payment=payment, confirmed_by=UserFactory())

    refund_create(payment=Payment.objects.get(pk=payment.pk), amount_cents=1000)

    assert account_balance("offline:bank") == 2000
    assert account_balance("campaign:1") == -2000


def test_payers_who_must_act_get_the_pay_link_by_email_every_two_days(
    stripe_emulator, mailoutbox
):
    payment = _payment()
    charge_now(payment=payment, payment_method=card(stripe_client(), NEEDS_AUTH))

    assert action_required_remind() == 1
    assert action_required_remind() == 0
    assert (
        action_required_remind(now=timezone.now() + datetime.timedelta(hours=49)) == 1
    )

    assert [m.to for m in mailoutbox] == [["b@example.org"], ["b@example.org"]]
    assert "/payments/pay/" in mailoutbox[0].body
    assert "20,00" in mailoutbox[0].body


def _intents_by_payment():
    """The emulator's PaymentIntents by our payment id: (id, status) each."""
    found: dict[int, list[tuple[str, str]]] = {}
    for intent in stripe_client().v1.payment_intents.list(params={"limit": 100}).data:
        found.setdefault(int(intent.metadata["payment_id"]), []).append(
            (intent.id, intent.status)
        )
    return found


def test_a_batch_of_saved_cards_is_charged_once_each_and_told_in_one_call(
    stripe_emulator, notified
):
    ok = [_saved(OK, amount=1000 + n) for n in range(3)]
    declined = _saved(DECLINED_LATER)
    paid = charge_saved_card(payment=_saved(OK, amount=900))
    heard_alone, heard_together = Recorder(), []
    hooks.register_many(
        "test", heard_alone, lambda ids, what: heard_together.append((ids, what))
    )
    try:
        failed = saved_cards_charge(
            payment_ids=[paid.pk, declined.pk, *(p.pk for p in ok)]
        )
    finally:
        hooks.unregister("test", heard_alone)

    assert list(failed) == [paid.pk]
    assert isinstance(failed[paid.pk], PaymentStateError)
    for payment in ok:
        payment.refresh_from_db()
        assert payment.status == "succeeded"
        assert payment.charge_attempts == 1
        assert payment.paid_at is not None
        assert (
            list(payment.events.values_list("kind", "detail")).count(
                ("status", {"before": "card_saved", "after": "succeeded"})
            )
            == 1
        )
    intents = _intents_by_payment()
    for payment in [*ok, paid]:
        assert [status for _, status in intents[payment.pk]] == ["succeeded"]
        assert payment.stripe_payment_intent_id == intents[payment.pk][0][0]
    declined.refresh_from_db()
    assert declined.status == "action_required"
    assert "card_declined" in declined.failure_message
    # one posting per charge, the books balanced, the campaign credited in full
    assert LedgerTransaction.objects.filter(kind="charge").count() == 4
    assert account_balance("campaign:1") == -(900 + 1000 + 1001 + 1002)
    _books_balance()
    # the batch handler once for the batch; a handler without one, per payment
    assert heard_together == [([p.pk for p in ok], "succeeded")]
    assert heard_alone.calls == [(declined.pk, "action_required")]
    assert notified.calls[-4:] == [
        *((p.pk, "succeeded") for p in ok),
        (declined.pk, "action_required"),
    ]


def test_a_batch_asks_stripe_about_an_attempt_never_recorded_and_charges_once(
    stripe_emulator, notified
):
    sent, fresh = _saved(OK, amount=1500), _saved(OK, amount=1600)
    # A close sent this charge and died before recording its answer.
    Payment.objects.filter(pk=sent.pk).update(charge_attempts=1)
    stripe_client().v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "eur",
            "customer": sent.stripe_customer_id,
            "payment_method": sent.stripe_payment_method_id,
            "off_session": True,
            "confirm": True,
            "metadata": {"payment_id": str(sent.pk)},
        },
        options={"idempotency_key": f"payment:{sent.pk}:charge:1"},
    )

    assert saved_cards_charge(payment_ids=[sent.pk, fresh.pk]) == {}

    intents = _intents_by_payment()
    for payment in (sent, fresh):
        payment.refresh_from_db()
        assert payment.status == "succeeded"
        assert payment.charge_attempts == 1
        assert [status for _, status in intents[payment.pk]] == ["succeeded"]
        assert payment.stripe_payment_intent_id == intents[payment.pk][0][0]
    assert LedgerTransaction.objects.filter(kind="charge").count() == 2
    assert account_balance("campaign:1") == -3100
