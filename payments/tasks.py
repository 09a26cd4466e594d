from celery import shared_task

from . import services, webhooks


@shared_task(name="payments.stripe_event_process", acks_late=True)
def stripe_event_process_task(event_pk: int) -> None:
    webhooks.stripe_event_process(event_pk)


@shared_task(name="payments.reconcile")
def stripe_reconcile_task() -> int:
    return webhooks.stripe_reconcile()


@shared_task(name="payments.give_up_action_required")
def action_required_give_up_task() -> int:
    return services.action_required_give_up()


@shared_task(name="payments.remind_action_required")
def action_required_remind_task() -> int:
    return services.action_required_remind()
