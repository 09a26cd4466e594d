"""CSRF: every URL that takes a POST refuses one without the token, and every
form that posts carries the token.

The URLs come from ``test_authorization.TABLE`` (whose completeness test makes
sure every URL of ours is there and every view with a ``post`` method has its
POST row). Each is posted to by a role that the table lets through (or at
least one it does not answer with 403), so a 403 here is the CSRF check's.
The only exemption is Stripe's webhook, which checks Stripe's signature.
"""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.urls import resolve, reverse

from payments import views as payment_views

from .conftest import ANON, ROLES, as_role, snapshot
from .test_authorization import (
    NOT_OURS,
    REFUSED,
    TABLE,
    _patterns,
    _view_takes_post,
    ours,
)

pytestmark = pytest.mark.django_db

ALLOWED = {200, 302}
WEBHOOK = "payments:stripe-webhook"


def _read_only_api(route: str) -> bool:
    """The open-data API is exempt too, and may be: it answers GET, HEAD and
    OPTIONS only (``test_the_read_only_api_refuses_every_post``)."""
    return route.startswith("api/v1/")


def _poster(expected: dict) -> str:
    """The role to post as: one the table lets through, else one whose refusal
    is not a 403 (so that a 403 can only be the CSRF check's)."""
    for who in ROLES:
        if expected[who] in ALLOWED:
            return who
    for who in ROLES:
        if expected[who] != 403:
            return who
    raise AssertionError("no role to tell a CSRF refusal from a permission one")


def _is_api(row) -> bool:
    return row.name.startswith("api:") or (row.path or "").startswith("/api/")


def _target(row) -> str:
    targets = row.post or row.get
    return "own" if "own" in targets else next(iter(targets))


# Every row once, at its own target: the CSRF check comes before any view, so
# a URL whose view takes no POST must refuse it the same way.
POSTS = [
    pytest.param(row, _target(row), id=row.key) for row in TABLE if not _is_api(row)
]
API = [(row, _target(row)) for row in TABLE if _is_api(row)]


def test_every_url_of_ours_is_posted_to(world):
    """Every pattern of ours (every view that takes POST among them) is."""
    posted = {
        resolve(row.url(world, target)).route
        for row, target in [p.values for p in POSTS] + API
    }
    names = {row.name for row in TABLE}
    missing = [
        (route, name)
        for route, name, callback in ours()
        if route not in posted and not (name and name in names)
    ]
    takes_post = [name for _, name, callback in ours() if _view_takes_post(callback)]

    assert missing == []
    assert set(takes_post) <= names
    assert len(takes_post) > 60


@pytest.mark.parametrize(("row", "target"), POSTS)
def test_a_post_without_the_token_is_refused_and_changes_nothing(world, row, target):
    url = row.url(world, target)
    who = _poster((row.post or row.get)[target])
    before, after = snapshot(), []

    response = as_role(
        world,
        who,
        "post",
        url,
        {"action": "publish", "quantity": "1"},
        after=lambda r: after.append(snapshot()),
        enforce_csrf_checks=True,
        # the browser sends the cookie along with a forged form; not the token
        cookies={settings.CSRF_COOKIE_NAME: _get_new_csrf_string()},
    )

    assert (who, response.status_code) == (who, 403), url
    assert b"CSRF" in response.content
    assert after == [before]


def test_the_stripe_webhook_is_the_only_exemption_and_checks_its_signature(world):
    exempt = [
        name
        for route, name, callback in _patterns()
        if getattr(callback, "csrf_exempt", False)
        and not route.startswith(NOT_OURS)
        and not _read_only_api(route)
    ]
    before, after = snapshot(), []

    response = as_role(
        world,
        ANON,
        "post",
        reverse("payments:stripe-webhook"),
        after=lambda r: after.append(snapshot()),
        enforce_csrf_checks=True,
    )

    assert exempt == [WEBHOOK]
    assert payment_views.stripe_webhook.csrf_exempt is True
    assert response.status_code == 400
    assert after == [before]


def test_the_read_only_api_refuses_every_post(world):
    answers = {}
    for row, target in API:
        url = row.url(world, target)
        before, after = snapshot(), []
        for method in ("post", "put", "patch", "delete"):
            response = as_role(
                world,
                "superuser",
                method,
                url,
                after=lambda r, seen=after: seen.append(snapshot()),
                enforce_csrf_checks=True,
            )
            answers[(url, method)] = response.status_code
        assert after == [before] * 4, url
    views = [
        callback.view_class
        for route, _, callback in _patterns()
        if _read_only_api(route) and hasattr(callback, "view_class")
    ]

    assert all(_read_only_api(resolve(row.url(world, t)).route) for row, t in API)
    assert len(API) >= 12
    # 405, or 404 for the catch-all of unknown API paths
    assert set(answers.values()) <= {404, 405}
    assert [
        v
        for v in views
        if {"post", "put", "patch", "delete"} & set(v.http_method_names)
    ] == []


# --- every form that posts carries the token ---------------------------------------


class _Forms(HTMLParser):
    """The forms of a page that post, and whether each holds the token."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action", ""), "token": False}
            self.forms.append(self._open)
        elif (
            tag == "input"
            and self._open is not None
            and attrs.get("name") == "csrfmiddlewaretoken"
            and attrs.get("value")
        ):
            self._open["token"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _pages():
    """One GET per row and target, as a role that gets the page (200)."""
    for row in TABLE:
        for target, expected in (row.get or {}).items():
            if target != "own" and row.args is None:
                continue
            for who in ROLES:
                if expected[who] == 200:
                    yield row, target, who
                    break


def test_every_form_that_posts_carries_the_token(world):
    pages_with_forms, without = 0, []
    for row, target, who in _pages():
        url = row.url(world, target)
        response = as_role(world, who, "get", url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        if parser.forms:
            pages_with_forms += 1
        without += [
            (url, who, form["action"]) for form in parser.forms if not form["token"]
        ]

    assert without == []
    assert pages_with_forms > 40  # the check saw the forms it is about


def test_a_refused_csrf_post_is_not_a_refused_role(world):
    """The same POST with the token goes through: the 403 above is CSRF's."""
    row = next(r for r in TABLE if r.name == "participation:community-roster")
    url = row.url(world, "own")
    client_token = _get_new_csrf_string()

    response = as_role(
        world,
        "facilitator",
        "post",
        url,
        {"csrfmiddlewaretoken": client_token},
        enforce_csrf_checks=True,
        cookies={settings.CSRF_COOKIE_NAME: client_token},
    )

    assert response.status_code == 200  # the form again, with its errors
    assert row.post["own"]["facilitator"] not in REFUSED
