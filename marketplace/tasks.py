import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.tasks import queued

from . import receipts

logger = logging.getLogger(__name__)


@shared_task(name="marketplace.order_receipt_render", acks_late=True)
def order_receipt_render_task(order_id: int) -> int | None:
    receipt = receipts.order_receipt_render(order_id=order_id)
    return receipt.pk if receipt else None


@shared_task(name="marketplace.order_receipts_render_pending")
def order_receipts_render_pending_task() -> int:
    """Queue again the order receipts still without their PDF or their
    e-mail (``receipts.order_receipts_render_pending``), each with a log
    line: a warning, an error once it has waited
    ``RECEIPT_ALERT_AFTER_SECONDS``. Nothing is queued while PDF tasks still
    wait in their queue (one of them may be this receipt)."""
    backlog = queued(settings.CELERY_PDF_QUEUE)
    if backlog:
        logger.info("%d PDF tasks still queued: order receipts sweep skipped", backlog)
        return 0
    now = timezone.now()
    alert_after = timedelta(seconds=settings.RECEIPT_ALERT_AFTER_SECONDS)
    due = receipts.order_receipts_render_pending(now=now)
    for pending in due:
        waited = now - pending.since
        logger.log(
            logging.ERROR if waited >= alert_after else logging.WARNING,
            "receipt of order %s: %s missing for %d min, queued again",
            pending.order_id,
            pending.missing,
            waited.total_seconds() // 60,
        )
        order_receipt_render_task.delay(pending.order_id)
    return len(due)
