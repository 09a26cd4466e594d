"""The Content-Security-Policy breaks nothing a person uses: on the pledge
form, the card form (Stripe.js, here localstripe's stand-in), the shop's
checkout and the results page the browser reports no violation, and the
scripts the pages need did run. A probe first shows that a violation would be
seen: an injected inline script without the nonce is refused and reported."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services as campaigns
from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from participation.models import ProcessResult
from participation.services import ballot_cast
from participation.services.results import results_compute
from tests.factories import (
    TEST_PASSWORD,
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_errors(live_server, page):
    """Console errors about the Content Security Policy, as Chromium logs them."""
    errors: list[str] = []

    def collect(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", collect)
    page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    return errors


@pytest.fixture
def stripe_js(settings, stripe_emulator):
    settings.STRIPE_JS_URL = f"{stripe_emulator}/js.stripe.com/v3/"
    return stripe_emulator


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_a_script_without_the_nonce_is_refused_and_reported(
    live_server, page, csp_errors
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
            const probe = document.createElement("script");
            probe.textContent = "window.cspProbe = 'ran';";
            document.head.appendChild(probe);
        }"""
    )

    assert page.evaluate("window.cspProbe") is None
    assert len(csp_errors) == 1
    assert "Executing inline script violates" in csp_errors[0]


def test_the_pledge_and_card_forms_run_stripe_js_without_a_violation(
    live_server, page, csp_errors, stripe_js
):
    project = ProjectFactory(
        process=ProcessFactory(phase="results"), code="P01", cost_cents=100_000
    )
    ProcessResult.objects.create(
        process=project.process,
        rule="greedy",
        winners=["P01"],
        explanation={"rows": [{"code": "P01", "votes": 3, "position": 1}]},
        ballots_counted=3,
    )
    now = timezone.now()
    campaign = campaigns.campaign_publish(
        campaign=campaigns.campaign_create(
            project=project,
            title="Attrezzi",
            story="Attrezzi per il laboratorio.",
            slug="attrezzi",
            goal_cents=5_000,
            starts_at=now - datetime.timedelta(minutes=5),
            deadline=now + datetime.timedelta(days=20),
        )
    )
    _log_in(page, live_server.url, UserFactory())

    page.goto(f"{live_server.url}/campaigns/{campaign.slug}/pledge/")
    page.get_by_label("Your pledge (EUR)").fill("12")
    page.get_by_role("button", name="Continue to the card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your card")
    # The card inputs exist only if Stripe.js loaded and the page's script ran.
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("00100")
    page.get_by_role("button", name="Save my card for €12.00").click()
    # Stripe.js talked to the API (connect-src) and the page went on.
    expect(page).to_have_url(re.compile(r"/campaigns/pledges/\d+/$"), timeout=15_000)

    assert csp_errors == []


def test_the_shop_checkout_and_its_pay_page_run_without_a_violation(
    live_server, page, csp_errors, stripe_js
):
    farm = shop_partner_create(
        community=CommunityFactory(kind="enterprise"),
        name="Orto di Chiara",
        pickup_place="Via dei Campi 3",
    )
    shop_product_create(
        shop=farm,
        title="Passata di pomodoro",
        price_cents=450,
        stock=5,
        sku="PASSATA",
        category=category_path("Dispensa"),
    )
    base = live_server.url
    _log_in(page, base, UserFactory())

    page.goto(f"{base}/shop/")
    assert page.evaluate("typeof jQuery") == "function"  # ours, not Google's
    page.get_by_role("link", name="Passata di pomodoro").first.click()
    page.locator("#add_to_basket_form").get_by_role(
        "button", name="Add to cart"
    ).click()
    expect(page.get_by_text(re.compile("has been added to your"))).to_be_visible()
    # Oscar's start-up script (the nonced one) made the mini basket a dropdown.
    page.locator(".basket-mini .dropdown-toggle").click()
    expect(page.locator(".basket-mini .dropdown-menu")).to_be_visible()
    # "View basket" is a link now, no inline onclick (English: "View cart").
    page.locator(".basket-mini .btn-group > a").click()
    expect(page.locator("#basket_formset")).to_contain_text("Passata di pomodoro")
    page.get_by_role("link", name="Proceed to checkout").click()
    page.get_by_label("By card, now").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Place order").click()
    pay = page.locator("#pay-order")
    expect(pay).to_have_text("Pay by card now")
    pay.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complete your payment")
    expect(page.get_by_placeholder("number")).to_be_visible()

    assert csp_errors == []


def test_the_results_page_shows_without_a_violation(live_server, page, csp_errors):
    community = CommunityFactory(slug="borgo")
    process = ProcessFactory(
        community=community, slug="bilancio", phase="vote", budget_cents=60_000
    )
    garden, library = (
        ProjectFactory(process=process, code=code, cost_cents=30_000)
        for code in ("P01", "P02")
    )
    for choices in ({garden.pk: 1}, {garden.pk: 1, library.pk: 1}, {library.pk: 1}):
        ballot_cast(
            process=process,
            choices=choices,
            user=MembershipFactory(community=community).user,
        )
    process.phase = "results"
    process.save(update_fields=["phase"])
    results_compute(process=process)

    page.goto(f"{live_server.url}/communities/borgo/p/bilancio/results/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(garden.title)
    expect(page.locator("main svg").first).to_be_visible()

    assert csp_errors == []
