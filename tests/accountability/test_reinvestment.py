"""Profit reinvestment: declare a period, commit a share, allocate it to the
winners of the vote in their order; the pages and the PDF statement."""

import datetime
import subprocess
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import translation

from accountability import services
from accountability.exceptions import (
    CommitTooLarge,
    NotAllowed,
    PeriodInvalid,
    PeriodStateError,
    ProposalChanged,
)
from accountability.models import (
    Expense,
    PeriodAllocation,
    PeriodEvent,
    PeriodFigures,
    ResultsPeriod,
)
from core.money import format_money
from participation.models import (
    Ballot,
    BallotItem,
    Community,
    ProcessResult,
    Role,
    Section,
)
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account, Entry, LedgerTransaction
from tests.factories import (
    CommunityFactory,
    ProcessFactory,
    ProjectFactory,
    SectionFactory,
    UserFactory,
)

from .conftest import approved, assert_books_balance, fund, member

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)

# revenue, costs (cents) per partner: profits 24.499,50 + 8.749,75 - 2.000,00
FIGURES = {
    "Cascina del Sole": (120_000_00, 95_500_50),
    "Conserve Solidali": (80_000_00, 71_250_25),
    "Vivaio Inclusivo": (15_000_00, 17_000_00),
}
PROFIT = 31_249_25


@pytest.fixture
def consortium():
    return CommunityFactory(
        name="La sostenibilità che include",
        slug="consorzio",
        kind=Community.Kind.ENTERPRISE,
        is_public=True,
    )


@pytest.fixture
def partners(consortium):
    return {
        name: SectionFactory(community=consortium, kind=Section.Kind.PARTNER, name=name)
        for name in FIGURES
    }


@pytest.fixture
def process(consortium):
    return ProcessFactory(
        community=consortium,
        phase="results",
        outcome_rule="greedy",
        title="Utili",
        budget_cents=30_000_00,
    )


@pytest.fixture
def projects(process):
    specs = [
        ("C01", "Nuova serra", 8_000_00),
        ("C02", "Furgone refrigerato", 6_000_00),
        ("C03", "Laboratorio", 3_000_00),
        ("C04", "Borse lavoro", 2_000_00),
        ("C05", "Percorso didattico", 1_000_00),
        ("C06", "Irrigazione", 5_000_00),
    ]
    return {
        code: ProjectFactory(process=process, code=code, title=title, cost_cents=cost)
        for code, title, cost in specs
    }


@pytest.fixture
def result(process, projects):
    # Selection order, not code order; C03 and C06 lost the vote.
    return ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["C02", "C05", "C01", "C04"],
        explanation={"rows": []},
        ballots_counted=40,
    )


@pytest.fixture
def manager(consortium):
    return member(consortium, Role.MANAGER)


def figures_of(partners, **extra):
    rows = [
        {"section": partners[name], "revenue_cents": rev, "costs_cents": cost}
        for name, (rev, cost) in FIGURES.items()
    ]
    return rows + list(extra.get("rows", []))


def declared(consortium, process, partners, manager, label="2026", **kw):
    return services.period_declare(
        community=consortium,
        label=label,
        start=START,
        end=END,
        process=process,
        figures=kw.pop("figures", None) or figures_of(partners),
        by=manager,
        **kw,
    )


def shop_sold(consortium, cents, n=1):
    """The shop's part of paid orders, as marketplace posts it (kind sale)."""
    shop = account_get("shop_sales:shop", kind=Account.Kind.SHOP_SALES)
    sales = account_get(f"shop_sales:{consortium.pk}", kind=Account.Kind.SHOP_SALES)
    ledger_post(
        kind="sale",
        source_type="order",
        source_id=n,
        lines=[Line(shop, cents), Line(sales, -cents)],
    )


@pytest.fixture
def committed(consortium, process, partners, manager, projects, result):
    shop_sold(consortium, 5_000_00)
    # C02 already received 1.500,00 from a campaign; C05 its whole cost.
    fund(projects["C02"], 1_500_00)
    fund(projects["C05"], 1_000_00)
    period = declared(consortium, process, partners, manager)
    return services.period_commit(period=period, share_percent=40, by=manager)


