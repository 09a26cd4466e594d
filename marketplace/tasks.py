import logging

from celery import shared_task

from core.tasks import receipts_sweep

from . import receipts

logger = logging.getLogger(__name__)


@shared_task(name="marketplace.order_receipt_render", acks_late=True)
def order_receipt_render_task(order_id: int) -> int | None:
    receipt = receipts.order_receipt_render(order_id=order_id)
    return receipt.pk if receipt else None


@shared_task(name="marketplace.order_receipts_render_pending")
def order_receipts_render_pending_task() -> int:
    """Queue again the order receipts still without their PDF or their
    e-mail (``receipts.order_receipts_render_pending``), each logged; nothing
    while PDF tasks still wait in their queue. See
    ``core.tasks.receipts_sweep``."""
    return receipts_sweep(
        logger=logger,
        sweep="order receipts sweep",
        find=receipts.order_receipts_render_pending,
        label=lambda p: f"receipt of order {p.order_id}",
        requeue=lambda p: order_receipt_render_task.delay(p.order_id),
    )
