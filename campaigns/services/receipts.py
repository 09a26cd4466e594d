"""Receipts: a pledge receipt for every confirmed pledge, and a numbered
donation receipt for a paid pledge without reward to a registered non-profit
(art. 83 D.Lgs. 117/2017). Rendered by a task, stored, e-mailed once."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.template.loader import render_to_string
from django.utils import timezone, translation

from documents.mailing import email_claim, email_send_claimed, stored_bytes
from documents.pdf import render_pdf

from ..models import Pledge, Receipt, ReceiptSequence

P = Pledge.Status
# Applied to every receipt, parsed once per worker process.
STYLESHEETS = ("css/receipt.css",)
# A pledge in one of these has (or is due) its pledge receipt.
PLEDGE_RECEIPT_STATUSES = frozenset({P.COMMITTED, P.PAID, P.ACTION_REQUIRED})


def _next_number(community_id: int, year: int) -> str:
    """The next donation number of the community's year, gapless: one
    statement creates the sequence's row or adds one to it, and the row stays
    locked until the transaction that takes the number (and writes the
    receipt's row with it) commits."""
    meta = ReceiptSequence._meta
    table = connection.ops.quote_name(meta.db_table)
    community, year_column, last = (
        connection.ops.quote_name(meta.get_field(name).column)
        for name in ("community", "year", "last_number")
    )
    # Names quoted from the model; the values are parameters.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({community}, {year_column}, {last}) "  # noqa: S608
            f"VALUES (%s, %s, 1) ON CONFLICT ({community}, {year_column}) "
            f"DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [community_id, year],
        )
        (number,) = cursor.fetchone()
    return f"{year}/{number:06d}"


def _donation_number_take(pledge: Pledge) -> Receipt:
    """The pledge's donation receipt row with its number, the PDF still to
    come. One short transaction: the community's sequence is locked for a
    few milliseconds, not through a render, so several workers make one
    community's receipts at once. A number taken is never given back: its
    row is committed with it, and a render that fails leaves the row
    waiting (``receipts_render_pending`` queues it again)."""
    try:
        with transaction.atomic():
            number = _next_number(
                pledge.campaign.community_id, timezone.localdate().year
            )
            return Receipt.objects.create(
                pledge=pledge, kind=Receipt.Kind.DONATION, number=number
            )
    except IntegrityError:  # another worker took it first: its number stands
        return Receipt.objects.get(pledge_id=pledge.pk, kind=Receipt.Kind.DONATION)


def receipt_context(pledge: Pledge, *, kind: str, number: str, issued_on=None) -> dict:
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
            "issued_on": issued_on or timezone.localdate(),
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


# What a receipt shows, fetched in one query (the reward and the offline
# payment's reference are reverse one-to-ones, joined like the rest), and only
# the columns it shows: 47 of the nine tables' 162.
RECEIPT_RELATED = (
    "campaign__community",
    "campaign__project__process",
    "payment__offline",
    "backer",
    "reward_claim__tier",
)
RECEIPT_FIELDS = (
    *("id", "campaign", "backer", "backer_name", "backer_email", "amount_cents"),
    *("anonymous", "status", "payment", "donor_tax_code", "donor_address"),
    *("language", "created_at"),
    *("campaign__title", "campaign__slug", "campaign__currency"),
    *("campaign__funding_model", "campaign__community", "campaign__project"),
    *("campaign__community__name", "campaign__community__legal_name"),
    *("campaign__community__tax_code", "campaign__community__address"),
    "campaign__community__nonprofit",
    *("campaign__project__code", "campaign__project__title"),
    *("campaign__project__process", "campaign__project__process__title"),
    *("payment__method", "payment__stripe_payment_intent_id", "payment__paid_at"),
    "payment__offline__reference",
    *("backer__display_name", "backer__email"),
    *("reward_claim__tier__title", "reward_claim__tier__made_by"),
)


