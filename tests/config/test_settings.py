"""The production profile refuses to start without its secrets and passes
``check --deploy``; the development profile needs nothing."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#kq2!vR9pLm4@wZ8sT1&nB6yH3cJ5fD0gA-eU_iO+lK*qP%rW",
    "ALLOWED_HOSTS": "civica.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_placeholder",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
}
CLEAN = {
    key: value
    for key, value in os.environ.items()
    if key not in PRODUCTION_ENV and not key.startswith(("STRIPE_", "DJANGO_"))
}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_check_deploy_without_a_warning():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**CLEAN, **PRODUCTION_ENV}
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "CELERY_BROKER_URL",
    ],
)
def test_production_mode_refuses_to_start_without(missing):
    env = {**CLEAN, **PRODUCTION_ENV}
    del env[missing]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_development_mode_needs_no_variable_at_all():
    result = _manage("check", env=CLEAN)

    assert result.returncode == 0, result.stderr


def test_production_mode_allows_the_real_stripe_js_in_its_headers():
    code = (
        "from core.middleware import content_security_policy, permissions_policy; "
        "from django.conf import settings as s; "
        "print(content_security_policy('N')); print(permissions_policy()); "
        "print(s.SECURE_CROSS_ORIGIN_OPENER_POLICY, s.RATE_LIMIT_ENABLED, "
        "s.RATE_LIMIT_TRUSTED_PROXIES)"
    )
    result = _manage(
        "shell", "--no-imports", "-c", code, env={**CLEAN, **PRODUCTION_ENV}
    )

    assert result.returncode == 0, result.stderr
    policy, permissions, others = result.stdout.splitlines()
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == (
        "'self' 'nonce-N' https://js.stripe.com https://*.js.stripe.com"
    )
    assert directives["connect-src"] == "'self' https://api.stripe.com"
    assert directives["frame-src"] == (
        "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
    )
    assert directives["frame-ancestors"] == "'none'"
    assert "127.0.0.1" not in policy
    assert permissions.endswith('payment=(self "https://js.stripe.com")')
    assert others == "same-origin True 0"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("login=ten/m", "Bad rate 'ten/m'"),
        ("login=10/w", "Bad rate '10/w'"),
        ("logn=10/m", "names no scope"),
    ],
)
def test_a_rate_limit_written_wrongly_stops_the_start(value, message):
    result = _manage("check", env={**CLEAN, "RATE_LIMITS": value})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_rate_limit_from_the_environment_is_taken():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.RATE_LIMITS['login'])",
        env={**CLEAN, "RATE_LIMITS": "login=5/10m"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("5/10m")
