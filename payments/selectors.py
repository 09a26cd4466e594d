from django.db.models import Q, QuerySet

from .models import LedgerTransaction, Payment


def payment_list(
    *, status: str = "", method: str = "", q: str = ""
) -> QuerySet[Payment]:
    payments = Payment.objects.all()
    if status:
        payments = payments.filter(status=status)
    if method:
        payments = payments.filter(method=method)
    if q:
        payments = payments.filter(
            Q(purpose_id=q)
            | Q(purpose__iexact=q)
            | Q(payer_email__iexact=q)
            | Q(stripe_payment_intent_id=q)
            | Q(stripe_customer_id=q)
        )
    return payments.order_by("-created_at", "-pk")


def action_required_queue() -> QuerySet[Payment]:
    return Payment.objects.filter(status=Payment.Status.ACTION_REQUIRED).order_by(
        "grace_until"
    )


def payment_ledger(payment: Payment) -> QuerySet[LedgerTransaction]:
    sources = Q(source_type="payment", source_id=str(payment.pk)) | Q(
        source_type="refund",
        source_id__in=[str(pk) for pk in payment.refunds.values_list("pk", flat=True)],
    )
    if payment.stripe_payment_intent_id:
        sources |= Q(
            source_type="payment_intent", source_id=payment.stripe_payment_intent_id
        )
    return (
        LedgerTransaction.objects.filter(sources)
        .prefetch_related("entries__account")
        .order_by("created_at", "pk")
    )
