from celery import shared_task

from . import notifications, services


@shared_task(name="campaigns.receipt_render", acks_late=True)
def receipt_render_task(pledge_id: int, kind: str) -> int | None:
    receipt = services.receipt_render(pledge_id=pledge_id, kind=kind)
    return receipt.pk if receipt else None


@shared_task(name="campaigns.pledge_notify")
def pledge_notify_task(pledge_id: int, what: str) -> None:
    notifications.pledge_notify(pledge_id=pledge_id, what=what)


@shared_task(name="campaigns.close", acks_late=True)
def campaign_close_task(campaign_id: int) -> str:
    from .models import Campaign

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
