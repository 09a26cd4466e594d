import pytest

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
