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
  waiting, always gets a page made for them);
- the answer is a 200 that sets no cookie: no session, no language, and no
  CSRF token, since Django sends the CSRF cookie again with every answer
  that holds a form token (made from the visitor's own cookie).

Every other answer of such a view says ``private``: no shared cache keeps it.
Browsers are told ``max-age=0``: they ask again each time, and the answer
comes from the front cache. The answer keeps its ``Vary`` (cookie, language)
for other caches; ours keys on the language cookie and ``Accept-Language``
instead, so that a visitor carrying some other cookie (the CSRF cookie of a
form seen earlier) shares the copy.
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
        and not is_personal_request(request)
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
