"""Behind nginx, a member on a campaign's page kept for everybody: the page
comes from nginx's copy, with her own menu filled in; she logs out from it; a
facilitator gets her "Manage this campaign" link on the same copy."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from participation.models import Role
from tests.campaigns.conftest import live_campaign
from tests.factories import MembershipFactory, UserFactory

from .helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
# From nginx's copy: fresh, or (the copy lives 1 s and logging in takes
# longer) the expired copy served while one request renews it.
KEPT = {"HIT", "STALE", "UPDATING"}


def test_a_member_on_the_kept_page_has_her_menu_and_logs_out(page, live_server, front):
    campaign = live_campaign(title="Orto in cortile")
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    UserFactory(email="lucia@example.org", display_name="Lucia Bianchi")
    page.goto(url)  # an anonymous visit keeps the copy

    login(page, live_server, "lucia@example.org", base=front)
    answer = page.goto(url)

    assert answer.headers["x-cache"] in KEPT
    menu = page.get_by_role("navigation", name="Principale")
    expect(page.get_by_role("heading", name="Orto in cortile")).to_be_visible()
    expect(menu.get_by_role("link", name="I miei sostegni")).to_be_visible()
    logout = menu.get_by_role("button", name=re.compile("Lucia Bianchi"))
    expect(logout).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "shared-campaign-member.png"), full_page=True)

    logout.click()
    expect(page.get_by_role("navigation", name="Principale")).to_contain_text("Accedi")
    again = page.goto(url)
    assert again.headers["x-cache"] in KEPT
    expect(page.get_by_role("navigation", name="Principale")).not_to_contain_text(
        "Lucia Bianchi"
    )


def test_a_facilitator_gets_her_link_on_the_kept_page(page, live_server, front):
    campaign = live_campaign(title="Orto in cortile")
    url = front + reverse("campaigns:detail", args=[campaign.slug])
    MembershipFactory(
        community=campaign.community,
        role=Role.FACILITATOR,
        user=UserFactory(email="anna@example.org"),
    )
    page.goto(url)

    login(page, live_server, "anna@example.org", base=front)
    answer = page.goto(url)
    page.get_by_role("link", name="Gestisci questa campagna").click()

    assert answer.headers["x-cache"] in KEPT
    expect(page).to_have_url(
        re.compile(reverse("campaigns:manage", args=[campaign.slug]) + "$")
    )
