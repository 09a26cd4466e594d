from celery import shared_task
from django.db import connection


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
