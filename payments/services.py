"""Payment services: Stripe through its SDK, offline money, refunds, disputes.

Rules kept everywhere here: no Stripe call while a row lock is held (lock,
decide, commit; then call Stripe; then lock again to record); every Stripe
write has an idempotency key derived from our own row; a state change and its
ledger transaction are written in one database transaction; the owner of the
purpose hears of it after commit (``hooks``), once per actual change.
"""

import datetime
import logging

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone, translation

from . import hooks
from .exceptions import (
    GatewayError,
    OfflineConfirmationRefused,
    PaymentError,
    PaymentStateError,
    RefundRefused,
)
from .gateways.stripe_client import stripe_client
from .ledger import Line, account_get, ledger_post
from .models import Account, OfflinePayment, Payment, PaymentEvent, Refund

logger = logging.getLogger(__name__)

S = Payment.Status
FINAL = {S.SUCCEEDED, S.CANCELED, S.GIVEN_UP, S.FAILED}
GRACE = datetime.timedelta(days=getattr(settings, "PAYMENT_GRACE_DAYS", 7))


def _event(payment: Payment, kind: str, **detail) -> None:
    PaymentEvent.objects.create(payment=payment, kind=kind, detail=detail)


def _lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def _account(code: str) -> Account:
    kind = code.split(":", 1)[0]
    if kind not in Account.Kind.values:
        kind = Account.Kind.EXTERNAL
    return account_get(code, kind=kind)


def _accounts(*codes: str) -> list[Account]:
    """The accounts with these codes, in that order: one query when they all
    exist (the usual case), each missing one created as ``_account`` does."""
    found = {a.code: a for a in Account.objects.filter(code__in=codes)}
    return [found.get(code) or _account(code) for code in codes]


def _set_status(payment: Payment, status: str, **fields) -> bool:
    """Move to ``status`` (caller holds the row lock); True if it changed."""
    if payment.status == status:
        return False
    before = payment.status
    payment.status = status
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save(update_fields=["status", "updated_at", *fields])
    _event(payment, "status", before=before, after=status)
    hooks.notify_after_commit(payment.purpose, payment.pk, status)
    return True


# --- creating payments -----------------------------------------------------------


def payment_create(
    *,
    purpose: str,
    purpose_id,
    amount_cents: int,
    credit_account: str,
    currency: str = "EUR",
    description: str = "",
    payer_email: str = "",
) -> Payment:
    """A pending payment. Its row is the record of its creation (when, how
    much, for what): the history (``PaymentEvent``) starts with what happens
    to it next, so creating one writes a single row."""
    if amount_cents <= 0:
        raise PaymentStateError("a payment must be more than zero")
    payment = Payment.objects.create(
        purpose=purpose,
        purpose_id=str(purpose_id),
        amount_cents=amount_cents,
        currency=currency,
        credit_account=credit_account,
        description=description[:255],
        payer_email=payer_email,
    )
    return payment


def _stripe_call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except stripe.CardError:
        raise
    except stripe.StripeError as error:
        logger.warning("stripe error: %s", error)
        raise GatewayError(str(error.user_message or error)) from error


def _ensure_customer(payment: Payment) -> str:
    if payment.stripe_customer_id:
        return payment.stripe_customer_id
    customer = _stripe_call(
        stripe_client().v1.customers.create,
        params={
            "email": payment.payer_email or None,
            "metadata": {"payment_id": str(payment.pk)},
        },
        options={"idempotency_key": f"payment:{payment.pk}:customer"},
    )
    Payment.objects.filter(pk=payment.pk, stripe_customer_id="").update(
        stripe_customer_id=customer.id
    )
    payment.refresh_from_db(fields=["stripe_customer_id"])
    return payment.stripe_customer_id


def card_save_start(*, payment: Payment) -> str:
    """Start saving a card for a later off-session charge; returns the SetupIntent's
    client secret for Stripe.js. No authorisation is held on the card."""
    if payment.status != S.PENDING:
        raise PaymentStateError(f"payment {payment.pk} is {payment.status}")
    customer = _ensure_customer(payment)
    intent = _stripe_call(
        stripe_client().v1.setup_intents.create,
        params={
            "customer": customer,
            "usage": "off_session",
            "metadata": {"payment_id": str(payment.pk)},
        },
        options={"idempotency_key": f"payment:{payment.pk}:setup"},
    )
    Payment.objects.filter(pk=payment.pk).update(stripe_setup_intent_id=intent.id)
    payment.stripe_setup_intent_id = intent.id
    return intent.client_secret


