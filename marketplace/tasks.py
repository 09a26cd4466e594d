from celery import shared_task

from . import receipts


@shared_task(name="marketplace.order_receipt_render", acks_late=True)
def order_receipt_render_task(order_id: int) -> int | None:
    receipt = receipts.order_receipt_render(order_id=order_id)
    return receipt.pk if receipt else None
