from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.ratelimit import rate_limited

from .webhooks import BadSignature, stripe_event_receive


@csrf_exempt  # Stripe signs the body instead; the signature is checked below.
@require_POST
def stripe_webhook(request):
    try:
        stripe_event_receive(request.body, request.headers.get("Stripe-Signature", ""))
    except BadSignature:
        return HttpResponseBadRequest("bad signature")
    return HttpResponse("ok")


@rate_limited("pay", methods=("GET", "POST"))
def pay(request, token):
    """The payer's page to pay on-session (after a failed off-session charge).

    The card form is Stripe.js; the payment is marked paid only by the webhook
    (or the reconciliation), never by this page.
    """
    from django.conf import settings
    from django.shortcuts import render

    from . import services
    from .exceptions import PaymentError

    try:
        payment = services.pay_link_payment(token)
    except (PaymentError, services.Payment.DoesNotExist):
        return render(request, "payments/pay_invalid.html", status=404)
    client_secret = None
    if payment.status in {payment.Status.ACTION_REQUIRED, payment.Status.PENDING}:
        try:
            client_secret = services.charge_now(payment=payment)
        except PaymentError:
            client_secret = None
    return render(
        request,
        "payments/pay.html",
        {
            "payment": payment,
            "client_secret": client_secret,
            "stripe_js": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )
