"""The one place that builds a Stripe client from the settings.

Development and tests point ``STRIPE_API_BASE`` at the localstripe emulator,
production at api.stripe.com; the code path through the official SDK is the
same in both.

A client is built once per process and settings, then shared: its HTTP
client keeps one session per thread, so each thread reuses its connection to
Stripe instead of opening one per request. A forked child (Celery's prefork
workers, the bench's processes) builds its own: the parent's sockets are not
shared across processes.
"""

import os

import stripe
from django.conf import settings

_clients: dict[tuple[int, str, str], stripe.StripeClient] = {}


def stripe_client() -> stripe.StripeClient:
    # Two threads that both miss build two clients; one is kept, no harm done.
    key = (os.getpid(), settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
    client = _clients.get(key)
    if client is None:
        client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=2,
        )
        _clients.clear()  # a parent process's client, or older settings'
        _clients[key] = client
    return client