def card_save_confirm(*, payment: Payment, payment_method: str) -> Payment:
    """Confirm the SetupIntent server-side (what Stripe.js does in a browser)."""
    intent = _stripe_call(
        stripe_client().v1.setup_intents.confirm,
        payment.stripe_setup_intent_id,
        params={"payment_method": payment_method},
    )
    return setup_intent_apply(intent.to_dict())


@transaction.atomic
def setup_intent_apply(intent: dict) -> Payment:
    payment = _lock(_payment_id_for(intent, field="stripe_setup_intent_id"))
    if intent.get("status") == "succeeded" and payment.status == S.PENDING:
        _set_status(
            payment,
            S.CARD_SAVED,
            stripe_payment_method_id=intent.get("payment_method") or "",
        )
    elif (
        intent.get("status") in {"requires_payment_method", "canceled"}
        and payment.status == S.PENDING
    ):
        _event(payment, "setup_failed", status=intent.get("status"))
    return payment


def _payment_id_for(obj: dict, *, field: str) -> int:
    metadata = obj.get("metadata") or {}
    if metadata.get("payment_id"):
        return int(metadata["payment_id"])
    return Payment.objects.values_list("pk", flat=True).get(**{field: obj["id"]})


# --- charging --------------------------------------------------------------------


def charge_saved_card(*, payment: Payment) -> Payment:
    """Charge a saved card off-session (all-or-nothing pledges at success).

    A decline or an authentication request moves the payment to "action
    required" with a grace period; the payer then pays on-session. Safe to call
    again: each attempt has its own idempotency key and a paid payment is left
    alone.
    """
    with transaction.atomic():
        locked = _lock(payment.pk)
        unrecorded = _count_charge_attempt(locked)
    if unrecorded:
        # An earlier attempt was sent but its answer never recorded (a crash
        # mid-close): ask Stripe before charging again, never charge twice.
        previous = _previous_charge_intent(locked)
        if previous is not None:
            return payment_intent_apply(previous, fee_cents=intent_fee_cents(previous))
        with transaction.atomic():
            locked = _lock(payment.pk)
            _count_charge_attempt(locked, asked_stripe=True)
    try:
        data = _off_session_intent_create(locked)
    except stripe.CardError as error:
        return _action_required(
            locked.pk, error.code or "card_error", error.user_message or ""
        )
    return payment_intent_apply(data, fee_cents=intent_fee_cents(data))


def _off_session_intent_create(payment: Payment) -> dict:
    """Charge the saved card once (attempt ``payment.charge_attempts``, counted
    beforehand); the PaymentIntent as a dict. Raises stripe.CardError for a
    decline or an authentication request, GatewayError otherwise.

    The charge and its balance transaction come back with the intent, so the
    fee is known without another request; the answer is read as the JSON it
    is (``raw_request``) instead of being built into SDK objects and turned
    back into a dict."""
    key = f"payment:{payment.pk}:charge:{payment.charge_attempts}"
    response = _stripe_call(
        stripe_client().raw_request,
        "post",
        "/v1/payment_intents",
        amount=payment.amount_cents,
        currency=payment.currency.lower(),
        customer=payment.stripe_customer_id,
        payment_method=payment.stripe_payment_method_id,
        off_session=True,
        confirm=True,
        metadata={"payment_id": str(payment.pk)},
        expand=["latest_charge.balance_transaction"],
        idempotency_key=key,
    )
    return response.data


CHARGEABLE = {S.CARD_SAVED, S.ACTION_REQUIRED}


def _not_chargeable(payment: Payment) -> PaymentStateError:
    return PaymentStateError(
        f"payment {payment.pk} is {payment.status}, not chargeable"
    )


def _attempt_unrecorded(payment: Payment) -> bool:
    """A saved card with an attempt counted: that attempt's answer was never
    recorded (a crash between Stripe and the database), so Stripe must be
    asked about it before another charge."""
    return payment.status == S.CARD_SAVED and payment.charge_attempts > 0


