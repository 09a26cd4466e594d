"""The health endpoints: what a load balancer and a supervisor read."""

import json

import pytest
from django.core.cache import cache

from core.health import WORKER_CACHE_KEY

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _forget_workers_seen():
    cache.delete(WORKER_CACHE_KEY)
    yield
    cache.delete(WORKER_CACHE_KEY)


def test_live_answers_whatever_the_host_and_without_redirecting(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/health/live/", HTTP_HOST="10.0.0.5")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_ready_in_development_checks_database_and_cache(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/", HTTP_HOST="10.0.0.5")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "worker": "ok",
    }
    assert body["checks"]["worker"]["detail"] == "not used (tasks run in-process)"
    assert all(check["ms"] >= 0 for check in body["checks"].values())


@pytest.mark.django_db
def test_ready_is_503_and_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.HEALTH_TIMEOUT_SECONDS = 0.5

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["worker"]["status"] == "error"
    # Only the exception's class: no address, no credentials.
    assert "127.0.0.1" not in json.dumps(body)


def test_health_refuses_writes(client):
    assert client.post("/health/").status_code == 405
    assert client.post("/health/live/").status_code == 405


@pytest.mark.django_db
@pytest.mark.celery_worker
def test_ready_sees_a_running_worker_and_503_without_one(
    client, settings, celery_worker
):
    settings.HEALTH_TIMEOUT_SECONDS = 2
    seen = None
    for _ in range(10):  # the worker needs a moment to start consuming
        response = client.get("/health/")
        seen = response.json()["checks"]["worker"]
        if seen["status"] == "ok":
            break
    assert response.status_code == 200, seen
    assert cache.get(WORKER_CACHE_KEY) >= 1


@pytest.mark.django_db
@pytest.mark.celery_worker
def test_ready_is_503_when_no_worker_answers(client, settings):
    settings.HEALTH_TIMEOUT_SECONDS = 0.5

    response = client.get("/health/")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "ok"
    assert checks["worker"] == {
        "status": "error",
        "detail": "RuntimeError",
        "ms": checks["worker"]["ms"],
    }
