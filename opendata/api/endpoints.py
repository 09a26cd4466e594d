"""What the API serves: one endpoint per dataset, its filters and detail key,
and the reading of one page or one row.

Pages are cut from the dataset's own stream (``Dataset.rows``), in its fixed
order: a page costs the dataset's fixed number of queries whatever its number
and size, and the privacy rule is the dataset's. The rows before the page are
read and dropped, which is cheap at the size of these datasets (thousands of
rows, not millions).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.utils.translation import gettext as _

from participation.models import Community

from ..datasets import DATASETS, Column, Dataset, public_communities

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # the largest primary key (a 64-bit integer)
SLUG_MAX_LENGTH = 80
# What a SlugField accepts; community, process and campaign slugs are such.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class ApiError(Exception):
    """An answer other than 200: its status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def bad_parameter(message: str) -> ApiError:
    return ApiError(400, "bad_parameter", message)


@dataclass(frozen=True)
class Endpoint:
    """A dataset as the API serves it.

    ``filters`` are columns a list may be narrowed to (``?process=<slug>``),
    besides ``community``; ``key`` are the columns that name one row, in the
    order of the detail path (none: no detail endpoint)."""

    dataset: Dataset
    schema_name: str
    filters: tuple[str, ...] = ()
    key: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.dataset.slug

    def column(self, name: str) -> Column:
        return next(c for c in self.dataset.columns if c.name == name)

    def public(self, row: dict) -> dict:
        """The row with the dataset's columns only, in their order."""
        return {name: row[name] for name in self.dataset.column_names}


ENDPOINTS: dict[str, Endpoint] = {
    e.slug: e
    for e in (
        Endpoint(DATASETS["processes"], "Process", key=("community", "process")),
        Endpoint(
            DATASETS["projects"],
            "Project",
            filters=("process",),
            key=("community", "process", "code"),
        ),
        Endpoint(DATASETS["results"], "ResultRow", filters=("process",)),
        Endpoint(
            DATASETS["campaigns"], "Campaign", filters=("process",), key=("campaign",)
        ),
        Endpoint(
            DATASETS["match-rounds"], "MatchAllocation", filters=("round", "campaign")
        ),
        Endpoint(DATASETS["ledger"], "LedgerEntry", filters=("transaction",)),
    )
}


def is_slug(value: str) -> bool:
    return len(value) <= SLUG_MAX_LENGTH and _SLUG.fullmatch(value) is not None


def community_get(slug: str) -> Community:
    """A public community by its slug. A private community and one that does
    not exist look the same: not found."""
    community = (
        public_communities().filter(slug=slug).first() if is_slug(slug) else None
    )
    if community is None:
        raise not_found(_("There is no public community “%(slug)s”.") % {"slug": slug})
    return community


def _matching(rows: Iterator[dict], values: dict) -> Iterator[dict]:
    return (row for row in rows if all(row[k] == v for k, v in values.items()))


def page_read(
    endpoint: Endpoint,
    *,
    community: Community | None,
    filters: dict,
    page: int,
    limit: int,
) -> tuple[list[dict], bool]:
    """The rows of page ``page`` (from 1) of ``limit`` rows, and whether a
    next page has any."""
    stream = endpoint.dataset.rows(community)
    start = (page - 1) * limit
    try:
        taken = list(islice(_matching(stream, filters), start, start + limit + 1))
    finally:
        stream.close()  # the database cursor, when the page ends early
    return [endpoint.public(row) for row in taken[:limit]], len(taken) > limit


def row_get(endpoint: Endpoint, *, community: Community | None, key: dict) -> dict:
    """The one row whose key columns have these values, or not found."""
    stream = endpoint.dataset.rows(community)
    try:
        row = next(_matching(stream, key), None)
    finally:
        stream.close()
    if row is None:
        raise not_found(
            _("There is no such row in “%(dataset)s”.") % {"dataset": endpoint.slug}
        )
    return endpoint.public(row)
