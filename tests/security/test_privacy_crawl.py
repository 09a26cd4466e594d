"""A crawl of the seeded demo as an anonymous visitor, then as a backer.

Everything reachable from ``/`` by following links (HTML pages, PDFs read
with ``pdftotext``, the open-data exports, the API if it is mounted) answers
without a server error, and no body holds the real name of a prison
participant; no open-data export holds anybody's e-mail, name or tax code.

Transactional: the demo's payments tell the campaigns what happened after
each commit, so the seed must really commit (see tests/demo).
"""

import html
import json
import re
import subprocess
import time
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from oscar.core.loading import get_model

from accounts.models import User
from campaigns.models import Pledge
from demo.seed import seed_demo
from opendata.datasets import DATASETS
from participation.models import Community, Participant
from rewards.models import RewardClaim
from tests.factories import CommunityFactory, ParticipantFactory

pytestmark = pytest.mark.django_db(transaction=True)

ShippingAddress = get_model("order", "ShippingAddress")
BillingAddress = get_model("order", "BillingAddress")
UserAddress = get_model("address", "UserAddress")
Order = get_model("order", "Order")

# Where an anonymous visitor's crawl does not go: the admin, the ways out
# (logout, language switch: a POST anyway), the files Django does not serve.
SKIPPED_PREFIXES = ("/admin/", "/accounts/logout/", "/i18n/", "/static/", "/media/")
# The login page is reached with every ?next= of the site: one visit is enough.
QUERY_DROPPED = ("/accounts/login/", "/accounts/signup/")
ALLOWED_STATUSES = {200, 301, 302, 404}
MIN_PAGES = 50
# Same-site API addresses inside a JSON body (a "next" page, an item's "url");
# not the OpenAPI document's templated paths ("/api/v1/campaigns/{campaign}/").
JSON_LINK = re.compile(r'"((?:https?://testserver)?/api/v1/[^"\s{}]*)"')
MAX_PAGES = 3000


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def _links(body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    return parser.links


def _normalise(base: str, href: str) -> str | None:
    """The same-site path (with its query) a link leads to, or None to skip it."""
    href = href.strip()
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return None
    absolute = urlsplit(urljoin(f"http://testserver{base}", href))
    if absolute.scheme not in ("http", "https") or absolute.netloc != "testserver":
        return None
    path = absolute.path or "/"
    if path.startswith(SKIPPED_PREFIXES):
        return None
    query = "" if path.startswith(QUERY_DROPPED) else absolute.query
    return urlunsplit(("", "", path, query, ""))


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-q", "-", "-"],  # noqa: S607 - poppler-utils, a test dependency
        input=data,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode()


def _text(response) -> tuple[str, str]:
    """(kind, searchable text) of a response: html, pdf, data or other."""
    content_type = response.get("Content-Type", "")
    data = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    if content_type.startswith("application/pdf"):
        return "pdf", _pdf_text(data)
    if content_type.startswith("text/html"):
        return "html", html.unescape(data.decode())
    if content_type.startswith(("text/", "application/json")):
        return "data", data.decode()
    return "other", ""


def _crawl(client: Client, start: list[str]) -> dict[str, tuple[int, str, str]]:
    """Breadth-first over same-site links: path -> (status, kind, text)."""
    seen: dict[str, tuple[int, str, str]] = {}
    queue = deque(start)
    queued = set(start)
    while queue:
        path = queue.popleft()
        assert len(seen) < MAX_PAGES, "the crawl does not end: a link loops"
        response = client.get(path)
        kind, text = _text(response) if response.status_code == 200 else ("", "")
        seen[path] = (response.status_code, kind, text)
        found = []
        if response.status_code in (301, 302):
            found.append(response["Location"])
        elif kind == "html":
            found.extend(_links(text))
        elif kind == "data" and path.startswith("/api/"):
            found.extend(JSON_LINK.findall(text))
        for href in found:
            target = _normalise(path, href)
            if target is not None and target not in queued:
                queued.add(target)
                queue.append(target)
    return seen


def _api_paths() -> list[str]:
    """The API's root, if an /api/v1/ is mounted when this runs."""
    try:
        resolve("/api/v1/")
    except Resolver404:
        return []
    return ["/api/v1/"]


def _open_data_paths() -> list[str]:
    paths = [reverse("opendata:index")]
    for slug in DATASETS:
        paths += [
            reverse("opendata:csv", args=[slug]),
            reverse("opendata:json", args=[slug]),
        ]
    for community in Community.objects.filter(is_public=True):
        for slug in DATASETS:
            paths.append(
                reverse("opendata:json", args=[slug]) + f"?community={community.slug}"
            )
    return paths


def _real_names() -> set[str]:
    """The real names of the prison's participants (and of any account holder
    of a prison community who is only a participant, should there be one)."""
    names = set(
        Participant.objects.filter(community__kind=Community.Kind.PRISON)
        .exclude(legal_name="")
        .values_list("legal_name", flat=True)
    )
    for user in User.objects.filter(
        memberships__community__kind=Community.Kind.PRISON,
        memberships__role="participant",
    ):
        names |= {user.get_full_name(), user.email} - {""}
    return {name.strip() for name in names if name.strip()}


def _personal_data() -> set[str]:
    """Every e-mail, name and tax code the database holds about a person."""
    values: set[str] = set(_real_names())
    for email, first, last, display in User.objects.values_list(
        "email", "first_name", "last_name", "display_name"
    ):
        values |= {email, f"{first} {last}".strip(), display}
    for row in Pledge.objects.values_list(
        "backer_name", "backer_email", "donor_tax_code", "donor_address"
    ):
        values |= set(row)
    for row in RewardClaim.objects.values_list("ship_name", "ship_address"):
        values |= set(row)
    for model in (ShippingAddress, BillingAddress, UserAddress):
        for first, last, line1 in model.objects.values_list(
            "first_name", "last_name", "line1"
        ):
            values |= {f"{first} {last}".strip(), line1}
    for model in (ShippingAddress, UserAddress):
        values |= {
            str(phone)
            for phone in model.objects.values_list("phone_number", flat=True)
            if phone
        }
    values |= set(Order.objects.values_list("guest_email", flat=True))
    # Three letters or fewer match words by chance; nobody's data is that short.
    return {value.strip() for value in values if len(value.strip()) > 3}


def _hits(needles: set[str], text: str) -> list[str]:
    lowered = text.lower()
    return sorted(needle for needle in needles if needle.lower() in lowered)


@pytest.fixture
def seeded(stripe_emulator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo()


def test_the_demo_crawled_shows_no_real_name_and_exports_no_person(seeded, capsys):
    names = _real_names()
    # The demo's 180 inmates all have a (fictitious) real name on the roster.
    assert len(names) >= 50
    start = ["/", *_open_data_paths(), *_api_paths()]

    began = time.monotonic()
    pages = _crawl(Client(), start)
    took = time.monotonic() - began

    with capsys.disabled():
        api = sum(path.startswith("/api/") for path in pages)
        print(f"\nprivacy crawl: {api} API answers")
        kinds = {}
        for status, kind, _unused in pages.values():
            kinds[kind or str(status)] = kinds.get(kind or str(status), 0) + 1
        print(f"\nprivacy crawl: {len(pages)} pages in {took:.1f}s {kinds}")
    errors = {
        path: status
        for path, (status, _k, _t) in pages.items()
        if status not in ALLOWED_STATUSES
    }
    assert errors == {}
    ok = [path for path, (status, _k, _t) in pages.items() if status == 200]
    assert len(ok) > MIN_PAGES
    # The crawl reached the pages where pseudonyms are shown and the PDFs.
    assert any("/p/" in path and path.endswith("/results/") for path in ok)
    assert any(kind == "pdf" for _s, kind, _t in pages.values())
    # The pages that show the inmates' pseudonyms were read (the proposals'
    # authors): the names' absence means something.
    pseudonyms = set(
        Participant.objects.filter(community__kind=Community.Kind.PRISON).values_list(
            "pseudonym", flat=True
        )
    )
    assert any(_hits(pseudonyms, text) for _s, _k, text in pages.values())
    leaks = {
        path: _hits(names, text)
        for path, (_status, _kind, text) in pages.items()
        if _hits(names, text)
    }
    assert leaks == {}
    _assert_no_export_holds_personal_data(pages)

    # A backer logged in (pledges, receipts as PDFs) sees no real name either.
    backer = (
        User.objects.filter(pledges__receipts__isnull=False, is_staff=False)
        .order_by("email")
        .first()
    )
    client = Client()
    client.force_login(backer)
    mine = _crawl(client, [reverse("campaigns:my-pledges"), "/accounts/me/"])
    assert {
        path: status
        for path, (status, _k, _t) in mine.items()
        if status not in ALLOWED_STATUSES
    } == {}
    receipts = [path for path, (_s, kind, _t) in mine.items() if kind == "pdf"]
    assert any("/receipts/" in path for path in receipts)
    assert {
        path: _hits(names, text)
        for path, (_status, _kind, text) in mine.items()
        if _hits(names, text)
    } == {}
    with capsys.disabled():
        print(f"privacy crawl as a backer: {len(mine)} pages, {len(receipts)} PDFs")


def _assert_no_export_holds_personal_data(pages) -> None:
    personal = _personal_data()
    # The demo's people: inmates' real names, backers' e-mails and names
    # (the desk's too), shop customers' addresses. Donors' tax codes are
    # collected too; the demo has none.
    assert len(personal) > 200
    assert set(User.objects.values_list("email", flat=True)) <= personal
    assert Pledge.objects.exclude(backer_name="").exists()
    exports = {
        path: text
        for path, (status, kind, text) in pages.items()
        if path.startswith(("/open-data/", "/api/")) and kind == "data"
    }
    # CSV and JSON of every dataset, for all and for each public community
    # (and the API's answers, if it is mounted).
    assert len([path for path in exports if path.startswith("/open-data/")]) == len(
        DATASETS
    ) * (2 + Community.objects.filter(is_public=True).count())
    # Each dataset has rows in the demo (the whole site's exports, unfiltered).
    for slug in DATASETS:
        assert exports[f"/open-data/{slug}.csv"].count("\n") >= 2, slug
        assert json.loads(exports[f"/open-data/{slug}.json"])["rows"] != [], slug

    leaks = {path: _hits(personal, text) for path, text in exports.items()}

    assert {path: found for path, found in leaks.items() if found} == {}


def test_the_crawler_would_see_a_leaked_name():
    """The check above can fail: a real name typed into a public field is found,
    whatever its case, and so are the links that lead from it."""
    participant = ParticipantFactory(
        community=CommunityFactory(kind=Community.Kind.PRISON, is_public=True),
        legal_name="Rosa Caruso",
    )
    community = participant.community
    Community.objects.filter(pk=community.pk).update(tagline="Grazie a ROSA CARUSO")
    path = reverse("participation:community-detail", args=[community.slug])

    pages = _crawl(Client(), [path])

    status, kind, text = pages[path]
    assert (status, kind) == (200, "html")
    assert _hits(_real_names(), text) == ["Rosa Caruso"]
    assert len(pages) > 1
