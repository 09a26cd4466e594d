"""The buyer's order page says, in words, where the order stands, what to pay
and where to collect each seller's goods (the shop ships nothing)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace import services
from marketplace.catalogue import shop_partner_create
from payments import services as payments
from tests.factories import UserFactory

from .conftest import Order, checkout, product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bakery(consortium):
    return shop_partner_create(
        community=consortium, name="Forno Sociale", pickup_place="Piazza Grande 1"
    )


def _order(client, *items):
    for item in items[:-1]:
        client.post(f"/shop/basket/add/{item.pk}/", {"quantity": 1})
    assert checkout(client, items[-1]).status_code == 302
    return Order.objects.get(user=client.buyer)


@pytest.fixture
def buyer_client():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.buyer = UserFactory()
    client.force_login(client.buyer)
    return client


def test_a_pickup_order_says_it_waits_for_payment_and_where_to_collect(
    farm, bakery, buyer_client
):
    order = _order(
        buyer_client,
        product(farm, title="Passata", price_cents=450),
        product(bakery, title="Pane di grani antichi", price_cents=380),
    )

    page = buyer_client.get(f"/shop/accounts/orders/{order.number}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Waiting for payment" in html
    assert ">pending<" not in html
    assert 'id="pay-at-pickup"' in html
    assert "Orto di Chiara" in html and "Pickup: Via dei Campi 3" in html
    assert "Forno Sociale" in html and "Pickup: Piazza Grande 1" in html
    assert "Shipping" not in html
    assert "€8.30" in html or "€ 8,30" in html


def test_a_paid_order_reads_paid_in_italian(farm, consortium):
    client = Client()  # the site's language: Italian
    client.buyer = UserFactory()
    client.force_login(client.buyer)
    order = _order(client, product(farm, price_cents=700))
    payment = services.order_pickup_payment_record(
        order=order, recorded_by=UserFactory()
    )
    payments.offline_confirm(payment=payment, confirmed_by=UserFactory())

    html = client.get(f"/shop/accounts/orders/{order.number}/").content.decode()

    assert "Pagato: pronto da ritirare" in html
    assert 'id="pay-at-pickup"' not in html


def test_a_card_order_not_paid_yet_links_to_its_pay_page(farm, buyer_client):
    item = product(farm, price_cents=900)
    buyer_client.post(f"/shop/basket/add/{item.pk}/", {"quantity": 1})
    buyer_client.get("/shop/checkout/", follow=True)
    buyer_client.post("/shop/checkout/payment-method/", {"method": "card"})
    assert (
        buyer_client.post(
            "/shop/checkout/preview/", {"action": "place_order"}
        ).status_code
        == 302
    )
    order = Order.objects.get(user=buyer_client.buyer)

    html = buyer_client.get(f"/shop/accounts/orders/{order.number}/").content.decode()

    pay_url = re.search(r'href="(/payments/pay/[^"]+)" class="btn btn-primary" '
                        r'id="pay-order"', html).group(1)  # fmt: skip
    pay_page = buyer_client.get(pay_url)
    assert pay_page.status_code == 200
    assert pay_page.context["payment"] == services.order_payment(order)


def test_the_order_page_reads_the_same_for_one_or_many_lines(
    farm, bakery, buyer_client
):
    few = _order(buyer_client, product(farm, title="Uno", price_cents=100))
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.buyer = UserFactory()
    other.force_login(other.buyer)
    many = _order(
        other,
        *[product(farm, title=f"Prodotto {n}", sku=f"f{n}") for n in range(4)],
        *[product(bakery, title=f"Pane {n}", sku=f"b{n}") for n in range(4)],
    )

    with CaptureQueriesContext(connection) as one:
        buyer_client.get(f"/shop/accounts/orders/{few.number}/")
    with CaptureQueriesContext(connection) as eight:
        page = other.get(f"/shop/accounts/orders/{many.number}/")

    assert page.content.decode().count("<tr>") == 8 + 2
    assert len(eight) == len(one), "\n".join(
        q["sql"][:150] for q in eight.captured_queries
    )
