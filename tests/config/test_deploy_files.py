"""The deployment files agree with the settings they serve."""

import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage

from bin.nginx_front import INCLUDED
from config.celery import app

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def _exec_start(unit: str) -> str:
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=(.+?)(?<!\\)$", text, re.M | re.S).group(1)
    return re.sub(r"\\\n\s*", " ", command)


def _queues(command: str) -> set[str]:
    return set(re.search(r"--queues (\S+)", command).group(1).split(","))


def test_receipts_go_to_the_pdf_queue_and_the_rest_to_default():
    router = app.amqp.router

    assert router.route({}, "campaigns.receipt_render")["queue"].name == "pdf"
    assert router.route({}, "marketplace.order_receipt_render")["queue"].name == "pdf"
    assert router.route({}, "payments.stripe_event_process")["queue"].name == (
        "default"
    )
    assert router.route({}, "campaigns.close")["queue"].name == "default"


def test_every_queue_a_task_can_be_routed_to_has_a_worker_unit():
    consumed = set()
    for unit in ("civic-worker.service", "civic-worker-pdf.service"):
        consumed |= _queues(_exec_start(unit))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}

    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed


def test_the_pdf_worker_recycles_its_processes():
    command = _exec_start("civic-worker-pdf.service")

    assert _queues(command) == {settings.CELERY_PDF_QUEUE}
    assert re.search(r"--max-tasks-per-child \d+", command)


def test_the_units_start_the_commands_this_code_has():
    web = _exec_start("civic-web.service")
    assert "gunicorn -c deploy/gunicorn.conf.py config.wsgi" in web
    assert (Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py").is_file()
    assert "celery -A config beat" in _exec_start("civic-beat.service")
    search = _exec_start("civic-search-index.service")
    assert "manage.py update_index" in search


def test_nginx_serves_only_the_public_media_folders():
    conf = (DEPLOY / "nginx" / "civic.conf").read_text()
    served = set(re.findall(r"location =? ?/media/([\w/.-]+) \{ alias", conf))

    assert served == set(settings.PUBLIC_MEDIA_PREFIXES)
    assert "location /media/ { return 404; }" in conf


def test_the_install_script_is_valid_bash():
    result = subprocess.run(
        ["bash", "-n", str(DEPLOY / "install.sh")], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def _gunicorn_settings(monkeypatch, **environment) -> dict:
    import runpy

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_runs_two_processes_per_core_unless_told(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 3)

    # .env.example ships WEB_CONCURRENCY empty: that means the default.
    assert _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="")["workers"] == 6
    told = _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="5", GUNICORN_THREADS="2")
    assert (told["workers"], told["threads"]) == (5, 2)


def test_every_variable_the_settings_read_is_in_env_example():
    base = Path(settings.BASE_DIR)
    read = set()
    for source in (base / "config" / "settings.py", DEPLOY / "gunicorn.conf.py"):
        read |= set(
            re.findall(
                r'(?:os\.environ\.get|env_bool|env_list|env_required)\(\s*"([A-Z0-9_]+)"',
                source.read_text(),
            )
        )
    listed = set(
        re.findall(r"^([A-Z0-9_]+)=", (base / ".env.example").read_text(), re.M)
    )

    assert len(read) > 30
    assert read - listed == set()


def test_nginx_keeps_pages_by_the_cookies_the_settings_name():
    nginx = DEPLOY / "nginx"
    cache = (nginx / "civic-cache.conf").read_text()
    proxy = (nginx / "civic-proxy.conf").read_text()
    shared = (nginx / "civic-shared.conf").read_text()
    fragments = (nginx / "civic-fragments.conf").read_text()
    bypass = re.search(r'"~\(\^\|;\)\\s\*\((.+?)\)="', cache).group(1).split("|")
    own_page = re.search(r'map "(\S+)" \$civic_own_page', cache).group(1)

    assert set(bypass) == {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name}
    assert own_page == "|".join(
        f"$cookie_{name}"
        for name in (
            CookieStorage.cookie_name,
            settings.SESSION_COOKIE_NAME,
            settings.CSRF_COOKIE_NAME,
        )
    )
    for conf in (proxy, shared, fragments):
        assert f"$cookie_{settings.LANGUAGE_COOKIE_NAME}" in conf
    assert f"$cookie_{settings.SESSION_COOKIE_NAME}|" in fragments
    directives = re.sub(r"#.*", "", cache + proxy + shared)
    assert "proxy_cache_valid" not in directives  # only what Django marks


def test_the_site_config_includes_the_files_install_sh_installs():
    nginx = DEPLOY / "nginx"
    install = (DEPLOY / "install.sh").read_text()
    included = set()
    for conf in nginx.glob("*.conf"):
        included |= set(
            re.findall(r"include /etc/nginx/civic/(\S+);", conf.read_text())
        )

    # What the tests' and benchmarks' nginx copies is what the site runs.
    assert included == set(INCLUDED)
    for name in included:
        assert (nginx / name).exists(), name
        assert f"deploy/nginx/{name}" in install, name
