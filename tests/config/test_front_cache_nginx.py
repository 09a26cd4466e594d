"""nginx with the deployment's own cache directives (deploy/nginx/civic-cache.conf
and civic-proxy.conf) in front of the site: what anonymous visitors get from
the cache, and what is never kept."""

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client
from django.urls import reverse

from bin.nginx_front import nginx_binary, nginx_front
from campaigns import page_cache
from campaigns.models import Campaign
from tests.campaigns.conftest import live_campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def front(live_server, tmp_path, settings):
    """nginx on a free port in front of the live server; yields its base URL."""
    if not Path(nginx_binary()).exists():
        pytest.fail("nginx is missing: run `make system-deps`")
    settings.FRONT_CACHE_SECONDS = 1
    upstream = live_server.url.removeprefix("http://")
    with nginx_front(upstream, _free_port(), tmp_path) as base:
        yield base


def _get(url, cookie="", accept_language=""):
    headers = {"Cookie": cookie} if cookie else {}
    if accept_language:
        headers["Accept-Language"] = accept_language
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def campaign():
    return live_campaign(title="Orto in cortile")


def test_anonymous_visitors_get_the_kept_page(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])

    first = _get(url)
    second = _get(url)

    assert first[0] == second[0] == 200
    assert first[1]["X-Cache"] == "MISS"
    assert second[1]["X-Cache"] == "HIT"
    assert second[2] == first[2] and "Orto in cortile" in second[2]
    # Each answer names its own request, also the one from the cache.
    assert first[1]["X-Request-ID"] != second[1]["X-Request-ID"]


def test_a_change_shows_once_the_kept_page_expires(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    _get(url)
    assert _get(url)[1]["X-Cache"] == "HIT"

    Campaign.objects.filter(pk=campaign.pk).update(title="Orto sul tetto")
    page_cache.campaign_changed(campaign.pk)  # no transaction open: at once
    kept = _get(url)
    deadline = time.monotonic() + settings.FRONT_CACHE_SECONDS + 5
    seen = []
    while time.monotonic() < deadline:
        status, headers, body = _get(url)
        seen.append(headers["X-Cache"])
        if "Orto sul tetto" in body:
            break
        time.sleep(0.2)

    assert "Orto in cortile" in kept[2]  # within the second: the kept copy
    assert "Orto sul tetto" in body, seen


def test_a_logged_in_visitor_is_never_served_a_kept_page(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    _get(url)
    assert _get(url)[1]["X-Cache"] == "HIT"
    client = Client()
    client.force_login(UserFactory(email="lucia@example.org"))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    status, headers, body = _get(url, f"{settings.SESSION_COOKIE_NAME}={session}")
    after = _get(url)

    assert status == 200 and headers["X-Cache"] == "BYPASS"
    assert "lucia@example.org" in body or "Log out" in body or "Esci" in body
    assert "private" in headers["Cache-Control"]
    # What was made for her was not kept for the others.
    assert after[1]["X-Cache"] == "HIT"
    assert "lucia@example.org" not in after[2]


def test_a_flash_message_waiting_bypasses_the_cache(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    _get(url)

    status, headers, _ = _get(url, f"{CookieStorage.cookie_name}=x")

    assert headers["X-Cache"] == "BYPASS"


def test_each_language_gets_its_own_copy(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    italian = _get(url)
    english = _get(url, f"{settings.LANGUAGE_COOKIE_NAME}=en")
    english_again = _get(url, f"{settings.LANGUAGE_COOKIE_NAME}=en")
    italian_again = _get(url)

    assert '<html lang="it">' in italian[2] and '<html lang="en">' in english[2]
    assert english_again[1]["X-Cache"] == "HIT"
    assert '<html lang="en">' in english_again[2]
    assert '<html lang="it">' in italian_again[2]
    assert italian_again[1]["X-Cache"] == "HIT"


def test_a_visitor_with_another_cookie_shares_the_kept_page(front, campaign):
    """The CSRF cookie of a form seen earlier (or any cookie but the session,
    messages and language ones) does not make the page the visitor's own."""
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    first = _get(url)

    status, headers, body = _get(
        url, f"{settings.CSRF_COOKIE_NAME}={'b' * 32}; _pk_id=1"
    )

    assert first[1]["X-Cache"] == "MISS"
    assert status == 200 and headers["X-Cache"] == "HIT"
    assert body == first[2]


def test_the_browser_language_gets_its_own_copy(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    italian = _get(url)
    english = _get(url, accept_language="en-GB,en;q=0.9")
    english_again = _get(url, accept_language="en-GB,en;q=0.9")
    italian_again = _get(url)

    assert '<html lang="it">' in italian[2]
    assert english[1]["X-Cache"] == "MISS" and '<html lang="en">' in english[2]
    assert english_again[1]["X-Cache"] == "HIT"
    assert '<html lang="en">' in english_again[2]
    assert italian_again[1]["X-Cache"] == "HIT"
    assert '<html lang="it">' in italian_again[2]


def test_pages_not_marked_public_are_never_kept(front, campaign):
    for path in (
        reverse("campaigns:detail", args=["no-such-campaign"]),  # a 404
        reverse("accounts:login"),  # a form with its CSRF cookie
        reverse("campaigns:pledge-create", args=[campaign.slug]),
    ):
        answers = [_get(front + path) for _ in range(2)]

        assert [a[1]["X-Cache"] for a in answers] == ["MISS", "MISS"], path
