import pytest
from django.urls import reverse

from accounts.models import User
from demo.seed import CONSORTIUM_SLUG, DEMO_PASSWORD, PRISON_SLUG, seed_demo
from participation.models import Community, Membership, Participant, Section

pytestmark = pytest.mark.django_db


def _counts():
    return [
        model.objects.count()
        for model in (User, Community, Section, Membership, Participant)
    ]


def test_seeding_twice_changes_nothing():
    seed_demo()
    first = _counts()

    seed_demo()

    assert _counts() == first
    assert first == [6, 2, 14, 6, 42]


def test_both_cases_are_seeded_as_the_mission_describes():
    seed_demo()

    prison = Community.objects.get(slug=PRISON_SLUG)
    consortium = Community.objects.get(slug=CONSORTIUM_SLUG)
    assert prison.kind == Community.Kind.PRISON and not prison.open_membership
    assert sorted(prison.sections.values_list("name", flat=True)) == [
        "Reparto femminile",
        "Reparto maschile",
    ]
    assert consortium.kind == Community.Kind.ENTERPRISE and consortium.open_membership
    assert consortium.sections.filter(kind=Section.Kind.PARTNER).count() == 12


def test_the_printed_demo_logins_work(client):
    logins = seed_demo()

    for login in logins:
        assert client.login(username=login.email, password=DEMO_PASSWORD), login.email
        client.logout()


def test_the_italian_home_page_lists_both_communities(client):
    seed_demo()

    response = client.get(reverse("site-home"))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="it">' in body
    assert "Idee in fuga" in body
    assert "La sostenibilità che include" in body
    assert "Comunità" in body
