"""Reads of the campaigns app: what pages show, in a fixed number of queries."""

import math

from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.utils import timezone

from participation.models import Process
from payments.models import Entry

from .models import Campaign, MatchAllocation, Pledge, Receipt, ReceiptSequence
from .services.closing import SWEEP
from .services.pledges import COUNTING

P = Pledge.Status


def _backer_key():
    """The same key as ``Pledge.backer_key``, in SQL, for distinct counts."""
    return Case(
        When(
            backer__isnull=False,
            then=Concat(Value("user:"), Cast("backer_id", CharField())),
        ),
        When(
            ~Q(backer_email=""),
            then=Concat(Value("email:"), Lower("backer_email")),
        ),
        default=Concat(Value("pledge:"), Cast("pk", CharField())),
        output_field=CharField(),
    )


def campaign_totals(campaign: Campaign) -> dict:
    """Pledged (commitments that count), backers, paid, and the money in the
    ledger: what backers' payments brought and what match rounds added."""
    counting = Q(status__in=COUNTING)
    figures = Pledge.objects.filter(campaign=campaign).aggregate(
        pledged=Sum("amount_cents", filter=counting),
        paid=Sum("amount_cents", filter=Q(status=P.PAID)),
        # Distinct backers without building a key per row: accounts, e-mails
        # of pledges without an account, and pledges with neither.
        with_account=Count("backer", filter=counting, distinct=True),
        by_email=Count(
            Lower("backer_email"),
            filter=counting & Q(backer__isnull=True) & ~Q(backer_email=""),
            distinct=True,
        ),
        nameless=Count(
            "pk", filter=counting & Q(backer__isnull=True) & Q(backer_email="")
        ),
        pledges=Count("pk", filter=counting),
    )
    ledger = Entry.objects.filter(account__code=campaign.account_code).aggregate(
        raised=Sum(
            "amount_cents",
            filter=~Q(transaction__kind=SWEEP) & ~Q(transaction__kind="match"),
        ),
        matched=Sum("amount_cents", filter=Q(transaction__kind="match")),
    )
    pledged = figures["pledged"] or 0
    goal = campaign.goal_cents
    return {
        "pledged_cents": pledged,
        "paid_cents": figures["paid"] or 0,
        "backers": figures["with_account"] + figures["by_email"] + figures["nameless"],
        "pledges": figures["pledges"] or 0,
        "raised_cents": -(ledger["raised"] or 0),
        "matched_cents": -(ledger["matched"] or 0),
        "percent": math.floor(pledged * 100 / goal) if goal else 0,
        "bar_percent": min(math.floor(pledged * 100 / goal), 100) if goal else 0,
        "stretch_percent": min(
            math.floor(pledged * 100 / campaign.stretch_goal_cents), 100
        )
        if campaign.stretch_goal_cents
        else None,
        "days_left": max((campaign.deadline - timezone.now()).days, 0)
        if campaign.deadline > timezone.now()
        else 0,
        "goal_reached": pledged >= goal,
    }


def campaign_list_live():
    return (
        Campaign.objects.filter(status=Campaign.Status.LIVE)
        .select_related("community", "project")
        .order_by("deadline", "pk")
    )


def campaign_list_public(*, community=None):
    """Campaigns anyone may see: past their draft, of public communities."""
    campaigns = (
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .filter(community__is_public=True)
        .select_related("community", "project")
    )
    if community is not None:
        campaigns = campaigns.filter(community=community)
    return campaigns.annotate(
        pledged=Coalesce(
            Sum("pledges__amount_cents", filter=Q(pledges__status__in=COUNTING)), 0
        )
    ).order_by("status", "deadline", "pk")


def campaign_tiers(campaign: Campaign):
    return list(campaign.tiers.all())


def campaign_recent_backers(campaign: Campaign, *, limit: int = 10):
    return list(
        Pledge.objects.filter(campaign=campaign, status__in=COUNTING)
        .select_related("backer")
        .order_by("-created_at", "-pk")[:limit]
    )


def campaign_origin(campaign: Campaign) -> dict:
    """Where the project came from: its process, votes and place in the result."""
    project = campaign.project
    process = Process.objects.select_related("community", "result").get(
        pk=project.process_id
    )
    result = getattr(process, "result", None)
    row = None
    if result is not None:
        row = next(
            (
                r
                for r in result.explanation.get("rows", [])
                if r["code"] == project.code
            ),
            None,
        )
    return {
        "process": process,
        "project": project,
        "votes": row["votes"] if row else None,
        "position": row["position"] if row else None,
        "ballots": result.ballots_counted if result else None,
        "proposals": list(project.source_proposals.values_list("title", flat=True)),
    }


