"""A paid order gets one PDF receipt, e-mailed to its buyer and downloadable
by them (and staff) only."""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from django.utils import timezone

from marketplace import receipts, services, tasks
from marketplace.models import OrderEvent, OrderReceipt
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


def _paid_with_task_lost(order, monkeypatch):
    """Paid, but the receipt's task never ran (a broker restarted empty)."""
    with monkeypatch.context() as lost:
        lost.setattr(tasks.order_receipt_render_task, "delay", lambda *a, **k: None)
        pay(order)
    assert not OrderReceipt.objects.exists()


def _paid_at(order, minutes_ago: int):
    paid_at = timezone.now() - timedelta(minutes=minutes_ago)
    OrderEvent.objects.filter(order=order, kind="paid").update(created_at=paid_at)
    return paid_at


def test_the_sweep_renders_a_lost_receipt_once_and_logs_it(
    farm, winning_project, anna, mailoutbox, monkeypatch, caplog
):
    order = place(farm, winning_project, anna)
    assert receipts.order_receipts_render_pending(older_than_seconds=0) == []
    _paid_with_task_lost(order, monkeypatch)
    assert receipts.order_receipts_render_pending() == []  # it may still run
    paid_at = _paid_at(order, minutes_ago=75)
    assert receipts.order_receipts_render_pending() == [(order.pk, paid_at, "PDF")]

    with caplog.at_level(logging.WARNING, logger="marketplace.tasks"):
        assert tasks.order_receipts_render_pending_task() == 1  # eager: now

    assert (
        f"receipt of order {order.pk}: PDF missing for 75 min, queued again"
        in caplog.messages
    )
    assert [r.levelname for r in caplog.records if r.name == "marketplace.tasks"] == [
        "ERROR"  # over an hour late
    ]
    receipt = OrderReceipt.objects.get()
    assert receipt.order == order and receipt.emailed_at is not None
    assert [m.to for m in mailoutbox] == [["anna@example.org"]]
    assert receipts.order_receipts_render_pending() == []
    assert tasks.order_receipts_render_pending_task() == 0


def test_a_receipt_the_mail_server_refused_is_sent_once_by_the_sweep(
    farm, winning_project, anna, mailoutbox, monkeypatch
):
    order = place(farm, winning_project, anna)
    _paid_with_task_lost(order, monkeypatch)
    with monkeypatch.context() as refused:

        def refuse(self, fail_silently=False):
            raise smtplib.SMTPRecipientsRefused({"anna@example.org": (451, b"")})

        refused.setattr(EmailMessage, "send", refuse)
        with pytest.raises(smtplib.SMTPException):
            receipts.order_receipt_render(order_id=order.pk)
    stored = OrderReceipt.objects.get()
    assert stored.file and stored.emailed_at is None
    assert mailoutbox == []
    stored_at = timezone.now() - timedelta(minutes=12)
    OrderReceipt.objects.filter(pk=stored.pk).update(created_at=stored_at)
    assert receipts.order_receipts_render_pending() == [(order.pk, stored_at, "e-mail")]

    assert tasks.order_receipts_render_pending_task() == 1
    receipts.order_receipt_render(order_id=order.pk)  # and once more

    assert len(mailoutbox) == 1
    [(_name, pdf, _type)] = mailoutbox[0].attachments
    with stored.file.open("rb") as handle:
        assert pdf == handle.read()
    assert OrderReceipt.objects.get().emailed_at is not None
    assert receipts.order_receipts_render_pending() == []


def test_orders_paid_more_than_a_week_ago_are_left_alone(
    farm, winning_project, anna, monkeypatch
):
    order = place(farm, winning_project, anna)
    _paid_with_task_lost(order, monkeypatch)
    _paid_at(order, minutes_ago=8 * 24 * 60)

    assert receipts.order_receipts_render_pending() == []


def test_the_buyer_sees_the_receipt_being_prepared_then_its_link(
    farm, winning_project, anna, monkeypatch
):
    order = place(farm, winning_project, anna)
    client = Client()
    client.force_login(anna)
    page = f"/shop/accounts/orders/{order.number}/"
    assert 'id="order-receipt' not in client.get(page).content.decode()  # unpaid

    _paid_with_task_lost(order, monkeypatch)
    waiting = client.get(page).content.decode()
    assert 'id="order-receipt-pending"' in waiting
    assert "Ricevuta · in preparazione" in waiting
    assert receipt_url(order) not in waiting

    receipts.order_receipt_render(order_id=order.pk)
    ready = client.get(page).content.decode()
    assert 'id="order-receipt-pending"' not in ready
    assert receipt_url(order) in ready