def txn_lines(txn):
    return sorted(txn.entries.values_list("account__code", "amount_cents"))


def held(code):
    return -account_balance(code)


# --- declaring ------------------------------------------------------------------


def test_a_manager_declares_the_figures_of_each_partner(
    consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager, notes="Bilancio")

    period.refresh_from_db()
    assert (period.status, period.label, period.profit_cents) == (
        "declared",
        "2026",
        PROFIT,
    )
    assert (period.starts_on, period.ends_on, period.process) == (START, END, process)
    rows = {
        (f.section.name if f.section else None): (
            f.revenue_cents,
            f.costs_cents,
            f.profit_cents,
        )
        for f in period.figures.select_related("section")
    }
    assert rows == {
        "Cascina del Sole": (120_000_00, 95_500_50, 24_499_50),
        "Conserve Solidali": (80_000_00, 71_250_25, 8_749_75),
        "Vivaio Inclusivo": (15_000_00, 17_000_00, -2_000_00),
        None: (215_000_00, 183_750_75, 31_249_25),
    }
    assert list(period.events.values_list("kind", "actor_id")) == [
        ("declared", manager.pk)
    ]
    assert not LedgerTransaction.objects.exists()


def test_an_explicit_consortium_total_is_kept_as_given(
    consortium, process, partners, manager
):
    shared = {"section": None, "revenue_cents": 215_000_00, "costs_cents": 190_000_00}
    period = declared(
        consortium,
        process,
        partners,
        manager,
        figures=figures_of(partners, rows=[shared]),
    )

    assert period.profit_cents == 25_000_00
    total = period.figures.get(section=None)
    assert (total.revenue_cents, total.costs_cents) == (215_000_00, 190_000_00)


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.FACILITATOR])
def test_only_enterprise_managers_declare(consortium, process, partners, role):
    person = member(consortium, role) if role else member(CommunityFactory(), "admin")

    with pytest.raises(NotAllowed):
        declared(consortium, process, partners, person)

    assert not ResultsPeriod.objects.exists()
    assert not PeriodFigures.objects.exists()
    assert not PeriodEvent.objects.exists()


def test_declaring_refuses_a_section_that_is_not_a_partner_of_the_community(
    consortium, process, partners, manager
):
    stranger = SectionFactory(kind=Section.Kind.PARTNER, name="Altrove")
    ward = SectionFactory(community=consortium, kind=Section.Kind.WARD, name="Reparto")
    for section in (stranger, ward):
        row = {"section": section, "revenue_cents": 1, "costs_cents": 0}
        with pytest.raises(PeriodInvalid):
            declared(
                consortium,
                process,
                partners,
                manager,
                figures=figures_of(partners, rows=[row]),
            )

    assert not ResultsPeriod.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"label": "new"},
        {"label": "20 26"},
        {"start": END, "end": START},
        {"figures": [{"section": None, "revenue_cents": -1, "costs_cents": 0}]},
        {"figures": [{"section": None, "revenue_cents": "10", "costs_cents": 0}]},
    ],
)
def test_declaring_refuses_bad_labels_dates_and_amounts(
    consortium, process, partners, manager, change
):
    kwargs = {
        "community": consortium,
        "label": "2026",
        "start": START,
        "end": END,
        "process": process,
        "figures": figures_of(partners),
        "by": manager,
    }
    with pytest.raises(PeriodInvalid):
        services.period_declare(**{**kwargs, **change})

    assert not ResultsPeriod.objects.exists()


def test_a_label_is_declared_once_per_community(consortium, process, partners, manager):
    declared(consortium, process, partners, manager)

    with pytest.raises(PeriodInvalid):
        declared(consortium, process, partners, manager)

    assert ResultsPeriod.objects.count() == 1
    assert PeriodFigures.objects.count() == 4


def test_a_process_of_another_community_cannot_decide(consortium, partners, manager):
    with pytest.raises(PeriodInvalid):
        declared(consortium, ProcessFactory(), partners, manager)

    assert not ResultsPeriod.objects.exists()


# --- committing ---------------------------------------------------------------


