import logging

from celery import shared_task
from django.conf import settings

from core.tasks import receipts_sweep

from . import notifications, services

logger = logging.getLogger(__name__)


@shared_task(name="campaigns.receipt_render", acks_late=True)
def receipt_render_task(pledge_id: int, kind: str) -> int | None:
    receipt = services.receipt_render(pledge_id=pledge_id, kind=kind)
    return receipt.pk if receipt else None


@shared_task(name="campaigns.receipts_render_pending")
def receipts_render_pending_task() -> int:
    """Queue again the receipts due and still without their PDF or their
    e-mail (``services.receipts_render_pending``), each logged; nothing
    while PDF tasks still wait in their queue (a big close queues a receipt
    per pledge). See ``core.tasks.receipts_sweep``."""
    return receipts_sweep(
        logger=logger,
        sweep="receipts sweep",
        find=services.receipts_render_pending,
        label=lambda p: f"{p.kind} receipt of pledge {p.pledge_id}",
        requeue=lambda p: receipt_render_task.delay(p.pledge_id, p.kind),
    )


@shared_task(name="campaigns.pledge_notify")
def pledge_notify_task(pledge_id: int, what: str) -> None:
    notifications.pledge_notify(pledge_id=pledge_id, what=what)


@shared_task(name="campaigns.close", acks_late=True, bind=True)
def campaign_close_task(self, campaign_id: int, helpers: int | None = None) -> str:
    """Close a campaign; first queue ``helpers`` more closes of it (by default
    ``CAMPAIGN_CLOSE_PROCESSES - 1``), on this task's queue, so that other
    worker processes charge its cards alongside: each close leases its own
    batches, and the threads of one process share one core."""
    from .models import Campaign

    if helpers is None:
        helpers = settings.CAMPAIGN_CLOSE_PROCESSES - 1
    if not self.request.is_eager:
        queue = (self.request.delivery_info or {}).get("routing_key")
        for _ in range(helpers):
            self.apply_async((campaign_id,), {"helpers": 0}, queue=queue)
    campaign = services.campaign_close(campaign=Campaign.objects.get(pk=campaign_id))
    return campaign.status


@shared_task(name="campaigns.close_due")
def campaigns_close_due_task() -> int:
    due = services.campaigns_close_due()
    for campaign_id in due:
        campaign_close_task.delay(campaign_id)
    return len(due)


@shared_task(name="campaigns.expire_stale_pledges")
def pledges_expire_stale_task() -> int:
    return services.pledges_expire_stale()
