"""Which answers a cache in front of Django may keep (core.front_cache)."""

import pytest
from django.urls import reverse

from tests.campaigns.conftest import live_campaign
from tests.factories import ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def campaign():
    return live_campaign()


def _pages(campaign):
    process = ProcessFactory(phase="vote")
    return [
        reverse("site-home"),
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[campaign.slug]),
        reverse("participation:results", args=[process.community.slug, process.slug]),
    ]


def test_public_pages_may_be_kept_for_anonymous_visitors(client, campaign, settings):
    settings.FRONT_CACHE_SECONDS = 3
    for url in _pages(campaign):
        response = client.get(url)

        assert response.status_code == 200, url
        assert _cache_control(response) == {"public", "max-age=0", "s-maxage=3"}, url
        assert not response.cookies, url
        assert "csrfmiddlewaretoken" not in response.content.decode(), url
        assert "Cookie" in response["Vary"], url


def test_a_logged_in_visitor_gets_a_private_page(client, campaign):
    client.force_login(UserFactory())
    for url in _pages(campaign):
        response = client.get(url)

        assert response.status_code == 200, url
        assert "private" in _cache_control(response), url
        assert "public" not in _cache_control(response), url


def test_a_visitor_with_a_message_waiting_gets_a_private_page(client, campaign):
    client.cookies["messages"] = "anything"

    response = client.get(reverse("campaigns:detail", args=[campaign.slug]))

    assert "private" in _cache_control(response)


def test_an_answer_that_sets_a_cookie_is_never_public(rf, settings):
    from django.http import HttpResponse

    from core.front_cache import FrontCacheMiddleware, front_cacheable

    def view(request):
        response = HttpResponse("hello")
        response.set_cookie("csrftoken", "x")
        return response

    middleware = FrontCacheMiddleware(front_cacheable(view))
    response = middleware(rf.get("/"))

    assert _cache_control(response) == {"private"}


def test_a_page_with_a_form_token_is_never_public(rf, settings):
    """Even for a visitor whose CSRF cookie is already there: the token in
    the page is made from that cookie, and Django sends the cookie again."""
    from django.http import HttpResponse
    from django.middleware.csrf import CsrfViewMiddleware, get_token

    from core.front_cache import FrontCacheMiddleware, front_cacheable

    def view(request):
        return HttpResponse(f"<form><input value='{get_token(request)}'></form>")

    stack = FrontCacheMiddleware(CsrfViewMiddleware(front_cacheable(view)))
    request = rf.get("/")
    request.COOKIES[settings.CSRF_COOKIE_NAME] = "a" * 32

    response = stack(request)

    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert _cache_control(response) == {"private"}


def test_errors_and_posts_are_never_public(client, campaign):
    missing = client.get(reverse("campaigns:detail", args=["no-such-campaign"]))
    posted = client.post(reverse("campaigns:detail", args=[campaign.slug]))

    assert missing.status_code == 404
    assert "public" not in _cache_control(missing)
    assert "public" not in _cache_control(posted)


def test_pages_not_marked_say_nothing_about_shared_caches(client):
    response = client.get(reverse("accounts:login"))

    assert "public" not in _cache_control(response)


def test_a_zero_setting_turns_the_front_cache_off(client, campaign, settings):
    settings.FRONT_CACHE_SECONDS = 0

    response = client.get(reverse("campaigns:detail", args=[campaign.slug]))

    assert _cache_control(response) == {"private"}