def _receipt_pledge(pledge_id: int) -> Pledge:
    """The pledge with everything its receipts and their e-mail show. Not
    ``get()``: the ``LIMIT 21`` it adds makes PostgreSQL plan the nine joins
    for a first few rows as well, which takes as long again as the query
    itself (1.4 -> 2.4 ms of the server's CPU here)."""
    found = list(
        Pledge.objects.select_related(*RECEIPT_RELATED)
        .only(*RECEIPT_FIELDS)
        .filter(pk=pledge_id)
        .order_by()
    )
    if not found:
        raise Pledge.DoesNotExist(f"no pledge {pledge_id}")
    return found[0]


def receipt_render(*, pledge_id: int, kind: str) -> Receipt | None:
    """Render, store and e-mail one receipt; safe to run twice, and at once
    in two workers (one stores and e-mails, the other finds it stored). A
    receipt stored whose e-mail was not sent (the mail server refused it) is
    e-mailed when this runs again. None when this pledge gets no such
    receipt."""
    existing = Receipt.objects.filter(pledge_id=pledge_id, kind=kind).first()
    if existing is not None and existing.file:
        if existing.emailed_at is None:
            _email_stored(existing)
        return existing
    pledge = _receipt_pledge(pledge_id)
    if existing is None:  # a donation row waiting for its PDF was due once
        if kind == Receipt.Kind.DONATION and not pledge.donation_receipt_due:
            return None
        if kind == Receipt.Kind.PLEDGE and pledge.status not in PLEDGE_RECEIPT_STATUSES:
            return None
    if kind == Receipt.Kind.DONATION:
        receipt = existing or _donation_number_take(pledge)
        if receipt.file:
            return receipt
    else:
        receipt = Receipt(pledge=pledge, kind=kind, number="")
    # A retry renders the receipt as first issued: same number, same date.
    issued_on = timezone.localdate(receipt.created_at) if receipt.pk else None
    with translation.override(pledge.language or "it"):
        pdf = render_pdf(
            f"documents/{kind}_receipt.html",
            receipt_context(
                pledge, kind=kind, number=receipt.number, issued_on=issued_on
            ),
            stylesheets=STYLESHEETS,
        )
        stored = _store(pledge, receipt, pdf)
        if stored is None:  # stored meanwhile by another worker (who e-mails)
            return Receipt.objects.get(pledge_id=pledge_id, kind=kind)
        if stored.emailed_at is not None:
            _email(pledge, stored, pdf)
    return stored


# Receipts the sweep looks for among pledges changed within this many days
# (a receipt missing for longer has been logged as an error at every sweep).
RECEIPT_SWEEP_DAYS = 7


class PendingReceipt(NamedTuple):
    pledge_id: int
    kind: str
    since: datetime
    missing: str  # "PDF" or "e-mail"


