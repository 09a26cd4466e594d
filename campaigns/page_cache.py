"""The campaign page's body, rendered once per change and kept in the cache.

Every service that changes what the page shows (a pledge made or moving,
a reward claimed or released, a tier, an update, the close, a sweep, a match
allocation) calls ``campaign_changed`` and the next visitor renders a fresh
body; the body also expires after ``TTL`` seconds so "days left" and the
opening and closing times move on their own. With several web processes the
cache must be shared (``REDIS_URL``, as in production); with the local memory
cache of a laptop demo a body can be at most ``TTL`` seconds old.
"""

from django.core.cache import cache
from django.db import transaction

TTL = 60


def _version_key(campaign_id: int) -> str:
    return f"campaign-page-version:{campaign_id}"


def page_key(campaign, *, language: str, facilitator: bool) -> str:
    version = cache.get(_version_key(campaign.pk)) or 0
    stamp = int(campaign.created_at.timestamp() * 1_000_000)
    return (
        f"campaign-page:{campaign.pk}:{stamp}:{version}:{language}:{int(facilitator)}"
    )


def campaign_changed(campaign_id: int) -> None:
    """Invalidate the campaign's cached page once the transaction commits."""

    def bump():
        key = _version_key(campaign_id)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)

    transaction.on_commit(bump)
