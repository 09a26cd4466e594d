"""The open data exports: exact rows, CSV = JSON, privacy, formulas, queries."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, MatchAllocation, MatchRound, Pledge
from campaigns.selectors import campaign_totals
from opendata.datasets import DATASETS, public_account_code
from opendata.formats import csv_cell
from participation.models import ProcessResult
from payments.ledger import Line, account_get, ledger_post
from payments.models import LedgerTransaction
from tests.factories import CommunityFactory, ProcessFactory, ProjectFactory

from .conftest import DATASET_SLUGS, PRIVATE, SECRETS, body, get_json

pytestmark = pytest.mark.django_db


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat()


def csv_rows(client, slug, **params) -> list[list[str]]:
    text = body(client.get(f"/open-data/{slug}.csv", params))
    return list(csv.reader(io.StringIO(text, newline="")))


# --- exact rows ------------------------------------------------------------------


def test_processes_lists_public_processes_past_the_draft(client, town):
    data = get_json(client, "processes")

    assert data["rows"] == [
        {
            "community": "od-town",
            "process": "budget-2026",
            "title": "Budget 2026",
            "currency": "EUR",
            "budget_cents": 100_000,
            "phase": "results",
            "ballot_kind": "approval",
            "outcome_rule": "greedy",
            # the proposal phase is off: its dates are not shown
            "proposals_starts_on": None,
            "proposals_ends_on": None,
            "support_starts_on": "2026-01-10",
            "support_ends_on": "2026-01-31",
            "codesign_starts_on": None,
            "codesign_ends_on": None,
            "vote_starts_on": "2026-03-01",
            "vote_ends_on": "2026-03-15",
            "results_on": "2026-03-20",
            "ballots_counted": 3,
        }
    ]


def test_projects_say_which_won(client, town):
    data = get_json(client, "projects")

    assert data["rows"] == [
        {
            "community": "od-town",
            "process": "budget-2026",
            "code": "P01",
            "title": "Giardino della libertà",
            "currency": "EUR",
            "cost_cents": 60_000,
            "feasibility": "feasible",
            "selected": True,
        },
        {
            "community": "od-town",
            "process": "budget-2026",
            "code": "P02",
            "title": '=HYPERLINK("http://evil.example","x")',
            "currency": "EUR",
            "cost_cents": 50_000,
            "feasibility": "feasible",
            "selected": False,
        },
        {
            "community": "od-town",
            "process": "budget-2026",
            "code": "P03",
            "title": "-5 benches",
            "currency": "EUR",
            "cost_cents": 20_000,
            "feasibility": "not_feasible",
            "selected": False,
        },
    ]


def test_results_follow_the_published_explanation(client, town):
    # Greedy within 1,000.00: P01 (3 votes, 600.00) fits; P02 (1 vote,
    # 500.00) does not fit in the 400.00 left. P03 was not on the ballot.
    data = get_json(client, "results")

    common = {
        "community": "od-town",
        "process": "budget-2026",
        "rule": "greedy",
        "ballots_counted": 3,
        "currency": "EUR",
        "stage": "greedy",
    }
    assert data["rows"] == [
        {
            **common,
            "code": "P01",
            "title": "Giardino della libertà",
            "cost_cents": 60_000,
            "votes": 3,
            "selected": True,
            "position": 1,
        },
        {
            **common,
            "code": "P02",
            "title": '=HYPERLINK("http://evil.example","x")',
            "cost_cents": 50_000,
            "votes": 1,
            "selected": False,
            "position": None,
        },
    ]
    rows = ProcessResult.objects.get(process=town.process).explanation["rows"]
    assert [(r["code"], r["votes"], r["position"]) for r in rows] == [
        (r["code"], r["votes"], r["position"]) for r in data["rows"]
    ]


def test_campaign_totals_count_what_counts_and_distinct_backers(client, town):
    data = get_json(client, "campaigns")

    campaign = town.campaign
    assert data["rows"] == [
        {
            "community": "od-town",
            "campaign": "library-garden",
            "title": "Campaign library-garden",
            "process": "budget-2026",
            "project": "P01",
            "currency": "EUR",
            "goal_cents": 10_000,
            "stretch_goal_cents": None,
            "funding_model": "keep_it_all",
            "status": "live",
            "starts_at": iso(campaign.starts_at),
            "deadline": "2030-06-30T18:00:00+00:00",
            "closed_at": None,
            # 25.00 cash + 10.00 bank (paid) + 18.00 card saved; the 99.00
            # pledge still waiting for its card does not count.
            "pledged_cents": 5_300,
            "paid_cents": 3_500,
            # the cash and bank pledges share an e-mail: one backer
            "backers": 2,
            "pledges": 3,
        }
    ]
    totals = campaign_totals(campaign)
    row = data["rows"][0]
    assert (row["pledged_cents"], row["paid_cents"], row["backers"]) == (
        totals["pledged_cents"],
        totals["paid_cents"],
        totals["backers"],
    )


def test_draft_campaigns_are_not_exported(client, town):
    Campaign.objects.filter(pk=town.campaign.pk).update(status="draft")

    assert get_json(client, "campaigns")["rows"] == []


def test_match_rounds_give_the_allocation_per_campaign(client, town):
    open_round = MatchRound.objects.create(
        community=town.community,
        title="Autumn match",
        sponsor=SECRETS["sponsor"],
        pool_cents=2_000,
        mode="quadratic",
    )

    data = get_json(client, "match-rounds")

    base = {
        "community": "od-town",
        "factor_percent": 100,
        "cap_per_pledge_cents": None,
        "currency": "EUR",
    }
    assert data["rows"] == [
        {
            **base,
            "round": town.round.pk,
            "title": "Spring match",
            "mode": "ratio",
            "cap_per_campaign_cents": 3_000,
            "pool_cents": 5_000,
            "status": "closed",
            "closed_at": "2026-07-01T09:00:00+00:00",
            "campaign": "library-garden",
            "backers": 2,
            "pledged_cents": 5_300,
            "allocated_cents": 3_000,
            "capped": True,
        },
        {
            **base,
            "round": open_round.pk,
            "title": "Autumn match",
            "mode": "quadratic",
            "cap_per_campaign_cents": None,
            "pool_cents": 2_000,
            "status": "open",
            "closed_at": None,
            "campaign": None,
            "backers": None,
            "pledged_cents": None,
            "allocated_cents": None,
            "capped": None,
        },
    ]


def test_ledger_entries_to_the_cent_and_accounts_that_could_name_someone_redacted(
    client, town
):
    cash, bank = (
        LedgerTransaction.objects.get(kind="offline", entries__account__code=code)
        for code in ("offline:cash", "offline:bank")
    )
    match, gift = town.transactions["match"], town.transactions["gift"]
    campaign, fund = town.campaign.account_code, town.campaign.project_fund_code

    def entries(txn, *lines):
        return [
            {
                "transaction": txn.pk,
                "kind": txn.kind,
                "source_type": txn.source_type,
                "created_at": iso(txn.created_at),
                "currency": "EUR",
                "account": account,
                "account_kind": kind,
                "amount_cents": cents,
            }
            for account, kind, cents in lines
        ]

    data = get_json(client, "ledger")

    cash.refresh_from_db(), bank.refresh_from_db()
    match.refresh_from_db(), gift.refresh_from_db()
    assert data["rows"] == [
        *entries(
            cash, ("offline:cash", "offline", 2_500), (campaign, "campaign", -2_500)
        ),
        *entries(
            bank, ("offline:bank", "offline", 1_000), (campaign, "campaign", -1_000)
        ),
        *entries(
            match,
            (f"match_pool:{town.round.pk}", "match_pool", 3_000),
            (campaign, "campaign", -3_000),
        ),
        *entries(
            gift,
            ("external:redacted", "external", 700),
            (fund, "project_fund", -700),
        ),
    ]
    by_txn: dict[int, int] = {}
    for row in data["rows"]:
        by_txn[row["transaction"]] = (
            by_txn.get(row["transaction"], 0) + row["amount_cents"]
        )
    assert set(by_txn.values()) == {0}


def test_shop_sales_expenses_and_grants_of_a_public_community_are_exported(
    client, town, hidden
):
    pk = town.community.pk
    sale, _ = ledger_post(
        kind="order_paid",
        source_type="payment_intent",
        source_id="pi_secret_reference",
        lines=[
            Line(account_get("clearing:stripe:eur", kind="clearing"), 1_200),
            Line(account_get(f"shop_sales:{pk}", kind="shop_sales"), -1_200),
        ],
        memo=f"order for {SECRETS['backer_name']}",
    )
    grant, _ = ledger_post(
        kind="grant",
        source_type="grant",
        source_id="1",
        lines=[
            Line(account_get(f"external:grant:{pk}", kind="external"), 500),
            Line(account_get(f"expenses:{pk}", kind="expenses"), -500),
        ],
    )
    ledger_post(
        kind="grant",
        source_type="grant",
        source_id="2",
        lines=[
            Line(
                account_get(f"external:grant:{hidden.community_id}", kind="external"), 9
            ),
            Line(account_get(f"expenses:{hidden.community_id}", kind="expenses"), -9),
        ],
    )

    rows = get_json(client, "ledger")["rows"]

    exported = [
        (r["account"], r["amount_cents"])
        for r in rows
        if r["transaction"] in {sale.pk, grant.pk}
    ]
    assert exported == [
        ("clearing:stripe:eur", 1_200),
        (f"shop_sales:{pk}", -1_200),
        (f"external:grant:{pk}", 500),
        (f"expenses:{pk}", -500),
    ]
    assert {r["amount_cents"] for r in rows}.isdisjoint({9, -9})
    assert "pi_secret_reference" not in json.dumps(rows)


@pytest.mark.parametrize(
    ("code", "exported"),
    [
        ("campaign:12", "campaign:12"),
        ("project_fund:6", "project_fund:6"),
        ("fees:stripe:eur", "fees:stripe:eur"),
        ("clearing:stripe:eur", "clearing:stripe:eur"),
        ("offline:cash", "offline:cash"),
        ("external:grant:3", "external:grant:3"),
        ("shop_sales:shop", "shop_sales:shop"),
        ("shop_sales:4", "shop_sales:4"),
        ("external:mario-rossi", "external:redacted"),
        ("external:grant:mario", "external:redacted"),
        ("campaign:mario", "campaign:redacted"),
        ("user:7", "external:redacted"),
        ("email:someone@example.org", "external:redacted"),
        ("campaign:12\n", "campaign:redacted"),
    ],
)
def test_account_codes_are_exported_only_when_they_cannot_name_a_person(code, exported):
    assert public_account_code(code) == exported


# --- CSV and JSON ----------------------------------------------------------------


@pytest.mark.parametrize("slug", DATASET_SLUGS)
def test_csv_and_json_hold_the_same_rows_and_columns(client, town, slug):
    data = get_json(client, slug)
    rows = csv_rows(client, slug)
    dataset = DATASETS[slug]

    assert rows[0] == dataset.column_names
    assert [c["name"] for c in data["meta"]["columns"]] == dataset.column_names
    assert data["rows"], "the fixture has rows in every dataset"
    kinds = {c.name: c.type for c in dataset.columns}
    expected = []
    for row in data["rows"]:
        cells = []
        for name in dataset.column_names:
            value = row[name]
            if kinds[name] == "datetime" and value is not None:
                value = datetime.datetime.fromisoformat(value)
            elif kinds[name] == "date" and value is not None:
                value = datetime.date.fromisoformat(value)
            cells.append(csv_cell(value, kinds[name]))
        expected.append(cells)
    assert rows[1:] == expected


def test_json_meta_names_licence_time_source_and_columns(client, town):
    before = timezone.now()
    data = get_json(client, "campaigns", community="od-town")

    meta = data["meta"]
    assert meta["licence"] == "CC BY 4.0"
    assert meta["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert (
        meta["source"] == "http://testserver/open-data/campaigns.json?community=od-town"
    )
    assert meta["community"] == "od-town"
    assert datetime.datetime.fromisoformat(meta["generated_at"]) >= before.replace(
        microsecond=0
    )
    assert meta["columns"][0] == {
        "name": "community",
        "type": "text",
        "description": str(DATASETS["campaigns"].columns[0].description),
    }


def test_exports_are_streamed_utf8_and_public(client, town):
    response = client.get("/open-data/projects.csv")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    json_response = client.get("/open-data/projects.json")
    assert json_response.streaming
    assert json_response["Content-Type"] == "application/json; charset=utf-8"


# --- formula injection -----------------------------------------------------------


def test_csv_neutralises_formula_text_and_keeps_numbers_numeric(client, town):
    projects = csv_rows(client, "projects")
    ledger = csv_rows(client, "ledger")

    titles = {row[2]: row[3] for row in projects[1:]}
    assert titles["P02"] == '\'=HYPERLINK("http://evil.example","x")'
    # a text column is text, even when it looks like a number
    assert titles["P03"] == "'-5 benches"
    assert titles["P01"] == "Giardino della libertà"
    amounts = [row[-1] for row in ledger[1:]]
    assert "-2500" in amounts and "2500" in amounts
    assert all(not a.startswith("'") for a in amounts)
    assert all(int(a) for a in amounts)
    # JSON keeps the value as it is, with its type
    data = get_json(client, "ledger")
    assert -2_500 in [row["amount_cents"] for row in data["rows"]]


@pytest.mark.parametrize(
    ("value", "kind", "cell"),
    [
        ("=1+2", "text", "'=1+2"),
        ("+39 333", "text", "'+39 333"),
        ("-1800", "text", "'-1800"),
        ("@SUM(A1)", "text", "'@SUM(A1)"),
        ("\tx", "text", "'\tx"),
        ("\rx", "text", "'\rx"),
        ("plain", "text", "plain"),
        ("a=b", "text", "a=b"),
        ("", "text", ""),
        (-1800, "integer", "-1800"),
        (0, "integer", "0"),
        (250_000, "integer", "250000"),
        (None, "integer", ""),
        (True, "boolean", "true"),
        (False, "boolean", "false"),
        (None, "boolean", ""),
        (datetime.date(2026, 3, 1), "date", "2026-03-01"),
    ],
)
def test_csv_cell_rule(value, kind, cell):
    assert csv_cell(value, kind) == cell


# --- privacy ---------------------------------------------------------------------


def test_no_personal_data_in_any_export_in_any_format(client, town, hidden):
    pages = [
        body(client.get(f"/open-data/{s}.{f}"))
        for s in DATASET_SLUGS
        for f in ("csv", "json")
    ]
    pages += [
        body(client.get(f"/open-data/{s}.{f}", {"community": "od-town"}))
        for s in DATASET_SLUGS
        for f in ("csv", "json")
    ]
    pages.append(client.get("/open-data/").content.decode())
    everything = "\n".join(pages).lower()
    for what, secret in SECRETS.items():
        assert secret.lower() not in everything, what
    # no user ids or pledge ids leak as backer keys either
    assert "user:" not in everything and "email:" not in everything
    for pledge in Pledge.objects.all():
        assert f"pledge:{pledge.pk}" not in everything


def test_private_communities_are_left_out(client, town, hidden):
    everything = "\n".join(
        body(client.get(f"/open-data/{s}.{f}"))
        for s in DATASET_SLUGS
        for f in ("csv", "json")
    )
    for name in PRIVATE:
        assert name not in everything
    assert "4444" not in everything  # the private campaign's money
    assert hidden.account_code not in everything


def test_a_private_or_unknown_community_filter_is_not_found(client, town, hidden):
    for slug in ("hidden-ward", "no-such-place"):
        assert (
            client.get("/open-data/ledger.json", {"community": slug}).status_code == 404
        )
        assert client.get("/open-data/", {"community": slug}).status_code == 404
    assert client.get("/open-data/nothing.csv").status_code == 404


# --- filter ----------------------------------------------------------------------


def test_filter_by_community_keeps_only_its_rows(client, town):
    other = CommunityFactory(slug="other-town")
    process = ProcessFactory(community=other, slug="other-budget", phase="vote")
    ProjectFactory(process=process, code="O01")
    round_ = MatchRound.objects.create(
        community=other, title="Other", sponsor="x", pool_cents=100, mode="ratio"
    )
    fund = account_get("project_fund:999999", kind="project_fund")
    ledger_post(
        kind="grant",
        source_type="test",
        source_id="other",
        lines=[
            Line(account_get(f"match_pool:{round_.pk}", kind="match_pool"), 100),
            Line(fund, -100),
        ],
    )

    for slug in DATASET_SLUGS:
        everything = get_json(client, slug)["rows"]
        only_town = get_json(client, slug, community="od-town")["rows"]
        only_other = get_json(client, slug, community="other-town")["rows"]
        if "community" in DATASETS[slug].column_names:
            assert {r["community"] for r in only_town} == {"od-town"}
            assert {r["community"] for r in only_other} <= {"other-town"}
        assert len(only_town) + len(only_other) == len(everything), slug
    assert [
        r["process"]
        for r in get_json(client, "processes", community="other-town")["rows"]
    ] == ["other-budget"]
    other_ledger = get_json(client, "ledger", community="other-town")["rows"]
    assert [r["amount_cents"] for r in other_ledger] == [100, -100]


# --- index -----------------------------------------------------------------------


def test_index_lists_every_dataset_with_its_formats_columns_and_licence(client, town):
    response = client.get("/open-data/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    for slug in DATASET_SLUGS:
        assert f'href="/open-data/{slug}.csv"' in html
        assert f'href="/open-data/{slug}.json"' in html
    assert "CC BY 4.0" in html
    assert "<code>amount_cents</code>" in html
    filtered = client.get("/open-data/", {"community": "od-town"}).content.decode()
    assert 'href="/open-data/ledger.csv?community=od-town"' in filtered


# --- queries ---------------------------------------------------------------------


def _grow(community, n: int, start: int) -> None:
    """``n`` more rows in every dataset for ``community``."""
    now = timezone.now()
    for i in range(start, start + n):
        process = ProcessFactory(community=community, slug=f"p-{i}", phase="results")
        project = ProjectFactory(process=process, code=f"C{i}", cost_cents=1_000)
        ProcessResult.objects.create(
            process=process,
            rule="greedy",
            winners=[project.code],
            explanation={
                "rows": [
                    {
                        "code": project.code,
                        "votes": i,
                        "cost_cents": 1_000,
                        "selected": True,
                        "position": 1,
                        "stage": "greedy",
                    }
                ]
            },
            ballots_counted=i,
        )
        campaign = Campaign.objects.create(
            community=community,
            project=project,
            slug=f"c-{i}",
            title=f"C {i}",
            story=".",
            goal_cents=1_000,
            starts_at=now - datetime.timedelta(days=1),
            deadline=now + datetime.timedelta(days=1),
            status="live",
        )
        Pledge.objects.create(
            campaign=campaign, backer_name="x", amount_cents=100, status="paid"
        )
        round_ = MatchRound.objects.create(
            community=community, title="r", sponsor="s", pool_cents=100, mode="ratio"
        )
        MatchAllocation.objects.create(
            round=round_,
            campaign=campaign,
            backers=1,
            pledged_cents=100,
            amount_cents=100,
        )
        ledger_post(
            kind="match",
            source_type="test",
            source_id=i,
            lines=[
                Line(account_get(round_.account_code, kind="match_pool"), 100),
                Line(account_get(campaign.account_code, kind="campaign"), -100),
            ],
        )


def _queries(client, slug, fmt) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        text = body(client.get(f"/open-data/{slug}.{fmt}"))
    rows = len(json.loads(text)["rows"]) if fmt == "json" else text.count("\r\n") - 1
    return len(queries), rows


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_query_count_does_not_grow_with_rows(client, fmt):
    community = CommunityFactory(slug="big-town")
    _grow(community, 3, 0)
    small = {slug: _queries(client, slug, fmt) for slug in DATASET_SLUGS}
    _grow(community, 27, 3)
    large = {slug: _queries(client, slug, fmt) for slug in DATASET_SLUGS}

    for slug in DATASET_SLUGS:
        factor = 2 if slug == "ledger" else 1  # two entries per transaction
        assert small[slug][1] == 3 * factor, slug
        assert large[slug][1] == 30 * factor, slug
        assert large[slug][0] == small[slug][0], slug
