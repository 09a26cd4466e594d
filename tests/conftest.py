"""Test harness shared by every app's tests.

- ``localstripe``: the Stripe emulator on a free loopback port, for the session;
  ``stripe_emulator`` points the settings at it and empties it for one test.
- Playwright launches Debian's Chromium headless (``page`` fixture of
  pytest-playwright) against pytest-django's ``live_server``.
- ``@pytest.mark.postgres`` tests need PostgreSQL and are skipped on SQLite;
  ``@pytest.mark.celery_worker`` tests need CELERY_BROKER_URL. CI sets both.
- Celery runs eagerly in tests, except inside the ``celery_worker`` fixture.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
STRIPE_PYTHON = ROOT / ".venv-stripe" / "bin" / "python"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _database_is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# --- markers and reporting ---------------------------------------------------

_MARKED: dict[str, str] = {}
_OUTCOMES: dict[str, str] = {}


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL or "none (tasks run eagerly)"
    return [
        f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME')}",
        f"celery broker: {broker}",
    ]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            _MARKED[item.nodeid] = "PostgreSQL"
            if not _database_is_postgres():
                item.add_marker(
                    pytest.mark.skip(
                        reason="needs PostgreSQL: set DATABASE_URL (CI does)"
                    )
                )
        if item.get_closest_marker("celery_worker"):
            _MARKED[item.nodeid] = "Celery worker"
            if not settings.CELERY_BROKER_URL:
                item.add_marker(
                    pytest.mark.skip(reason="needs CELERY_BROKER_URL (CI sets Redis)")
                )


def pytest_runtest_logreport(report):
    if report.nodeid in _MARKED and (
        report.when == "call" or report.outcome != "passed"
    ):
        _OUTCOMES.setdefault(report.nodeid, report.outcome)
        if report.outcome != "passed":
            _OUTCOMES[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter):
    if not _MARKED:
        return
    terminalreporter.section("tests on real services")
    for nodeid, kind in sorted(_MARKED.items(), key=lambda pair: (pair[1], pair[0])):
        outcome = _OUTCOMES.get(nodeid, "not run")
        terminalreporter.write_line(f"{kind:<14} {outcome:<8} {nodeid}")


@pytest.fixture(autouse=True)
def _eager_results_can_be_read():
    """Celery keeps "a task is running here, do not wait on results" in one
    process-wide flag that each eager task sets and restores; eager tasks run
    at once by several threads (the concurrency tests, a live server) can
    restore it in the wrong order and leave it set, which then refuses every
    later ``result.get()``. Each test starts with it clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def search_index(tmp_path, settings):
    """A search index of each test's own. Oscar's catalogue lists what the
    Whoosh index holds, and the configured one (var/whoosh_index) is the
    developer's. Each thread builds its search engine from the settings (a
    live server's request threads too); this thread's cached one is rebuilt."""
    from haystack import connections

    settings.HAYSTACK_CONNECTIONS = {
        alias: {**options, "PATH": str(tmp_path / f"whoosh-{alias}")}
        for alias, options in settings.HAYSTACK_CONNECTIONS.items()
    }
    for alias in settings.HAYSTACK_CONNECTIONS:
        connections.reload(alias)
    yield
    for alias in settings.HAYSTACK_CONNECTIONS:
        connections.thread_local.connections.pop(alias, None)


@pytest.fixture(autouse=True)
def _rate_limits_start_at_zero():
    """Rate limits stay on in tests; each test starts with no request counted
    (the counters live in the cache, local memory unless REDIS_URL is set)."""
    from django.core.cache import caches

    caches[settings.RATE_LIMIT_CACHE].clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. The locale middleware
    activates a request's language for the thread and leaves it active, so
    without this a test client request in English would make the next test's
    messages English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production, not for hundreds of test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Django's own flush for PostgreSQL, kept for a flush that resets sequences.
TRUNCATE_FLUSH = DatabaseOperations.sql_flush


def _flush_by_delete(
    self, style, tables, *, reset_sequences=False, allow_cascade=False
):
    """Empty the tables after a transactional test with DELETE, not TRUNCATE.

    TRUNCATE gives each of the ~150 tables and their indexes new files, which
    PostgreSQL creates and syncs at commit: 0.4-3 s a flush on this machine,
    against 0.03 s for DELETE on tables holding a test's few rows. Every
    foreign key Django makes is deferred to the commit, so the order does not
    matter; the ledger's deferred balance trigger sees whole transactions go.
    """
    if reset_sequences:
        return TRUNCATE_FLUSH(
            self, style, tables, reset_sequences=True, allow_cascade=allow_cascade
        )
    # Table names come from the models, quoted.
    return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The suite builds tables without migrations; add what only a migration makes.

    On PostgreSQL that is the deferred trigger refusing unbalanced ledger
    transactions at commit. There the flush after a transactional test deletes
    rows instead of truncating tables (``_flush_by_delete``).
    """
    import importlib

    trigger = importlib.import_module(
        "payments.migrations.0002_ledger_balanced_trigger"
    )
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(trigger.DROP_SQL)
                cursor.execute(trigger.BALANCED_SQL)
            DatabaseOperations.sql_flush = _flush_by_delete


# --- Celery ------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _celery_eager():
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker():
    """A real ``celery worker`` process on a private queue, on the test database.

    Yields the queue name; tasks sent there with ``apply_async(queue=...)`` run
    in the worker and come back through the result backend.
    """
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    if _database_is_postgres():
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{db['NAME']}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        app.conf.task_always_eager = True
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- Stripe emulator ---------------------------------------------------------


@pytest.fixture(scope="session")
def localstripe():
    """Start localstripe on a free loopback port for the test session."""
    if not STRIPE_PYTHON.exists():
        pytest.fail("localstripe's virtual environment is missing: run `make setup`")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(STRIPE_PYTHON),
            str(ROOT / "bin" / "localstripe_loopback.py"),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def stripe_emulator(localstripe, settings):
    """Point the Stripe settings at the emulator, emptied for this test."""
    request = urllib.request.Request(f"{localstripe}/_config/data", method="DELETE")  # noqa: S310 - our loopback emulator
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_SECRET_KEY = "sk_test_pytest"
    return localstripe


# --- Browser -----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (as root)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "it-IT",
        "viewport": {"width": 1200, "height": 900},
    }


@pytest.fixture
def front(live_server, tmp_path, settings):
    """nginx on a free port in front of the live server, with the deployment's
    own directives (bin/nginx_front.py); yields its base URL."""
    from bin.nginx_front import nginx_binary, nginx_front

    if not Path(nginx_binary()).exists():
        pytest.fail("nginx is missing: run `make system-deps`")
    settings.FRONT_CACHE_SECONDS = 1
    upstream = live_server.url.removeprefix("http://")
    with nginx_front(upstream, _free_port(), tmp_path) as base:
        yield base