def test_committing_a_share_moves_it_into_the_pool_in_one_transaction(
    consortium, process, partners, manager
):
    shop_sold(consortium, 5_000_00)
    period = declared(consortium, process, partners, manager)

    period = services.period_commit(period=period, share_percent=40, by=manager)

    period.refresh_from_db()
    assert (period.status, period.committed_cents) == ("committed", 12_499_70)
    assert period.committed_by == manager
    txn = LedgerTransaction.objects.get(kind="reinvestment_commit")
    assert (txn.source_type, txn.source_id) == ("results_period", str(period.pk))
    # The shop's 5.000,00 first, the rest is profit from outside the shop.
    assert txn_lines(txn) == sorted(
        [
            (f"shop_sales:{consortium.pk}", 5_000_00),
            (f"external:profits:{consortium.pk}", 7_499_70),
            (f"reinvestment_pool:{consortium.pk}", -12_499_70),
        ]
    )
    assert held(f"reinvestment_pool:{consortium.pk}") == 12_499_70
    assert held(f"shop_sales:{consortium.pk}") == 0
    assert list(period.events.values_list("kind", flat=True)) == [
        "declared",
        "committed",
    ]
    assert_books_balance()


def test_an_amount_the_shop_covers_comes_from_the_shop_alone(
    consortium, process, partners, manager
):
    shop_sold(consortium, 5_000_00)
    period = declared(consortium, process, partners, manager)

    services.period_commit(period=period, amount_cents=3_000_00, by=manager)

    txn = LedgerTransaction.objects.get(kind="reinvestment_commit")
    assert txn_lines(txn) == sorted(
        [
            (f"shop_sales:{consortium.pk}", 3_000_00),
            (f"reinvestment_pool:{consortium.pk}", -3_000_00),
        ]
    )
    assert held(f"shop_sales:{consortium.pk}") == 2_000_00


def test_a_share_is_rounded_down_to_the_cent(consortium, process, partners, manager):
    period = declared(consortium, process, partners, manager)

    period = services.period_commit(
        period=period, share_percent=Decimal("33.3"), by=manager
    )

    # 3.124.925 cents x 33,3 % = 1.040.600,025 cents
    assert period.committed_cents == 10_406_00


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount_cents": PROFIT + 1},
        {"amount_cents": 0},
        {"share_percent": 101},
        {"share_percent": 0},
        {},
        {"share_percent": 10, "amount_cents": 10},
    ],
)
def test_a_commitment_beyond_the_profit_is_refused_and_writes_nothing(
    consortium, process, partners, manager, kwargs
):
    shop_sold(consortium, 5_000_00)
    period = declared(consortium, process, partners, manager)
    entries = Entry.objects.count()

    with pytest.raises((CommitTooLarge, PeriodInvalid)):
        services.period_commit(period=period, by=manager, **kwargs)

    period.refresh_from_db()
    assert (period.status, period.committed_cents) == ("declared", 0)
    assert not LedgerTransaction.objects.filter(kind="reinvestment_commit").exists()
    assert Entry.objects.count() == entries
    assert not Account.objects.filter(kind="reinvestment_pool").exists()
    assert list(period.events.values_list("kind", flat=True)) == ["declared"]


def test_more_than_the_profit_raises_commit_too_large(
    consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager)

    with pytest.raises(CommitTooLarge, match="31.249,25"):
        services.period_commit(period=period, amount_cents=PROFIT + 1, by=manager)


def test_a_loss_cannot_be_reinvested(consortium, process, partners, manager):
    loss = [{"section": None, "revenue_cents": 1_000_00, "costs_cents": 1_500_00}]
    period = declared(consortium, process, partners, manager, figures=loss)
    assert period.profit_cents == -500_00

    for kwargs in ({"share_percent": 10}, {"amount_cents": 1}):
        with pytest.raises((CommitTooLarge, PeriodInvalid)):
            services.period_commit(period=period, by=manager, **kwargs)

    assert not LedgerTransaction.objects.exists()


def test_the_database_holds_the_commitment_to_the_profit(
    consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager)

    with pytest.raises(IntegrityError), transaction.atomic():
        ResultsPeriod.objects.filter(pk=period.pk).update(committed_cents=PROFIT + 1)


def test_a_period_is_committed_once(committed, manager):
    with pytest.raises(PeriodStateError):
        services.period_commit(period=committed, amount_cents=1_00, by=manager)

    assert LedgerTransaction.objects.filter(kind="reinvestment_commit").count() == 1


