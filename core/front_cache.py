"""Public pages that a shared cache in front of Django may keep for a moment.

A busy public page (a campaign while a newspaper links it, the results of a
vote on the evening they are published) is the same for every anonymous
visitor. nginx in front (``deploy/nginx/civic-proxy.conf``) keeps such an
answer for ``FRONT_CACHE_SECONDS`` and serves it without asking Django, so a
crowd costs one render a second, not one per visitor.

A view says its page may be kept with ``front_cacheable``; the middleware
decides at the very end, when every cookie is known. An answer is marked
``Cache-Control: public, max-age=0, s-maxage=N`` only when all of these hold:

- the request is a GET or HEAD without a session cookie and without a
  message cookie (a visitor who is logged in, or has a flash message
  waiting, gets a page made for them), unless the view rendered a page
  shared with members (below);
- the answer is a 200 that sets no cookie: no session, no language, and no
  CSRF token, since Django sends the CSRF cookie again with every answer
  that holds a form token (made from the visitor's own cookie).

Every other answer of such a view says ``private``: no shared cache keeps it.
Browsers are told ``max-age=0``: they ask again each time, and the answer
comes from the front cache. The answer keeps its ``Vary`` (cookie, language)
for other caches; ours keys on the language cookie and ``Accept-Language``
instead, so that a visitor carrying some other cookie (the CSRF cookie of a
form seen earlier) shares the copy.

Pages shared with members. A campaign's page is the same for everybody but
for the menu (a member's name, their links, the log-out form) and a
facilitator's "Manage this campaign" link. nginx asks for it with the header
``X-Civic-Fragments: 1`` (``deploy/nginx/civic-shared.conf``); when
``fragments_wanted`` agrees, the view renders those parts as server-side
includes of ``/fragments/...`` (each visitor's own, kept by nginx per
session for a few seconds) and marks its answer ``shared``: public even for
a request with a session, since nothing in it comes from the session. A
flash message always comes with its cookie (Django's fallback storage keeps
in the session only what the cookie says is left), and with it the page is
the visitor's own. Without the header (no nginx in
front, or any other page) nothing changes.
"""

from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.cache import patch_cache_control

SAFE_METHODS = ("GET", "HEAD")


def front_cacheable(view):
    """Mark a view's answers as ones a front cache may keep (see the module)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.front_cacheable = True
        return response

    return wrapped


FRAGMENTS_HEADER = "HTTP_X_CIVIC_FRAGMENTS"


def fragments_wanted(request) -> bool:
    """Whether the page may be rendered with its personal parts as includes:
    nginx asked for it, no flash message is waiting (it would not be shown),
    and a visitor with a session has the CSRF cookie (the log-out form in the
    menu is made from it; nginx cannot pass on a cookie the menu would set)."""
    cookies = request.COOKIES
    return (
        request.META.get(FRAGMENTS_HEADER) == "1"
        and request.method in SAFE_METHODS
        and CookieStorage.cookie_name not in cookies
        and (
            settings.SESSION_COOKIE_NAME not in cookies
            or settings.CSRF_COOKIE_NAME in cookies
        )
    )


def mark_shared(response):
    """Say that ``response`` holds nothing of the visitor's own (rendered with
    ``fragments_wanted``): the front cache may keep it for everybody."""
    response.front_shared = True
    return response


def is_personal_request(request) -> bool:
    """Whether the request carries something that makes the page its own."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies
    )


def shared_cacheable(request, response) -> bool:
    return (
        settings.FRONT_CACHE_SECONDS > 0
        and request.method in SAFE_METHODS
        and response.status_code == 200
        and not response.cookies
        and (
            getattr(response, "front_shared", False) or not is_personal_request(request)
        )
    )


class FrontCacheMiddleware:
    """Sets the Cache-Control of the answers of ``front_cacheable`` views.

    It must come before the session, CSRF, locale and message middleware in
    ``MIDDLEWARE``, so that it sees the cookies they add to the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "front_cacheable", False):
            return response
        if shared_cacheable(request, response):
            patch_cache_control(
                response, public=True, max_age=0, s_maxage=settings.FRONT_CACHE_SECONDS
            )
        else:
            patch_cache_control(response, private=True)
        return response
