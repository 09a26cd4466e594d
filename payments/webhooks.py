"""Stripe webhooks: verified on the raw body, stored once, processed after commit.

Processing never trusts the order of events: for intents it fetches the
object's current state from Stripe and applies that, so any order and any
number of deliveries end in the same state.
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import services
from .gateways.stripe_client import stripe_client
from .models import StripeEvent

logger = logging.getLogger(__name__)


class BadSignature(Exception):
    """The webhook's signature is missing, wrong or too old."""


def stripe_event_receive(payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Check the signature (300 s tolerance) and store the event once by id.

    Raises BadSignature; then nothing is stored. Returns ``(event, created)``;
    a new event is queued for processing after the commit.
    """
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise BadSignature(str(error)) from error
    data = event.to_dict()
    try:
        with transaction.atomic():
            stored, created = StripeEvent.objects.get_or_create(
                event_id=data["id"], defaults={"type": data["type"], "payload": data}
            )
    except IntegrityError:
        stored, created = StripeEvent.objects.get(event_id=data["id"]), False
    if created:
        from .tasks import stripe_event_process_task

        transaction.on_commit(lambda: stripe_event_process_task.delay(stored.pk))
    return stored, created


def stripe_event_process(event_pk: int) -> None:
    """Apply one stored event; safe to run any number of times, in any order."""
    event = StripeEvent.objects.get(pk=event_pk)
    obj = (event.payload.get("data") or {}).get("object") or {}
    kind = event.type
    client = stripe_client()
    try:
        if kind.startswith("payment_intent."):
            current = client.v1.payment_intents.retrieve(obj["id"]).to_dict()
            services.payment_intent_apply(
                current, fee_cents=services.intent_fee_cents(current)
            )
        elif kind.startswith("setup_intent."):
            current = client.v1.setup_intents.retrieve(obj["id"]).to_dict()
            services.setup_intent_apply(current)
        elif kind in {"charge.refunded", "charge.refund.updated"}:
            refunds = (obj.get("refunds") or {}).get("data") or []
            if obj.get("object") == "refund":
                refunds = [obj]
            for refund in refunds:
                services.stripe_refund_sync(refund)
        elif kind.startswith("charge.dispute."):
            services.dispute_apply(obj)
        else:
            logger.info("stripe event %s of type %s ignored", event.event_id, kind)
    except Exception as error:
        StripeEvent.objects.filter(pk=event_pk).update(error=str(error)[:2000])
        raise
    StripeEvent.objects.filter(pk=event_pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), error=""
    )


def stripe_reconcile(*, limit: int = 100) -> int:
    """Re-apply recent PaymentIntents, refunds and disputes of our payments.

    Repairs what a missed webhook left behind; applying is idempotent, so a
    run that finds nothing missing changes nothing. Returns how many objects
    of ours were looked at.
    """
    from .models import Payment

    client = stripe_client()
    applied = 0
    for intent in client.v1.payment_intents.list(params={"limit": limit}).data:
        data = intent.to_dict()
        payment_id = (data.get("metadata") or {}).get("payment_id")
        if payment_id and Payment.objects.filter(pk=payment_id).exists():
            services.payment_intent_apply(
                data, fee_cents=services.intent_fee_cents(data)
            )
            applied += 1
    # Saved cards: the emulator sends no setup_intent webhook, and one can be
    # missed in production too; a pending payment with a SetupIntent is asked.
    pending = Payment.objects.filter(
        status=Payment.Status.PENDING,
        method=Payment.Method.STRIPE,
        created_at__gte=timezone.now() - timezone.timedelta(days=2),
    ).exclude(stripe_setup_intent_id="")
    for payment in pending.order_by("pk")[:limit]:
        services.payment_refresh(payment=payment)
        applied += 1
    for refund in client.v1.refunds.list(params={"limit": limit}).data:
        if services.stripe_refund_sync(refund.to_dict()) is not None:
            applied += 1
    try:
        disputes = client.v1.disputes.list(params={"limit": limit}).data
    except stripe.StripeError as error:  # the emulator has no disputes endpoint
        logger.info("disputes not reconciled: %s", error)
        disputes = []
    for dispute in disputes:
        if services.dispute_apply(dispute.to_dict()) is not None:
            applied += 1
    return applied