def test_only_managers_commit(consortium, process, partners, manager):
    period = declared(consortium, process, partners, manager)
    for role in (Role.PARTICIPANT, Role.FACILITATOR):
        with pytest.raises(NotAllowed):
            services.period_commit(
                period=period, share_percent=10, by=member(consortium, role)
            )

    period.refresh_from_db()
    assert period.status == "declared"
    assert not LedgerTransaction.objects.exists()


# --- proposing and allocating ---------------------------------------------------


def _summary(proposal):
    return [
        (r.project.code, r.position, r.needed_cents, r.amount_cents, r.outcome)
        for r in proposal.rows
    ]


def test_the_proposal_follows_the_winners_in_order_and_stops_at_the_pool(committed):
    proposal = services.period_allocation_propose(period=committed)

    assert proposal.available_cents == 12_499_70
    assert _summary(proposal) == [
        ("C02", 1, 4_500_00, 4_500_00, "full"),  # 6.000 - 1.500 already in
        ("C05", 2, 0, 0, "already"),
        ("C01", 3, 8_000_00, 7_999_70, "partial"),  # what was left
        ("C04", 4, 2_000_00, 0, "not_reached"),
    ]
    assert (proposal.total_cents, proposal.left_cents) == (12_499_70, 0)
    assert not proposal.provisional
    with translation.override("en"):
        assert proposal.rows[0].reason == (
            "Number 1 in the outcome of the vote; cost €6,000.00, of which "
            "€4,500.00 still needed; fully funded with €4,500.00."
        )
        assert proposal.rows[1].reason == (
            "Number 2 in the outcome of the vote; cost €1,000.00; its fund had "
            "already received its cost: nothing needed."
        )
        assert proposal.rows[2].reason == (
            "Number 3 in the outcome of the vote; cost €8,000.00; partly funded "
            "with what was left: €7,999.70."
        )
        assert proposal.rows[3].reason == (
            "Number 4 in the outcome of the vote; cost €2,000.00; not reached: "
            "the projects before it used up the money committed."
        )
    assert not PeriodAllocation.objects.exists()


def test_money_left_over_stays_in_the_pool(
    consortium, process, partners, manager, result
):
    period = declared(consortium, process, partners, manager)
    period = services.period_commit(period=period, amount_cents=20_000_00, by=manager)

    proposal = services.period_allocation_propose(period=period)
    services.period_allocate(
        period=period, fingerprint=proposal.fingerprint, by=manager
    )

    # 6.000 + 1.000 + 8.000 + 2.000 = 17.000,00 funded in full.
    assert proposal.total_cents == 17_000_00
    assert held(f"reinvestment_pool:{consortium.pk}") == 3_000_00


def test_allocating_posts_one_balanced_transaction_and_is_idempotent(
    consortium, committed, projects, manager
):
    proposal = services.period_allocation_propose(period=committed)

    period = services.period_allocate(
        period=committed, fingerprint=proposal.fingerprint, by=manager
    )

    period.refresh_from_db()
    assert (period.status, period.allocated_by) == ("allocated", manager)
    txn = LedgerTransaction.objects.get(kind="reinvestment")
    assert (txn.source_type, txn.source_id) == ("results_period", str(period.pk))
    assert txn_lines(txn) == sorted(
        [
            (f"reinvestment_pool:{consortium.pk}", 12_499_70),
            (f"project_fund:{projects['C02'].pk}", -4_500_00),
            (f"project_fund:{projects['C01'].pk}", -7_999_70),
        ]
    )
    assert held(f"project_fund:{projects['C02'].pk}") == 6_000_00
    assert held(f"project_fund:{projects['C01'].pk}") == 7_999_70
    assert held(f"reinvestment_pool:{consortium.pk}") == 0
    assert list(
        period.allocations.values_list("project__code", "position", "amount_cents")
    ) == [("C02", 1, 4_500_00), ("C05", 2, 0), ("C01", 3, 7_999_70), ("C04", 4, 0)]
    assert_books_balance()

    entries, events = Entry.objects.count(), PeriodEvent.objects.count()
    again = services.period_allocate(period=period, fingerprint="stale", by=manager)

    assert again.status == "allocated"
    assert Entry.objects.count() == entries
    assert LedgerTransaction.objects.filter(kind="reinvestment").count() == 1
    assert PeriodAllocation.objects.count() == 4
    assert PeriodEvent.objects.count() == events


