"""Pledges and the campaign page's version (campaign_changed): a pledge
writes a new version unless this process wrote one for the campaign less
than the window ago, and the page still shows every pledge, even after the
version was evicted from the cache; a refused pledge changes nothing."""

import pytest
from django.core.cache import cache

from campaigns import page_cache, services
from campaigns.models import Pledge
from rewards.exceptions import RewardSoldOut
from tests.factories import UserFactory

from .conftest import live_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _version(campaign):
    return cache.get(page_cache._version_key(campaign.pk))


def _key(campaign, language="it"):
    return page_cache.page_key(campaign, language=language, facilitator=False)


def _body(campaign, text):
    return page_cache.body_get_or_render(
        campaign, language="it", facilitator=False, render=lambda: text
    )


def _pledged(campaign, amount_cents, **kwargs):
    """A pledge that counts on the page (committed, as if its card was saved;
    the status is set without a service, so it writes no version)."""
    pledge = services.pledge_create(
        campaign=campaign, amount_cents=amount_cents, backer=UserFactory(), **kwargs
    )
    Pledge.objects.filter(pk=pledge.pk).update(status="committed")
    return pledge


def _page(client, campaign):
    response = client.get(campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def campaign(page_clock):
    campaign = live_campaign()
    cache.clear()
    # Past the versions its creation wrote.
    page_clock.advance(page_cache.bump_window() + 0.01)
    return campaign


def test_two_pledges_within_the_window_write_the_version_once(campaign, page_clock):
    services.pledge_create(campaign=campaign, amount_cents=3000, backer=UserFactory())
    first = _version(campaign)
    assert page_cache._version_time(first) == pytest.approx(page_clock.now, abs=1e-6)

    page_clock.advance(0.5)
    services.pledge_create(campaign=campaign, amount_cents=3000, backer=UserFactory())
    assert _version(campaign) == first

    page_clock.advance(0.51)
    services.pledge_create(campaign=campaign, amount_cents=3000, backer=UserFactory())
    second = _version(campaign)
    assert second != first
    assert page_cache._version_time(second) == pytest.approx(page_clock.now, abs=1e-6)


def test_an_offline_pledge_coalesces_too(campaign, page_clock):
    facilitator = UserFactory()
    offline = {"method": "cash", "recorded_by": facilitator, "place": "Desk"}
    services.pledge_create(
        campaign=campaign, amount_cents=3000, backer_name="Anna", offline=offline
    )
    first = _version(campaign)
    page_clock.advance(0.5)
    services.pledge_create(
        campaign=campaign, amount_cents=3000, backer_name="Bruno", offline=offline
    )
    assert _version(campaign) == first


def test_changes_other_than_a_pledge_write_the_version_at_once(campaign, page_clock):
    services.pledge_create(campaign=campaign, amount_cents=3000, backer=UserFactory())
    seen = [_version(campaign)]
    page_clock.advance(0.1)
    services.tier_create(campaign=campaign, title="Panca", min_pledge_cents=3000)
    seen.append(_version(campaign))
    page_clock.advance(0.1)
    services.update_post(campaign=campaign, title="News", body="Text.", author=None)
    seen.append(_version(campaign))

    assert len(set(seen)) == 3


def test_the_page_shows_a_pledge_that_wrote_no_version(client, campaign, page_clock):
    _pledged(campaign, 7_700)
    version = _version(campaign)
    assert "€77.00" in _page(client, campaign)

    page_clock.advance(0.3)
    _pledged(campaign, 1_100)
    assert _version(campaign) == version  # within the window: not written
    page = _page(client, campaign)
    assert "€88.00" in page and "€77.00" not in page

    # Two windows after the version, its body is kept: the next view gets it.
    page_clock.advance(2 * page_cache.bump_window())
    assert cache.get(_key(campaign, "en")) is None
    assert "€88.00" in _page(client, campaign)
    assert "€88.00" in cache.get(_key(campaign, "en"))


def test_the_page_shows_a_pledge_made_after_the_version_was_evicted(
    client, campaign, page_clock
):
    _pledged(campaign, 7_700)
    assert "€77.00" in _page(client, campaign)
    # The version is evicted (Redis under memory pressure), a view puts a
    # new one, and a pledge within the window of the last write writes none.
    cache.delete(page_cache._version_key(campaign.pk))
    page_clock.advance(0.1)
    assert "€77.00" in _page(client, campaign)
    version = _version(campaign)
    page_clock.advance(0.1)
    _pledged(campaign, 1_100)

    assert _version(campaign) == version
    assert "€88.00" in _page(client, campaign)


def test_a_refused_pledge_changes_neither_the_version_nor_the_body(
    campaign, page_clock
):
    tier = services.tier_create(
        campaign=campaign, title="Panca", min_pledge_cents=3000, quantity=1
    )
    services.pledge_create(
        campaign=campaign, amount_cents=3000, backer=UserFactory(), tier=tier
    )
    page_clock.advance(2 * page_cache.bump_window() + 0.01)
    key = _key(campaign)
    assert _body(campaign, "one pledge") == "one pledge"

    with pytest.raises(RewardSoldOut):
        services.pledge_create(
            campaign=campaign, amount_cents=3000, backer=UserFactory(), tier=tier
        )
    assert _key(campaign) == key
    assert _body(campaign, "not rendered") == "one pledge"
