"""A customer buys in the consortium's shop with a card, in the browser, and
the purchase moves money and votes: the listed product's share reaches the
project it funds, and the order's purchase vote changes which project of the
consortium's vote wins.

The card form is localstripe's stand-in for Stripe.js (text inputs with the
placeholders number, exp_month, exp_year, cvc, postal_code). The order is
placed unpaid; it becomes paid only when the emulator's signed webhook reaches
the live server (the pay page only says the payment is being confirmed).

localstripe's ``confirmCardPayment`` can only authenticate an intent already
confirmed on the server: it ignores the card typed in the form, and the
emulator has no publishable-key endpoint that confirms an intent with a new
card (real Stripe.js posts the card to ``/v1/payment_intents/<id>/confirm``).
``_card_confirmation`` fills that gap: the page's ``confirmCardPayment`` sends
the typed card to a route this test answers, which confirms the intent with it
in the emulator; 3D Secure then goes through localstripe's own dialog.
"""

import json
import re
import time
from pathlib import Path

import pytest
from oscar.core.loading import get_model
from playwright.sync_api import expect

from marketplace import services as shop
from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from marketplace.votes import order_votes
from participation.models import Community, Process, ProcessResult, PurchaseVote
from participation.models.community import Role
from participation.services.purchase_votes import purchase_vote_cast
from participation.services.results import results_compute
from payments import services as payments
from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from tests.factories import (
    TEST_PASSWORD,
    CommunityFactory,
    MembershipFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)
from tests.payments.test_webhooks import SECRET, URL, _webhook_to

from .helpers import read as _read
from .helpers import reload_until as _reload_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

Order = get_model("order", "Order")

SHOTS = Path("/tmp")
OIL_CENTS = 1_290
OIL_SHARE = 35  # 35% of €12.90 is €4.515: the project gets €4.51
SAUCE_CENTS = 450


def _shoot(page, name: str) -> None:
    page.screenshot(path=SHOTS / f"e2e-shop-{name}.png", full_page=True)


CARD_CONFIRM_PATH = "/__e2e__/confirm-card-payment"
CONFIRM_WITH_CARD_JS = """
;(function () {
  var localStripe = Stripe;
  Stripe = function (key) {
    var stripe = localStripe(key);
    var authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async function (secret, data) {
      var element = data && data.payment_method && data.payment_method.card;
      if (element && element.value) {
        var response = await fetch("CONFIRM_PATH", {
          method: "POST",
          headers: {"Content-Type": "application/json"},
          body: JSON.stringify({client_secret: secret, card: element.value.card}),
        });
        var intent = await response.json();
        if (intent.error) { return {error: intent.error}; }
        if (intent.status !== "requires_action") { return {paymentIntent: intent}; }
      }
      return authenticate(secret, data);
    };
    return stripe;
  };
})();
""".replace("CONFIRM_PATH", CARD_CONFIRM_PATH)


def _card_confirmation(page, emulator: str) -> None:
    """Make the emulator's ``confirmCardPayment`` pay with the typed card, as
    Stripe.js does: the card is confirmed on the intent in the emulator (with
    the secret key, from here), which then sends its webhook."""
    import stripe

    def script(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + CONFIRM_WITH_CARD_JS)

    def confirm(route):
        data = json.loads(route.request.post_data)
        card = data["card"]
        intent_id = data["client_secret"].split("_secret_")[0]
        client = stripe_client()
        try:
            method = client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": card["number"].replace(" ", ""),
                        "exp_month": int(card["exp_month"]),
                        "exp_year": int(card["exp_year"]),
                        "cvc": card["cvc"],
                    },
                }
            )
            client.v1.payment_intents.update(
                intent_id, params={"payment_method": method.id}
            )
            intent = client.v1.payment_intents.confirm(intent_id)
        except stripe.StripeError as error:
            route.fulfill(json={"error": {"message": error.user_message or str(error)}})
            return
        route.fulfill(json={"id": intent.id, "status": intent.status})

    page.route(f"{emulator}/js.stripe.com/v3/**", script)
    page.route(f"**{CARD_CONFIRM_PATH}", confirm)


