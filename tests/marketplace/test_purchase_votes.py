"""Paid orders become purchase votes in the consortium's process; a refunded
order's vote stops counting."""

import pytest
from django.test import Client

from marketplace import services, votes
from participation.models import PurchaseVote
from participation.services.purchase_votes import purchase_vote_cast
from participation.services.results import results_compute
from payments import services as payments
from tests.factories import ProcessFactory, ProjectFactory, UserFactory

from .conftest import Order, checkout, product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def process(consortium):
    return ProcessFactory(
        community=consortium, phase="vote", budget_cents=100_000, purchase_votes="order"
    )


def paid_order(farm, item, *, quantity=1):
    """A buyer's order paid at pickup (recorded and confirmed by two people)."""
    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    assert checkout(client, item, quantity=quantity).status_code == 302
    order = Order.objects.filter(user=buyer).get()
    payment = services.order_pickup_payment_record(
        order=order, recorded_by=UserFactory()
    )
    payments.offline_confirm(payment=payment, confirmed_by=UserFactory())
    order.refresh_from_db()
    assert order.status == "paid"
    return order


def test_paid_orders_vote_and_a_refund_takes_the_vote_back(farm, process):
    seeds = ProjectFactory(process=process, code="A", title="Semi", cost_cents=60_000)
    greenhouse = ProjectFactory(process=process, code="B", cost_cents=60_000)
    item = product(farm, price_cents=1_250, stock=20)
    orders = [paid_order(farm, item) for _ in range(3)]
    granted = [vote for order in orders for vote in votes.order_votes(order)]
    assert [v.amount_cents for v in granted] == [1_250] * 3
    assert [v.label for v in granted] == [order.number for order in orders]
    assert {v.process_id for v in granted} == {process.pk}
    purchase_vote_cast(vote=granted[0], buyer=orders[0].user, projects=[seeds])
    for order, vote in zip(orders[1:], granted[1:], strict=True):
        purchase_vote_cast(vote=vote, buyer=order.user, projects=[greenhouse])

    assert results_compute(process=process).winners == ["B"]

    for order in orders[1:]:
        payment = services.order_payment(order)
        payments.refund_create(payment=payment, amount_cents=1_250, reason="guasto")
        order.refresh_from_db()
        assert order.status == "refunded"
    assert [v.status for v in PurchaseVote.objects.order_by("pk")] == [
        "active",
        "withdrawn",
        "withdrawn",
    ]
    assert results_compute(process=process).winners == ["A"]


def test_an_order_paid_while_no_process_counts_purchases_gets_no_vote(farm, process):
    process.purchase_votes = "off"
    process.save(update_fields=["purchase_votes"])
    item = product(farm, price_cents=900)

    order = paid_order(farm, item)

    assert votes.order_votes(order) == []
    assert PurchaseVote.objects.count() == 0


def test_the_buyers_order_page_links_to_casting_the_purchase_vote(farm, process):
    ProjectFactory(process=process, code="A", cost_cents=60_000)
    order = paid_order(farm, product(farm, price_cents=700))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(order.user)

    page = client.get(f"/shop/accounts/orders/{order.number}/")

    assert page.status_code == 200
    (vote,) = votes.order_votes(order)
    assert vote.get_absolute_url() in page.content.decode()
    assert b"Cast your vote" in page.content
    cast_page = client.get(vote.get_absolute_url()).content.decode()
    assert order.number in cast_page and vote.source not in cast_page
