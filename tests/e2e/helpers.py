"""Steps the browser journeys share."""

import re
import time

from django.db import OperationalError
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD


def login(page, live_server, email: str, *, base: str | None = None) -> None:
    """Log in through the site's own form (Italian, the site's language);
    ``base``: another address in front of the live server (nginx)."""
    page.goto(f"{base or live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/accounts/me/$"))


def read(query):
    """Run a read in the test thread, retried while the live server writes
    (SQLite's shared in-memory database refuses it instead of waiting)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return query()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def reload_until(page, locator, timeout: float = 20) -> None:
    """Reload until ``locator`` shows: the webhook is handled by the live
    server's thread some moments after the card form says it is done, and
    SQLite's test database may answer a page "table is locked" meanwhile."""
    deadline = time.monotonic() + timeout
    while not locator.count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(locator.first).to_be_visible()
