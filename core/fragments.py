"""The parts of a shared page that are each visitor's own, on their own.

A page rendered with ``core.front_cache.fragments_wanted`` holds, in their
place, server-side includes of these views (``/fragments/...``); nginx asks
for them with the visitor's cookies and keeps each answer for that session
and language alone (``deploy/nginx/civic-fragments.conf``) for
``fragment_keep`` seconds, as the answer's ``X-Accel-Expires`` says (nginx
does not pass that header on). Without nginx nobody asks for them.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe


def fragment_keep(response, seconds: int | None = None):
    """Mark a part's answer: ``private`` for any other cache, and for nginx
    how long it may keep it for this visitor (0: not at all)."""
    seconds = settings.FRONT_FRAGMENT_SECONDS if seconds is None else seconds
    patch_cache_control(response, private=True, max_age=0)
    response["X-Accel-Expires"] = str(max(seconds, 0))
    return response


@require_safe
def nav(request):
    """The main menu (``templates/_nav.html``) for the visitor asking."""
    response = render(request, "_nav.html")
    # The log-out form's token is made from the visitor's CSRF cookie. Had
    # they none, Django sets one with this answer, which nginx does not pass
    # on from an include: such a menu is used once, never kept.
    keep = (
        not request.user.is_authenticated
        or settings.CSRF_COOKIE_NAME in request.COOKIES
    )
    return fragment_keep(response, None if keep else 0)
