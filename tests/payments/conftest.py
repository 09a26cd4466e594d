import time

import pytest
from django.db import OperationalError

from payments import hooks


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, payment_id, what):
        self.calls.append((payment_id, what))


@pytest.fixture
def notified():
    """Record what the 'test' purpose's handler hears from payments."""
    recorder = Recorder()
    hooks.register("test", recorder)
    yield recorder
    hooks.unregister("test", recorder)


def card(client, number):
    return client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    ).id


def wait_for_status(payment, status: str, timeout: float = 15) -> str:
    """Poll until the webhook (handled by the live server's thread) sets ``status``.

    SQLite's shared in-memory test database refuses a read while the other
    thread writes ("table is locked") instead of waiting: such a read is retried.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            payment.refresh_from_db()
        except OperationalError:
            pass
        else:
            if payment.status == status:
                break
        time.sleep(0.2)
    return payment.status
