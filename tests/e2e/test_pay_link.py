import pytest
from playwright.sync_api import expect

from payments.gateways.stripe_client import stripe_client
from payments.models import Payment
from payments.services import charge_now, pay_link_token, payment_create
from tests.payments.conftest import card, wait_for_status
from tests.payments.test_webhooks import SECRET, URL, _webhook_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_payer_completes_an_authentication_from_the_pay_link(
    live_server, page, stripe_emulator, settings, request
):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_JS_URL = f"{stripe_emulator}/js.stripe.com/v3/"
    _webhook_to(stripe_emulator, f"{live_server.url}{URL}")
    request.addfinalizer(lambda: _webhook_to(stripe_emulator, "http://127.0.0.1:9/"))
    payment = payment_create(
        purpose="test", purpose_id=1, amount_cents=3500, credit_account="campaign:1"
    )
    charge_now(
        payment=payment, payment_method=card(stripe_client(), "4000002760003184")
    )
    payment.refresh_from_db()
    assert payment.status == "action_required"

    page.goto(f"{live_server.url}/payments/pay/{pay_link_token(payment)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Completa il pagamento")
    page.get_by_role("button", name="Paga € 35,00").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text("Grazie: il pagamento è in conferma.")).to_be_visible()

    assert wait_for_status(payment, "succeeded") == "succeeded"


def test_a_tampered_pay_link_is_refused(client):
    payment = payment_create(
        purpose="test", purpose_id=2, amount_cents=100, credit_account="campaign:1"
    )

    response = client.get(f"/payments/pay/{pay_link_token(payment)}x/")

    assert response.status_code == 404
    assert Payment.objects.get(pk=payment.pk).stripe_payment_intent_id == ""