def test_allocating_refuses_if_a_fund_changed_since_the_proposal(
    committed, projects, manager
):
    proposal = services.period_allocation_propose(period=committed)
    fund(projects["C01"], 100_00)  # a pledge reached C01 meanwhile
    entries = Entry.objects.count()

    with pytest.raises(ProposalChanged):
        services.period_allocate(
            period=committed, fingerprint=proposal.fingerprint, by=manager
        )

    committed.refresh_from_db()
    assert committed.status == "committed"
    assert Entry.objects.count() == entries
    assert not PeriodAllocation.objects.exists()
    again = services.period_allocation_propose(period=committed)
    assert again.fingerprint != proposal.fingerprint
    assert _summary(again)[2] == ("C01", 3, 7_900_00, 7_900_00, "full")


def test_allocating_refuses_if_the_winners_changed(committed, result, manager):
    proposal = services.period_allocation_propose(period=committed)
    ProcessResult.objects.filter(pk=result.pk).update(winners=["C01", "C02"])

    with pytest.raises(ProposalChanged):
        services.period_allocate(
            period=committed, fingerprint=proposal.fingerprint, by=manager
        )

    assert not LedgerTransaction.objects.filter(kind="reinvestment").exists()


def test_only_managers_allocate(consortium, committed):
    proposal = services.period_allocation_propose(period=committed)
    for role in (Role.PARTICIPANT, Role.FACILITATOR):
        with pytest.raises(NotAllowed):
            services.period_allocate(
                period=committed,
                fingerprint=proposal.fingerprint,
                by=member(consortium, role),
            )

    assert not LedgerTransaction.objects.filter(kind="reinvestment").exists()
    assert not PeriodAllocation.objects.exists()


def test_a_declared_period_cannot_be_proposed_or_allocated(
    consortium, process, partners, manager, result
):
    period = declared(consortium, process, partners, manager)

    with pytest.raises(PeriodStateError):
        services.period_allocation_propose(period=period)
    with pytest.raises(PeriodStateError):
        services.period_allocate(period=period, fingerprint="x", by=manager)

    assert not PeriodAllocation.objects.exists()


def test_without_a_published_result_the_ballots_are_counted_now(
    consortium, process, partners, manager, projects
):
    for approved_codes in [["C06", "C03"]] * 2 + [["C06", "C01"]]:
        ballot = Ballot.objects.create(
            process=process, user=UserFactory(), channel="online"
        )
        for code in approved_codes:
            BallotItem.objects.create(ballot=ballot, project=projects[code])
    period = declared(consortium, process, partners, manager)
    period = services.period_commit(period=period, amount_cents=10_000_00, by=manager)

    proposal = services.period_allocation_propose(period=period)

    assert proposal.provisional
    assert _summary(proposal)[:3] == [
        ("C06", 1, 5_000_00, 5_000_00, "full"),  # 3 votes
        ("C03", 2, 3_000_00, 3_000_00, "full"),  # 2 votes
        ("C01", 3, 8_000_00, 2_000_00, "partial"),  # 1 vote
    ]
    assert not ProcessResult.objects.exists()  # counted, not published


# --- pages and statement ---------------------------------------------------------


@pytest.fixture
def allocated(committed, manager):
    proposal = services.period_allocation_propose(period=committed)
    return services.period_allocate(
        period=committed, fingerprint=proposal.fingerprint, by=manager
    )


def period_url(period, name="accountability:period"):
    return reverse(name, kwargs={"slug": period.community.slug, "label": period.label})


