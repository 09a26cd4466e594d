import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from demo.seed import seed_demo

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_person_switches_to_english_signs_up_logs_in_and_sees_their_community(
    live_server, page
):
    seed_demo()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Decidere insieme, finanziare insieme"
    )
    expect(page.get_by_role("link", name="Idee in fuga", exact=True)).to_be_visible()

    page.get_by_label("Lingua").select_option("en")
    page.get_by_role("button", name="Cambia lingua").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Decide together, fund together"
    )
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("E-mail").fill("giulia@example.org")
    page.get_by_label("Display name").fill("Giulia")
    page.get_by_label("Password", exact=True).fill("verdure-di-stagione-9")
    page.get_by_label("Password again").fill("verdure-di-stagione-9")
    page.get_by_label("Join a community (optional)").select_option(
        label="La sostenibilità che include"
    )
    page.screenshot(path=SCREENSHOTS / "signup.png", full_page=True)
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    expect(page.get_by_label("E-mail")).to_have_value("giulia@example.org")
    page.get_by_label("Password").fill("verdure-di-stagione-9")
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/accounts/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Giulia")
    card = page.get_by_role("listitem").filter(has_text="La sostenibilità che include")
    expect(card).to_contain_text("Participant")
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

    card.get_by_role("link", name="La sostenibilità che include").click()
    expect(page.get_by_text("You are a member of this community.")).to_be_visible()
