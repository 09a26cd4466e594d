"""The one place that builds a Stripe client from the settings.

Development and tests point ``STRIPE_API_BASE`` at the localstripe emulator,
production at api.stripe.com; the code path through the official SDK is the
same in both.
"""

import stripe
from django.conf import settings


def stripe_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
    )
