"""Each pledge changes the campaign page's version (campaign_changed): the
next visitor renders a fresh body, even when the version was evicted from
the cache meanwhile; a refused pledge changes nothing."""

import pytest
from django.core.cache import cache

from campaigns import page_cache, services
from rewards.exceptions import RewardSoldOut
from tests.factories import UserFactory

from .conftest import live_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _key(campaign):
    return page_cache.page_key(campaign, language="it", facilitator=False)


def _body(campaign, text):
    return page_cache.body_get_or_render(
        campaign, language="it", facilitator=False, render=lambda: text
    )


def test_every_pledge_gives_the_page_a_version_never_seen_before():
    campaign = live_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=1
    )
    backer = UserFactory()
    cache.clear()
    seen = [_key(campaign)]
    assert _body(campaign, "no pledge") == "no pledge"

    services.pledge_create(campaign=campaign, amount_cents=3000, backer=backer)
    seen.append(_key(campaign))
    assert _body(campaign, "one pledge") == "one pledge"
    # The version is evicted (Redis under memory pressure): the next pledge
    # still gives a version no body was kept under.
    cache.delete(page_cache._version_key(campaign.pk))
    services.pledge_create(
        campaign=campaign, amount_cents=3000, backer=backer, tier=tier
    )
    seen.append(_key(campaign))

    assert len(set(seen)) == 3
    assert _body(campaign, "two pledges") == "two pledges"
    with pytest.raises(RewardSoldOut):
        services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=backer, tier=tier
        )
    assert _key(campaign) == seen[-1]
    assert _body(campaign, "not rendered") == "two pledges"
