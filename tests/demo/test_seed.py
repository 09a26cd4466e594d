import pytest
from django.db.models import Sum
from django.urls import reverse

from accounts.models import User
from demo.processes import CONSORTIUM_PROCESS, PRISON_PROCESS
from demo.seed import CONSORTIUM_SLUG, DEMO_PASSWORD, PRISON_SLUG, seed_demo
from participation.models import Community, Membership, Participant, Process, Section

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
    assert first == [6, 2, 14, 6, 180]


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


def test_the_prison_process_is_complete_through_its_results():
    seed_demo()

    process = Process.objects.get(slug=PRISON_PROCESS)
    assert process.phase == "results"
    assert process.assemblies.count() == 20
    assert process.assemblies.aggregate(n=Sum("attendance"))["n"] == 547
    assert process.proposals.count() == 58
    assert process.proposals.filter(author_participant__isnull=False).count() == 58
    assert process.result.ballots_counted == 180
    assert set(process.ballots.values_list("channel", flat=True)) == {"paper"}
    assert len(process.result.winners) == 10
    assert process.result.winners[:3] == ["P03", "P02", "P01"]
    spent = sum(
        process.projects.filter(code__in=process.result.winners).values_list(
            "cost_cents", flat=True
        )
    )
    assert spent <= process.budget_cents


def test_the_consortium_process_is_in_its_vote_phase():
    seed_demo()

    process = Process.objects.get(slug=CONSORTIUM_PROCESS)
    assert process.phase == "vote"
    assert process.projects.filter(feasibility="feasible").count() == 6
