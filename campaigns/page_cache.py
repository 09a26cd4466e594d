"""The campaign page's body, rendered once per change and kept in the cache.

Every service that changes what the page shows (a pledge made or moving,
a reward claimed or released, a tier, an update, the close, a sweep, a match
allocation) calls ``campaign_changed`` and the next visitor renders a fresh
body; the body also expires after ``TTL`` seconds so "days left" and the
opening and closing times move on their own. With several web processes the
cache must be shared (``REDIS_URL``, as in production); with the local memory
cache of a laptop demo a body can be at most ``TTL`` seconds old.
"""

import os
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

TTL = 60
# How long a render may hold the right to render before another may take it
# (a render takes about 0.1 s; a crashed one must not block the page for long).
RENDER_LOCK_SECONDS = 10
# The last body rendered is kept this long, to be served while the next one
# is being rendered.
LATEST_TTL = 10 * TTL


def _version_key(campaign_id: int) -> str:
    return f"campaign-page-version:{campaign_id}"


def page_key(campaign, *, language: str, facilitator: bool) -> str:
    version = cache.get(_version_key(campaign.pk)) or 0
    stamp = int(campaign.created_at.timestamp() * 1_000_000)
    return (
        f"campaign-page:{campaign.pk}:{stamp}:{version}:{language}:{int(facilitator)}"
    )


def body_get_or_render(
    campaign, *, language: str, facilitator: bool, render: Callable[[], str]
) -> str:
    """The body for the campaign as it is now, from the cache or ``render()``.

    One request at a time renders the campaign's body (per language and
    role): when the body of the current version is missing and another
    request is already rendering one, this one gets the body rendered last
    instead of rendering it too. That body misses at most the changes since
    its render began: while pledges keep coming, a fraction of a second of
    them (it is kept ``LATEST_TTL`` seconds, but served only during a
    render). Without it, during a burst of pledges (each one changes the
    page) every visitor rendered the page. With no earlier body, it renders.
    """
    key = page_key(campaign, language=language, facilitator=facilitator)
    body = cache.get(key)
    if body is not None:
        return body
    # Not per version: while pledges keep coming, still one render at a time.
    which = f"{campaign.pk}:{campaign.created_at.timestamp()}:{language}"
    which += f":{int(facilitator)}"
    latest = f"campaign-page-latest:{which}"
    rendering = f"campaign-page-rendering:{which}"
    mine = cache.add(rendering, 1, RENDER_LOCK_SECONDS)
    if not mine:
        body = cache.get(latest)
        if body is not None:
            return body
    try:
        body = str(render())
        cache.set(key, body, TTL)
        cache.set(latest, body, LATEST_TTL)
    finally:
        if mine:
            cache.delete(rendering)
    return body


def campaign_changed(campaign_id: int) -> None:
    """Invalidate the campaign's cached page once the transaction commits.

    The version becomes a new random value: one cache write per change (an
    increment is two round trips to Redis, and restarts from 1 if the key
    was evicted, where an old body may still be kept), and no two changes,
    even at once in several processes, give the same version."""

    def bump():
        cache.set(_version_key(campaign_id), os.urandom(8).hex(), None)

    transaction.on_commit(bump)
