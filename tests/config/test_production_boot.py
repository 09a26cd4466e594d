"""gunicorn with deploy/gunicorn.conf.py, in production mode, as an operator
starts it: it answers the probes, redirects plain HTTP, sends the security
headers and writes JSON access-log lines joined to the request id."""

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.config.test_settings import CLEAN, PRODUCTION_ENV

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url, headers=None):
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    port = _free_port()
    log = var / "gunicorn.log"
    env = {
        **CLEAN,
        **PRODUCTION_ENV,
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # down: the probe says so
        "HEALTH_TIMEOUT_SECONDS": "0.3",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "config.wsgi",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):  # not listening yet
                if _get(f"{base}/health/live/")[0] == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_liveness_probe_answers_over_plain_http_with_any_host(gunicorn):
    base, _ = gunicorn

    status, headers, body = _get(f"{base}/health/live/", {"Host": "10.1.2.3"})

    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_the_readiness_probe_names_what_is_down(gunicorn):
    base, _ = gunicorn

    status, _, body = _get(f"{base}/health/")

    assert status == 503
    checks = json.loads(body)["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "ok"
    assert checks["broker"]["status"] == "error"


def test_plain_http_is_sent_to_https(gunicorn):
    base, _ = gunicorn

    status, headers, _ = _get(f"{base}/campaigns/", {"Host": "civica.example.org"})

    assert status == 301
    assert headers["Location"] == "https://civica.example.org/campaigns/"


def test_an_unknown_host_is_refused(gunicorn):
    base, _ = gunicorn

    status, _, _ = _get(
        f"{base}/campaigns/",
        {"Host": "evil.example.com", "X-Forwarded-Proto": "https"},
    )

    assert status == 400


def test_https_answers_carry_the_security_headers(gunicorn):
    base, _ = gunicorn

    status, headers, _ = _get(
        f"{base}/health/live/",
        {"Host": "civica.example.org", "X-Forwarded-Proto": "https"},
    )
    assert status == 200
    # The probes answer before Django's security middleware; everything
    # else passes through it (here a 405, which touches no table).
    status, headers, _ = _get(
        f"{base}/payments/webhooks/stripe/",
        {"Host": "civica.example.org", "X-Forwarded-Proto": "https"},
    )
    assert status == 405
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert len(headers["X-Request-ID"]) == 32


def test_the_access_log_is_json_with_the_request_id(gunicorn):
    base, log = gunicorn
    _get(f"{base}/health/live/", {"X-Request-ID": "probe-0123456789"})

    time.sleep(0.5)
    lines = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"gunicorn.access"' in line
    ]

    mine = [line for line in lines if line["request_id"] == "probe-0123456789"]
    assert mine, lines[-3:]
    assert mine[0]["path"] == "/health/live/"
    assert mine[0]["status"] == "200"
    assert mine[0]["method"] == "GET"
