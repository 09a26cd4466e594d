import pytest
from playwright.sync_api import expect

from participation.models import Ballot, Role
from participation.services import paper_batch_open, voter_code_issue
from tests.factories import (
    AssemblyFactory,
    CommunityFactory,
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
)

from .helpers import login as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_vote():
    community = CommunityFactory(slug="borgo", name="Borgo")
    process = ProcessFactory(
        community=community,
        slug="bilancio",
        title="Bilancio 2026",
        phase="vote",
        approval_min=1,
        approval_max=2,
    )
    for code, title in [
        ("P01", "Orto comune"),
        ("P02", "Biblioteca"),
        ("P03", "Panchine"),
    ]:
        ProjectFactory(process=process, code=code, title=title)
    return process


def test_a_participant_votes_within_the_rules_and_is_told_when_not(
    live_server, page, open_vote
):
    voter = MembershipFactory(community=open_vote.community, role=Role.PARTICIPANT).user
    _login(page, live_server, voter.email)

    page.goto(f"{live_server.url}/communities/borgo/p/bilancio/vote/")
    expect(page.get_by_text("Scegli da 1 a 2 progetti.")).to_be_visible()
    for name in ("P01 · Orto comune", "P02 · Biblioteca", "P03 · Panchine"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Conferma il mio voto").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Scegli al massimo 2 progetti (ne hai scelti 3).")
    expect(
        page.get_by_label("P03 · Panchine")
    ).to_be_checked()  # what they chose is kept
    assert not Ballot.objects.exists()

    page.get_by_label("P03 · Panchine").uncheck()
    page.get_by_role("button", name="Conferma il mio voto").click()

    expect(page.get_by_role("status")).to_contain_text("Il tuo voto è registrato")
    ballot = Ballot.objects.get()
    assert sorted(ballot.items.values_list("project__code", flat=True)) == [
        "P01",
        "P02",
    ]


def test_a_person_without_account_votes_with_a_code_once(live_server, page, open_vote):
    code = voter_code_issue(
        participant=ParticipantFactory(community=open_vote.community)
    )

    for attempt in range(2):
        page.goto(f"{live_server.url}/communities/borgo/p/bilancio/vote/code/")
        page.get_by_label("Il tuo codice di voto").fill(code.lower())
        page.get_by_label("P02 · Biblioteca").check()
        page.get_by_role("button", name="Conferma il mio voto").click()
        if attempt == 0:
            expect(page.get_by_role("status")).to_contain_text(
                "Il tuo voto è registrato"
            )
    expect(page.get_by_role("alert")).to_contain_text(
        "Questo codice è già stato usato."
    )
    assert Ballot.objects.count() == 1


def test_a_facilitator_keys_a_paper_batch_twice_and_resolves_a_difference(
    live_server, page, browser, open_vote
):
    community = open_vote.community
    first = MembershipFactory(community=community, role=Role.FACILITATOR).user
    second = MembershipFactory(community=community, role=Role.FACILITATOR).user
    batch = paper_batch_open(
        process=open_vote,
        assembly=AssemblyFactory(process=open_vote),
        label="Schede sala A",
        actor=first,
    )
    codes = [
        voter_code_issue(participant=ParticipantFactory(community=community))
        for _ in range(2)
    ]
    url = f"{live_server.url}/communities/borgo/p/bilancio/manage/paper/{batch.pk}/"

    _login(page, live_server, first.email)
    page.goto(url + "?keying=1")
    for code, choices in [(codes[0], "P01"), (codes[1], "P01 P02")]:
        sheet = page.locator("form.stacked")
        sheet.get_by_label("Codice di voto sulla scheda").fill(code)
        sheet.get_by_label("Scelte").fill(choices)
        sheet.get_by_role("button", name="Salva la scheda").click()
        expect(page.get_by_role("status")).to_contain_text("salvata")

    other = browser.new_context(locale="it-IT").new_page()
    _login(other, live_server, second.email)
    other.goto(url + "?keying=2")
    for code, choices in [(codes[0], "P01"), (codes[1], "P01 P03")]:  # misread sheet 2
        sheet = other.locator("form.stacked")
        sheet.get_by_label("Codice di voto sulla scheda").fill(code)
        sheet.get_by_label("Scelte").fill(choices)
        sheet.get_by_role("button", name="Salva la scheda").click()
        expect(other.get_by_role("status")).to_contain_text("salvata")

    other.get_by_role("button", name="Conta questo lotto").click()
    expect(other.get_by_role("status")).to_contain_text("Le schede 2 sono diverse")
    row = other.get_by_role("row").filter(has_text="P01 P03")
    expect(row).to_contain_text("P01 P02")
    row.get_by_label("Scelte").fill("P01 P02")
    row.get_by_role("button", name="Risolvi la scheda 2").click()
    other.get_by_role("button", name="Conta questo lotto").click()

    expect(other.get_by_role("status")).to_contain_text("2 schede contate, 0 respinte")
    assert sorted(
        sorted(b.items.values_list("project__code", flat=True))
        for b in Ballot.objects.all()
    ) == [["P01"], ["P01", "P02"]]


def test_the_public_results_page_shows_the_chart_and_explains_each_project(
    live_server, page, open_vote
):
    from participation.services import ballot_cast, process_advance

    community = open_vote.community
    codes = {p.code: p.pk for p in open_vote.projects.all()}
    for choices in (["P01"], ["P01", "P02"], ["P02"], ["P01"]):
        voter = MembershipFactory(community=community, role=Role.PARTICIPANT).user
        ballot_cast(
            process=open_vote, user=voter, choices={codes[c]: 1 for c in choices}
        )
    open_vote.budget_cents, open_vote.outcome_rule = 60_000, "greedy"
    open_vote.save()
    process_advance(process=open_vote, actor=voter)

    page.goto(f"{live_server.url}/communities/borgo/p/bilancio/results/")

    chart = page.get_by_role("img", name="Voti per progetto")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 3
    expect(
        page.get_by_role("row").filter(has_text="P01 · Orto comune")
    ).to_contain_text("3")
    expect(page.get_by_role("row").filter(has_text="P03 · Panchine")).to_contain_text(
        "Nessuno"
    )
    page.screenshot(path="var/screenshots/results.png", full_page=True)
