"""Schemathesis fuzzes every operation of the API's own OpenAPI schema, in
process (WSGI), over the open-data fixtures: a public town with one of
everything and a private ward."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings


@pytest.fixture
def api_schema(town, hidden):
    # As Django's test client does: the request signals must not close the
    # connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application()
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,  # the same cases on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_the_schema(case):
    case.call_and_validate()


# Requests that hit the fixture's rows, which random slugs almost never do.
KNOWN = [
    (
        "/api/v1/processes/{community}/{process}/",
        {"community": "od-town", "process": "budget-2026"},
        {},
    ),
    ("/api/v1/campaigns/{campaign}/", {"campaign": "library-garden"}, {}),
    ("/api/v1/processes/", {}, {"community": "od-town", "limit": 1}),
    ("/api/v1/projects/", {}, {"process": "budget-2026", "limit": 2, "page": 2}),
    ("/api/v1/results/", {}, {"community": "od-town", "process": "budget-2026"}),
    ("/api/v1/campaigns/", {}, {"community": "od-town"}),
    ("/api/v1/match-rounds/", {}, {"campaign": "library-garden"}),
    ("/api/v1/ledger/", {}, {"community": "od-town", "limit": 3}),
]


def test_the_fixture_rows_conform_to_the_schema(api_schema, town):
    known = [*KNOWN]
    for code in town.projects:
        known.append(
            (
                "/api/v1/projects/{community}/{process}/{code}/",
                {"community": "od-town", "process": "budget-2026", "code": code},
                {},
            )
        )
    for path, path_parameters, query in known:
        operation = api_schema[path]["GET"]
        case = operation.Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate()
        assert response.status_code == 200, (path, response.text)
        data = response.json()
        assert data.get("results", [data]), path
