"""The campaign page's body cache: one render at a time per body; page
versions that carry their time, pledges that skip writing one within the
window, and the body of a recent version never kept under its key."""

import pytest
from django.core.cache import cache

from campaigns import page_cache

from .conftest import live_campaign

pytestmark = pytest.mark.django_db


def _body(campaign, render):
    return page_cache.body_get_or_render(
        campaign, language="en", facilitator=False, render=render
    )


def _changed(campaign, django_capture_on_commit_callbacks, *, coalesce=False):
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.campaign_changed(campaign.pk, coalesce=coalesce)


def _version(campaign):
    return cache.get(page_cache._version_key(campaign.pk))


def test_a_visitor_during_a_render_gets_the_body_rendered_last(
    django_capture_on_commit_callbacks, page_clock
):
    cache.clear()
    campaign = live_campaign()
    assert _body(campaign, lambda: "first") == "first"
    _changed(campaign, django_capture_on_commit_callbacks)
    page_clock.advance(2 * page_cache.bump_window() + 0.01)  # its body is kept
    during = []

    def render_second():
        # Another visitor arrives while this render runs.
        during.append(_body(campaign, lambda: "rendered twice"))
        return "second"

    assert _body(campaign, render_second) == "second"
    assert during == ["first"]
    assert _body(campaign, lambda: "not rendered again") == "second"


def test_changes_during_a_render_do_not_start_another_render(
    django_capture_on_commit_callbacks,
):
    cache.clear()
    campaign = live_campaign()
    _body(campaign, lambda: "first")
    _changed(campaign, django_capture_on_commit_callbacks)
    during = []

    def render_second():
        # A pledge lands and a visitor arrives while this render runs.
        _changed(campaign, django_capture_on_commit_callbacks)
        during.append(_body(campaign, lambda: "a second render at once"))
        return "second"

    assert _body(campaign, render_second) == "second"
    assert during == ["first"]
    # The render is over: the change it may have missed is rendered now.
    assert _body(campaign, lambda: "third") == "third"


def test_a_visitor_during_the_first_render_renders_too(
    django_capture_on_commit_callbacks,
):
    cache.clear()
    campaign = live_campaign()
    during = []

    def render_first():
        during.append(_body(campaign, lambda: "by the second visitor"))
        return "first"

    assert _body(campaign, render_first) == "first"
    assert during == ["by the second visitor"]


def test_a_failed_render_lets_the_next_visitor_render():
    cache.clear()
    campaign = live_campaign()

    def broken():
        raise RuntimeError("template error")

    with pytest.raises(RuntimeError):
        _body(campaign, broken)

    assert _body(campaign, lambda: "rendered") == "rendered"


def test_the_body_of_a_recent_version_is_kept_once_it_is_two_windows_old(
    django_capture_on_commit_callbacks, page_clock
):
    cache.clear()
    campaign = live_campaign()
    _changed(campaign, django_capture_on_commit_callbacks)
    window = page_cache.bump_window()
    assert window == 1.0

    assert _body(campaign, lambda: "first") == "first"
    page_clock.advance(window)
    assert _body(campaign, lambda: "second") == "second"
    page_clock.advance(window - 0.02)
    assert _body(campaign, lambda: "third") == "third"
    page_clock.advance(0.04)
    assert _body(campaign, lambda: "fourth") == "fourth"
    assert _body(campaign, lambda: "not rendered") == "fourth"


def test_versions_of_the_older_format_are_not_recent(page_clock):
    campaign = live_campaign()
    for old in (0, "0", "9f86d081884c7d65"):
        cache.clear()
        cache.set(page_cache._version_key(campaign.pk), old, None)
        assert page_cache.page_key(campaign, language="en", facilitator=False) == (
            f"campaign-page:{campaign.pk}"
            f":{int(campaign.created_at.timestamp() * 1_000_000)}:{old}:en:0"
        )
        assert _body(campaign, lambda old=old: f"under {old}") == f"under {old}"
        assert _body(campaign, lambda: "not rendered") == f"under {old}"


def test_a_missing_version_is_replaced_by_a_recent_one(page_clock):
    cache.clear()
    campaign = live_campaign()

    assert _body(campaign, lambda: "first") == "first"
    version = _version(campaign)
    assert page_cache._version_time(version) == pytest.approx(page_clock.now, abs=1e-6)
    assert _body(campaign, lambda: "second") == "second"  # recent: not kept
    assert _version(campaign) == version
    page_clock.advance(2 * page_cache.bump_window() + 0.01)
    assert _body(campaign, lambda: "third") == "third"
    assert _body(campaign, lambda: "not rendered") == "third"


def test_a_coalesced_change_writes_no_version_within_the_window_of_the_last(
    django_capture_on_commit_callbacks, page_clock
):
    cache.clear()
    campaign = live_campaign()
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    first = _version(campaign)
    assert page_cache._version_time(first) == pytest.approx(page_clock.now, abs=1e-6)

    page_clock.advance(0.98)
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    assert _version(campaign) == first
    page_clock.advance(0.03)
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    second = _version(campaign)
    assert second != first
    assert page_cache._version_time(second) == pytest.approx(page_clock.now, abs=1e-6)


def test_a_change_that_does_not_coalesce_writes_a_version_every_time(
    django_capture_on_commit_callbacks, page_clock
):
    cache.clear()
    campaign = live_campaign()
    seen = set()
    for _ in range(3):
        _changed(campaign, django_capture_on_commit_callbacks)
        seen.add(_version(campaign))
        page_clock.advance(0.1)
    assert len(seen) == 3
    # A coalesced change right after one that was not: that write is enough.
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    assert _version(campaign) in seen


def test_a_clock_set_back_does_not_make_a_pledge_skip_its_write(
    django_capture_on_commit_callbacks, page_clock
):
    campaign = live_campaign()
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    first = _version(campaign)
    page_clock.advance(-5)
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    assert _version(campaign) != first


def test_a_window_of_0_writes_every_version_and_keeps_every_body(
    django_capture_on_commit_callbacks, page_clock, settings
):
    settings.CAMPAIGN_PAGE_BUMP_WINDOW = 0
    cache.clear()
    campaign = live_campaign()
    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    first = _version(campaign)
    assert _body(campaign, lambda: "first") == "first"
    assert _body(campaign, lambda: "not rendered") == "first"

    _changed(campaign, django_capture_on_commit_callbacks, coalesce=True)
    assert _version(campaign) != first
    assert _body(campaign, lambda: "second") == "second"
    assert _body(campaign, lambda: "not rendered") == "second"