def pledges_of(user):
    return (
        Pledge.objects.filter(backer=user)
        .select_related("campaign", "payment", "reward_claim__tier")
        .prefetch_related("receipts")
        .order_by("-created_at", "-pk")
    )


def process_money_supporters(process) -> dict[str, set[str]]:
    """The ``market_votes`` provider: distinct backers per project code."""
    rows = (
        Pledge.objects.filter(campaign__project__process=process, status__in=COUNTING)
        .annotate(key=_backer_key())
        .values_list("campaign__project__code", "key")
        .distinct()
    )
    result: dict[str, set[str]] = {}
    for code, key in rows:
        result.setdefault(code, set()).add(key)
    return result


def process_money_supporter_counts(process) -> dict[str, int]:
    """Distinct backers per project code, counted by PostgreSQL (or SQLite):
    the same figures as ``len()`` of ``process_money_supporters``' sets, in
    one grouped query that returns a row per project, not a key per backer.
    As in ``campaign_totals``: accounts, e-mails of pledges without an
    account, and pledges with neither (each its own backer)."""
    anonymous = Q(backer__isnull=True)
    rows = (
        Pledge.objects.filter(campaign__project__process=process, status__in=COUNTING)
        .values("campaign__project__code")
        .annotate(
            with_account=Count("backer", distinct=True),
            by_email=Count(
                Lower("backer_email"),
                filter=anonymous & ~Q(backer_email=""),
                distinct=True,
            ),
            nameless=Count("pk", filter=anonymous & Q(backer_email="")),
        )
        .order_by()
    )
    return {
        row["campaign__project__code"]: row["with_account"]
        + row["by_email"]
        + row["nameless"]
        for row in rows
    }


def match_round_allocations(round_):
    return list(
        MatchAllocation.objects.filter(round=round_)
        .select_related("campaign")
        .order_by("-amount_cents", "campaign__title")
    )


def donation_register(community, year: int) -> dict:
    """The community's donation receipts of ``year`` in number order (and a
    row of what each states), with their total and the numbers taken but
    missing from the register (none, unless a receipt was deleted by hand:
    numbering is gapless)."""
    receipts = list(
        Receipt.objects.filter(
            kind=Receipt.Kind.DONATION,
            pledge__campaign__community=community,
            number__startswith=f"{year}/",
        )
        .select_related(
            "pledge__campaign__community",
            "pledge__campaign__project__process",
            "pledge__payment__offline",
            "pledge__backer",
        )
        .order_by("number")
    )
    last = (
        ReceiptSequence.objects.filter(community=community, year=year)
        .values_list("last_number", flat=True)
        .first()
        or 0
    )
    present = {int(r.number.rsplit("/", 1)[1]) for r in receipts}
    return {
        "receipts": receipts,
        "rows": [_register_row(receipt) for receipt in receipts],
        "total_cents": sum(r.pledge.amount_cents for r in receipts),
        "last_number": last,
        "missing": [f"{year}/{n:06d}" for n in range(1, last + 1) if n not in present],
    }


def _register_row(receipt) -> dict:
    """What the receipt's PDF states (the donor, the payment's method and
    reference), read the way the PDF reads it."""
    from .services.receipts import receipt_context

    pledge = receipt.pledge
    facts = receipt_context(pledge, kind=receipt.kind, number=receipt.number)
    return {
        "receipt": receipt,
        "number": receipt.number,
        "issued_on": timezone.localdate(receipt.created_at),
        "issued": bool(receipt.file),
        "donor_name": facts["backer"]["name"],
        "donor_tax_code": facts["backer"]["tax_code"],
        "donor_address": facts["backer"]["address"],
        "amount_cents": pledge.amount_cents,
        "currency": pledge.campaign.currency,
        "payment_method": facts["payment"]["method_label"],
        "payment_reference": facts["payment"]["reference"],
        "paid_at": facts["payment"]["paid_at"],
        "campaign": pledge.campaign.title,
        "pledge": pledge,
    }


def donation_register_years(community) -> list[int]:
    """The years in which the community numbered donation receipts."""
    return list(
        ReceiptSequence.objects.filter(community=community, last_number__gt=0)
        .order_by("-year")
        .values_list("year", flat=True)
    )
