import pytest
from django.db import connection

from core.tasks import health_ping_task


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_a_real_worker_and_redis(celery_worker):
    result = health_ping_task.apply_async(queue=celery_worker)

    reply = result.get(timeout=60)

    assert reply == {
        "pong": True,
        "vendor": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
    }
    # It came back through the broker and result backend, not in-process.
    assert result.state == "SUCCESS"
    assert not result.__class__.__name__.startswith("Eager")


def test_tasks_run_in_process_when_no_worker_is_involved(db):
    result = health_ping_task.delay()

    assert result.__class__.__name__ == "EagerResult"
    assert result.get()["pong"] is True


def test_every_scheduled_task_is_a_registered_task(settings):
    """A name in the beat schedule that no task has would be sent every few
    minutes and fail in the worker, unnoticed."""
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "marketplace.order_receipts_render_pending" in scheduled
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
