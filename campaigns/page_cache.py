"""The campaign page's body, rendered once per change and kept in the cache.

Every service that changes what the page shows (a pledge made or moving,
a reward claimed or released, a tier, an update, the close, a sweep, a match
allocation) calls ``campaign_changed``: after the commit the campaign's
*version* in the cache becomes a new value, and the next visitor renders a
fresh body, kept under a key that holds the version. The body also expires
after ``TTL`` seconds so "days left" and the opening and closing times move
on their own. With several web processes the cache must be shared
(``REDIS_URL``, as in production); with the local memory cache of a laptop
demo a body can be at most ``TTL`` seconds old.

Pledges coalesce their version writes. A version is ``"<time>-<random>"``,
the wall-clock time (``time.time()``) at which it was taken. A new pledge
(``coalesce=True``) does not write one when this process wrote a version for
the campaign less than ``W`` seconds ago (``CAMPAIGN_PAGE_BUMP_WINDOW``,
default 1 s, the nginx front cache's ``FRONT_CACHE_SECONDS``: anonymous
visitors already see pages up to 1 s old); every other change writes at
once. At 1,000 pledges a second that is one Redis SET per process and second
instead of one per pledge. In exchange, the body of a *recent* version (taken
less than ``2 W`` ago, or with a time in the future) is not kept under its
key: it is rendered for each visitor, one render at a time as below, and
kept only as the ``latest`` body. A version without a time (``"0"``, or a
bare hex value written before the coalescing) is not recent; a missing one
(never written, or evicted) is replaced at the next view by a new, recent
version (``cache.add``).

Why no kept body misses a skipped pledge. Say a pledge commits at ``t`` and
its process skips the write because it wrote version ``b`` (time ``tb``,
less than ``W`` before the pledge's on-commit callback, so ``t < tb + W``;
``b``'s SET had landed before the memo was written). Assume ``d + s < W``,
where ``d`` bounds how long after its time a version's SET lands (a round
trip, unless a process stalls) and ``s`` how far apart the clocks of the
machines that write versions and render pages are (NTP keeps it to
milliseconds). From ``b``'s SET on, the current version is ``b`` or one
written later (a SET from another process, or this module's ``add`` after an
eviction), taken at most ``d`` before ``b``'s SET landed. A body that misses
the pledge was read from the database before ``t``; if its version was read
after ``b``'s SET, that was before ``t < tb + W``, at an age (as the page
measured it) below ``W + d + s < 2 W``: it was recent and not kept. A body
kept under a version current before ``b``'s SET is no longer found once that
SET lands, before ``t`` (with threads, at most one SET's time after it). So,
under that assumption, the coalescing makes no visitor see a pledge later
than a write per pledge would: through the versioned key a visitor sees
every pledge committed before the view. What can lag is what lagged before:
the ``latest`` body served while another request renders
(``body_get_or_render``), and for anonymous visitors the front cache's 1 s.
The price: for ``2 W`` seconds after each version, a visitor who is not
served the ``latest`` body renders it again. While a process of the old code
still writes versions without a time (a rolling deploy), the bound does not
hold.
"""

import os
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

TTL = 60
# How long a render may hold the right to render before another may take it
# (a render takes about 0.1 s; a crashed one must not block the page for long).
RENDER_LOCK_SECONDS = 10
# The last body rendered is kept this long, to be served while the next one
# is being rendered.
LATEST_TTL = 10 * TTL
# The coalescing window W, in seconds, by default the front cache's
# FRONT_CACHE_SECONDS (1); settings.CAMPAIGN_PAGE_BUMP_WINDOW overrides it,
# 0 turns the coalescing off (every pledge writes, every body is kept).
BUMP_WINDOW = 1.0
# The memo of this process's last version per campaign is emptied when it
# holds this many (it only ever lets a pledge skip a write: emptying is safe).
BUMPED_MAX = 1024

# Wall-clock time; tests replace it with a clock they move.
_clock = time.time
# campaign id -> time of the last version this process wrote for it.
_bumped: dict[int, float] = {}


def bump_window() -> float:
    """W: ``settings.CAMPAIGN_PAGE_BUMP_WINDOW`` if set, read at each call."""
    return float(getattr(settings, "CAMPAIGN_PAGE_BUMP_WINDOW", BUMP_WINDOW))


def _version_key(campaign_id: int) -> str:
    return f"campaign-page-version:{campaign_id}"


def _version_new(now: float) -> str:
    return f"{now:.6f}-{os.urandom(6).hex()}"


def _version_time(version) -> float | None:
    """The time a version was taken; None for one without (older format)."""
    if not isinstance(version, str) or "-" not in version:
        return None
    try:
        return float(version.split("-", 1)[0])
    except ValueError:
        return None


def _version_current(campaign_id: int) -> tuple[str, bool]:
    """The campaign's version and whether it is recent (its body not kept)."""
    key = _version_key(campaign_id)
    version = cache.get(key)
    now = _clock()
    if version is None:
        # Evicted or never written: a new version, recent, so that a pledge
        # skipped after the eviction cannot be missing from a body kept now.
        fresh = _version_new(now)
        # If another request or a change put one first, that one counts.
        added = cache.add(key, fresh, None)
        version = fresh if added else (cache.get(key) or fresh)
    taken, window = _version_time(version), bump_window()
    recent = window > 0 and taken is not None and now - taken < 2 * window
    return str(version), recent


def _page_key(campaign, version: str, *, language: str, facilitator: bool) -> str:
    stamp = int(campaign.created_at.timestamp() * 1_000_000)
    return (
        f"campaign-page:{campaign.pk}:{stamp}:{version}:{language}:{int(facilitator)}"
    )


def page_key(campaign, *, language: str, facilitator: bool) -> str:
    version, _ = _version_current(campaign.pk)
    return _page_key(campaign, version, language=language, facilitator=facilitator)


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

    The body of a recent version is not kept under the version's key (see
    the module's docstring: a pledge may have skipped its version write),
    so it is not looked up there either.
    """
    version, recent = _version_current(campaign.pk)
    key = _page_key(campaign, version, language=language, facilitator=facilitator)
    if not recent:
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
        if not recent:
            cache.set(key, body, TTL)
        cache.set(latest, body, LATEST_TTL)
    finally:
        if mine:
            cache.delete(rendering)
    return body


def campaign_changed(campaign_id: int, *, coalesce: bool = False) -> None:
    """Invalidate the campaign's cached page once the transaction commits.

    The version becomes a new value, its time and random bytes: one cache
    write per change (an increment is two round trips to Redis, and restarts
    from 1 if the key was evicted, where an old body may still be kept), and
    no two changes, even at once in several processes, give the same
    version. ``coalesce=True`` (a new pledge, the hot path) skips the write
    when this process wrote a version for the campaign less than ``W``
    seconds before the commit; the module's docstring says why no kept body
    then misses the pledge."""

    def bump():
        now = _clock()
        if coalesce:
            last = _bumped.get(campaign_id)
            if last is not None and 0 <= now - last < bump_window():
                return
        cache.set(_version_key(campaign_id), _version_new(now), None)
        # After the SET has landed: a skip relies on a version that is there.
        if len(_bumped) >= BUMPED_MAX:
            _bumped.clear()
        _bumped[campaign_id] = now

    transaction.on_commit(bump)
