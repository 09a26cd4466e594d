"""Security headers: every HTML page has a Content-Security-Policy whose nonce
is the one its inline scripts carry (a new one per request), Stripe's origins
where Stripe.js needs them, Permissions-Policy and Cross-Origin-Opener-Policy."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from core.middleware import content_security_policy, permissions_policy
from tests.campaigns.test_views import make_campaign, pledge
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (
            part.split() for part in policy.split(";") if part.strip()
        )
    }


def _nonce(response) -> str:
    (source,) = [
        s for s in _directives(response)["script-src"] if s.startswith("'nonce-")
    ]
    return source.removeprefix("'nonce-").removesuffix("'")


def _scripts(response) -> list[tuple[str, str]]:
    """(src, nonce) of each <script> tag of the page, "" where absent."""
    found = []
    for tag in SCRIPT_TAG.findall(response.content.decode()):
        src, nonce = (re.search(rf'{name}="([^"]*)"', tag) for name in ("src", "nonce"))
        found.append((src[1] if src else "", nonce[1] if nonce else ""))
    return found


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/accounts/login/",
        "/shop/catalogue/",  # Oscar's layout: jQuery and its start-up script
        "/shop/basket/",
        "/open-data/",
    ],
)
def test_every_script_of_a_page_carries_the_nonce_of_its_policy(client, url):
    response = client.get(url)

    assert response.status_code == 200
    nonce = _nonce(response)
    assert len(nonce) == 24
    for src, script_nonce in _scripts(response):
        # inline: the nonce; a file: ours (script-src 'self')
        assert script_nonce == nonce or src.startswith("/static/"), (src, script_nonce)


def test_the_shop_page_loads_jquery_from_us_and_its_start_up_with_the_nonce(client):
    response = client.get("/shop/catalogue/")

    nonce = _nonce(response)
    text = response.content.decode()
    assert "googleapis" not in text
    assert _scripts(response) == [
        ("/static/oscar/js/jquery/jquery.min.js", nonce),
        ("/static/oscar/js/bootstrap4/bootstrap.bundle.min.js", ""),
        ("/static/oscar/js/oscar/ui.js", ""),
        ("", nonce),  # $(function () { oscar.init(); })
    ]
    assert 'onclick="' not in text


def test_each_request_has_a_new_nonce(client):
    nonces = {_nonce(client.get("/accounts/login/")) for _ in range(3)}

    assert len(nonces) == 3


def test_the_pay_page_allows_the_configured_stripe_js_and_api(
    client, settings, stripe_emulator
):
    settings.STRIPE_JS_URL = f"{stripe_emulator}/js.stripe.com/v3/"
    campaign = make_campaign()
    backer = UserFactory()
    made = pledge(campaign, backer)
    client.force_login(backer)

    response = client.get(reverse("campaigns:pledge-pay", args=[made.pk]))

    assert response.status_code == 200
    directives = _directives(response)
    nonce = _nonce(response)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'", stripe_emulator]
    assert directives["connect-src"] == ["'self'", stripe_emulator]
    assert directives["frame-src"] == [stripe_emulator]
    assert _scripts(response) == [
        (f"{stripe_emulator}/js.stripe.com/v3/", nonce),
        ("", nonce),  # the card form
    ]


def test_the_whole_policy_with_the_real_stripe(settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    settings.CSP_REPORT_URI = ""

    assert content_security_policy("n0nce") == (
        "default-src 'self'; "
        "script-src 'self' 'nonce-n0nce' "
        "https://js.stripe.com https://*.js.stripe.com; "
        "style-src 'self'; "
        "style-src-attr 'unsafe-inline'; "
        "img-src 'self' data: https://*.stripe.com; "
        "font-src 'self'; "
        "connect-src 'self' https://api.stripe.com; "
        "frame-src "
        "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )
    assert permissions_policy() == (
        "camera=(), microphone=(), geolocation=(), usb=(), "
        'payment=(self "https://js.stripe.com")'
    )


def test_extra_sources_and_a_report_address_join_the_policy(settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    settings.CSP_EXTRA_CONNECT_SRC = ["https://errors.example.org"]
    settings.CSP_EXTRA_IMG_SRC = ["https://tiles.example.org"]
    settings.CSP_REPORT_URI = "/csp-report/"

    policy = content_security_policy("n")

    assert (
        "connect-src 'self' https://api.stripe.com https://errors.example.org;"
        in policy
    )
    assert (
        "img-src 'self' data: https://*.stripe.com https://tiles.example.org;" in policy
    )
    assert policy.endswith("; report-uri /csp-report/")


def test_every_page_has_the_other_headers(client):
    response = client.get("/accounts/login/")

    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == permissions_policy()
    assert "payment=(self " in response["Permissions-Policy"]


def test_a_data_file_has_no_page_policy_but_the_permissions_one(client):
    response = client.get("/open-data/processes.csv")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert response["Permissions-Policy"] == permissions_policy()


def test_our_templates_have_no_inline_handler_or_style_attribute():
    """Pages are served under the policy: no onclick=..., and no style=...
    (allowed, but ours use classes). PDF templates (documents/) are rendered
    by WeasyPrint, never served as pages."""
    roots = [Path(django_settings.BASE_DIR) / "templates"]
    offending = []
    for root in roots:
        for path in root.rglob("*.html"):
            if "documents" in path.relative_to(root).parts:
                continue
            text = path.read_text()
            for pattern in (
                r"\son[a-z]+\s*=\s*[\"']",
                r"\sstyle\s*=\s*[\"']",
                r"javascript:",
            ):
                if re.search(pattern, text):
                    offending.append(f"{path.relative_to(root)}: {pattern}")
            for tag in SCRIPT_TAG.findall(text):
                if (
                    "application/json" not in tag
                    and 'nonce="{{ csp_nonce }}"' not in tag
                ):
                    offending.append(f"{path.relative_to(root)}: {tag}")

    assert offending == []


def test_debugs_error_pages_stay_readable_and_the_rest_keeps_the_policy(
    client, settings
):
    settings.DEBUG = True

    missing = client.get("/communities/no-such-community/")
    page = client.get("/accounts/login/")

    assert missing.status_code == 404
    assert "Content-Security-Policy" not in missing
    assert "script-src 'self' 'nonce-" in page["Content-Security-Policy"]


def test_the_sites_own_error_pages_have_the_policy(client, settings):
    settings.DEBUG = False

    missing = client.get("/communities/no-such-community/")

    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in missing["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url", ["/shop/catalogue/", "/shop/basket/", "/shop/accounts/profile/edit/"]
)
def test_the_shop_pages_we_render_have_no_inline_handler(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    text = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"\son[a-z]+\s*=", text) is None
    assert "javascript:" not in text