def saved_cards_charge(*, payment_ids: list[int]) -> dict[int, PaymentError]:
    """``charge_saved_card`` for many payments (a campaign close's batch), with
    the database work done per batch instead of per card.

    One transaction locks the payments (in id order) and counts an attempt
    for each; the cards are then charged one after the other, no lock held,
    each attempt under its own idempotency key; one transaction records the
    charges that succeeded (status, events, one ledger posting each) and the
    owners hear of them after its commit, in one call per purpose
    (``hooks.notify_many_after_commit``). Everything else goes through the
    one-payment services, exactly as ``charge_saved_card`` would: a payment
    whose earlier attempt was never recorded (Stripe is asked first), a
    decline (action required), any other answer, or a payment that another
    process changed in the meantime. A crash anywhere leaves at worst
    counted, unrecorded attempts, which the next run asks Stripe about:
    never charged twice.

    Returns the payments that were not charged or recorded, with why: not
    chargeable any more (paid or canceled meanwhile), Stripe unreachable, an
    intent that does not match the payment."""
    failed: dict[int, PaymentError] = {}
    alone: list[Payment] = []
    counted: list[Payment] = []
    with transaction.atomic():
        locked = Payment.objects.select_for_update().filter(pk__in=payment_ids)
        for payment in locked.order_by("pk"):
            if payment.status not in CHARGEABLE:
                failed[payment.pk] = _not_chargeable(payment)
            elif _attempt_unrecorded(payment):
                alone.append(payment)
            else:
                payment.charge_attempts += 1
                counted.append(payment)
        if counted:
            Payment.objects.filter(pk__in=[p.pk for p in counted]).update(
                charge_attempts=F("charge_attempts") + 1, updated_at=timezone.now()
            )
    for payment in alone:
        try:
            charge_saved_card(payment=payment)
        except PaymentError as error:
            failed[payment.pk] = error
    succeeded: dict[int, dict] = {}
    declined: list[tuple[Payment, stripe.CardError]] = []
    other: list[dict] = []
    for payment in counted:
        try:
            intent = _off_session_intent_create(payment)
        except stripe.CardError as error:
            declined.append((payment, error))
        except GatewayError as error:
            failed[payment.pk] = error
        else:
            if (
                intent.get("status") == "succeeded"
                and intent.get("amount") == payment.amount_cents
            ):
                succeeded[payment.pk] = intent
            else:
                other.append(intent)
    other += _charges_record(succeeded)
    for payment, error in declined:
        _action_required(
            payment.pk, error.code or "card_error", error.user_message or ""
        )
    for intent in other:
        try:
            payment_intent_apply(intent, fee_cents=intent_fee_cents(intent))
        except PaymentError as error:
            failed[int(intent["metadata"]["payment_id"])] = error
    return failed


def _charges_record(intents: dict[int, dict]) -> list[dict]:
    """Record succeeded off-session charges (payment id -> its intent) in one
    transaction; returns the intents of payments that changed since they
    were counted, for ``payment_intent_apply`` to sort out."""
    if not intents:
        return []
    later: list[dict] = []
    paid: list[Payment] = []
    before: dict[int, str] = {}
    now = timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().filter(pk__in=list(intents))
        for payment in locked.order_by("pk"):
            intent = intents[payment.pk]
            if payment.status not in CHARGEABLE:
                later.append(intent)
                continue
            before[payment.pk] = payment.status
            payment.status = S.SUCCEEDED
            payment.paid_at = payment.updated_at = now
            payment.stripe_payment_intent_id = intent["id"]
            paid.append(payment)
        if not paid:
            return later
        Payment.objects.bulk_update(
            paid, ["status", "paid_at", "stripe_payment_intent_id", "updated_at"]
        )
        PaymentEvent.objects.bulk_create(
            PaymentEvent(
                payment=payment,
                kind="status",
                detail={"before": before[payment.pk], "after": S.SUCCEEDED},
            )
            for payment in paid
        )
        accounts: dict[str, Account] = {}
        for payment in paid:
            intent = intents[payment.pk]
            _charge_post(
                payment, intent["id"], intent_fee_cents(intent), accounts=accounts
            )
        by_purpose: dict[str, list[int]] = {}
        for payment in paid:
            by_purpose.setdefault(payment.purpose, []).append(payment.pk)
        for purpose, ids in by_purpose.items():
            hooks.notify_many_after_commit(purpose, ids, S.SUCCEEDED)
    return later


