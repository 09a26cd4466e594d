"""Health endpoints for load balancers, supervisors and operators.

- ``/health/live/``: the process answers (no dependency is touched). A
  supervisor restarts the web process when this fails.
- ``/health/``: the database, the cache, the broker and a Celery worker all
  answer. 200 with ``"status": "ok"`` when every check passes, 503 otherwise;
  the body says which check failed and how long each took. A load balancer
  takes the machine out of rotation on 503.

Both are answered by ``HealthCheckMiddleware``, first in the stack: before
the host check (probes often come with the machine's IP as ``Host``), the
HTTPS redirect (probes come over plain HTTP from inside), sessions and the
language middleware. Nothing personal or secret is in the answer: check names,
"ok"/"error" with the exception's class, and timings.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger("core.health")

LIVE_PATH = "/health/live/"
READY_PATH = "/health/"
WORKER_CACHE_KEY = "health:worker-seen"


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    """Write and read back one key: the cache holds rate limits and page bodies."""
    key = "health:probe"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    return "ok"


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not used (tasks run in-process)"
    from config.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_TIMEOUT_SECONDS)
    return "ok"


def check_worker() -> str:
    """At least one worker answers a control ping. A worker busy with a long
    task still answers (pings are handled beside the pool). A positive answer
    is remembered for ``HEALTH_WORKER_CACHE_SECONDS`` so that frequent probes
    do not broadcast a ping each."""
    if not settings.CELERY_BROKER_URL:
        return "not used (tasks run in-process)"
    if cache.get(WORKER_CACHE_KEY):
        return "ok"
    from config.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        replies = app.control.ping(
            timeout=settings.HEALTH_TIMEOUT_SECONDS, connection=conn
        )
    if not replies:
        raise RuntimeError("no worker answered")
    cache.set(WORKER_CACHE_KEY, len(replies), settings.HEALTH_WORKER_CACHE_SECONDS)
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
}


def health_report() -> tuple[bool, dict]:
    """Run every check; never raises. Returns (all passed, per-check detail)."""
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            outcome = {"status": "ok", "detail": check()}
        except Exception as error:  # noqa: BLE001 (a probe reports, never raises)
            healthy = False
            outcome = {"status": "error", "detail": type(error).__name__}
            logger.warning("health check %s failed: %r", name, error)
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = outcome
    return healthy, results


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in (LIVE_PATH, READY_PATH):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == LIVE_PATH:
            response = JsonResponse({"status": "ok"})
        else:
            healthy, checks = health_report()
            response = JsonResponse(
                {"status": "ok" if healthy else "error", "checks": checks},
                status=200 if healthy else 503,
            )
        response["Cache-Control"] = "no-store"
        return response
