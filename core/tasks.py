import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone


@shared_task(name="core.health_ping")
def health_ping_task() -> dict:
    """Prove a worker is alive and reaches the database; safe to run any time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "pong": one == 1,
        "vendor": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
    }


def queued(queue: str) -> int:
    """Messages waiting in ``queue`` (none when tasks run in-process)."""
    from config.celery import app

    if app.conf.task_always_eager:
        return 0
    with app.connection_for_read() as conn:
        try:
            declared = conn.default_channel.queue_declare(queue=queue, passive=True)
        except conn.channel_errors:  # never declared (nothing sent to it yet)
            return 0
    return declared.message_count


def receipts_sweep(
    *,
    logger: logging.Logger,
    sweep: str,
    find: Callable[..., Sequence],
    label: Callable[[object], str],
    requeue: Callable[[object], None],
) -> int:
    """What the receipts sweeps share: nothing while PDF tasks still wait in
    their queue (one of them may be a receipt found missing: queueing it
    again would render it twice); else each receipt ``find(now=...)`` lists
    (items with ``since`` and ``missing``) is logged, as a warning or, once
    it has waited ``RECEIPT_ALERT_AFTER_SECONDS``, as an error (someone has
    to look at a render or a mail server that keeps failing), and queued
    again with ``requeue``. Returns how many were queued."""
    backlog = queued(settings.CELERY_PDF_QUEUE)
    if backlog:
        logger.info("%d PDF tasks still queued: %s skipped", backlog, sweep)
        return 0
    now = timezone.now()
    alert_after = timedelta(seconds=settings.RECEIPT_ALERT_AFTER_SECONDS)
    due = find(now=now)
    for pending in due:
        waited = now - pending.since
        logger.log(
            logging.ERROR if waited >= alert_after else logging.WARNING,
            "%s: %s missing for %d min, queued again",
            label(pending),
            pending.missing,
            waited.total_seconds() // 60,
        )
        requeue(pending)
    return len(due)
