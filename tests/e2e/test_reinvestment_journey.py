"""An enterprise manager declares a results period and reinvests a share of
its profit in the projects the vote ranked, in the browser; then anyone sees
the money flow on the community's public pages, and downloads the statement.

The world is built with the factories (an enterprise consortium with three
partner sections, a manager, a process whose stored ``ProcessResult`` ranks
C01 before C02); everything the manager does goes through the real pages.
The browser speaks Italian, the site's default language, so the labels are
the Italian ones the pages show.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from accountability.models import PeriodAllocation, ResultsPeriod
from core.money import format_money
from participation.models import Community, ProcessResult, Role, Section
from payments.models import Entry, LedgerTransaction
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    SectionFactory,
)

from .helpers import login as _login
from .helpers import read as _read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp")

# revenue, costs (as typed, Italian style) and their cents, per partner.
FIGURES = {
    "Cascina del Sole": ("120.000,00", "75.500,50", 120_000_00, 75_500_50),
    "Conserve Solidali": ("80.000", "61.250,25", 80_000_00, 61_250_25),
    "Vivaio Inclusivo": ("15.000,00", "17.000,00", 15_000_00, 17_000_00),
}
PROFIT = 61_249_25  # 44.499,50 + 18.749,75 - 2.000,00
SHARE = 40  # 40% of 61.249,25 is 24.499,70
COMMITTED = 24_499_70
C01_COST, C02_COST = 18_000_00, 32_000_00
C02_GETS = COMMITTED - C01_COST  # 6.499,70: C02 is partly funded


def _eur(cents: int) -> str:
    return format_money(cents, language="it")


def _shoot(page, name: str) -> None:
    page.screenshot(path=SHOTS / f"e2e-reinv-{name}.png", full_page=True)


@pytest.fixture
def consortium():
    community = CommunityFactory(
        name="La sostenibilità che include",
        slug="consorzio",
        kind=Community.Kind.ENTERPRISE,
        is_public=True,
    )
    for name in FIGURES:
        SectionFactory(community=community, kind=Section.Kind.PARTNER, name=name)
    process = ProcessFactory(
        community=community,
        slug="utili-2026",
        title="Utili 2026",
        phase="results",
        outcome_rule="greedy",
        budget_cents=50_000_00,
    )
    for code, title, cost in [
        ("C01", "Nuova serra", C01_COST),
        ("C02", "Furgone refrigerato", C02_COST),
        ("C03", "Laboratorio", 3_000_00),
    ]:
        ProjectFactory(process=process, code=code, title=title, cost_cents=cost)
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["C01", "C02"],  # C03 lost the vote
        explanation={"rows": []},
        ballots_counted=40,
    )
    return community


def test_a_manager_reinvests_profit_and_the_public_sees_where_it_went(
    live_server, page, browser, browser_context_args, consortium
):
    manager = MembershipFactory(community=consortium, role=Role.MANAGER).user
    _login(page, live_server, manager.email)

    # The community's accountability page → its periods → declare one.
    page.goto(f"{live_server.url}/accountability/communities/consorzio/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dove sono andati i soldi: La sostenibilità che include"
    )
    page.get_by_role(
        "link", name="Reinvestimento degli utili, periodo per periodo"
    ).click()
    expect(page).to_have_url(re.compile(r"/communities/consorzio/periods/$"))
    _shoot(page, "1-periods-empty")
    page.get_by_role("link", name="Dichiara un periodo").click()
    expect(page).to_have_url(re.compile(r"/periods/new/$"))

    page.get_by_label("Etichetta").fill("2026")
    page.get_by_label("Primo giorno").fill("2026-01-01")
    page.get_by_label("Ultimo giorno").fill("2026-11-30")
    page.get_by_label("Processo il cui risultato decide").select_option(
        label="Utili 2026"
    )
    for name, (revenue, costs, _rc, _cc) in FIGURES.items():
        page.get_by_label(f"Ricavi di {name}", exact=True).fill(revenue)
        page.get_by_label(f"Costi di {name}", exact=True).fill(costs)
    _shoot(page, "2-declare-form")
    page.get_by_role("button", name="Dichiara i dati").click()

    # The manage page: the declared figures, to the cent.
    expect(page).to_have_url(re.compile(r"/periods/2026/manage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Utile 2026")
    figures = page.locator("table.period-figures")
    for name, (_r, _c, revenue_cents, costs_cents) in FIGURES.items():
        row = figures.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text(_eur(revenue_cents))
        expect(row).to_contain_text(_eur(costs_cents))
        expect(row).to_contain_text(_eur(revenue_cents - costs_cents))
    expect(figures.locator("tfoot")).to_contain_text(_eur(PROFIT))
    expect(page.get_by_text(f"L'utile dichiarato è {_eur(PROFIT)}")).to_be_visible()
    _shoot(page, "3-declared")

    # Commit 40% of the profit; the proposal follows the vote's order.
    page.get_by_label("Quota dell'utile (%)").fill(str(SHARE))
    page.get_by_role("button", name="Impegna la quota").click()
    proposal = page.get_by_role("region", name="Assegnazione proposta")
    expect(proposal).to_be_visible()
    c01 = proposal.get_by_role("row").filter(has_text="C01 · Nuova serra")
    c02 = proposal.get_by_role("row").filter(has_text="C02 · Furgone refrigerato")
    expect(c01).to_contain_text(_eur(C01_COST))
    expect(c01).to_contain_text(f"finanziato per intero con {_eur(C01_COST)}.")
    expect(c02).to_contain_text(_eur(C02_GETS))
    expect(c02).to_contain_text(
        f"finanziato in parte con quello che restava: {_eur(C02_GETS)}."
    )
    expect(proposal.get_by_role("row").filter(has_text="C03")).to_have_count(0)
    expect(proposal).to_contain_text(_eur(COMMITTED))
    _shoot(page, "4-proposal")
    page.get_by_role("button", name="Conferma e sposta il denaro").click()
    expect(page.get_by_role("region", name="Assegnazione proposta")).to_have_count(0)
    allocation = page.locator("table.period-allocation")
    expect(allocation).to_contain_text(_eur(C02_GETS))
    _shoot(page, "5-allocated")

    # Anyone, logged out, in a browser of their own.
    context = browser.new_context(**browser_context_args)
    try:
        public = context.new_page()
        public.goto(f"{live_server.url}/accountability/communities/consorzio/")
        sources = public.locator("table.money-sources").first
        reinvested = sources.locator('tr[data-source="reinvestment"]')
        expect(reinvested.get_by_role("rowheader")).to_have_text(
            "Reinvestimento degli utili"
        )
        expect(reinvested).to_contain_text(_eur(COMMITTED))
        for code, title, cents in [
            ("C01", "Nuova serra", C01_COST),
            ("C02", "Furgone refrigerato", C02_GETS),
        ]:
            card = public.get_by_role("region", name=f"{code} · {title}")
            expect(
                card.locator('tr[data-source="reinvestment"]').get_by_role("cell")
            ).to_have_text(_eur(cents))
        expect(public.get_by_role("region", name="C03 · Laboratorio")).to_have_count(0)
        chart = public.locator("figure.flow-chart svg[role=img]")
        expect(chart).to_be_visible()
        flows = public.locator("figure.flow-chart details")
        flows.locator("summary").click()
        for title, cents in [("Nuova serra", C01_COST), ("Furgone", C02_GETS)]:
            flow = (
                flows.get_by_role("row")
                .filter(has_text="Reinvestimento degli utili")
                .filter(has_text=title)
            )
            expect(flow).to_contain_text(_eur(cents))
        _shoot(public, "6-public-community")
        public.set_viewport_size({"width": 390, "height": 900})
        _shoot(public, "6-public-community-phone")
        public.set_viewport_size(browser_context_args["viewport"])

        public.get_by_role(
            "link", name="Reinvestimento degli utili, periodo per periodo"
        ).click()
        public.get_by_role("link", name="2026", exact=True).click()
        expect(public).to_have_url(re.compile(r"/communities/consorzio/periods/2026/$"))
        expect(public.get_by_role("heading", level=1)).to_have_text(
            "Utile 2026 e dove è andato"
        )
        expect(public.locator("table.period-allocation")).to_contain_text(
            _eur(C02_GETS)
        )
        _shoot(public, "7-public-period")
        with public.expect_download() as download_info:
            public.get_by_role("link", name="Scarica il rendiconto (PDF)").click()
        download = download_info.value
        assert download.suggested_filename == "statement-consorzio-2026.pdf"
        assert Path(download.path()).read_bytes().startswith(b"%PDF")
        download.save_as(SHOTS / "e2e-reinv-statement.pdf")

        # The manager's page is not for them: it asks them to log in.
        public.goto(
            f"{live_server.url}/accountability/communities/consorzio/periods/2026/manage/"
        )
        expect(public).to_have_url(re.compile(r"/accounts/login/\?next="))
    finally:
        context.close()

    # The books: one commit, one reinvestment, every transaction balanced.
    period = _read(lambda: ResultsPeriod.objects.get(community=consortium))
    assert (period.status, period.profit_cents, period.committed_cents) == (
        ResultsPeriod.Status.ALLOCATED,
        PROFIT,
        COMMITTED,
    )
    assert period.starts_on == datetime.date(2026, 1, 1)
    assert sorted(
        PeriodAllocation.objects.filter(period=period).values_list(
            "project__code", "amount_cents", "outcome"
        )
    ) == [("C01", C01_COST, "full"), ("C02", C02_GETS, "partial")]
    kinds = list(
        LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["reinvestment_commit", "reinvestment"]
    unbalanced = (
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
