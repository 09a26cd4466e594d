"""Pledges: created with their payment (and reward), kept in step with it.

A pledge's money is a ``payments.Payment`` (purpose ``pledge``) crediting the
campaign's ledger account. The payment app tells us what happened through
``payments.hooks`` (``pledge_payment_sync``), after its commit, once per
change; the sync is idempotent, so a repeated call changes nothing.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import services as payments
from payments.exceptions import PaymentError
from payments.models import Payment, Refund
from rewards.exceptions import RewardNotClaimable
from rewards.models import Delivery, RewardClaim, RewardTier
from rewards.services import reward_claim, reward_release, sold_out_error

from ..exceptions import CampaignNotOpen, PledgeBelowMinimum, PledgeStateError
from ..models import Campaign, Pledge, PledgeEvent
from ..page_cache import campaign_changed
from .pledge_statement import card_pledge_insert

P = Pledge.Status
C = Campaign.Status
MIN_PLEDGE_CENTS = 100
# A pledge whose card form was never completed gives its reward back after this.
PENDING_EXPIRES_AFTER = datetime.timedelta(minutes=30)
SHIPPING_FIELDS = ("name", "address", "postcode", "city")


def _event(pledge: Pledge, kind: str, **detail) -> None:
    PledgeEvent.objects.create(pledge=pledge, kind=kind, detail=detail)


# One round trip on PostgreSQL: the campaign under a shared lock, and the id
# the new pledge will have (so its payment is created already pointing at it).
_LOCK_SHARED_SQL = (
    "SELECT *, nextval(pg_get_serial_sequence(%s, 'id')) AS next_pledge_id"
    " FROM {campaign} WHERE id = %s FOR SHARE"
)


def campaign_lock_shared(campaign_pk: int) -> Campaign:
    """The campaign under a shared row lock: pledges don't wait for each other,
    a close (``FOR UPDATE``) waits for them and they wait for it.

    On PostgreSQL the same statement reserves an id for the next pledge
    (``campaign.next_pledge_id``); elsewhere that attribute is None."""
    if connection.vendor == "postgresql":
        sql = _LOCK_SHARED_SQL.format(campaign=Campaign._meta.db_table)
        found = list(Campaign.objects.raw(sql, [Pledge._meta.db_table, campaign_pk]))
        if not found:
            raise Campaign.DoesNotExist(f"no campaign {campaign_pk}")
        return found[0]
    campaign = Campaign.objects.select_for_update().get(pk=campaign_pk)
    campaign.next_pledge_id = None
    return campaign


def pledge_create(
    *,
    campaign: Campaign,
    amount_cents: int,
    backer=None,
    tier: RewardTier | None = None,
    anonymous: bool = False,
    shipping: dict | None = None,
    backer_name: str = "",
    backer_email: str = "",
    donor_tax_code: str = "",
    donor_address: str = "",
    language: str = "it",
    offline: dict | None = None,
) -> Pledge:
    """Record a pledge, its payment and (if any) its reward, in one transaction.

    ``offline`` (``method``, ``recorded_by``, ``place``, ``reference``) records
    money received at a desk or by transfer instead of a card payment.

    Raises CampaignNotOpen, PledgeBelowMinimum, RewardSoldOut or
    RewardNotClaimable; then nothing is written. The campaign is held under a
    shared lock (``campaign_lock_shared``) and the reward is claimed last, so
    the tier's row is locked only for the end of the transaction. On
    PostgreSQL a card pledge is one statement in autocommit
    (``pledge_statement``); offline pledges, and SQLite, go through the ORM.
    """
    if amount_cents < MIN_PLEDGE_CENTS:
        raise PledgeBelowMinimum(_("A pledge is at least 1 EUR."))
    if tier is not None:
        if tier.campaign_id != campaign.pk:
            raise RewardNotClaimable(_("This reward belongs to another campaign."))
        if amount_cents < tier.min_pledge_cents:
            raise PledgeBelowMinimum(
                _("This reward needs a pledge of at least %(amount)s.")
                % {"amount": _money(tier.min_pledge_cents, campaign.currency)}
            )
        if tier.delivery == Delivery.SHIPPING and not all(
            (shipping or {}).get(field, "").strip() for field in SHIPPING_FIELDS
        ):
            raise PledgeStateError(_("This reward is shipped: give the address."))
    if backer is None and not backer_name.strip():
        raise PledgeStateError(_("A pledge needs the backer's name."))
    pledge = Pledge(
        backer=backer,
        backer_name=backer_name.strip()[:160],
        backer_email=backer_email or (backer.email if backer is not None else ""),
        amount_cents=amount_cents,
        anonymous=anonymous,
        donor_tax_code=donor_tax_code.strip().upper()[:20],
        donor_address=donor_address.strip()[:250],
        language=language[:8],
    )
    if offline is None and connection.vendor == "postgresql":
        written = card_pledge_insert(
            campaign_pk=campaign.pk,
            pledge=pledge,
            tier=tier,
            shipping=shipping or {},
            credit_account=campaign.account_code,
        )
        if written.campaign is None:
            raise Campaign.DoesNotExist(f"no campaign {campaign.pk}")
        if not written.is_open:
            raise _not_open()
        if written.pledge is None:
            raise sold_out_error(tier)
        # The hot path: at most one page version write per process and
        # CAMPAIGN_PAGE_BUMP_WINDOW (see page_cache).
        campaign_changed(campaign.pk, coalesce=True)
        return written.pledge
    return _pledge_write_in_steps(
        campaign_pk=campaign.pk,
        pledge=pledge,
        tier=tier,
        shipping=shipping,
        offline=offline,
    )


def _not_open() -> CampaignNotOpen:
    return CampaignNotOpen(_("This campaign does not take pledges now."))


def _pledge_write_in_steps(
    *,
    campaign_pk: int,
    pledge: Pledge,
    tier: RewardTier | None,
    shipping: dict | None,
    offline: dict | None,
) -> Pledge:
    """``pledge_create``'s writes through the ORM, one row at a time, in one
    transaction: offline pledges, and every pledge on SQLite."""
    with transaction.atomic():
        campaign = campaign_lock_shared(campaign_pk)
        if not campaign.is_open:
            raise _not_open()
        pledge.pk = campaign.next_pledge_id
        pledge.campaign = campaign
        amount_cents = pledge.amount_cents
        # With its id reserved, the pledge is inserted once, with its payment;
        # without (SQLite), it is inserted first and linked to it after.
        link_after = pledge.pk is None
        if link_after:
            pledge.save(force_insert=True)
        description = f"{campaign.title} · pledge {pledge.pk}"
        if offline is None:
            pledge.payment = payments.payment_create(
                purpose="pledge",
                purpose_id=pledge.pk,
                amount_cents=amount_cents,
                credit_account=campaign.account_code,
                currency=campaign.currency,
                description=description,
                payer_email=pledge.backer_email,
            )
        else:
            pledge.payment = payments.offline_record(
                purpose="pledge",
                purpose_id=pledge.pk,
                amount_cents=amount_cents,
                credit_account=campaign.account_code,
                description=description,
                **offline,
            )
        if link_after:
            pledge.save(update_fields=["payment"])
        else:
            pledge.save(force_insert=True)
        if tier is not None:
            reward_claim(tier=tier, pledge=pledge, shipping=shipping)
        campaign_changed(campaign.pk, coalesce=True)
    return pledge


def _money(cents: int, currency: str) -> str:
    from core.money import format_money

    return format_money(cents, currency)


def pledge_payment_start(*, pledge: Pledge) -> dict:
    """What the card form needs: a SetupIntent (all-or-nothing: the card is
    saved and charged only if the campaign succeeds) or a PaymentIntent
    (keep-it-all: charged now). Returns ``{"mode", "client_secret"}``."""
    pledge = Pledge.objects.select_related("campaign", "payment").get(pk=pledge.pk)
    if pledge.status != P.PENDING or not pledge.campaign.is_open:
        raise PledgeStateError(_("This pledge is not waiting for a card."))
    if pledge.payment.method != Payment.Method.STRIPE:
        raise PledgeStateError(_("This pledge is paid offline."))
    try:
        if pledge.campaign.all_or_nothing:
            secret = payments.card_save_start(payment=pledge.payment)
            return {"mode": "setup", "client_secret": secret}
        secret = payments.charge_now(payment=pledge.payment)
        return {"mode": "payment", "client_secret": secret}
    except PaymentError as error:
        raise PledgeStateError(str(error)) from error


# The pledge status each payment status leads to, from the pledge statuses
# where that move makes sense.
_FOLLOWS = {
    Payment.Status.CARD_SAVED: (P.COMMITTED, {P.PENDING}),
    Payment.Status.SUCCEEDED: (
        P.PAID,
        {P.PENDING, P.COMMITTED, P.ACTION_REQUIRED, P.GIVEN_UP},
    ),
    Payment.Status.ACTION_REQUIRED: (P.ACTION_REQUIRED, {P.PENDING, P.COMMITTED}),
    Payment.Status.GIVEN_UP: (P.GIVEN_UP, {P.ACTION_REQUIRED, P.COMMITTED}),
    Payment.Status.CANCELED: (P.CANCELED, {P.PENDING}),
}
RELEASES_REWARD = {P.GIVEN_UP, P.CANCELED, P.NOT_FUNDED, P.REFUNDED}
COUNTING = {P.COMMITTED, P.PAID, P.ACTION_REQUIRED}


def pledge_payment_sync(payment_id: int, what: str = "") -> Pledge | None:
    """Bring the pledge in line with its payment (the ``pledge`` hook)."""
    with transaction.atomic():
        pledge = (
            Pledge.objects.select_for_update(of=("self",))
            .filter(payment_id=payment_id)
            .select_related("payment")
            .first()
        )
        if pledge is None:
            return None
        payment = pledge.payment
        before = pledge.status
        after = before
        follow = _FOLLOWS.get(payment.status)
        if follow and before in follow[1]:
            after = follow[0]
        if (
            payment.status == Payment.Status.SUCCEEDED
            and payments.refundable_cents(payment) == 0
        ):
            after = P.REFUNDED
        if after != before:
            _pledge_move(pledge, after, reason=what or payment.status)
    if after != before:
        _after_move(pledge, before, after)
    elif what == "refunded" or what.startswith("dispute"):
        # A partial refund or a dispute moved money on the campaign's account.
        from .closing import campaign_sweep

        campaign_sweep(campaign=Campaign.objects.get(pk=pledge.campaign_id))
    return pledge


def pledge_payments_sync(payment_ids: list[int], what: str = "") -> None:
    """``pledge_payment_sync`` for a batch of payments (the ``pledge`` hook's
    batch version, called after a close's batch of charges commits).

    The close's usual move, a committed pledge whose payment succeeded with
    nothing refunded, is written for the whole batch at once under the
    pledges' row locks (in id order); every other pledge of the batch goes
    through ``pledge_payment_sync``. Safe to run twice: a paid pledge is left
    alone."""
    with transaction.atomic():
        pledges = (
            Pledge.objects.select_for_update(of=("self",))
            .filter(payment_id__in=payment_ids)
            .select_related("payment")
            .order_by("pk")
        )
        refunded = set(
            Refund.objects.filter(payment_id__in=payment_ids).values_list(
                "payment_id", flat=True
            )
        )
        paid, others = [], []
        for pledge in pledges:
            if (
                pledge.status == P.COMMITTED
                and pledge.payment.status == Payment.Status.SUCCEEDED
                and pledge.payment_id not in refunded
            ):
                paid.append(pledge)
            else:
                others.append(pledge.payment_id)
        if paid:
            Pledge.objects.filter(pk__in=[p.pk for p in paid]).update(
                status=P.PAID, updated_at=timezone.now()
            )
            PledgeEvent.objects.bulk_create(
                PledgeEvent(
                    pledge=pledge,
                    kind="status",
                    detail={
                        "before": P.COMMITTED,
                        "after": P.PAID,
                        "reason": what or pledge.payment.status,
                    },
                )
                for pledge in paid
            )
            for campaign_id in {pledge.campaign_id for pledge in paid}:
                campaign_changed(campaign_id)
    for payment_id in others:
        pledge_payment_sync(payment_id, what)
    _after_paid(paid)


def _after_paid(pledges: list[Pledge]) -> None:
    """What pledges just paid lead to, read in two queries for them all: a
    donation receipt for each pledge without a reward to a non-profit
    community, a sweep of each campaign already over. For one pledge
    (``_after_move``) or a close's batch (``pledge_payments_sync``)."""
    if not pledges:
        return
    from .. import tasks

    due = Pledge.objects.filter(pk__in=[pledge.pk for pledge in pledges])
    for pledge_id in (
        due.donation_receipt_due().order_by("pk").values_list("pk", flat=True)
    ):
        tasks.receipt_render_task.delay(pledge_id, "donation")
    over = Campaign.objects.filter(
        pk__in={pledge.campaign_id for pledge in pledges},
        status__in=[C.SUCCEEDED, C.ENDED],
    )
    for campaign in over:
        from .closing import campaign_sweep

        campaign_sweep(campaign=campaign)


def _pledge_move(pledge: Pledge, status: str, *, reason: str = "") -> None:
    """Change status (the caller holds the pledge's row lock) and record it."""
    before = pledge.status
    pledge.status = status
    pledge.save(update_fields=["status", "updated_at"])
    _event(pledge, "status", before=before, after=status, reason=reason)
    campaign_changed(pledge.campaign_id)
    if status in RELEASES_REWARD:
        claim = RewardClaim.objects.filter(pledge=pledge).first()
        if claim is not None:
            reward_release(claim_id=claim.pk)


def _after_move(pledge: Pledge, before: str, after: str) -> None:
    """Side effects once the move has committed: receipts, e-mails, fund sweeps."""
    from .. import tasks

    if after in {P.COMMITTED, P.PAID} and before == P.PENDING:
        tasks.receipt_render_task.delay(pledge.pk, "pledge")
    if after == P.PAID:
        _after_paid([pledge])
    if after == P.REFUNDED:
        from .closing import campaign_sweep

        campaign_sweep(campaign=Campaign.objects.get(pk=pledge.campaign_id))
    if after in {P.ACTION_REQUIRED, P.GIVEN_UP, P.NOT_FUNDED}:
        tasks.pledge_notify_task.delay(pledge.pk, after)


def pledge_cancel(*, pledge: Pledge, by=None) -> Pledge:
    """The backer withdraws a pledge before it is charged (reward back in stock)."""
    with transaction.atomic():
        locked = (
            Pledge.objects.select_for_update(of=("self",))
            .select_related("campaign", "payment")
            .get(pk=pledge.pk)
        )
        if locked.status not in {P.PENDING, P.COMMITTED}:
            raise PledgeStateError(_("Only a pledge not yet charged can be withdrawn."))
        if not locked.campaign.is_open:
            raise PledgeStateError(_("The campaign has closed: the pledge stays."))
        payments.payment_cancel(payment=locked.payment, reason="withdrawn by backer")
        _pledge_move(locked, P.CANCELED, reason="withdrawn")
    return locked


def pledge_offline_record(
    *,
    campaign: Campaign,
    amount_cents: int,
    method: str,
    recorded_by,
    backer_name: str,
    backer_email: str = "",
    tier: RewardTier | None = None,
    anonymous: bool = False,
    place: str = "",
    reference: str = "",
    shipping: dict | None = None,
    donor_tax_code: str = "",
    donor_address: str = "",
) -> Pledge:
    """A pledge brought to the desk or by bank transfer: it counts once a
    second operator confirms the money (``payments.services.offline_confirm``)."""
    pledge = pledge_create(
        campaign=campaign,
        amount_cents=amount_cents,
        tier=tier,
        anonymous=anonymous,
        shipping=shipping,
        backer_name=backer_name,
        backer_email=backer_email,
        donor_tax_code=donor_tax_code,
        donor_address=donor_address,
        offline={
            "method": method,
            "recorded_by": recorded_by,
            "place": place,
            "reference": reference,
        },
    )
    return pledge


def pledges_expire_stale(*, now=None) -> int:
    """Cancel pledges whose card form was left unfinished; their rewards go back."""
    now = now or timezone.now()
    stale = Pledge.objects.filter(
        status=P.PENDING,
        created_at__lt=now - PENDING_EXPIRES_AFTER,
        payment__method=Payment.Method.STRIPE,
        payment__status=Payment.Status.PENDING,
    ).values_list("pk", flat=True)
    count = 0
    for pledge_id in list(stale):
        with transaction.atomic():
            pledge = (
                Pledge.objects.select_for_update(of=("self",))
                .select_related("payment")
                .get(pk=pledge_id)
            )
            if pledge.status != P.PENDING:
                continue
            try:
                payments.payment_cancel(payment=pledge.payment, reason="expired")
            except PaymentError:
                continue
            _pledge_move(pledge, P.CANCELED, reason="expired")
            count += 1
    return count
