from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .webhooks import BadSignature, stripe_event_receive


@csrf_exempt  # Stripe signs the body instead; the signature is checked below.
@require_POST
def stripe_webhook(request):
    try:
        stripe_event_receive(request.body, request.headers.get("Stripe-Signature", ""))
    except BadSignature:
        return HttpResponseBadRequest("bad signature")
    return HttpResponse("ok")