def _log_in(page, base_url: str, user, next_path: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def shop_world(search_index):
    """A consortium selling through its farm; last year's winning project is
    listed on the olive oil; this year's vote counts one vote per paid order."""
    consortium = CommunityFactory(
        kind=Community.Kind.ENTERPRISE,
        name="Consorzio Terra Viva",
        slug="terra-viva",
    )
    last_year = ProcessFactory(
        community=consortium,
        title="Utili 2025",
        slug="utili-2025",
        phase="results",
    )
    mill = ProjectFactory(
        process=last_year, code="P01", title="Frantoio sociale", cost_cents=500_000
    )
    ProcessResult.objects.create(
        process=last_year,
        rule="greedy",
        winners=["P01"],
        explanation={"rows": [{"code": "P01", "votes": 12, "position": 1}]},
        ballots_counted=12,
    )
    vote = ProcessFactory(
        community=consortium,
        title="Utili 2026",
        slug="utili-2026",
        phase="vote",
        budget_cents=60_000,
        purchase_votes="order",
        outcome_rule="greedy",
    )
    greenhouse = ProjectFactory(
        process=vote, code="V1", title="Serra solare", cost_cents=50_000
    )
    henhouse = ProjectFactory(
        process=vote, code="V2", title="Pollaio mobile", cost_cents=50_000
    )
    ProjectFactory(process=vote, code="V3", title="Semi antichi", cost_cents=30_000)
    farm = shop_partner_create(
        community=consortium, name="Orto di Chiara", pickup_place="Via dei Campi 3"
    )
    oil = shop_product_create(
        shop=farm,
        title="Olio extravergine",
        description="Olio del frantoio sociale, bottiglia da 0,75 l.",
        price_cents=OIL_CENTS,
        stock=10,
        sku="OLIO",
        category=category_path("Dispensa", "Olio"),
        project=mill,
        share_percent=OIL_SHARE,
    )
    sauce = shop_product_create(
        shop=farm,
        title="Passata di pomodoro",
        description="Pomodori dell'orto, vasetto da 500 g.",
        price_cents=SAUCE_CENTS,
        stock=20,
        sku="PASSATA",
        category=category_path("Dispensa", "Conserve"),
    )
    # Two earlier buyers paid at the desk (recorded, a second person
    # confirmed) and voted: one for the greenhouse, one for the henhouse.
    desk, checker = UserFactory(), UserFactory()
    for project in (greenhouse, henhouse):
        buyer = UserFactory()
        order = shop.order_place(buyer=buyer, items=[(sauce, 1)])
        payment = shop.order_pickup_payment_record(order=order, recorded_by=desk)
        payments.offline_confirm(payment=payment, confirmed_by=checker)
        (granted,) = order_votes(order)
        purchase_vote_cast(vote=granted, buyer=buyer, projects=[project])
    return {
        "consortium": consortium,
        "vote": vote,
        "mill": mill,
        "greenhouse": greenhouse,
        "henhouse": henhouse,
        "oil": oil,
        "sauce": sauce,
    }


def test_a_card_purchase_funds_the_listed_project_and_its_vote_moves_the_ranking(
    live_server, page, stripe_emulator, settings, request, shop_world
):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_JS_URL = f"{stripe_emulator}/js.stripe.com/v3/"
    _webhook_to(stripe_emulator, f"{live_server.url}{URL}")
    request.addfinalizer(lambda: _webhook_to(stripe_emulator, "http://127.0.0.1:9/"))
    vote, mill = shop_world["vote"], shop_world["mill"]
    # Tied 1 to 1, the greenhouse (V1) leads on the tie-break by code.
    assert results_compute(process=vote).winners == ["V1"]
    customer = UserFactory(email="marta@example.org", display_name="Marta")
    _card_confirmation(page, stripe_emulator)
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])

    # 1. Log in, find the oil in the shop, see the project it funds.
    _log_in(page, base, customer, "/shop/")
    expect(page).to_have_url(re.compile(r"/shop/catalogue/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("All products")
    _shoot(page, "0-catalogue")
    page.get_by_role("link", name="Olio extravergine").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Olio extravergine")
    funds = page.locator("#product-funds-project")
    expect(funds).to_contain_text(
        "35% of the price of this product goes to project P01 “Frantoio sociale”, "
        "chosen in “Utili 2025”."
    )
    expect(
        funds.get_by_role("link", name="See where its money goes")
    ).to_have_attribute("href", f"/accountability/projects/{mill.pk}/")
    _shoot(page, "1-product")
    page.locator("#add_to_basket_form").get_by_role(
        "button", name="Add to cart"
    ).click()
    expect(page.get_by_text(re.compile("has been added to your"))).to_contain_text(
        "Olio extravergine"
    )

    page.goto(f"{base}/shop/")
    page.get_by_role("link", name="Passata di pomodoro").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passata di pomodoro")
    expect(page.locator("#product-funds-project")).to_have_count(0)
    page.locator("#add_to_basket_form").get_by_role(
        "button", name="Add to cart"
    ).click()

    page.goto(f"{base}/shop/basket/")
    # Oscar's pages have no main landmark: the basket is its formset.
    basket = page.locator("#basket_formset")
    expect(basket).to_contain_text("Olio extravergine")
    expect(basket).to_contain_text("Passata di pomodoro")
    _shoot(page, "2-basket")
    page.get_by_role("link", name="Proceed to checkout").click()

    expect(page.get_by_role("group", name="How do you pay?")).to_be_visible()
    page.get_by_label("By card, now").check()
    _shoot(page, "3-payment-method")
    page.get_by_role("button", name="Continue").click()

    _shoot(page, "4-preview")
    page.get_by_role("button", name="Place order").click()
    pay = page.locator("#pay-order")
    expect(pay).to_have_text("Pay by card now")
    order = _read(lambda: Order.objects.get(user=customer))
    assert order.status == "pending"
    assert shop.to_cents(order.total_incl_tax) == OIL_CENTS + SAUCE_CENTS
    _shoot(page, "5-thank-you")
    pay.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Complete your payment")
    expect(page.get_by_placeholder("number")).to_be_visible()
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("00100")
    _shoot(page, "6-card")
    page.get_by_role("button", name="Pay €17.40").click()
    expect(
        page.get_by_text("Thank you: the payment is being confirmed.")
    ).to_be_visible(timeout=15_000)
    # The page said nothing the server did not know: the order is paid when
    # the webhook arrives, and the pay page (reloaded) says so from the server.
    _reload_until(page, page.get_by_text("This payment is complete. Thank you."))
    _shoot(page, "7-paid")
    deadline = time.monotonic() + 15
    while _read(lambda: Order.objects.get(pk=order.pk).status) != "paid":
        assert time.monotonic() < deadline, "the webhook never paid the order"
        time.sleep(0.3)

    # 2. The order page links to its purchase vote; the customer casts it.
    page.goto(f"{base}/shop/accounts/orders/{order.number}/")
    status = page.get_by_role("heading", name="Status", exact=True)
    expect(status.locator("xpath=following-sibling::p[1]")).to_have_text(
        "Paid: ready to collect"
    )
    votes_box = page.locator("#order-purchase-votes")
    expect(votes_box).to_contain_text("Utili 2026")
    _shoot(page, "8-order")
    votes_box.get_by_role("link", name="Cast your vote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your purchase votes")
    page.get_by_label("V2 · Pollaio mobile").check()
    _shoot(page, "9-purchase-vote")
    page.get_by_role("button", name="Vote with this order").click()
    expect(
        page.get_by_text(
            "Your purchase vote is recorded. You can change it until the vote closes."
        )
    ).to_be_visible()
    expect(page.get_by_text("Chosen: V2 · Pollaio mobile")).to_be_visible()
    (cast,) = _read(lambda: list(PurchaseVote.objects.filter(buyer=customer)))
    assert list(cast.projects.values_list("code", flat=True)) == ["V2"]

    # The ranking moved: the henhouse leads 2 to 1.
    assert results_compute(process=vote).winners == ["V2"]

    # A facilitator closes the vote from the manage page; the public results
    # show the henhouse won, with three orders counted.
    facilitator = UserFactory(email="luca@example.org")
    MembershipFactory(
        user=facilitator, community=shop_world["consortium"], role=Role.FACILITATOR
    )
    staff = page.context.browser.new_context(locale="en-GB")
    staff.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    manage = staff.new_page()
    _log_in(manage, base, facilitator, "/communities/terra-viva/p/utili-2026/manage/")
    manage.get_by_role("button", name="Move to: Results").click()
    expect(manage.get_by_text("The process moved on.")).to_be_visible()
    staff.close()
    assert _read(lambda: Process.objects.get(pk=vote.pk).phase) == "results"

    page.goto(f"{base}/communities/terra-viva/p/utili-2026/results/")
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    counted = page.locator(".purchase-votes-counted")
    expect(counted).to_contain_text("Ballots: 0 voters.")
    expect(counted).to_contain_text(
        "Purchases (One vote per paid order): 3 orders, total weight 3."
    )
    rows = page.locator("table.stack tbody tr")
    expect(rows.nth(0)).to_contain_text("V2 · Pollaio mobile")
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("2")
    expect(rows.nth(0)).to_contain_text("Won")
    expect(rows.filter(has_text="V1 · Serra solare")).to_contain_text("Not funded")
    expect(rows.filter(has_text="V1 · Serra solare").locator("td").nth(0)).to_have_text(
        "1"
    )
    _shoot(page, "10-results")

    # 3. The listed project's public page: the shop's share, to the cent.
    share_cents = OIL_CENTS * OIL_SHARE // 100
    assert share_cents == 451
    assert _read(lambda: account_balance(f"project_fund:{mill.pk}")) == -share_cents
    page.goto(f"{base}/accountability/projects/{mill.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("P01 · Frantoio sociale")
    sale = page.locator('table.money-sources tr[data-source="sale"]')
    expect(sale.get_by_role("rowheader")).to_have_text("Shop sales")
    expect(sale.get_by_role("cell")).to_have_text("€4.51")
    expect(page.locator("ul.figures").first).to_contain_text("Money in: €4.51")
    _shoot(page, "11-accountability")