def test_the_public_period_page_shows_the_figures_and_escapes_typed_text(
    client, consortium, process, partners, manager, result
):
    partners["Cascina del Sole"].name = "<b>Cascina</b>"
    partners["Cascina del Sole"].save()
    period = declared(
        consortium, process, partners, manager, notes="<script>alert(1)</script>"
    )
    period = services.period_commit(period=period, share_percent=40, by=manager)
    proposal = services.period_allocation_propose(period=period)
    services.period_allocate(
        period=period, fingerprint=proposal.fingerprint, by=manager
    )

    response = client.get(period_url(period))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Cascina</b>" not in html
    assert "&lt;b&gt;Cascina&lt;/b&gt;" in html
    for cents in (31_249_25, 24_499_50, 12_499_70, 6_000_00, 5_499_70):
        assert format_money(cents) in html
    assert period_url(period, "accountability:period-statement") in html
    english = client.get(period_url(period), HTTP_ACCEPT_LANGUAGE="en")
    assert "The order is the one of the result published on" in (
        english.content.decode()
    )


def test_the_community_page_links_to_its_periods(client, allocated, consortium):
    response = client.get(
        reverse("accountability:community", kwargs={"slug": consortium.slug})
    )

    assert reverse("accountability:periods", kwargs={"slug": consortium.slug}) in (
        response.content.decode()
    )
    listing = client.get(
        reverse("accountability:periods", kwargs={"slug": consortium.slug})
    )
    assert period_url(allocated) in listing.content.decode()


def test_period_pages_of_a_private_community_are_not_found(client, allocated):
    Community.objects.filter(pk=allocated.community_id).update(is_public=False)

    for name in ("accountability:period", "accountability:period-statement"):
        assert client.get(period_url(allocated, name)).status_code == 404
    assert (
        client.get(
            reverse("accountability:periods", kwargs={"slug": allocated.community.slug})
        ).status_code
        == 404
    )


