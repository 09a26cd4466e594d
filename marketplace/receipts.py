"""Order receipts: one PDF for every paid order, rendered by a task after the
payment commits, stored, e-mailed once to the buyer (as campaign receipts)."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from core.money import format_money
from documents.mailing import email_claim, email_send_claimed, stored_bytes
from documents.pdf import render_pdf
from participation.models import Project, PurchaseVote

from . import votes
from .models import OrderEvent, OrderReceipt, ShopPartner
from .services import Status, order_payment, order_shares, to_cents

Order = get_model("order", "Order")

TEMPLATE = "documents/order_receipt.html"
# The campaign receipts' stylesheet, parsed once per worker process.
STYLESHEETS = ("css/receipt.css",)
RECEIPT_DUE = {Status.PAID, Status.COLLECTED}


def _payment_reference(payment) -> str:
    offline = getattr(payment, "offline", None)
    return (
        (offline.reference if offline else "")
        or payment.stripe_payment_intent_id
        or f"payment {payment.pk}"
    )


def order_receipt_context(order) -> dict:
    """The template's context (documented at the top of order_receipt.html):
    plain dicts and lists, amounts in integer cents."""
    lines = list(order.lines.select_related("partner").order_by("pk"))
    shops = {
        shop.partner_id: shop
        for shop in ShopPartner.objects.filter(
            partner_id__in=[line.partner_id for line in lines]
        ).select_related("community")
    }
    sellers, communities = [], []
    for line in lines:
        shop = shops.get(line.partner_id)
        seller = {
            "name": line.partner_name,
            "community": shop.community.name if shop else "",
            "pickup_place": shop.pickup_place if shop else "",
        }
        if seller not in sellers:
            sellers.append(seller)
        if shop and shop.community not in communities:
            communities.append(shop.community)
    if len(communities) == 1:
        community = communities[0]
        organisation = {
            "name": community.name,
            "legal_name": community.legal_name or community.name,
            "tax_code": community.tax_code,
            "address": community.address,
            "nonprofit": community.nonprofit,
        }
    else:
        name = settings.OSCAR_SHOP_NAME
        organisation = {
            "name": name,
            "legal_name": name,
            "tax_code": "",
            "address": "",
            "nonprofit": False,
        }

    shares = order_shares(order)
    projects = Project.objects.in_bulk(shares.projects)
    payment = order_payment(order)
    buyer = order.user
    return {
        "receipt": {
            "kind": "order",
            "number": order.number,
            "issued_on": timezone.localdate(),
        },
        "organisation": organisation,
        "sellers": sellers,
        "buyer": {
            "name": buyer.get_full_name() if buyer else "",
            "email": order.email,
        },
        "order": {
            "number": order.number,
            "placed_at": order.date_placed,
            "currency": order.currency,
            "total_cents": to_cents(order.total_incl_tax),
        },
        "lines": [
            {
                "title": line.title,
                "seller": line.partner_name,
                "quantity": line.quantity,
                "unit_price_cents": to_cents(line.unit_price_incl_tax),
                "total_cents": to_cents(line.line_price_incl_tax),
            }
            for line in lines
        ],
        "payment": {
            "method_label": payment.get_method_display() if payment else "",
            "reference": _payment_reference(payment) if payment else "",
            "paid_at": payment.paid_at if payment else None,
        },
        "projects": [
            {
                "code": projects[project_id].code,
                "title": projects[project_id].title,
                "amount_cents": cents,
            }
            for project_id, cents in sorted(shares.projects.items())
            if project_id in projects
        ],
        "votes": [
            {
                "community": vote.process.community.name,
                "process_title": vote.process.title,
                "amount_cents": vote.amount_cents,
            }
            for vote in votes.order_votes(order)
            if vote.status == PurchaseVote.Status.ACTIVE
        ],
    }


def order_receipt_render(*, order_id: int) -> OrderReceipt | None:
    """Render, store and e-mail the receipt of a paid (or collected) order.

    Safe to run twice and concurrently: the receipt is unique per order, and
    its e-mail is claimed in the statement that stores it, so of two runs one
    stores and sends. A stored receipt whose e-mail the mail server refused
    is sent when this runs again (``order_receipts_render_pending`` queues
    it). None while the order is not paid."""
    existing = OrderReceipt.objects.filter(order_id=order_id).first()
    if existing is not None:
        if existing.emailed_at is None:
            _email_stored(existing)
        return existing
    order = Order.objects.select_related("user").get(pk=order_id)
    if order.status not in RECEIPT_DUE:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        pdf = render_pdf(
            TEMPLATE, order_receipt_context(order), stylesheets=STYLESHEETS
        )
    receipt = OrderReceipt(
        order=order, emailed_at=timezone.now() if order.email else None
    )
    receipt.file.save(
        get_valid_filename(f"order-{order.number}.pdf"), ContentFile(pdf), save=False
    )
    try:
        with transaction.atomic():
            receipt.save()
    except IntegrityError:
        # Another run stored it first: keep theirs, drop our copy of the file.
        receipt.file.delete(save=False)
        return OrderReceipt.objects.get(order_id=order_id)
    if receipt.emailed_at is not None:
        _email(order, receipt, pdf)
    return receipt


def _email_stored(receipt: OrderReceipt) -> None:
    """Send a stored receipt whose e-mail was not sent, claimed first."""
    order = receipt.order
    if not order.email:
        return
    if email_claim(receipt):
        _email(order, receipt, stored_bytes(receipt.file))


def _email(order, receipt: OrderReceipt, pdf: bytes) -> None:
    """E-mail ``pdf`` to the buyer, the receipt's e-mail claimed by the
    caller (``documents.mailing``)."""
    # No language is recorded for a buyer: the site's (Italian first).
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Receipt for your order %(number)s") % {"number": order.number}
        body = _(
            "Thank you for your order %(number)s of %(total)s.\n\n"
            "Your receipt is attached; you can also download it here:\n%(url)s"
        ) % {
            "url": settings.SITE_URL.rstrip("/")
            + reverse("marketplace:order-receipt", kwargs={"number": order.number}),
            "number": order.number,
            "total": format_money(to_cents(order.total_incl_tax), order.currency),
        }
    message = EmailMessage(subject, body, to=[order.email])
    message.attach(receipt.file.name.rsplit("/", 1)[-1], pdf, "application/pdf")
    email_send_claimed(message, receipt)


def order_receipt_pending(order) -> bool:
    """Paid (or collected) and its receipt not stored yet: the buyer is told
    it is being prepared."""
    return (
        order.status in RECEIPT_DUE
        and not OrderReceipt.objects.filter(order=order).exists()
    )


# Orders the sweep looks at: paid within this many days.
RECEIPT_SWEEP_DAYS = 7


class PendingOrderReceipt(NamedTuple):
    order_id: int
    since: datetime
    missing: str  # "PDF" or "e-mail"


def order_receipts_render_pending(
    *, older_than_seconds: int = 600, limit: int = 500, now=None
) -> list[PendingOrderReceipt]:
    """Order receipts due for at least ``older_than_seconds`` and still
    without their PDF (the task was lost or failed) or their e-mail (the
    mail server refused it), among the orders paid in the last
    ``RECEIPT_SWEEP_DAYS`` days; oldest first, at most ``limit``."""
    now = now or timezone.now()
    before = now - timedelta(seconds=older_than_seconds)
    since_days = now - timedelta(days=RECEIPT_SWEEP_DAYS)
    paid = (
        OrderEvent.objects.filter(
            kind="paid",
            created_at__lt=before,
            created_at__gte=since_days,
            order__status__in=RECEIPT_DUE,
            order__receipt__isnull=True,
        )
        .order_by("created_at")
        .values_list("order_id", "created_at")[:limit]
    )
    unsent = (
        OrderReceipt.objects.filter(
            emailed_at__isnull=True, created_at__lt=before, created_at__gte=since_days
        )
        .filter(  # Oscar's Order.email: the user's, or the guest's
            Q(order__user__isnull=True, order__guest_email__gt="")
            | Q(order__user__email__gt="")
        )
        .order_by("created_at")
        .values_list("order_id", "created_at")[:limit]
    )
    due = [PendingOrderReceipt(pk, since, "PDF") for pk, since in paid]
    due += [PendingOrderReceipt(pk, since, "e-mail") for pk, since in unsent]
    return sorted(due, key=lambda item: item.since)[:limit]
