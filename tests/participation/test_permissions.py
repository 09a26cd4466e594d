"""Role x view: every page that needs a role refuses everybody else.

Anonymous people are sent to the login page; a logged-in person without the
role gets 403; a private community is a 404 to non-members. Facilitators of
another community count as "everybody else" (object-level authorisation).
"""

import pytest
from django.urls import reverse

from participation.models import Role
from tests.factories import (
    AssemblyFactory,
    CommunityFactory,
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

ANON = "anonymous"
PEOPLE = [
    ANON,
    "participant",
    "facilitator",
    "manager",
    "community_admin",
    "facilitator_elsewhere",
    "admin_elsewhere",
    "staff_without_role",
    "superuser",
]


@pytest.fixture
def world(db):
    home = CommunityFactory(slug="home", name="Home community")
    elsewhere = CommunityFactory(slug="elsewhere", name="Elsewhere")
    private = CommunityFactory(slug="private", name="Private", is_public=False)
    people = {ANON: None}
    for key, community, role in [
        ("participant", home, Role.PARTICIPANT),
        ("facilitator", home, Role.FACILITATOR),
        ("manager", home, Role.MANAGER),
        ("community_admin", home, Role.ADMIN),
        ("facilitator_elsewhere", elsewhere, Role.FACILITATOR),
        ("admin_elsewhere", elsewhere, Role.ADMIN),
    ]:
        people[key] = MembershipFactory(community=community, role=role).user
    people["staff_without_role"] = UserFactory(is_staff=True)
    people["superuser"] = UserFactory(is_staff=True, is_superuser=True)
    MembershipFactory(
        community=private, role=Role.PARTICIPANT, user=people["participant"]
    )
    process = ProcessFactory(community=home, slug="pb", phase="vote")
    ProjectFactory(process=process)
    return {
        "process": process,
        "assembly": AssemblyFactory(process=process),
        "home": home,
        "elsewhere": elsewhere,
        "private": private,
        "people": people,
        "participant_home": ParticipantFactory(community=home),
        "participant_elsewhere": ParticipantFactory(community=elsewhere),
    }


def _request(client, world, who, method, url):
    user = world["people"][who]
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url)


FACILITATORS = {"facilitator", "community_admin", "superuser"}
MEMBERS_OF_HOME = {"participant", "facilitator", "manager", "community_admin"}

PAGES = {
    # name: (method, url builder, people allowed)
    "community detail (public)": (
        "get",
        lambda w: reverse("participation:community-detail", args=["home"]),
        set(PEOPLE),
    ),
    "roster": (
        "get",
        lambda w: reverse("participation:community-roster", args=["home"]),
        {"facilitator", "community_admin", "superuser"},
    ),
    "voter code issue": (
        "post",
        lambda w: reverse(
            "participation:voter-code-issue", args=["home", w["participant_home"].pk]
        ),
        {"facilitator", "community_admin", "superuser"},
    ),
    "members": (
        "get",
        lambda w: reverse("participation:community-members", args=["home"]),
        {"community_admin", "superuser"},
    ),
    "dashboard": (
        "get",
        lambda w: reverse("accounts:dashboard"),
        set(PEOPLE) - {ANON},
    ),
    "process page (public)": (
        "get",
        lambda w: reverse("participation:process-detail", args=["home", "pb"]),
        set(PEOPLE),
    ),
    "results (public)": (
        "get",
        lambda w: reverse("participation:results", args=["home", "pb"]),
        set(PEOPLE),
    ),
    "ballot": (
        "get",
        lambda w: reverse("participation:ballot", args=["home", "pb"]),
        MEMBERS_OF_HOME,
    ),
    "process manage": (
        "get",
        lambda w: reverse("participation:process-manage", args=["home", "pb"]),
        FACILITATORS,
    ),
    "co-design": (
        "get",
        lambda w: reverse("participation:codesign", args=["home", "pb"]),
        FACILITATORS,
    ),
    "assembly create": (
        "get",
        lambda w: reverse("participation:assembly-create", args=["home", "pb"]),
        FACILITATORS,
    ),
    "assembly detail": (
        "get",
        lambda w: reverse(
            "participation:assembly-detail", args=["home", "pb", w["assembly"].pk]
        ),
        FACILITATORS,
    ),
    "django admin": (
        "get",
        lambda w: reverse("admin:index"),
        {"staff_without_role", "superuser"},
    ),
}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_answers_only_the_roles_it_is_for(client, world, page, who):
    method, url_for, allowed = PAGES[page]
    url = url_for(world)

    response = _request(client, world, who, method, url)

    if who in allowed:
        assert response.status_code == 200, (page, who)
    elif who == ANON or page == "django admin":
        assert response.status_code == 302, (page, who)
        assert "login" in response["Location"]
    else:
        assert response.status_code == 403, (page, who)


@pytest.mark.parametrize("who", PEOPLE)
def test_a_private_community_is_hidden_from_non_members(client, world, who):
    url = reverse("participation:community-detail", args=["private"])

    response = _request(client, world, who, "get", url)

    if who in {"participant", "superuser"}:
        assert response.status_code == 200
    elif who == ANON:
        assert response.status_code == 302
    else:
        assert response.status_code == 404


def test_a_facilitator_cannot_reach_another_communitys_participant_via_their_own(
    client, world
):
    client.force_login(world["people"]["facilitator"])
    foreign = world["participant_elsewhere"]
    url = reverse("participation:voter-code-issue", args=["home", foreign.pk])

    response = client.post(url)

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.voter_code_digest == ""


def test_refused_code_issue_changes_nothing(client, world):
    client.force_login(world["people"]["facilitator_elsewhere"])
    target = world["participant_home"]

    response = client.post(
        reverse("participation:voter-code-issue", args=["home", target.pk])
    )

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.voter_code_digest == ""


def test_issuing_a_code_is_post_only(client, world):
    client.force_login(world["people"]["facilitator"])
    url = reverse(
        "participation:voter-code-issue", args=["home", world["participant_home"].pk]
    )

    assert client.get(url).status_code == 405