def _charge_post(
    payment: Payment, intent_id: str, fee_cents: int, *, accounts: dict | None = None
) -> None:
    """Post a succeeded card charge: the purpose is credited in full, the
    processor's fee is a platform cost. ``accounts`` keeps the accounts
    already read, by code, across the charges of a batch."""
    fee = int(fee_cents or 0)
    currency = payment.currency.lower()
    codes = (
        f"clearing:stripe:{currency}",
        payment.credit_account,
        f"fees:stripe:{currency}",
    )
    if accounts is None:
        accounts = {}
    missing = [code for code in codes if code not in accounts]
    if missing:
        accounts.update(zip(missing, _accounts(*missing), strict=True))
    clearing, credit, fees = (accounts[code] for code in codes)
    lines = [
        Line(clearing, payment.amount_cents - fee),
        Line(credit, -payment.amount_cents),
    ]
    if fee:
        lines.append(Line(fees, fee))
    ledger_post(
        kind="charge",
        source_type="payment_intent",
        source_id=intent_id,
        lines=lines,
        memo=f"payment {payment.pk} {payment.purpose}:{payment.purpose_id}",
        currency=payment.currency,
    )


def _count_charge_attempt(locked: Payment, *, asked_stripe: bool = False) -> bool:
    """Under the payment's row lock: refuse a payment that cannot be charged;
    return True for one whose earlier attempt was never recorded (Stripe must
    be asked about it first, nothing is counted); otherwise count the attempt
    about to be sent (``locked.charge_attempts`` numbers it)."""
    if locked.status not in CHARGEABLE:
        raise _not_chargeable(locked)
    if not asked_stripe and _attempt_unrecorded(locked):
        return True
    locked.charge_attempts += 1
    locked.save(update_fields=["charge_attempts", "updated_at"])
    return False


def _previous_charge_intent(payment: Payment) -> dict | None:
    """The intent of a charge already made on this payment's customer, if any.

    Each payment has its own Stripe customer, so the customer's charges are
    exactly this payment's attempts. A failed one does not count.
    """
    if not payment.stripe_customer_id:
        return None
    client = stripe_client()
    charges = _stripe_call(
        client.v1.charges.list,
        params={"customer": payment.stripe_customer_id, "limit": 10},
    )
    for charge in charges.data:
        if charge.status in {"succeeded", "pending"} and charge.payment_intent:
            intent = _stripe_call(
                client.v1.payment_intents.retrieve, charge.payment_intent
            )
            data = intent.to_dict()
            data.setdefault("metadata", {})["payment_id"] = str(payment.pk)
            return data
    return None


@transaction.atomic
def payment_cancel(*, payment: Payment, reason: str = "") -> Payment:
    """Cancel a payment that collected nothing (a card saved for a campaign
    that failed, a pledge abandoned before paying). A paid payment is refused:
    refund it instead."""
    locked = _lock(payment.pk)
    if locked.status == S.CANCELED:
        return locked
    if locked.status not in {S.PENDING, S.CARD_SAVED, S.ACTION_REQUIRED}:
        raise PaymentStateError(
            f"payment {locked.pk} is {locked.get_status_display()}: not cancellable"
        )
    _set_status(locked, S.CANCELED)
    _event(locked, "canceled", reason=reason[:200])
    return locked


@transaction.atomic
def _action_required(payment_id: int, code: str, message: str) -> Payment:
    payment = _lock(payment_id)
    if payment.status in FINAL:
        return payment
    now = timezone.now()
    _set_status(
        payment,
        S.ACTION_REQUIRED,
        action_required_since=payment.action_required_since or now,
        grace_until=payment.grace_until or now + GRACE,
        failure_message=f"{code}: {message}"[:255],
    )
    return payment


