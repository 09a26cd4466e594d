"""Receipts: a pledge receipt for every confirmed pledge, and a numbered
donation receipt for a paid pledge without reward to a registered non-profit
(art. 83 D.Lgs. 117/2017). Rendered by a task, stored, e-mailed once."""

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from documents.pdf import render_pdf

from ..models import Pledge, Receipt, ReceiptSequence

P = Pledge.Status
# Applied to every receipt, parsed once per worker process.
STYLESHEETS = ("css/receipt.css",)


def donation_receipt_due(pledge: Pledge) -> bool:
    return (
        pledge.status in {P.PAID, P.REFUNDED}
        and pledge.campaign.community.nonprofit
        and not hasattr(pledge, "reward_claim")
    )


def _next_number(community_id: int, year: int) -> str:
    """The next donation number of the community's year, gapless: the
    sequence row is locked until the receipt that takes it commits."""
    sequence, _created = ReceiptSequence.objects.get_or_create(
        community_id=community_id, year=year
    )
    sequence = ReceiptSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{year}/{sequence.last_number:06d}"


def receipt_context(pledge: Pledge, *, kind: str, number: str) -> dict:
    from django.conf import settings

    campaign = pledge.campaign
    community = campaign.community
    project = campaign.project
    payment = pledge.payment
    claim = getattr(pledge, "reward_claim", None)
    reference = ""
    if payment is not None:
        offline = getattr(payment, "offline", None)
        reference = (
            (offline.reference if offline else "")
            or payment.stripe_payment_intent_id
            or f"payment {payment.pk}"
        )
    backer_name = (
        str(pledge.backer.display_name or pledge.backer)
        if pledge.backer_id
        else pledge.backer_name
    )
    return {
        "receipt": {
            "kind": kind,
            "number": number or None,
            "issued_on": timezone.localdate(),
        },
        "organisation": {
            "name": community.name,
            "legal_name": community.legal_name or community.name,
            "tax_code": community.tax_code,
            "address": community.address,
            "nonprofit": community.nonprofit,
        },
        "campaign": {
            "title": campaign.title,
            "url": settings.SITE_URL.rstrip("/") + campaign.get_absolute_url(),
        },
        "project": {
            "code": project.code,
            "title": project.title,
            "process_title": project.process.title,
        },
        "backer": {
            "name": backer_name,
            "email": pledge.backer_email,
            "tax_code": pledge.donor_tax_code,
            "address": pledge.donor_address,
        },
        "pledge": {
            "id": pledge.pk,
            "amount_cents": pledge.amount_cents,
            "currency": campaign.currency,
            "status_label": pledge.get_status_display(),
            "created_at": pledge.created_at,
            "reward_title": claim.tier.title if claim else None,
            "reward_made_by": claim.tier.made_by if claim else "",
            "funding_model": campaign.funding_model,
            "anonymous": pledge.anonymous,
        },
        "payment": {
            "method_label": payment.get_method_display() if payment else "",
            "reference": reference,
            "paid_at": payment.paid_at if payment else None,
        },
    }


def receipt_render(*, pledge_id: int, kind: str) -> Receipt | None:
    """Render, store and e-mail one receipt; safe to run twice (the second
    run finds it and does nothing). None when this pledge gets no such receipt."""
    existing = Receipt.objects.filter(pledge_id=pledge_id, kind=kind).first()
    if existing is not None:
        return existing
    # One query for everything the receipt shows (the reward and the offline
    # payment's reference are reverse one-to-ones, joined like the rest).
    pledge = Pledge.objects.select_related(
        "campaign__community",
        "campaign__project__process",
        "payment__offline",
        "backer",
        "reward_claim__tier",
    ).get(pk=pledge_id)
    if kind == Receipt.Kind.DONATION and not donation_receipt_due(pledge):
        return None
    if kind == Receipt.Kind.PLEDGE and pledge.status not in {
        P.COMMITTED,
        P.PAID,
        P.ACTION_REQUIRED,
    }:
        return None
    template = f"documents/{kind}_receipt.html"
    with translation.override(pledge.language or "it"):
        if kind == Receipt.Kind.DONATION:
            # The number is taken and the receipt stored in one transaction:
            # a failed render gives the number back (no gap).
            try:
                with transaction.atomic():
                    number = _next_number(
                        pledge.campaign.community_id, timezone.localdate().year
                    )
                    pdf = render_pdf(
                        template,
                        receipt_context(pledge, kind=kind, number=number),
                        stylesheets=STYLESHEETS,
                    )
                    receipt = _store(pledge, kind, number, pdf)
            except IntegrityError:
                return Receipt.objects.get(pledge_id=pledge_id, kind=kind)
        else:
            pdf = render_pdf(
                template,
                receipt_context(pledge, kind=kind, number=""),
                stylesheets=STYLESHEETS,
            )
            try:
                with transaction.atomic():
                    receipt = _store(pledge, kind, "", pdf)
            except IntegrityError:
                return Receipt.objects.get(pledge_id=pledge_id, kind=kind)
        _email(pledge, receipt, pdf)
    return receipt


def _store(pledge: Pledge, kind: str, number: str, pdf: bytes) -> Receipt:
    receipt = Receipt(pledge=pledge, kind=kind, number=number)
    name = f"{kind}-{pledge.pk}{'-' + number.replace('/', '-') if number else ''}.pdf"
    receipt.file.save(name, ContentFile(pdf), save=False)
    receipt.save()
    return receipt


def _email(pledge: Pledge, receipt: Receipt, pdf: bytes) -> None:
    """E-mail the receipt with ``pdf``, the bytes just stored (not read back)."""
    if not pledge.backer_email:
        return
    context = {"pledge": pledge, "receipt": receipt, "campaign": pledge.campaign}
    message = EmailMessage(
        render_to_string("campaigns/email/receipt_subject.txt", context).strip(),
        render_to_string("campaigns/email/receipt.txt", context),
        to=[pledge.backer_email],
    )
    message.attach(receipt.file.name.rsplit("/", 1)[-1], pdf, "application/pdf")
    message.send()
    Receipt.objects.filter(pk=receipt.pk).update(emailed_at=timezone.now())
