"""Structured logs: JSON lines that carry the request they came from."""

import json
import logging
import sys

import pytest
from django.http import HttpResponse

from core.logs import ContextFilter, JsonFormatter, RequestIdMiddleware, request_id_var


def _record(message="hello %s", args=("world",), **extra):
    record = logging.LogRecord("civic.test", logging.WARNING, __file__, 1, message,
                               args, None)  # fmt: skip
    for key, value in extra.items():
        setattr(record, key, value)
    ContextFilter().filter(record)
    return record


def test_a_record_is_one_json_line_with_its_extra_fields():
    token = request_id_var.set("req-12345678")
    try:
        record = _record(pledge_id=42, amount_cents=1500, obj=object())
    finally:
        request_id_var.reset(token)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "civic.test"
    assert entry["message"] == "hello world"
    assert entry["request_id"] == "req-12345678"
    assert entry["pledge_id"] == 42
    assert entry["amount_cents"] == 1500
    assert entry["obj"].startswith("<object object")
    assert entry["time"].endswith("+00:00")
    assert "task_id" not in entry


def test_an_exception_is_kept_in_the_line():
    try:
        raise ValueError("bad input")
    except ValueError:
        record = logging.LogRecord("civic.test", logging.ERROR, __file__, 1,
                                   "failed", (), sys.exc_info())  # fmt: skip
    ContextFilter().filter(record)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "failed"
    assert "ValueError: bad input" in entry["exception"]


@pytest.mark.django_db
def test_each_response_carries_its_own_request_id(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    other = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != other["X-Request-ID"]


@pytest.mark.django_db
def test_a_sane_proxy_request_id_is_kept_and_a_strange_one_replaced(client):
    kept = client.get("/", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")
    replaced = client.get("/", HTTP_X_REQUEST_ID="<script>")

    assert kept["X-Request-ID"] == "nginx-0123456789abcdef"
    assert len(replaced["X-Request-ID"]) == 32


def test_records_written_while_a_request_runs_carry_its_id(rf):
    seen = []

    def view(request):
        seen.append(_record())
        return HttpResponse("ok")

    request = rf.get("/", HTTP_X_REQUEST_ID="trace-abcdef123456")
    response = RequestIdMiddleware(view)(request)
    after = _record()

    assert seen[0].request_id == "trace-abcdef123456"
    assert json.loads(JsonFormatter().format(seen[0]))["request_id"] == (
        "trace-abcdef123456"
    )
    assert response["X-Request-ID"] == "trace-abcdef123456"
    assert after.request_id is None
