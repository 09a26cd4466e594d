from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    """Money asked of a payer for a purpose owned by another app.

    ``purpose`` and ``purpose_id`` name the owner's row (for example
    ``pledge`` 12); ``credit_account`` is the ledger account the money goes to.
    The status moves only through ``payments.services``.
    """

    class Method(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank transfer")
        MARKET = "market", _("Market stall")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CARD_SAVED = "card_saved", _("Card saved, to be charged")
        PROCESSING = "processing", _("Processing")
        ACTION_REQUIRED = "action_required", _("Action required from the payer")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        GIVEN_UP = "given_up", _("Given up")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting a second operator")

    purpose = models.CharField(max_length=40)
    purpose_id = models.CharField(max_length=80)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    credit_account = models.CharField(_("ledger account credited"), max_length=80)
    method = models.CharField(
        max_length=10, choices=Method.choices, default=Method.STRIPE
    )
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.PENDING
    )
    description = models.CharField(max_length=255, blank=True)
    payer_email = models.EmailField(blank=True)

    stripe_customer_id = models.CharField(max_length=80, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=80, blank=True)
    stripe_payment_method_id = models.CharField(max_length=80, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=80, blank=True)
    charge_attempts = models.PositiveSmallIntegerField(default=0)
    action_required_since = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)

    disputed_cents = models.BigIntegerField(default=0)
    dispute_fee_cents = models.BigIntegerField(default=0)
    dispute_status = models.CharField(max_length=30, blank=True)

    # Offline payments only: indexed where set (Meta), so that a card
    # payment, inserted without them, does not pay for two more indexes.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~Q(stripe_payment_intent_id=""),
                name="payment_intent_once",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=models.F("recorded_by")),
                name="payment_offline_two_operators",
            ),
        ]
        indexes = [
            models.Index(fields=["purpose", "purpose_id"]),
            models.Index(fields=["status"]),
            # For deleting a user (PROTECT looks for their payments).
            models.Index(
                fields=["recorded_by"],
                condition=Q(recorded_by__isnull=False),
                name="payment_recorded_by_set",
            ),
            models.Index(
                fields=["confirmed_by"],
                condition=Q(confirmed_by__isnull=False),
                name="payment_confirmed_by_set",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} · {self.purpose}:{self.purpose_id} · {self.status}"


class PaymentEvent(models.Model):
    """Append-only history of a payment, from after its creation: the
    payment's own row says when it was created and for how much (older
    payments also have a "created" event, from before that rule)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id} · {self.kind}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount_cents = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(max_length=200, blank=True)
    stripe_refund_id = models.CharField(max_length=80, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="refund_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~Q(stripe_refund_id=""),
                name="refund_stripe_once",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id}"


class StripeEvent(models.Model):
    """A webhook event as received, stored once by its id, processed after commit."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class OfflinePayment(models.Model):
    """Where offline money was received (desk, bank, stall) and its reference."""

    payment = models.OneToOneField(
        Payment, on_delete=models.CASCADE, related_name="offline"
    )
    place = models.CharField(_("where"), max_length=120, blank=True)
    reference = models.CharField(_("reference"), max_length=120, blank=True)

    def __str__(self) -> str:
        return f"offline {self.payment_id}"
