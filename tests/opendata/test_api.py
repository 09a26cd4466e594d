"""The open-data JSON API: exact payloads, pages, filters, errors, methods,
headers, privacy, the OpenAPI document and the page that describes it."""

import json

import pytest
import schemathesis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, MatchRound, Pledge
from opendata.api.endpoints import ENDPOINTS
from opendata.api.schema import openapi_document
from opendata.datasets import DATASETS
from participation.models import Process, Project
from payments.ledger import Line, account_get, ledger_post
from payments.models import Entry, LedgerTransaction
from tests.factories import CommunityFactory, ProcessFactory, ProjectFactory

from .conftest import DATASET_SLUGS, PRIVATE, SECRETS, get_json
from .test_exports import _grow

pytestmark = pytest.mark.django_db

API = "/api/v1"
BASE = "http://testserver/api/v1"

PROCESS = {
    "community": "od-town",
    "process": "budget-2026",
    "title": "Budget 2026",
    "currency": "EUR",
    "budget_cents": 100_000,
    "phase": "results",
    "ballot_kind": "approval",
    "outcome_rule": "greedy",
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


def project(code, title, cost_cents, feasibility="feasible", selected=False):
    return {
        "community": "od-town",
        "process": "budget-2026",
        "code": code,
        "title": title,
        "currency": "EUR",
        "cost_cents": cost_cents,
        "feasibility": feasibility,
        "selected": selected,
    }


PROJECTS = [
    project("P01", "Giardino della libertà", 60_000, selected=True),
    project("P02", '=HYPERLINK("http://evil.example","x")', 50_000),
    project("P03", "-5 benches", 20_000, feasibility="not_feasible"),
]


def api_get(client, path, **params):
    response = client.get(f"{API}{path}", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"] == "application/json", path
    return response


def walk(client, slug, **params) -> list[dict]:
    """Every row of a list, following ``next`` from the first page."""
    rows, url, pages = [], f"{API}/{slug}/", 0
    query = params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, (url, response.content)
        data = response.json()
        rows += data["results"]
        url = data["next"] and data["next"].removeprefix("http://testserver")
        query = None
        pages += 1
        assert pages < 100
    return rows


def everything(client, town) -> str:
    """All the API serves about the town, lowercased: every list, every row."""
    outputs = []
    for slug in DATASET_SLUGS:
        for params in ({}, {"community": "od-town"}):
            outputs.append(api_get(client, f"/{slug}/", limit=1000, **params).content)
    for path in (
        "/processes/od-town/budget-2026/",
        *(f"/projects/od-town/budget-2026/{code}/" for code in town.projects),
        f"/campaigns/{town.campaign.slug}/",
        "/openapi.json",
    ):
        outputs.append(api_get(client, path).content)
    outputs.append(client.get(f"{API}/").content)
    return "\n".join(o.decode() for o in outputs).lower()


# --- exact payloads --------------------------------------------------------------


def test_processes_list_is_one_page_of_the_dataset_rows(client, town):
    response = api_get(client, "/processes/")

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": [PROCESS]}


def test_projects_list_in_the_dataset_order(client, town):
    assert api_get(client, "/projects/").json()["results"] == PROJECTS


def test_one_process_by_community_and_slug(client, town):
    response = api_get(client, "/processes/od-town/budget-2026/")

    assert response.status_code == 200
    assert response.json() == PROCESS


def test_one_project_by_community_process_and_code(client, town):
    response = api_get(client, "/projects/od-town/budget-2026/P03/")

    assert response.json() == PROJECTS[2]


def test_one_campaign_by_slug_with_its_totals(client, town):
    response = api_get(client, "/campaigns/library-garden/")

    assert response.status_code == 200
    assert response.json() == {
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
        "starts_at": town.campaign.starts_at.isoformat(),
        "deadline": "2030-06-30T18:00:00+00:00",
        "closed_at": None,
        "pledged_cents": 5_300,
        "paid_cents": 3_500,
        "backers": 2,
        "pledges": 3,
    }


@pytest.mark.parametrize("slug", DATASET_SLUGS)
def test_every_list_serves_exactly_the_rows_of_the_json_export(client, town, slug):
    exported = get_json(client, slug)["rows"]

    assert exported, "the fixture has rows in every dataset"
    assert api_get(client, f"/{slug}/").json()["results"] == exported


@pytest.mark.parametrize(
    "path",
    [
        "/processes/od-town/draft-process/",
        "/processes/od-town/no-such-process/",
        "/processes/no-such-town/budget-2026/",
        "/processes/hidden-ward/hidden-budget/",
        "/projects/od-town/budget-2026/P99/",
        "/projects/hidden-ward/hidden-budget/H01/",
        "/campaigns/hidden-campaign/",
        "/campaigns/no-such-campaign/",
        "/campaigns/bad%20slug/",
    ],
)
def test_a_row_that_is_not_public_is_not_found(client, town, hidden, path):
    response = api_get(client, path)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_draft_campaign_is_not_found(client, town):
    Campaign.objects.filter(pk=town.campaign.pk).update(status="draft")

    assert api_get(client, "/campaigns/library-garden/").status_code == 404


# --- pages -----------------------------------------------------------------------


def test_pages_link_to_each_other_and_keep_the_filters(client, town):
    first = api_get(client, "/projects/", community="od-town", limit=2).json()
    second = api_get(client, "/projects/", community="od-town", limit=2, page=2).json()

    assert first == {
        "next": f"{BASE}/projects/?community=od-town&limit=2&page=2",
        "previous": None,
        "results": PROJECTS[:2],
    }
    assert second == {
        "next": None,
        "previous": f"{BASE}/projects/?community=od-town&limit=2",
        "results": PROJECTS[2:],
    }


@pytest.mark.parametrize("slug", DATASET_SLUGS)
def test_walking_the_pages_returns_every_row_once_in_order(client, town, slug):
    exported = get_json(client, slug)["rows"]

    for limit in (1, 2, 1000):
        assert walk(client, slug, limit=limit) == exported, limit


def test_an_empty_list_is_one_empty_page(client, town):
    other = CommunityFactory(slug="empty-town")

    response = api_get(client, "/campaigns/", community=other.slug)

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_a_page_past_the_last_is_not_found(client, town):
    response = api_get(client, "/projects/", limit=2, page=3)

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "Page 3 is past the last page.",
    }


def test_the_default_page_is_100_rows(client):
    community = CommunityFactory(slug="many-projects")
    process = ProcessFactory(community=community, slug="big", phase="vote")
    for i in range(101):
        ProjectFactory(process=process, code=f"X{i:03}")

    first = api_get(client, "/projects/").json()
    last = api_get(client, "/projects/", page=2).json()

    assert [r["code"] for r in first["results"]] == [f"X{i:03}" for i in range(100)]
    assert first["next"] == f"{BASE}/projects/?page=2"
    assert [r["code"] for r in last["results"]] == ["X100"]
    assert last["previous"] == f"{BASE}/projects/"


# --- filters ---------------------------------------------------------------------


def _other_town():
    other = CommunityFactory(slug="other-town")
    process = ProcessFactory(community=other, slug="other-budget", phase="vote")
    ProjectFactory(process=process, code="O01", title="Other project")
    round_ = MatchRound.objects.create(
        community=other, title="Other", sponsor="x", pool_cents=100, mode="ratio"
    )
    txn, _ = ledger_post(
        kind="grant",
        source_type="test",
        source_id="other",
        lines=[
            Line(account_get(f"match_pool:{round_.pk}", kind="match_pool"), 100),
            Line(account_get("project_fund:999999", kind="project_fund"), -100),
        ],
    )
    return round_, txn


@pytest.mark.parametrize("slug", DATASET_SLUGS)
def test_the_community_filter_keeps_the_rows_of_the_export_filter(client, town, slug):
    _other_town()

    for community in ("od-town", "other-town"):
        exported = get_json(client, slug, community=community)["rows"]
        assert walk(client, slug, community=community, limit=1) == exported


def test_the_process_filter_keeps_its_projects_results_and_campaigns(client, town):
    _other_town()

    projects = api_get(client, "/projects/", process="other-budget").json()
    results = api_get(client, "/results/", process="budget-2026").json()
    campaigns = api_get(client, "/campaigns/", process="budget-2026").json()

    assert [r["code"] for r in projects["results"]] == ["O01"]
    assert [r["code"] for r in results["results"]] == ["P01", "P02"]
    assert [r["campaign"] for r in campaigns["results"]] == ["library-garden"]
    assert api_get(client, "/campaigns/", process="other-budget").json() == {
        "next": None,
        "previous": None,
        "results": [],
    }
    # with the community too
    both = api_get(client, "/projects/", community="od-town", process="other-budget")
    assert both.json()["results"] == []


def test_the_round_campaign_and_transaction_filters(client, town):
    round_, txn = _other_town()

    by_round = api_get(client, "/match-rounds/", round=round_.pk).json()["results"]
    by_campaign = api_get(client, "/match-rounds/", campaign="library-garden").json()
    by_txn = api_get(client, "/ledger/", transaction=txn.pk).json()["results"]

    assert [(r["round"], r["campaign"]) for r in by_round] == [(round_.pk, None)]
    assert [(r["round"], r["allocated_cents"]) for r in by_campaign["results"]] == [
        (town.round.pk, 3_000)
    ]
    assert [(r["transaction"], r["amount_cents"]) for r in by_txn] == [
        (txn.pk, 100),
        (txn.pk, -100),
    ]


# --- bad requests ----------------------------------------------------------------

WHOLE = "“{name}” must be a whole number from 1 to {maximum}."


@pytest.mark.parametrize(
    ("path", "params", "status", "detail"),
    [
        ("/ledger/", {"limit": "0"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "1001"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "ten"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": ""}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "-5"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "+5"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "2.5"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"limit": "1_0"}, 400, WHOLE.format(name="limit", maximum=1000)),
        ("/ledger/", {"page": "0"}, 400, WHOLE.format(name="page", maximum=1000000)),
        (
            "/ledger/",
            {"page": "1000001"},
            400,
            WHOLE.format(name="page", maximum=1000000),
        ),
        ("/ledger/", {"page": "x"}, 400, WHOLE.format(name="page", maximum=1000000)),
        (
            "/ledger/",
            {"transaction": "first"},
            400,
            WHOLE.format(name="transaction", maximum=2**63 - 1),
        ),
        (
            "/match-rounds/",
            {"round": "0"},
            400,
            WHOLE.format(name="round", maximum=2**63 - 1),
        ),
        (
            "/projects/",
            {"process": "no spaces"},
            400,
            "“process” must be a slug (letters, digits, - and _).",
        ),
        (
            "/processes/",
            {"community": "od town"},
            400,
            "“community” must be a community's slug.",
        ),
        (
            "/processes/",
            {"community": "od-town\x00"},
            400,
            "“community” must be a community's slug.",
        ),
        (
            "/processes/",
            {"community": ""},
            400,
            "“community” must be a community's slug.",
        ),
        (
            "/processes/",
            {"community": "no-such-town"},
            404,
            "There is no public community “no-such-town”.",
        ),
        (
            "/processes/",
            {"community": "hidden-ward"},
            404,
            "There is no public community “hidden-ward”.",
        ),
    ],
)
def test_a_bad_parameter_is_a_clear_json_error(client, path, params, status, detail):
    CommunityFactory(slug="hidden-ward", is_public=False)

    response = api_get(client, path, **params)

    assert response.status_code == status
    code = "bad_parameter" if status == 400 else "not_found"
    assert response.json() == {"error": code, "detail": detail}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_address_under_the_api_is_a_json_404(client):
    for path in ("/nothing/", "/processes", "/processes/a/b/c/d/"):
        response = api_get(client, path)
        assert response.status_code == 404
        assert response.json() == {
            "error": "not_found",
            "detail": "There is no such address in the API.",
        }


# --- methods and headers ---------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    ["/processes/", "/processes/od-town/budget-2026/", "/openapi.json", "/"],
)
def test_writing_methods_are_not_allowed_and_change_nothing(client, method, path):
    community = CommunityFactory(slug="od-town")
    process = ProcessFactory(community=community, slug="budget-2026", phase="vote")
    counts = [
        m.objects.count()
        for m in (Process, Project, Campaign, Pledge, LedgerTransaction, Entry)
    ]

    response = getattr(client, method)(
        f"{API}{path}",
        data=json.dumps({"title": "changed"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "method_not_allowed",
        "detail": "This API is read-only: use GET, HEAD or OPTIONS.",
    }
    assert counts == [
        m.objects.count()
        for m in (Process, Project, Campaign, Pledge, LedgerTransaction, Entry)
    ]
    assert Process.objects.get(pk=process.pk).title == process.title


def test_answers_are_public_cacheable_json(client, town):
    response = api_get(client, "/campaigns/")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["X-Content-Type-Options"] == "nosniff"
    # accented text as UTF-8, not \u escapes
    assert "Giardino della libertà".encode() in api_get(client, "/projects/").content
    error = api_get(client, "/campaigns/", limit="x")
    assert error["Cache-Control"] == "no-cache"


def test_head_and_options(client, town):
    head = client.head(f"{API}/processes/")
    options = client.options(f"{API}/processes/od-town/budget-2026/")

    assert head.status_code == 200
    assert head["Content-Type"] == "application/json"
    assert options.status_code == 200
    assert options["Allow"] == "GET, HEAD, OPTIONS"
    assert options["Access-Control-Allow-Origin"] == "*"
    assert options["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


# --- privacy ---------------------------------------------------------------------


def test_no_personal_data_in_any_answer(client, town, hidden):
    text = everything(client, town)

    for what, secret in SECRETS.items():
        assert secret.lower() not in text, what
    assert "user:" not in text and "email:" not in text
    for pledge in Pledge.objects.all():
        assert f"pledge:{pledge.pk}" not in text


def test_a_private_community_is_invisible(client, town, hidden):
    text = everything(client, town)

    for name in PRIVATE:
        assert name.lower() not in text
    assert "4444" not in text
    assert hidden.account_code not in text
    for slug in DATASET_SLUGS:
        response = api_get(client, f"/{slug}/", community="hidden-ward")
        assert response.status_code == 404


# --- queries ---------------------------------------------------------------------


def _queries(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}{path}", params).status_code == 200
    return len(queries)


def _counts(client) -> dict:
    counts = {}
    for slug in DATASET_SLUGS:
        for params in ({}, {"limit": 2, "page": 2}, {"community": "big-town"}):
            key = (slug, tuple(params.items()))
            counts[key] = _queries(client, f"/{slug}/", **params)
    counts["process"] = _queries(client, "/processes/big-town/p-1/")
    counts["campaign"] = _queries(client, "/campaigns/c-1/")
    return counts


def test_query_count_per_page_does_not_grow_with_rows_or_pages(client):
    community = CommunityFactory(slug="big-town")
    _grow(community, 3, 0)
    small = _counts(client)
    _grow(community, 27, 3)
    large = _counts(client)

    assert large == small
    for slug in DATASET_SLUGS:
        first = small[(slug, ())]
        assert small[(slug, (("limit", 2), ("page", 2)))] == first
        # the community filter reads the community once more
        assert small[(slug, (("community", "big-town"),))] == first + 1
    with CaptureQueriesContext(connection) as queries:
        rows = api_get(client, "/ledger/", limit=1000).json()["results"]
    assert len(rows) == 60
    assert len(queries) == small[("ledger", ())]


# --- the OpenAPI document --------------------------------------------------------


def test_the_openapi_document_is_valid_openapi_3_1(client):
    response = api_get(client, "/openapi.json")
    document = response.json()

    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()
    broken = {**document, "info": {"title": "no version"}}
    with pytest.raises(Exception, match="version"):
        schemathesis.openapi.from_dict(broken).validate()


def test_the_document_lists_every_endpoint(client):
    document = api_get(client, "/openapi.json").json()

    assert list(document["paths"]) == [
        "/api/v1/processes/",
        "/api/v1/processes/{community}/{process}/",
        "/api/v1/projects/",
        "/api/v1/projects/{community}/{process}/{code}/",
        "/api/v1/results/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{campaign}/",
        "/api/v1/match-rounds/",
        "/api/v1/ledger/",
    ]
    params = document["paths"]["/api/v1/projects/"]["get"]["parameters"]
    assert [p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in params] == [
        "community",
        "process",
        "limit",
        "page",
    ]
    assert document["components"]["parameters"]["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
    }


@pytest.mark.parametrize("slug", DATASET_SLUGS)
def test_each_row_schema_is_its_dataset_columns(client, slug):
    document = openapi_document()
    endpoint = ENDPOINTS[slug]
    row = document["components"]["schemas"][endpoint.schema_name]

    columns = DATASETS[slug].columns
    assert row["required"] == [c.name for c in columns]
    assert list(row["properties"]) == [c.name for c in columns]
    assert row["additionalProperties"] is False
    for column in columns:
        kind = row["properties"][column.name]["type"]
        base = kind[0] if isinstance(kind, list) else kind
        assert (kind == [base, "null"]) is column.nullable, column.name
        assert (
            base
            == {
                "integer": "integer",
                "text": "string",
                "boolean": "boolean",
                "date": "string",
                "datetime": "string",
            }[column.type]
        )


def test_column_types_and_nulls_in_the_schema(client):
    from django.utils import translation

    with translation.override("en"):  # the descriptions below are the English ones
        schemas = openapi_document()["components"]["schemas"]

    process = schemas["Process"]["properties"]
    assert process["ballots_counted"]["type"] == ["integer", "null"]
    assert process["budget_cents"]["type"] == "integer"
    assert process["vote_starts_on"] == {
        "type": ["string", "null"],
        "format": "date",
        "description": "Vote from",
    }
    assert schemas["Campaign"]["properties"]["deadline"] == {
        "type": "string",
        "format": "date-time",
        "description": "Deadline (UTC)",
    }
    assert schemas["Project"]["properties"]["selected"]["type"] == ["boolean", "null"]


# --- the page for people ---------------------------------------------------------


def test_the_api_page_lists_endpoints_parameters_and_columns(client):
    response = client.get(f"{API}/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/api/v1/openapi.json"' in html
    for path in openapi_document()["paths"]:
        assert f"<code>GET {path}</code>" in html
    assert "<code>transaction</code>" in html
    assert "<td>integer or null</td>" in html  # ballots_counted
    assert "<code>curl 'http://testserver/api/v1/processes/?limit=2'</code>" in html


def test_the_open_data_page_links_the_api(client):
    html = client.get("/open-data/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'href="/api/v1/"' in html


def test_a_community_filter_with_a_nul_byte_is_not_found_in_the_exports(client):
    # PostgreSQL refuses NUL in a query parameter: the slug is checked first.
    CommunityFactory(slug="od-town")

    for path in ("/open-data/processes.json", "/open-data/"):
        assert client.get(path, {"community": "od-town\x00"}).status_code == 404
    assert client.get(f"{API}/processes/", {"community": "od\x00"}).status_code == 400
