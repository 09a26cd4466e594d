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