def test_a_period_not_yet_allocated_is_for_managers_only(client, committed, manager):
    for name in ("accountability:period", "accountability:period-statement"):
        assert client.get(period_url(committed, name)).status_code == 404

    client.force_login(manager)
    assert client.get(period_url(committed)).status_code == 200
    response = client.get(period_url(committed, "accountability:period-statement"))
    assert response.status_code == 200


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_statement_pdf_shows_the_figures_and_the_allocation(
    client, allocated, projects, consortium, tmp_path
):
    facilitator = member(consortium, Role.FACILITATOR)
    expense = approved(
        projects["C02"],
        facilitator,
        member(consortium, Role.ADMIN),
        amount_cents=1_234_56,
        supplier="Officina Rossi",
    )
    services.expense_pay(expense=expense, paid_by=expense.approved_by)

    response = client.get(period_url(allocated, "accountability:period-statement"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    flat = " ".join(text.split())
    money = [
        " ".join(format_money(cents).split())
        for cents in (24_499_50, 8_749_75, -2_000_00, 31_249_25, 12_499_70)
        + (4_500_00, 7_999_70, 1_234_56)
    ]
    for expected in ["Cascina del Sole", "40,0", "C02", "Officina Rossi", *money]:
        assert expected in flat, expected
    assert Expense.objects.get(pk=expense.pk).status == "paid"


# --- manager pages ---------------------------------------------------------------


def test_a_manager_declares_commits_and_confirms_through_the_pages(
    client, consortium, process, partners, manager, projects, result
):
    client.force_login(manager)
    data = {"label": "2026", "start": "2026-01-01", "end": "2026-12-31"}
    data["process"] = process.pk
    for name, (revenue, costs) in FIGURES.items():
        pk = partners[name].pk
        data[f"revenue_{pk}"] = f"{revenue // 100},{revenue % 100:02d}"
        data[f"costs_{pk}"] = f"{costs // 100},{costs % 100:02d}"

    response = client.post(
        reverse("accountability:period-declare", kwargs={"slug": consortium.slug}),
        data,
    )

    period = ResultsPeriod.objects.get()
    assert response.status_code == 302
    assert period.profit_cents == PROFIT
    manage = period_url(period, "accountability:period-manage")
    client.post(manage, {"action": "commit", "share_percent": "40"})
    period.refresh_from_db()
    assert period.committed_cents == 12_499_70

    page = client.get(manage, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    proposal = services.period_allocation_propose(period=period)
    assert proposal.fingerprint in page
    assert "partly funded with what was left" in page
    client.post(manage, {"action": "allocate", "fingerprint": proposal.fingerprint})
    period.refresh_from_db()
    assert period.status == "allocated"
    assert_books_balance()


def test_the_manager_pages_keep_what_was_typed_when_refused(
    client, consortium, process, partners, manager, committed
):
    client.force_login(manager)
    response = client.post(
        period_url(committed, "accountability:period-manage"),
        {"action": "allocate", "fingerprint": "not-the-one"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "Something changed since this allocation was proposed" in (
        response.content.decode()
    )
    assert not LedgerTransaction.objects.filter(kind="reinvestment").exists()


def test_only_managers_reach_the_manager_pages(client, consortium, committed):
    client.force_login(member(consortium, Role.FACILITATOR))

    declare = reverse("accountability:period-declare", kwargs={"slug": consortium.slug})
    assert client.get(declare).status_code == 403
    manage = period_url(committed, "accountability:period-manage")
    assert client.get(manage).status_code == 403
    assert client.post(manage, {"action": "allocate"}).status_code == 403
    client.logout()
    assert client.get(declare).status_code == 302  # to the login page


# --- races (PostgreSQL: row locks do nothing on SQLite) ----------------------------


def _race(calls):
    barrier = Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
            return "ok"
        except Exception as error:  # noqa: BLE001 - the outcome is counted
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return sorted(pool.map(run, calls))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_commits_at_once_move_the_money_once(
    consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager)

    outcomes = _race(
        [
            lambda: services.period_commit(period=period, share_percent=40, by=manager),
            lambda: services.period_commit(period=period, share_percent=50, by=manager),
        ]
    )

    assert outcomes == ["PeriodStateError", "ok"]
    assert LedgerTransaction.objects.filter(kind="reinvestment_commit").count() == 1
    period.refresh_from_db()
    assert held(f"reinvestment_pool:{consortium.pk}") == period.committed_cents
    assert_books_balance()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_allocate_once(committed, manager, projects):
    fingerprint = services.period_allocation_propose(period=committed).fingerprint

    outcomes = _race(
        [
            lambda: services.period_allocate(
                period=committed, fingerprint=fingerprint, by=manager
            )
        ]
        * 2
    )

    assert outcomes == ["ok", "ok"]  # the second finds it allocated
    assert LedgerTransaction.objects.filter(kind="reinvestment").count() == 1
    assert PeriodAllocation.objects.count() == 4
    assert held(f"project_fund:{projects['C01'].pk}") == 7_999_70
    assert_books_balance()


def test_the_demo_seed_declares_commits_and_allocates_once(
    consortium, process, partners, manager, result
):
    from accountability.demo import reinvestment_demo_seed

    period = reinvestment_demo_seed(community=consortium)

    # The first three demo rows, by partner name: 8.449,60 + 6.779,85 + 2.420,00
    assert (period.status, period.label, period.profit_cents) == (
        "allocated",
        "2025",
        17_649_45,
    )
    assert period.committed_cents == 7_059_78  # 40 %, rounded down
    assert reinvestment_demo_seed(community=consortium).pk == period.pk
    assert LedgerTransaction.objects.filter(kind="reinvestment").count() == 1
    assert_books_balance()


def test_a_refused_commitment_keeps_what_was_typed(
    client, consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager)
    client.force_login(manager)

    response = client.post(
        period_url(period, "accountability:period-manage"),
        {"action": "commit", "amount": "40.000,00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "is more than the period&#x27;s profit" in html
    assert 'value="40.000,00"' in html
    period.refresh_from_db()
    assert (period.status, period.committed_cents) == ("declared", 0)
    assert not LedgerTransaction.objects.exists()


def test_the_declare_page_has_one_row_per_partner(
    client, consortium, partners, manager
):
    client.force_login(manager)

    response = client.get(
        reverse("accountability:period-declare", kwargs={"slug": consortium.slug})
    )

    html = response.content.decode()
    assert response.status_code == 200
    for name, section in partners.items():
        assert name in html
        assert f'name="revenue_{section.pk}"' in html
        assert f'name="costs_{section.pk}"' in html


def test_a_declared_period_shows_the_commit_form_to_its_manager(
    client, consortium, process, partners, manager
):
    period = declared(consortium, process, partners, manager)
    client.force_login(manager)

    response = client.get(period_url(period, "accountability:period-manage"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="commit"' in html
    assert format_money(PROFIT) in html
