"""A campaign's page shared by every visitor behind nginx: rendered with the
menu and a facilitator's link as includes when nginx asks (X-Civic-Fragments),
and those parts on their own (core.front_cache, core.fragments). nginx itself
is in tests/config/test_front_cache_nginx.py."""

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.urls import reverse

from campaigns.models import Campaign
from participation.models import Role
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

from .conftest import live_campaign, winning_project

pytestmark = pytest.mark.django_db

NGINX = {"HTTP_X_CIVIC_FRAGMENTS": "1"}
NAV_INCLUDE = '<!--# include virtual="/fragments/nav/" -->'


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def _member(client, user=None, *, csrf=True):
    user = user or UserFactory(display_name="Lucia Bianchi")
    client.force_login(user)
    if csrf:
        client.cookies["csrftoken"] = "a" * 32
    return user


@pytest.fixture
def campaign():
    return live_campaign(title="Orto in cortile")


def _page(client, campaign, **headers):
    return client.get(reverse("campaigns:detail", args=[campaign.slug]), **headers)


def test_asked_by_nginx_the_page_holds_includes_in_place_of_the_menu(client, campaign):
    response = _page(client, campaign, **NGINX)
    html = response.content.decode()
    manage_include = (
        '<!--# include virtual="'
        + reverse("fragment-campaign-manage-link", args=[campaign.slug])
        + '" -->'
    )

    assert response.status_code == 200
    assert NAV_INCLUDE in html and manage_include in html
    assert reverse("accounts:login") not in html  # the menu is the include
    assert "Orto in cortile" in html
    assert "public" in _cache_control(response)


def test_a_member_gets_the_same_shared_page_as_anybody(client, campaign):
    anonymous = _page(client, campaign, **NGINX).content
    _member(client)

    response = _page(client, campaign, **NGINX)

    assert response.content == anonymous
    assert b"Lucia Bianchi" not in response.content
    assert "public" in _cache_control(response)
    assert not response.cookies


def test_a_facilitator_gets_the_shared_page_without_her_link(client, campaign):
    facilitator = MembershipFactory(community=campaign.community, role=Role.FACILITATOR)
    anonymous = _page(client, campaign, **NGINX).content
    _member(client, facilitator.user)

    shared = _page(client, campaign, **NGINX)
    own = _page(client, campaign)  # no nginx in front: her own page

    manage = reverse("campaigns:manage", args=[campaign.slug]).encode()
    assert shared.content == anonymous and manage not in shared.content
    assert manage in own.content and "private" in _cache_control(own)


@pytest.mark.parametrize("case", ["no nginx", "message waiting", "no CSRF cookie"])
def test_otherwise_a_member_gets_her_own_page(client, campaign, case):
    _member(client, csrf=case != "no CSRF cookie")
    if case == "message waiting":
        client.cookies[CookieStorage.cookie_name] = "anything"

    response = _page(client, campaign, **({} if case == "no nginx" else NGINX))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Lucia Bianchi" in html and NAV_INCLUDE not in html
    assert "private" in _cache_control(response)


def test_a_private_communitys_campaign_is_never_shared(client):
    community = CommunityFactory(is_public=False)
    campaign = live_campaign(project=winning_project(community=community))
    member = MembershipFactory(community=community).user
    _member(client, member)

    response = _page(client, campaign, **NGINX)

    assert response.status_code == 200
    assert str(member) in response.content.decode()
    assert "private" in _cache_control(response)


def test_a_draft_is_never_shared(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    facilitator = MembershipFactory(community=campaign.community, role=Role.FACILITATOR)
    _member(client, facilitator.user)

    response = _page(client, campaign, **NGINX)

    assert response.status_code == 200
    assert (
        reverse("campaigns:manage", args=[campaign.slug]) in response.content.decode()
    )
    assert "private" in _cache_control(response)


# --- the parts on their own -------------------------------------------------------


def test_the_menu_of_an_anonymous_visitor(client, settings):
    settings.FRONT_FRAGMENT_SECONDS = 30

    response = client.get(reverse("fragment-nav"))

    assert response.status_code == 200
    assert reverse("accounts:login") in response.content.decode()
    assert response["X-Accel-Expires"] == "30"
    assert "private" in _cache_control(response)


def test_the_menu_of_a_member_logs_her_out(client, settings):
    settings.FRONT_FRAGMENT_SECONDS = 30
    _member(client)

    response = client.get(reverse("fragment-nav"))
    html = response.content.decode()

    assert "Lucia Bianchi" in html and reverse("campaigns:my-pledges") in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert response["X-Accel-Expires"] == "30"


def test_a_menu_made_with_a_new_csrf_cookie_is_never_kept(client):
    """The cookie Django sets with it would not reach the browser through nginx."""
    _member(client, csrf=False)

    response = client.get(reverse("fragment-nav"))

    assert "csrftoken" in response.cookies
    assert response["X-Accel-Expires"] == "0"


def test_the_manage_link_is_there_for_the_facilitators_only(client, campaign):
    url = reverse("fragment-campaign-manage-link", args=[campaign.slug])
    manage = reverse("campaigns:manage", args=[campaign.slug])
    anonymous = client.get(url)
    _member(client)
    member = client.get(url)
    facilitator = MembershipFactory(community=campaign.community, role=Role.FACILITATOR)
    _member(client, facilitator.user)
    hers = client.get(url)

    assert anonymous.status_code == member.status_code == hers.status_code == 200
    assert anonymous.content.strip() == member.content.strip() == b""
    assert f'href="{manage}"' in hers.content.decode()