def charge_now(*, payment: Payment, payment_method: str | None = None) -> str:
    """Charge at once (keep-it-all pledges, shop orders); returns the client secret.

    With ``payment_method`` the intent is confirmed server-side; otherwise
    Stripe.js confirms it in the payer's browser and the webhook reports back.
    """
    if payment.status not in {S.PENDING, S.ACTION_REQUIRED}:
        raise PaymentStateError(f"payment {payment.pk} is {payment.status}")
    if payment.stripe_payment_intent_id and not payment_method:
        # Reuse the open intent: two tabs must not become two charges.
        current = _stripe_call(
            stripe_client().v1.payment_intents.retrieve,
            payment.stripe_payment_intent_id,
        )
        if current.status in {
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        }:
            return current.client_secret
    params = {
        "amount": payment.amount_cents,
        "currency": payment.currency.lower(),
        "metadata": {"payment_id": str(payment.pk)},
    }
    if payment.stripe_customer_id:
        params["customer"] = payment.stripe_customer_id
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
    key = f"payment:{payment.pk}:now:{payment.charge_attempts}"
    try:
        intent = _stripe_call(
            stripe_client().v1.payment_intents.create,
            params=params,
            options={"idempotency_key": key},
        )
    except stripe.CardError as error:
        _action_required(
            payment.pk, error.code or "card_error", error.user_message or ""
        )
        raise GatewayError(error.user_message or "card declined") from error
    data = intent.to_dict()
    payment_intent_apply(data, fee_cents=intent_fee_cents(data))
    return intent.client_secret


def intent_fee_cents(intent: dict) -> int:
    """The processor fee of a succeeded intent's charge (0 when unknown).

    Called outside any lock: it reads the charge's balance transaction.
    """
    if intent.get("status") != "succeeded":
        return 0
    charge = intent.get("latest_charge")
    balance = charge.get("balance_transaction") if isinstance(charge, dict) else None
    if isinstance(balance, dict):  # expanded: nothing to fetch
        return int(balance.get("fee") or 0)
    client = stripe_client()
    try:
        if isinstance(charge, str):
            charge = client.v1.charges.retrieve(
                charge, params={"expand": ["balance_transaction"]}
            ).to_dict()
        balance = (charge or {}).get("balance_transaction")
        if isinstance(balance, str):
            balance = client.v1.balance_transactions.retrieve(balance).to_dict()
    except stripe.StripeError as error:
        logger.warning("fee of %s unknown: %s", intent.get("id"), error)
        return 0
    return int((balance or {}).get("fee") or 0)


@transaction.atomic
def payment_intent_apply(intent: dict, *, fee_cents: int | None = None) -> Payment:
    """Bring our payment in line with the PaymentIntent's current state.

    ``fee_cents`` is the processor's fee on the charge (``intent_fee_cents``,
    fetched before any lock is taken); it is booked to the fees account.

    Idempotent and order-proof: a paid payment never goes back, the charge is
    posted to the ledger once (keyed by the intent id).
    """
    payment = _lock(_payment_id_for(intent, field="stripe_payment_intent_id"))
    status = intent.get("status")
    if (
        not payment.stripe_payment_intent_id
        and payment.status != S.SUCCEEDED
        and status != "succeeded"  # then saved with the new status below
    ):
        payment.stripe_payment_intent_id = intent["id"]
        payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    if (
        payment.status == S.SUCCEEDED
        and status == "succeeded"
        and intent["id"] != payment.stripe_payment_intent_id
    ):
        # Paid twice (another intent): staff see it in the history and refund it.
        logger.warning("payment %s paid twice: %s", payment.pk, intent["id"])
        if not payment.events.filter(
            kind="duplicate_charge", detail__intent=intent["id"]
        ).exists():
            _event(payment, "duplicate_charge", intent=intent["id"])
        return payment
    if payment.status == S.SUCCEEDED or (
        payment.status in FINAL and status != "succeeded"
    ):
        return payment
    if status == "succeeded":
        if intent.get("amount") != payment.amount_cents:
            raise PaymentStateError(
                f"intent {intent['id']} amount differs from payment {payment.pk}"
            )
        _set_status(
            payment,
            S.SUCCEEDED,
            paid_at=timezone.now(),
            stripe_payment_intent_id=intent["id"],
        )
        _charge_post(payment, intent["id"], fee_cents)
    elif status == "processing":
        _set_status(payment, S.PROCESSING)
    elif status == "requires_action" or (
        status == "requires_payment_method"
        and payment.status in {S.CARD_SAVED, S.ACTION_REQUIRED, S.PROCESSING}
    ):
        # The payer must act: authenticate, or give another card after a decline.
        now = timezone.now()
        _set_status(
            payment,
            S.ACTION_REQUIRED,
            action_required_since=payment.action_required_since or now,
            grace_until=payment.grace_until or now + GRACE,
        )
    elif status == "requires_payment_method" and payment.status == S.PENDING:
        _event(payment, "attempt_failed", intent=intent["id"])
    elif status == "canceled":
        _set_status(payment, S.CANCELED)
    return payment


