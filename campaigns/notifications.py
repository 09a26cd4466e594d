"""E-mails to backers about their pledges, sent by a task after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from payments.services import pay_link_token

from .models import Pledge


def pledge_notify(*, pledge_id: int, what: str) -> bool:
    pledge = Pledge.objects.select_related("campaign", "payment").get(pk=pledge_id)
    if not pledge.backer_email or pledge.status != what:
        return False
    context = {
        "pledge": pledge,
        "campaign": pledge.campaign,
        "campaign_url": settings.SITE_URL.rstrip("/")
        + pledge.campaign.get_absolute_url(),
        "pay_url": settings.SITE_URL.rstrip("/")
        + reverse("payments:pay", args=[pay_link_token(pledge.payment)])
        if what == Pledge.Status.ACTION_REQUIRED and pledge.payment_id
        else "",
    }
    with translation.override(pledge.language or "it"):
        subject = render_to_string(
            f"campaigns/email/{what}_subject.txt", context
        ).strip()
        body = render_to_string(f"campaigns/email/{what}.txt", context)
    send_mail(subject, body, None, [pledge.backer_email])
    return True
