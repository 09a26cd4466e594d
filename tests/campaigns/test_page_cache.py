"""The campaign page's body cache: one render at a time per body."""

import pytest
from django.core.cache import cache

from campaigns import page_cache

from .conftest import live_campaign

pytestmark = pytest.mark.django_db


def _body(campaign, render):
    return page_cache.body_get_or_render(
        campaign, language="en", facilitator=False, render=render
    )


def _changed(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.campaign_changed(campaign.pk)


def test_a_visitor_during_a_render_gets_the_body_rendered_last(
    django_capture_on_commit_callbacks,
):
    cache.clear()
    campaign = live_campaign()
    assert _body(campaign, lambda: "first") == "first"
    _changed(campaign, django_capture_on_commit_callbacks)
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
