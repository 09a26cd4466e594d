import hashlib
import hmac
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import permutations
from threading import Barrier

import pytest
from django.db import connections
from django.test import Client

from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from payments.models import LedgerTransaction, Payment, Refund, StripeEvent
from payments.services import charge_now, payment_create, refund_create
from payments.webhooks import stripe_event_process

from .conftest import card, wait_for_status

URL = "/payments/webhooks/stripe/"
SECRET = "whsec_test_webhooks"


def _signed(payload: str, *, at: int | None = None, secret: str = SECRET) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(
        secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={at},v1={mac}"


def _event(event_id="evt_1", kind="payment_intent.succeeded", obj=None):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "data": {"object": obj or {"id": "pi_x"}},
        }
    )


def _webhook_to(emulator: str, url: str) -> None:
    """Point localstripe's webhook at ``url`` (a closed port switches it off)."""
    hook = urllib.request.Request(  # noqa: S310 - loopback emulator
        f"{emulator}/_config/webhooks/pytest",
        data=f"url={url}&secret={SECRET}".encode(),
        method="POST",
    )
    urllib.request.urlopen(hook, timeout=5).close()  # noqa: S310 - loopback emulator


@pytest.fixture
def secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.mark.django_db
def test_a_correctly_signed_event_is_stored_once(client, secret, monkeypatch):
    processed = []
    monkeypatch.setattr("payments.webhooks.stripe_event_process", processed.append)
    monkeypatch.setattr(
        "payments.tasks.webhooks.stripe_event_process", processed.append
    )
    body = _event()

    first = client.post(
        URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=_signed(body)
    )
    again = client.post(
        URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=_signed(body)
    )

    assert (first.status_code, again.status_code) == (200, 200)
    assert list(StripeEvent.objects.values_list("event_id", "type")) == [
        ("evt_1", "payment_intent.succeeded")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    ["body", "old", "secret", "missing"],
)
def test_a_bad_or_old_signature_gets_400_and_nothing_is_stored(client, secret, tamper):
    body = _event()
    signature = {
        "body": _signed(body),
        "old": _signed(body, at=int(time.time()) - 301),
        "secret": _signed(body, secret="whsec_someone_else"),
        "missing": "",
    }[tamper]
    sent = body.replace("evt_1", "evt_2") if tamper == "body" else body

    response = client.post(
        URL, sent, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_the_webhook_endpoint_only_takes_post(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_a_signed_event_that_fulfils_the_payment(
    live_server, stripe_emulator, secret, request
):
    """The browser confirms the intent (here: the SDK, as Stripe.js would); our
    server learns it only through the webhook."""
    _webhook_to(stripe_emulator, f"{live_server.url}{URL}")
    request.addfinalizer(lambda: _webhook_to(stripe_emulator, "http://127.0.0.1:9/"))
    payment = payment_create(
        purpose="test", purpose_id=9, amount_cents=2500, credit_account="campaign:9"
    )
    client = stripe_client()
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "payment_method": card(client, "4242424242424242"),
            "metadata": {"payment_id": str(payment.pk)},
        }
    )
    client.v1.payment_intents.confirm(intent.id)

    assert wait_for_status(payment, "succeeded") == "succeeded"
    assert StripeEvent.objects.filter(type="payment_intent.succeeded").exists()
    assert account_balance("campaign:9") == -2500


# --- on PostgreSQL: parallel deliveries, any order, concurrent refunds ---------------


def _race(count, attempt):
    barrier = Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return attempt(index)
        except Exception as error:  # noqa: BLE001 - outcomes are what we count
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_ten_times_at_once_books_once_and_tells_once(
    stripe_emulator, secret, notified
):
    payment = payment_create(
        purpose="test", purpose_id=5, amount_cents=2000, credit_account="campaign:5"
    )
    client = stripe_client()
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "payment_method": card(client, "4242424242424242"),
            "confirm": True,
            "metadata": {"payment_id": str(payment.pk)},
        }
    )
    body = _event("evt_parallel", obj={"id": intent.id})

    statuses = _race(
        10,
        lambda _i: (
            Client()
            .post(
                URL,
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=_signed(body),
            )
            .status_code
        ),
    )

    assert statuses == [200] * 10
    assert StripeEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1
    assert notified.calls == [(payment.pk, "succeeded")]
    payment.refresh_from_db()
    assert payment.status == "succeeded"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_order_of_a_payments_events_ends_in_the_same_state(
    stripe_emulator, secret
):
    kinds = [
        "payment_intent.processing",
        "payment_intent.requires_action",
        "payment_intent.succeeded",
    ]
    finals = set()
    for number, order in enumerate(permutations(kinds)):
        payment = payment_create(
            purpose="test",
            purpose_id=number,
            amount_cents=700,
            credit_account="campaign:7",
        )
        client = stripe_client()
        intent = client.v1.payment_intents.create(
            params={
                "amount": 700,
                "currency": "eur",
                "payment_method": card(client, "4242424242424242"),
                "confirm": True,
                "metadata": {"payment_id": str(payment.pk)},
            }
        )
        for step, kind in enumerate(order):
            event = StripeEvent.objects.create(
                event_id=f"evt_{number}_{step}",
                type=kind,
                payload=json.loads(_event(obj={"id": intent.id})),
            )
            stripe_event_process(event.pk)
        payment.refresh_from_db()
        finals.add(payment.status)

    assert finals == {"succeeded"}
    assert LedgerTransaction.objects.filter(kind="charge").count() == 6
    assert account_balance("campaign:7") == -700 * 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_once_that_exceed_the_charge_one_is_refused_cleanly(
    stripe_emulator,
):
    payment = payment_create(
        purpose="test", purpose_id=6, amount_cents=5000, credit_account="campaign:6"
    )
    charge_now(
        payment=payment, payment_method=card(stripe_client(), "4242424242424242")
    )

    outcomes = _race(
        2,
        lambda _i: (
            refund_create(payment=Payment.objects.get(pk=payment.pk), amount_cents=3000)
            and "ok"
        ),
    )

    assert sorted(outcomes) == ["RefundRefused", "ok"]
    assert list(Refund.objects.values_list("amount_cents", "status")) == [
        (3000, "succeeded")
    ]
    assert account_balance("campaign:6") == -2000