def payment_refresh(*, payment: Payment) -> Payment:
    """Ask Stripe, from the server, where an unfinished card payment stands
    and apply it (what the webhook would have said). Safe to call at any time:
    the browser's word is never taken, only Stripe's current state."""
    if payment.method != Payment.Method.STRIPE or payment.status in FINAL:
        return payment
    client = stripe_client()
    try:
        if payment.stripe_payment_intent_id:
            intent = client.v1.payment_intents.retrieve(
                payment.stripe_payment_intent_id
            ).to_dict()
            payment_intent_apply(intent, fee_cents=intent_fee_cents(intent))
        elif payment.stripe_setup_intent_id and payment.status == S.PENDING:
            setup_intent_apply(
                client.v1.setup_intents.retrieve(
                    payment.stripe_setup_intent_id
                ).to_dict()
            )
    except stripe.StripeError as error:
        logger.warning("payment %s not refreshed: %s", payment.pk, error)
    payment.refresh_from_db()
    return payment


def action_required_give_up(*, now=None) -> int:
    """Give up payments whose grace period is over; the owners are told."""
    now = now or timezone.now()
    count = 0
    for payment_id in Payment.objects.filter(
        status=S.ACTION_REQUIRED, grace_until__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payment = _lock(payment_id)
            if payment.status == S.ACTION_REQUIRED and payment.grace_until < now:
                count += _set_status(payment, S.GIVEN_UP)
    return count


# --- refunds and disputes -----------------------------------------------------------


def refundable_cents(payment: Payment) -> int:
    taken = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(
        n=Sum("amount_cents")
    )["n"]
    return payment.amount_cents - (taken or 0)


def refund_create(
    *, payment: Payment, amount_cents: int, reason: str = "", requested_by=None
) -> Refund:
    """Refund part or all of a paid payment.

    The amount is reserved under the payment's row lock before Stripe is called,
    so two refunds at the same moment can never exceed the charge: the second
    is refused with RefundRefused and nothing is recorded for it.
    """
    with transaction.atomic():
        locked = _lock(payment.pk)
        if locked.status != S.SUCCEEDED:
            raise RefundRefused(
                f"payment {locked.pk} is {locked.get_status_display()}: "
                "nothing to refund"
            )
        if amount_cents <= 0:
            raise RefundRefused("a refund must be more than zero")
        left = refundable_cents(locked)
        if amount_cents > left:
            raise RefundRefused(
                f"only {left} cents of payment {locked.pk} can still be refunded"
            )
        refund = Refund.objects.create(
            payment=locked,
            amount_cents=amount_cents,
            reason=reason[:200],
            requested_by=requested_by,
        )
        _event(locked, "refund_requested", refund=refund.pk, amount_cents=amount_cents)
    if locked.method != Payment.Method.STRIPE:
        return refund_apply(refund.pk, status="succeeded")
    try:
        result = _stripe_call(
            stripe_client().v1.refunds.create,
            params={
                "payment_intent": locked.stripe_payment_intent_id,
                "amount": amount_cents,
            },
            options={"idempotency_key": f"refund:{refund.pk}"},
        )
    except (GatewayError, stripe.StripeError) as error:
        refund_apply(refund.pk, status="failed")
        raise RefundRefused(f"Stripe refused the refund: {error}") from error
    return refund_apply(refund.pk, status=result.status, stripe_refund_id=result.id)


@transaction.atomic
def refund_apply(refund_id: int, *, status: str, stripe_refund_id: str = "") -> Refund:
    refund = (
        Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
    )
    if stripe_refund_id and not refund.stripe_refund_id:
        refund.stripe_refund_id = stripe_refund_id
    if refund.status == Refund.Status.SUCCEEDED:
        refund.save(update_fields=["stripe_refund_id"])
        return refund
    if status == "succeeded":
        refund.status = Refund.Status.SUCCEEDED
        payment = refund.payment
        ledger_post(
            kind="refund",
            source_type="refund",
            source_id=refund.pk,
            lines=[
                Line(_account(payment.credit_account), refund.amount_cents),
                Line(_account(_clearing_for(payment)), -refund.amount_cents),
            ],
            memo=f"refund {refund.pk} of payment {payment.pk}",
            currency=payment.currency,
        )
        _event(payment, "refunded", refund=refund.pk, amount_cents=refund.amount_cents)
        hooks.notify_after_commit(payment.purpose, payment.pk, "refunded")
    elif status in {"failed", "canceled"}:
        refund.status = Refund.Status.FAILED
    refund.save(update_fields=["status", "stripe_refund_id"])
    return refund


def _clearing_for(payment: Payment) -> str:
    if payment.method == Payment.Method.STRIPE:
        return f"clearing:stripe:{payment.currency.lower()}"
    return f"offline:{payment.method}"


@transaction.atomic
def stripe_refund_sync(stripe_refund: dict) -> Refund | None:
    """A refund Stripe reported (ours, or made in the Stripe dashboard)."""
    refund = Refund.objects.filter(stripe_refund_id=stripe_refund["id"]).first()
    if refund is None:
        intent = stripe_refund.get("payment_intent")
        payment = (
            Payment.objects.filter(stripe_payment_intent_id=intent).first()
            if intent
            else None
        )
        if payment is None:
            return None
        payment = _lock(payment.pk)
        refund = Refund.objects.filter(stripe_refund_id=stripe_refund["id"]).first()
        if refund is None:
            refund = Refund.objects.create(
                payment=payment,
                amount_cents=stripe_refund["amount"],
                stripe_refund_id=stripe_refund["id"],
                reason="made in Stripe",
            )
    return refund_apply(refund.pk, status=stripe_refund.get("status", "pending"))


@transaction.atomic
def dispute_apply(dispute: dict) -> Payment | None:
    """Record a dispute (fulfilment should stop) and post its money once."""
    intent = dispute.get("payment_intent")
    payment = (
        Payment.objects.filter(stripe_payment_intent_id=intent).first()
        if intent
        else None
    )
    if payment is None:
        return None
    payment = _lock(payment.pk)
    amount = int(dispute.get("amount") or 0)
    fee = sum(int(t.get("fee") or 0) for t in dispute.get("balance_transactions") or [])
    status = dispute.get("status", "")
    changed = payment.dispute_status != status
    payment.disputed_cents, payment.dispute_fee_cents, payment.dispute_status = (
        amount,
        fee,
        status,
    )
    payment.save(
        update_fields=[
            "disputed_cents",
            "dispute_fee_cents",
            "dispute_status",
            "updated_at",
        ]
    )
    clearing = _account(_clearing_for(payment))
    lines = [Line(_account(payment.credit_account), amount), Line(clearing, -amount)]
    if fee:
        lines += [
            Line(_account(f"fees:stripe:{payment.currency.lower()}"), fee),
            Line(clearing, -fee),
        ]
    ledger_post(
        kind="dispute",
        source_type="dispute",
        source_id=dispute["id"],
        lines=_merge(lines),
        memo=f"dispute of payment {payment.pk}",
        currency=payment.currency,
    )
    if status == "won":
        ledger_post(
            kind="dispute_won",
            source_type="dispute",
            source_id=dispute["id"],
            lines=[
                Line(clearing, amount),
                Line(_account(payment.credit_account), -amount),
            ],
            memo=f"dispute won, payment {payment.pk}",
            currency=payment.currency,
        )
    if changed:
        _event(payment, "dispute", status=status, amount_cents=amount, fee_cents=fee)
        hooks.notify_after_commit(
            payment.purpose, payment.pk, f"dispute_{status or 'open'}"
        )
    return payment


def _merge(lines: list[Line]) -> list[Line]:
    totals: dict[int, int] = {}
    accounts = {}
    for line in lines:
        totals[line.account.pk] = totals.get(line.account.pk, 0) + line.amount_cents
        accounts[line.account.pk] = line.account
    return [Line(accounts[pk], cents) for pk, cents in totals.items() if cents]


# --- offline money ----------------------------------------------------------------


@transaction.atomic
def offline_record(
    *,
    purpose: str,
    purpose_id,
    amount_cents: int,
    credit_account: str,
    method: str,
    recorded_by,
    place: str = "",
    reference: str = "",
    description: str = "",
) -> Payment:
    """Staff record cash or a bank transfer; it counts once a second operator
    confirms it (``offline_confirm``)."""
    if method == Payment.Method.STRIPE or method not in Payment.Method.values:
        raise PaymentStateError(
            "offline payments are cash, bank transfer or market stall"
        )
    payment = payment_create(
        purpose=purpose,
        purpose_id=purpose_id,
        amount_cents=amount_cents,
        credit_account=credit_account,
        description=description,
    )
    payment.method, payment.recorded_by, payment.status = (
        method,
        recorded_by,
        S.AWAITING_CONFIRMATION,
    )
    payment.save(update_fields=["method", "recorded_by", "status"])
    OfflinePayment.objects.create(payment=payment, place=place, reference=reference)
    _event(payment, "offline_recorded", by=recorded_by.pk, method=method)
    return payment


@transaction.atomic
def offline_confirm(*, payment: Payment, confirmed_by) -> Payment:
    payment = _lock(payment.pk)
    if payment.status != S.AWAITING_CONFIRMATION:
        raise OfflineConfirmationRefused(
            f"payment {payment.pk} is {payment.get_status_display()}"
        )
    if payment.recorded_by_id == confirmed_by.pk:
        raise OfflineConfirmationRefused(
            "a second operator must confirm what you recorded"
        )
    now = timezone.now()
    _set_status(
        payment, S.SUCCEEDED, confirmed_by=confirmed_by, confirmed_at=now, paid_at=now
    )
    ledger_post(
        kind="offline",
        source_type="payment",
        source_id=payment.pk,
        lines=[
            Line(_account(f"offline:{payment.method}"), payment.amount_cents),
            Line(_account(payment.credit_account), -payment.amount_cents),
        ],
        memo=f"{payment.get_method_display()} payment {payment.pk}",
        currency=payment.currency,
    )
    return payment


# --- the payer's link to pay on-session -------------------------------------------

PAY_LINK_SALT = "payments.pay-link"


def pay_link_token(payment: Payment) -> str:
    """A signed token for the payer's "pay now" link, valid through the grace."""
    from django.core import signing

    return signing.dumps({"payment": payment.pk}, salt=PAY_LINK_SALT)


def pay_link_payment(token: str) -> Payment:
    """The payment a pay link names; raises PaymentStateError for a bad or old link."""
    from django.core import signing

    try:
        data = signing.loads(
            token, salt=PAY_LINK_SALT, max_age=GRACE + datetime.timedelta(days=1)
        )
    except signing.BadSignature as error:
        raise PaymentStateError("this payment link is not valid any more") from error
    return Payment.objects.get(pk=data["payment"])


REMINDER_EVERY = datetime.timedelta(hours=48)


def action_required_remind(*, now=None) -> int:
    """E-mail the pay link to payers who must act, at most every 48 hours.

    Each reminder is recorded in the payment's history; sending twice in a row
    is prevented by re-checking that history under the payment's lock.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    now = now or timezone.now()
    sent = 0
    candidates = Payment.objects.filter(
        status=S.ACTION_REQUIRED, grace_until__gt=now
    ).exclude(payer_email="")
    for payment_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            payment = _lock(payment_id)
            last = (
                payment.events.filter(kind="reminder_sent")
                .order_by("-created_at")
                .first()
            )
            if payment.status != S.ACTION_REQUIRED or (
                last and now - last.created_at < REMINDER_EVERY
            ):
                continue
            _event(payment, "reminder_sent", to=payment.payer_email)
        link = settings.SITE_URL.rstrip("/") + reverse(
            "payments:pay", args=[pay_link_token(payment)]
        )
        context = {"payment": payment, "link": link}
        # A scheduled task has no request: the site's language, whatever the
        # thread last served.
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("payments/email/reminder_subject.txt", context)
            body = render_to_string("payments/email/reminder.txt", context)
        send_mail(subject.strip(), body, None, [payment.payer_email])
        sent += 1
    return sent
