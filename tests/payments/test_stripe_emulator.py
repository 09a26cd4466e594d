import pytest
import stripe

from payments.gateways.stripe_client import stripe_client


def test_sdk_talks_to_the_emulator_over_http(stripe_emulator):
    client = stripe_client()

    customer = client.v1.customers.create(params={"email": "backer@example.org"})
    fetched = client.v1.customers.retrieve(customer.id)

    assert customer.id.startswith("cus_")
    assert fetched.email == "backer@example.org"


def test_emulator_is_emptied_between_tests(stripe_emulator):
    client = stripe_client()

    assert list(client.v1.customers.list().auto_paging_iter()) == []


def test_emulator_refuses_a_card_that_is_declined(stripe_emulator):
    client = stripe_client()
    customer = client.v1.customers.create(params={"email": "declined@example.org"})
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": "4000000000000341",
                "exp_month": 12,
                "exp_year": 2030,
                "cvc": "123",
            },
        }
    )

    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": method.id,
                "confirm": True,
            }
        )

    assert declined.value.code == "card_declined"
