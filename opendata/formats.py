"""CSV and JSON renderings of a dataset, streamed a row at a time.

CSV rule against formula injection: cells are written by the declared type
of their column, never by sniffing their content. Integer columns hold
Python ints from the database and are written as plain numbers (``-1800``
stays ``-1800``). In a text column, a value that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a single quote in front
(``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``, and a title ``-5`` becomes
``'-5``: in a text column it is text). Booleans are ``true``/``false``,
dates and datetimes ISO 8601 (UTC), an empty cell is a missing value. JSON
carries the raw values with their JSON types; it needs no neutralising.
"""

import csv
import datetime
import json
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .datasets import BOOL, INT, Dataset

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def csv_text(value: str) -> str:
    """A text cell made safe for spreadsheets."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == INT:
        return str(int(value))
    if kind == BOOL:
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date):
        return _iso(value)
    return csv_text(str(value))


def _iso(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value.isoformat()


class _Echo:
    def write(self, value):
        return value


def csv_stream(dataset: Dataset, rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(dataset.column_names)
    kinds = [(column.name, column.type) for column in dataset.columns]
    for row in rows:
        yield writer.writerow([csv_cell(row[name], kind) for name, kind in kinds])


class JsonEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            return _iso(o)
        return super().default(o)


def json_meta(dataset: Dataset, *, source: str, community: str | None) -> dict:
    return {
        "dataset": dataset.slug,
        "title": str(dataset.title),
        "description": str(dataset.description),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "generated_at": _iso(timezone.now()),
        "source": source,
        "community": community,
        "columns": [
            {"name": c.name, "type": c.type, "description": str(c.description)}
            for c in dataset.columns
        ],
    }


def json_stream(dataset: Dataset, rows: Iterable[dict], *, meta: dict) -> Iterator[str]:
    """``{"meta": {...}, "rows": [...]}`` with the rows written as they come."""
    names = dataset.column_names
    header = json.dumps(meta, cls=JsonEncoder, ensure_ascii=False)
    yield '{"meta": ' + header + ', "rows": ['
    separator = ""
    for row in rows:
        yield separator + json.dumps(
            {n: row[n] for n in names}, cls=JsonEncoder, ensure_ascii=False
        )
        separator = ", "
    yield "]}\n"
