"""Concurrent checkouts of the last units (PostgreSQL, CI)."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connections
from django.test import Client

from marketplace.models import OrderEvent
from payments.models import Payment
from tests.factories import UserFactory

from .conftest import Order, product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUYERS = 12
_ADDRESSES = itertools.count(1)


def _at_preview(item, quantity: int) -> Client:
    """A buyer whose basket holds ``quantity`` of ``item``, at the checkout's
    last step (Oscar's availability checks already passed). Each buyer comes
    from an address of their own, as real buyers do (the checkout's rate limit
    counts per address)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.1.{next(_ADDRESSES)}.7")
    client.force_login(UserFactory())
    client.post(f"/shop/basket/add/{item.pk}/", {"quantity": quantity})
    client.get("/shop/checkout/", follow=True)
    response = client.post("/shop/checkout/payment-method/", {"method": "card"})
    assert response.status_code == 302
    return client


def test_concurrent_checkouts_of_the_last_unit_sell_it_once(farm):
    jar = product(farm, stock=1)
    clients = [_at_preview(jar, 1) for _ in range(BUYERS)]
    barrier = Barrier(BUYERS)

    def place(client):
        barrier.wait()
        try:
            return client.post("/shop/checkout/preview/", {"action": "place_order"})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(BUYERS) as pool:
        responses = list(pool.map(place, clients))

    placed = [r for r in responses if r.status_code == 302]
    refused = [r for r in responses if r.status_code == 200]
    assert (len(placed), len(refused)) == (1, BUYERS - 1)
    assert all(b"has just sold out" in r.content for r in refused)
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (1, 1)
    # the refused checkouts wrote nothing: one order, one payment, one event
    assert Order.objects.count() == 1
    assert Payment.objects.filter(purpose="order").count() == 1
    assert OrderEvent.objects.count() == 1


def test_concurrent_checkouts_never_take_more_than_the_stock(farm):
    jar = product(farm, stock=5)
    clients = [_at_preview(jar, 2) for _ in range(BUYERS)]
    barrier = Barrier(BUYERS)

    def place(client):
        barrier.wait()
        try:
            return client.post("/shop/checkout/preview/", {"action": "place_order"})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(BUYERS) as pool:
        responses = list(pool.map(place, clients))

    assert sum(r.status_code == 302 for r in responses) == 2  # 2 + 2, 1 left
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (5, 4)
    assert Order.objects.count() == 2