def receipts_render_pending(
    *, older_than_seconds: int = 600, limit: int = 500, now=None
) -> list[PendingReceipt]:
    """Receipts due for at least ``older_than_seconds`` and still without
    their PDF or their e-mail, oldest first, at most ``limit``, to queue
    again (``receipt_render`` does what is missing):

    - donation receipts whose row (and number) was written but whose PDF
      never came (a render that failed, a worker that died): rendered again
      under the same number, whatever their age;
    - pledge receipts of confirmed pledges (committed, paid, action
      required) that have none, and donation receipts of paid pledges due
      one (``Pledge.donation_receipt_due``) that have no row: their task was lost
      (a broker restarted empty) or failed. Looked for among the pledges
      changed in the last ``RECEIPT_SWEEP_DAYS`` days, "due since" being
      the pledge's last change;
    - receipts stored in the last ``RECEIPT_SWEEP_DAYS`` days and not
      e-mailed to a backer who has an address (the mail server refused).
    """
    now = now or timezone.now()
    before = now - timedelta(seconds=older_than_seconds)
    since_days = now - timedelta(days=RECEIPT_SWEEP_DAYS)
    waiting = Receipt.objects.filter(
        kind=Receipt.Kind.DONATION, file="", created_at__lt=before
    )
    recent = Pledge.objects.filter(updated_at__lt=before, updated_at__gte=since_days)
    no_pledge_receipt = recent.filter(status__in=PLEDGE_RECEIPT_STATUSES).exclude(
        receipts__kind=Receipt.Kind.PLEDGE
    )
    no_donation_row = recent.donation_receipt_due().exclude(
        receipts__kind=Receipt.Kind.DONATION
    )
    unsent = (
        Receipt.objects.filter(
            emailed_at__isnull=True, created_at__lt=before, created_at__gte=since_days
        )
        .exclude(file="")
        .exclude(pledge__backer_email="")
    )
    pledge_kind, donation_kind = (
        Value(Receipt.Kind.PLEDGE),
        Value(Receipt.Kind.DONATION),
    )
    found = (
        (waiting, "pledge_id", F("kind"), "created_at", "PDF"),
        (no_pledge_receipt, "pk", pledge_kind, "updated_at", "PDF"),
        (no_donation_row, "pk", donation_kind, "updated_at", "PDF"),
        (unsent, "pledge_id", F("kind"), "created_at", "e-mail"),
    )
    # The oldest ``limit`` of each, then the oldest ``limit`` of them all.
    due = [
        PendingReceipt(pledge_id, kind, since, missing)
        for rows, key, kind_of, time, missing in found
        for pledge_id, kind, since in rows.annotate(receipt_kind=kind_of)
        .order_by(time)
        .values_list(key, "receipt_kind", time)[:limit]
    ]
    return sorted(due, key=lambda item: item.since)[:limit]


def _store(pledge: Pledge, receipt: Receipt, pdf: bytes) -> Receipt | None:
    """Write the PDF and the row, and claim the receipt's e-mail with them
    (``emailed_at``, when the backer has an address); None when the row
    already has a file (then the file just written is removed). A pledge
    receipt's row is inserted with its file (the unique constraint refuses a
    second one); a donation receipt's row, written with its number, gets its
    file by a conditional update, so that of two workers storing at once one
    wins, and only the winner e-mails."""
    suffix = f"-{receipt.number.replace('/', '-')}" if receipt.number else ""
    receipt.file.save(
        f"{receipt.kind}-{pledge.pk}{suffix}.pdf", ContentFile(pdf), save=False
    )
    receipt.emailed_at = timezone.now() if pledge.backer_email else None
    if receipt.pk is not None:
        stored = Receipt.objects.filter(pk=receipt.pk, file="").update(
            file=receipt.file.name, emailed_at=receipt.emailed_at
        )
    else:
        try:
            with transaction.atomic():
                receipt.save()
            stored = True
        except IntegrityError:  # a pledge receipt stored meanwhile
            stored = False
    if not stored:
        receipt.file.delete(save=False)
        return None
    return receipt


def _email(pledge: Pledge, receipt: Receipt, pdf: bytes) -> None:
    """E-mail the receipt with ``pdf`` (the bytes just stored, not read
    back), its e-mail claimed by the caller (``documents.mailing``)."""
    context = {"pledge": pledge, "receipt": receipt, "campaign": pledge.campaign}
    message = EmailMessage(
        render_to_string("campaigns/email/receipt_subject.txt", context).strip(),
        render_to_string("campaigns/email/receipt.txt", context),
        to=[pledge.backer_email],
    )
    message.attach(receipt.file.name.rsplit("/", 1)[-1], pdf, "application/pdf")
    email_send_claimed(message, receipt)


def _email_stored(receipt: Receipt) -> None:
    """E-mail a receipt stored earlier whose e-mail was not sent, claimed
    first (of two runs at once, one sends)."""
    pledge = _receipt_pledge(receipt.pledge_id)
    if not pledge.backer_email:
        return
    if not email_claim(receipt):
        return
    with translation.override(pledge.language or "it"):
        _email(pledge, receipt, stored_bytes(receipt.file))
