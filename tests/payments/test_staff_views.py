import pytest
from django.urls import reverse

from payments.ledger import account_balance
from payments.models import Payment, Refund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(is_staff=True), UserFactory(is_staff=True)


def test_payment_screens_are_for_staff_only(client):
    client.force_login(UserFactory())

    for name in (
        "payments:staff-payments",
        "payments:staff-action-required",
        "payments:staff-offline-new",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_offline_money_recorded_by_one_operator_is_confirmed_by_another(client, staff):
    desk, second = staff
    client.force_login(desk)

    response = client.post(
        reverse("payments:staff-offline-new"),
        {
            "purpose": "pledge",
            "purpose_id": "41",
            "credit_account": "campaign:3",
            "amount": "25,00",
            "method": "cash",
            "place": "Sportello colloqui",
        },
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    same = client.post(
        reverse("payments:staff-confirm", args=[payment.pk]), follow=True
    )
    assert (
        "second operator" in same.content.decode()
        or "secondo operatore" in same.content.decode()
    )
    payment.refresh_from_db()
    assert payment.status == "awaiting_confirmation"

    client.force_login(second)
    client.post(reverse("payments:staff-confirm", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert account_balance("campaign:3") == -2500

    detail = client.get(
        reverse("payments:staff-payment", args=[payment.pk])
    ).content.decode()
    assert "campaign:3" in detail and "offline:cash" in detail

    client.post(
        reverse("payments:staff-refund", args=[payment.pk]), {"amount": "30,00"}
    )
    client.post(
        reverse("payments:staff-refund", args=[payment.pk]),
        {"amount": "5,00", "reason": "resto"},
    )
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [500]
    assert account_balance("campaign:3") == -2000


def test_the_list_filters_by_status_and_reference(client, staff):
    from payments.services import payment_create

    paid = payment_create(
        purpose="order",
        purpose_id="77",
        amount_cents=900,
        credit_account="shop_sales:1",
    )
    Payment.objects.filter(pk=paid.pk).update(status="succeeded")
    payment_create(
        purpose="order",
        purpose_id="78",
        amount_cents=900,
        credit_account="shop_sales:1",
    )
    client.force_login(staff[0])

    page = client.get(
        reverse("payments:staff-payments"), {"status": "succeeded", "q": "77"}
    ).content.decode()

    assert "order:77" in page and "order:78" not in page


def test_the_history_starts_with_the_creation_read_from_the_row(client, staff):
    """A payment writes no event when it is created; its history shows the
    creation once, from the row, also for an older payment that kept it as an
    event."""
    import re

    from payments.models import PaymentEvent
    from payments.services import offline_record

    desk, _ = staff
    payment = offline_record(
        purpose="pledge",
        purpose_id="7",
        amount_cents=1250,
        credit_account="campaign:3",
        method="cash",
        recorded_by=desk,
    )
    assert list(payment.events.values_list("kind", flat=True)) == ["offline_recorded"]
    PaymentEvent.objects.create(
        payment=payment, kind="created", detail={"amount_cents": 1250}
    )
    client.force_login(desk)

    page = client.get(reverse("payments:staff-payment", args=[payment.pk]))

    history = page.content.decode().split("<ol>", 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", history, re.S)
    assert len(items) == 2
    assert "created" in items[0] and "12,50" in items[0]
    assert "offline_recorded" in items[1] and "created" not in items[1]
