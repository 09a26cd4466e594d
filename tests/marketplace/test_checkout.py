import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from marketplace import services
from marketplace.exceptions import OrderStateError
from marketplace.models import OrderEvent
from marketplace.partner.models import InsufficientStock
from payments import services as payments
from payments.exceptions import OfflineConfirmationRefused
from payments.gateways.stripe_client import stripe_client
from payments.ledger import account_balance
from payments.models import Entry, LedgerTransaction
from tests.factories import UserFactory
from tests.payments.conftest import card

from .conftest import Order, checkout, product


def unbalanced_transactions() -> int:
    return (
        Entry.objects.values("transaction")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
        .count()
    )


pytestmark = pytest.mark.django_db


def test_an_order_paid_at_pickup_is_placed_unpaid_with_its_stock_allocated(
    client, buyer, farm
):
    jar = product(farm, stock=3)

    response = checkout(client, jar, quantity=2, method="pickup")

    assert response.status_code == 302, response.content[:3000]
    order = Order.objects.get()
    assert order.status == "pending"
    assert order.user == buyer
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (3, 2)


def test_the_last_unit_cannot_be_ordered_twice_and_a_refused_order_writes_nothing(
    client, buyer, farm
):
    jar = product(farm, stock=1)
    assert checkout(client, jar).status_code == 302

    other = Client()
    other.force_login(UserFactory())
    response = checkout(other, jar)

    # Oscar's own check refuses it before placing (the basket line is not
    # available any more); the conditional UPDATE backs it under concurrency.
    assert Order.objects.count() == 1
    assert OrderEvent.objects.count() == 1
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (1, 1)
    assert response.status_code in {200, 302}


def test_allocation_beyond_the_stock_is_refused_by_the_conditional_update(farm):
    jar = product(farm, stock=2)
    record = jar.stockrecords.get()
    record.allocate(2)

    with pytest.raises(InsufficientStock):
        record.allocate(1)

    record.refresh_from_db()
    assert record.num_allocated == 2


@pytest.mark.django_db(transaction=True)
def test_a_card_order_is_paid_on_the_pay_page_and_its_listed_share_reaches_the_project(
    client, buyer, farm, winning_project, stripe_emulator
):
    listed = product(
        farm,
        title="Confettura di fichi",
        price_cents=600,
        project=winning_project,
        share_percent=50,
        sku="FICHI",
    )
    plain = product(farm, title="Insalata", price_cents=250, sku="INS")
    client.post(f"/shop/basket/add/{plain.pk}/", {"quantity": 1})
    response = checkout(client, listed, quantity=3, method="card")
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == "pending"
    payment = services.order_payment(order)
    assert payment.amount_cents == 3 * 600 + 250
    assert payment.credit_account == "shop_sales:shop"

    thank_you = client.get(response["Location"])
    assert b'id="pay-order"' in thank_you.content
    # What Stripe.js does in the browser, done by the payer's card directly.
    stripe = stripe_client()
    payments.charge_now(
        payment=payment, payment_method=card(stripe, "4242424242424242")
    )

    payment.refresh_from_db()
    assert payment.status == "succeeded", list(payment.events.values("kind", "detail"))
    order.refresh_from_db()
    assert order.status == "paid"
    assert account_balance(f"project_fund:{winning_project.pk}") == -900
    assert account_balance(f"shop_sales:{farm.community_id}") == -(2050 - 900)
    assert account_balance("shop_sales:shop") == 0
    sale = LedgerTransaction.objects.get(kind="sale")
    assert sale.source_id == str(order.pk)
    assert unbalanced_transactions() == 0

    # Paid twice by the hook (a repeated webhook): nothing more is posted.
    services.order_payment_sync(payment.pk, "succeeded")
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1

    refund = payments.refund_create(payment=payment, amount_cents=2050, reason="test")
    order.refresh_from_db()
    assert refund.amount_cents == 2050
    assert order.status == "refunded"
    assert account_balance(f"project_fund:{winning_project.pk}") == 0
    assert LedgerTransaction.objects.filter(kind="sale_reversal").count() == 1
    assert unbalanced_transactions() == 0


@pytest.mark.django_db(transaction=True)
def test_a_pickup_order_is_paid_when_a_second_operator_confirms_the_cash(
    client, buyer, farm, winning_project
):
    listed = product(farm, price_cents=450, project=winning_project, sku="PASSATA")
    checkout(client, listed, quantity=2, method="pickup")
    order = Order.objects.get()
    desk, checker = UserFactory(), UserFactory()

    payment = services.order_pickup_payment_record(order=order, recorded_by=desk)
    order.refresh_from_db()
    assert order.status == "pending"
    with pytest.raises(OfflineConfirmationRefused):
        payments.offline_confirm(payment=payment, confirmed_by=desk)
    payments.offline_confirm(payment=payment, confirmed_by=checker)

    order.refresh_from_db()
    assert order.status == "paid"
    assert account_balance(f"project_fund:{winning_project.pk}") == -900
    with pytest.raises(OrderStateError):
        services.order_pickup_payment_record(order=order, recorded_by=desk)

    services.order_collect(order=order, by=desk)
    record = listed.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (8, 0)
    order.refresh_from_db()
    assert order.status == "collected"


def test_cancelling_an_unpaid_order_gives_its_stock_back(client, buyer, farm):
    jar = product(farm, stock=4)
    checkout(client, jar, quantity=3)
    order = Order.objects.get()

    services.order_cancel_unpaid(order=order)

    order.refresh_from_db()
    assert order.status == "cancelled"
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (4, 0)
    with pytest.raises(OrderStateError):
        services.order_cancel_unpaid(order=order)


def test_an_order_placed_at_the_desk_has_the_checkouts_prices_and_stock(farm):
    jar = product(farm, price_cents=450, stock=5)
    honey = product(farm, title="Miele", price_cents=900, stock=1, sku="MIELE")
    buyer = UserFactory()

    order = services.order_place(buyer=buyer, items=[(jar, 2), (honey, 1)])

    assert order.status == "pending"
    assert services.to_cents(order.total_incl_tax) == 1_800
    assert [
        r.num_allocated for r in (jar.stockrecords.get(), honey.stockrecords.get())
    ] == [2, 1]
    with pytest.raises(InsufficientStock):
        services.order_place(buyer=buyer, items=[(jar, 1), (honey, 1)])
    assert Order.objects.count() == 1
    assert jar.stockrecords.get().num_allocated == 2


def test_the_product_page_names_the_project_and_the_process_page_lists_the_product(
    client, farm, winning_project
):
    jar = product(
        farm, title="Confettura <i>di</i> more", project=winning_project, sku="MORE"
    )

    page = client.get(jar.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="product-funds-project"' in text
    assert f"project {winning_project.code}" in text
    assert f"/accountability/projects/{winning_project.pk}/" in text

    process = winning_project.process
    results = client.get(
        reverse(
            "participation:process-detail", args=[process.community.slug, process.slug]
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert results.status_code == 200
    assert jar.get_absolute_url() in results.content.decode()
    assert "Confettura &lt;i&gt;di&lt;/i&gt; more" in results.content.decode()
