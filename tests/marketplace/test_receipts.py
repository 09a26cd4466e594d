"""A paid order gets one PDF receipt, e-mailed to its buyer and downloadable
by them (and staff) only."""

import pytest
from django.test import Client

from marketplace import services, tasks
from marketplace.models import OrderReceipt
from payments import services as payments
from tests.documents.test_receipts import flat, pdf_text
from tests.factories import ProcessFactory, UserFactory

from .conftest import product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def anna():
    return UserFactory(email="anna@example.org", first_name="Anna", last_name="Neri")


@pytest.fixture
def vote_process(consortium):
    return ProcessFactory(
        community=consortium,
        title="Utili 2027",
        phase="vote",
        purchase_votes="order",
    )


def place(farm, project, buyer):
    passata = product(farm, price_cents=450, project=project, sku="PASSATA")
    honey = product(farm, title="Miele di castagno", price_cents=900, sku="MIELE")
    order = services.order_place(buyer=buyer, items=[(passata, 2), (honey, 1)])
    order.refresh_from_db()  # the number as stored (Oscar generates an int)
    return order


def pay(order):
    """Cash at pickup, recorded and confirmed by two different operators."""
    payment = services.order_pickup_payment_record(
        order=order, recorded_by=UserFactory(), reference="CASSA-7"
    )
    payments.offline_confirm(payment=payment, confirmed_by=UserFactory())
    order.refresh_from_db()
    assert order.status == "paid"


def receipt_url(order) -> str:
    return f"/shop/orders/{order.number}/receipt.pdf"


def test_a_paid_order_gets_one_receipt_e_mailed_to_its_buyer(
    farm, winning_project, vote_process, anna, mailoutbox
):
    order = place(farm, winning_project, anna)
    assert OrderReceipt.objects.count() == 0

    pay(order)

    receipt = OrderReceipt.objects.get()
    assert receipt.order == order
    assert receipt.file.name == f"receipts/orders/order-{order.number}.pdf"
    assert receipt.emailed_at is not None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["anna@example.org"]
    assert order.number in message.subject
    assert "€\u00a018,00" in message.body
    assert receipt_url(order) in message.body
    [(name, pdf, mimetype)] = message.attachments
    assert (name, mimetype) == (f"order-{order.number}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF-")

    text = flat(pdf_text(pdf))
    assert "Ricevuta dell'ordine" in text  # in the site's language, Italian
    assert "Consorzio Terra" in text
    assert "Orto di Chiara" in text
    assert "Via dei Campi 3" in text
    assert "Anna Neri" in text
    assert "anna@example.org" in text
    assert text.count(order.number) >= 2  # the heading and the page footer
    assert "Passata di pomodoro 2 € 4,50 € 9,00" in text
    assert "Miele di castagno 1 € 9,00 € 9,00" in text
    assert "Totale € 18,00" in text
    assert (
        f"€ 9,00 di questo ordine vanno al progetto P01 “{winning_project.title}”."
        in text
    )
    assert (
        "Questo ordine ti dà un voto di € 18,00 su come Consorzio Terra "
        "reinveste i propri utili, in “Utili 2027”." in text
    )
    assert "Contanti" in text  # the payment method, cash
    assert "CASSA-7" in text


def test_the_receipt_is_rendered_once_when_the_task_runs_again(
    farm, winning_project, anna, mailoutbox
):
    order = place(farm, winning_project, anna)
    pay(order)
    receipt = OrderReceipt.objects.get()
    with receipt.file.open("rb") as handle:
        first = handle.read()

    again = tasks.order_receipt_render_task.delay(order.pk).get()

    assert again == receipt.pk
    assert OrderReceipt.objects.count() == 1
    assert len(mailoutbox) == 1
    receipt.refresh_from_db()
    with receipt.file.open("rb") as handle:
        assert handle.read() == first
    assert receipt.file.storage.listdir("receipts/orders") == (
        [],
        [f"order-{order.number}.pdf"],
    )


def test_the_buyer_and_staff_download_the_receipt_others_get_404(
    farm, winning_project, anna
):
    order = place(farm, winning_project, anna)
    pay(order)
    stored = OrderReceipt.objects.get()
    with stored.file.open("rb") as handle:
        pdf = handle.read()

    def get(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get(receipt_url(order))

    response = get(anna)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf
    assert get(UserFactory(is_staff=True)).status_code == 200
    assert get(UserFactory()).status_code == 404
    anonymous = get(None)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert Client().get("/shop/orders/999999/receipt.pdf").status_code == 302


def test_an_unpaid_order_gets_no_receipt(farm, winning_project, anna, mailoutbox):
    order = place(farm, winning_project, anna)

    assert tasks.order_receipt_render_task.delay(order.pk).get() is None

    assert OrderReceipt.objects.count() == 0
    assert mailoutbox == []
    client = Client()
    client.force_login(anna)
    response = client.get(receipt_url(order))
    assert response.status_code == 404
    assert order.number in response.content.decode()


def test_shop_pages_still_go_to_oscar(client):
    from django.urls import resolve

    assert resolve("/shop/orders/100001/receipt.pdf").view_name == (
        "marketplace:order-receipt"
    )
    assert resolve("/shop/basket/").view_name == "basket:summary"
    assert client.get("/shop/basket/").status_code == 200
