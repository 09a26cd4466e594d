"""nginx with the deployment's own locations and cache directives
(deploy/nginx/civic-*.conf) in front of the site: what visitors get from the
cache, what nginx fills in for each of them, and what is never kept."""

import re
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse

from campaigns import page_cache
from campaigns.models import Campaign
from participation.models import Role
from tests.campaigns.conftest import live_campaign, winning_project
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _get(url, cookie="", accept_language="", data=None):
    headers = {"Cookie": cookie} if cookie else {}
    if accept_language:
        headers["Accept-Language"] = accept_language
    request = urllib.request.Request(url, headers=headers, data=data)  # noqa: S310
    try:
        with _opener.open(request, timeout=10) as response:
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


def _cookie_of(user, *, csrf=True) -> str:
    """The cookies of ``user`` logged in, as a browser sends them."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    if csrf:
        request = RequestFactory().get("/")
        get_token(request)
        cookie += f"; {settings.CSRF_COOKIE_NAME}={request.META['CSRF_COOKIE']}"
    return cookie


def _logout_token(body: str) -> str:
    form = re.search(r'action="/accounts/logout/">(.*?)</form>', body, re.S).group(1)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def test_members_get_the_kept_page_each_with_her_own_menu(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    lucia = _cookie_of(UserFactory(display_name="Lucia Bianchi"))
    marco = _cookie_of(UserFactory(display_name="Marco Neri"))

    anonymous = _get(url)
    for_lucia = _get(url, lucia)
    for_marco = _get(url, marco)
    anonymous_again = _get(url)

    assert anonymous[1]["X-Cache"] == "MISS"
    assert [a[1]["X-Cache"] for a in (for_lucia, for_marco, anonymous_again)] == [
        "HIT",
        "HIT",
        "HIT",
    ]
    assert "Lucia Bianchi" in for_lucia[2] and "Marco Neri" not in for_lucia[2]
    assert "Marco Neri" in for_marco[2] and "Lucia Bianchi" not in for_marco[2]
    assert reverse("campaigns:my-pledges") in for_lucia[2]
    assert reverse("accounts:login") not in for_lucia[2]
    for page in (anonymous, anonymous_again):
        assert reverse("accounts:login") in page[2]
        assert "Lucia Bianchi" not in page[2] and "Marco Neri" not in page[2]
        assert reverse("campaigns:my-pledges") not in page[2]
    for page in (anonymous, for_lucia, for_marco, anonymous_again):
        assert "Orto in cortile" in page[2]
        assert "<!--#" not in page[2]  # every include filled in
        # Filled in for one visitor: no cache after nginx may keep it.
        assert page[1]["Cache-Control"] == "private, max-age=0"


def test_a_members_visit_fills_the_copy_for_everybody(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    lucia = _cookie_of(UserFactory(display_name="Lucia Bianchi"))

    first = _get(url, lucia)
    anonymous = _get(url)

    assert first[1]["X-Cache"] == "MISS" and "Lucia Bianchi" in first[2]
    assert anonymous[1]["X-Cache"] == "HIT"
    assert "Lucia Bianchi" not in anonymous[2]
    assert reverse("accounts:login") in anonymous[2]


def test_a_member_logs_out_from_the_kept_page(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    cookie = _cookie_of(UserFactory(display_name="Lucia Bianchi"))
    _get(url)
    status, headers, body = _get(url, cookie)
    token = _logout_token(body)

    logged_out = _get(
        front + reverse("accounts:logout"),
        cookie,
        data=f"csrfmiddlewaretoken={token}".encode(),
    )

    assert headers["X-Cache"] == "HIT"
    assert logged_out[0] == 302
    assert not Session.objects.exists()


def test_a_facilitator_gets_her_link_on_the_kept_page(front, campaign):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    manage = reverse("campaigns:manage", args=[campaign.slug])
    facilitator = MembershipFactory(
        community=campaign.community, role=Role.FACILITATOR
    ).user
    _get(url)

    hers = _get(url, _cookie_of(facilitator))
    member = _get(url, _cookie_of(UserFactory()))

    assert hers[1]["X-Cache"] == member[1]["X-Cache"] == "HIT"
    assert f'href="{manage}"' in hers[2]
    assert manage not in member[2]


def test_a_members_menu_is_kept_for_her_session_alone(front, campaign, settings):
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    settings.FRONT_FRAGMENT_SECONDS = 30
    user = UserFactory(display_name="Lucia Bianchi")
    first_session = _cookie_of(user)
    _get(url, first_session)

    user.display_name = "Lucia Verdi"
    user.save()
    kept = _get(url, first_session)
    new_session = _get(url, _cookie_of(user))

    assert "Lucia Bianchi" in kept[2]  # her menu, kept for that session
    assert "Lucia Verdi" in new_session[2]  # a new login: a new menu


def test_a_session_without_its_csrf_cookie_gets_its_own_page(front, campaign):
    """The menu's log-out form is made from the CSRF cookie, which only an
    answer of the page itself can set."""
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    _get(url)
    cookie = _cookie_of(UserFactory(display_name="Lucia Bianchi"), csrf=False)

    status, headers, body = _get(url, cookie)

    assert status == 200 and headers["X-Cache"] == "BYPASS"
    assert "Lucia Bianchi" in body and _logout_token(body)
    assert f"{settings.CSRF_COOKIE_NAME}=" in headers["Set-Cookie"]


def test_a_private_communitys_campaign_is_its_members_own(front):
    community = CommunityFactory(is_public=False)
    campaign = live_campaign(project=winning_project(community=community))
    member = MembershipFactory(community=community).user
    url = front + reverse("campaigns:detail", args=[campaign.slug])

    answers = [_get(url, _cookie_of(member)) for _ in range(2)]
    anonymous = _get(url)

    assert [a[0] for a in answers] == [200, 200]
    assert [a[1]["X-Cache"] for a in answers] == ["MISS", "MISS"]
    assert campaign.title in answers[1][2] and str(member) in answers[1][2]
    assert anonymous[0] == 404


def test_a_backers_own_list_is_never_shared(front):
    url = front + reverse("campaigns:my-pledges")
    lucia = _cookie_of(UserFactory(display_name="Lucia Bianchi"))

    hers = _get(url, lucia)
    anonymous = _get(url)

    assert hers[0] == 200 and "Lucia Bianchi" in hers[2]
    assert anonymous[0] == 302


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
