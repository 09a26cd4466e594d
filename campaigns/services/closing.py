"""Closing a campaign at its deadline: one idempotent, resumable service.

All-or-nothing and funded: every saved card is charged off-session, in
batches. A batch is taken with a lease (``charge_lease_until``) under
``FOR UPDATE SKIP LOCKED``, so two closes running at once charge disjoint
pledges; a close that dies leaves its lease to expire and the next run takes
those pledges again, while ``payments.charge_saved_card`` asks Stripe about
an earlier unrecorded attempt before charging, so no pledge is charged twice.
On PostgreSQL the charging runs in ``workers`` threads, each with its own
database connection, each leasing its own batches: the same guarantees as
two closes at once, and the waits on Stripe overlap.
Not funded: nothing is charged, rewards go back, backers are told.
The money then moves in the ledger from the campaign to the project's fund.
"""

import datetime
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from payments import services as payments
from payments.exceptions import PaymentError
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account, LedgerTransaction, Payment

from ..exceptions import CampaignNotDue
from ..models import Campaign, CampaignEvent, Pledge
from ..page_cache import campaign_changed
from .pledges import COUNTING, _after_move, _pledge_move, pledge_payment_sync

logger = logging.getLogger(__name__)

C = Campaign.Status
P = Pledge.Status
LEASE = datetime.timedelta(minutes=10)
BATCH = 100
# Charging threads on PostgreSQL; each holds a database connection and one
# Stripe request at a time.
WORKERS = 4


def _event(campaign: Campaign, kind: str, **detail) -> None:
    CampaignEvent.objects.create(campaign=campaign, kind=kind, detail=detail)
    campaign_changed(campaign.pk)


def pledged_cents(campaign: Campaign) -> int:
    """What backers committed: saved cards, paid pledges, payments in progress."""
    return (
        campaign.pledges.filter(status__in=COUNTING).aggregate(n=Sum("amount_cents"))[
            "n"
        ]
        or 0
    )


def campaign_close(
    *,
    campaign: Campaign,
    now: datetime.datetime | None = None,
    batch_size: int = BATCH,
    lease: datetime.timedelta = LEASE,
    workers: int = WORKERS,
) -> Campaign:
    """Close ``campaign`` (at or after its deadline), or go on closing it.

    Safe to run any number of times and at the same time: the decision is
    taken once under the campaign's row lock; charging is resumable; fund
    moves are posted once. Raises CampaignNotDue before the deadline.
    ``workers`` charging threads run on PostgreSQL outside a transaction;
    otherwise (SQLite, or called inside ``atomic()``, whose uncommitted rows
    other connections cannot see) the cards are charged in this thread.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == C.LIVE:
            if now < locked.deadline:
                raise CampaignNotDue("the campaign is still open")
            pledged = pledged_cents(locked)
            if locked.all_or_nothing:
                locked.status = C.CHARGING if pledged >= locked.goal_cents else C.FAILED
            else:
                paid = (
                    locked.pledges.filter(status=P.PAID).aggregate(
                        n=Sum("amount_cents")
                    )["n"]
                    or 0
                )
                locked.status = C.SUCCEEDED if paid >= locked.goal_cents else C.ENDED
            locked.closed_at = now
            locked.save(update_fields=["status", "closed_at"])
            _event(locked, "closed", pledged_cents=pledged, status=locked.status)
    campaign = locked
    _cancel_unfinished(campaign)
    if campaign.status == C.FAILED:
        _release_not_funded(campaign)
    if campaign.status == C.CHARGING:
        _charge_committed(
            campaign, now=now, batch_size=batch_size, lease=lease, workers=workers
        )
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if (
                locked.status == C.CHARGING
                and not locked.pledges.filter(status=P.COMMITTED).exists()
            ):
                locked.status = C.SUCCEEDED
                locked.save(update_fields=["status"])
                _event(locked, "charged", pledged_cents=pledged_cents(locked))
        campaign = locked
    if campaign.status in {C.SUCCEEDED, C.ENDED}:
        campaign_sweep(campaign=campaign)
    return campaign


def _cancel_unfinished(campaign: Campaign) -> None:
    """Pledges whose card form was never completed do not count at the close."""
    for pledge_id in campaign.pledges.filter(
        status=P.PENDING, payment__status=Payment.Status.PENDING
    ).values_list("pk", flat=True):
        with transaction.atomic():
            pledge = Pledge.objects.select_for_update(of=("self",)).select_related(
                "payment"
            )
            pledge = pledge.get(pk=pledge_id)
            if pledge.status != P.PENDING:
                continue
            try:
                payments.payment_cancel(
                    payment=pledge.payment, reason="campaign closed"
                )
            except PaymentError:
                continue
            _pledge_move(pledge, P.CANCELED, reason="campaign closed")


def _release_not_funded(campaign: Campaign) -> None:
    """Nothing is charged; money already received offline is refunded."""
    open_pledges = campaign.pledges.filter(
        status__in={P.COMMITTED, P.ACTION_REQUIRED, P.PENDING, P.PAID}
    ).values_list("pk", flat=True)
    for pledge_id in list(open_pledges):
        refund = None
        with transaction.atomic():
            pledge = (
                Pledge.objects.select_for_update(of=("self",))
                .select_related("payment")
                .get(pk=pledge_id)
            )
            before = pledge.status
            if before == P.PAID:
                refund = pledge
            elif before in {P.COMMITTED, P.ACTION_REQUIRED, P.PENDING}:
                try:
                    payments.payment_cancel(
                        payment=pledge.payment, reason="campaign not funded"
                    )
                except PaymentError as error:
                    logger.warning("pledge %s: %s", pledge.pk, error)
                    continue
                _pledge_move(pledge, P.NOT_FUNDED, reason="campaign not funded")
            else:
                continue
        if refund is not None:
            try:
                payments.refund_create(
                    payment=refund.payment,
                    amount_cents=payments.refundable_cents(refund.payment),
                    reason="campaign not funded",
                )
            except PaymentError as error:
                logger.warning("pledge %s not refunded: %s", refund.pk, error)
            pledge_payment_sync(refund.payment_id, "campaign not funded")
        else:
            _after_move(pledge, before, P.NOT_FUNDED)


def _lease_batch(campaign: Campaign, *, now, batch_size, lease) -> list[int]:
    """Take up to ``batch_size`` committed pledges nobody holds (no lease, or
    one that expired before ``now``); the lease runs from now on the clock,
    so a long close does not hand out leases already expired."""
    with transaction.atomic():
        ids = list(
            Pledge.objects.select_for_update(skip_locked=True)
            .filter(campaign=campaign, status=P.COMMITTED)
            .filter(Q(charge_lease_until__isnull=True) | Q(charge_lease_until__lt=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            until = max(now, timezone.now()) + lease
            Pledge.objects.filter(pk__in=ids).update(charge_lease_until=until)
    return ids


def _charge_committed(
    campaign: Campaign, *, now, batch_size, lease, workers: int = 1
) -> None:
    """Charge the saved cards, in ``workers`` threads where that is safe."""
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        _charge_batches(campaign, now=now, batch_size=batch_size, lease=lease)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="campaign-charge") as pool:
        running = [
            pool.submit(
                _charge_batches_in_thread,
                campaign,
                now=now,
                batch_size=batch_size,
                lease=lease,
            )
            for _ in range(workers)
        ]
        for worker in running:
            worker.result()  # re-raises a worker's error once all have ended


def _charge_batches_in_thread(campaign: Campaign, **options) -> None:
    try:
        _charge_batches(campaign, **options)
    finally:
        connections.close_all()  # this thread's own connection


def _charge_batches(campaign: Campaign, *, now, batch_size, lease) -> None:
    """Charge the saved cards, batch after batch, until none is left to take.

    Each batch is charged by ``payments.saved_cards_charge`` (its database
    work done per batch); the payments it changes bring their pledges in line
    through the payment hook, after its commit; a payment that could not be
    charged (paid or canceled meanwhile, Stripe unreachable) is synced here."""
    while True:
        ids = _lease_batch(campaign, now=now, batch_size=batch_size, lease=lease)
        if not ids:
            break
        payment_ids = Pledge.objects.filter(pk__in=ids).values_list(
            "payment_id", flat=True
        )
        failed = payments.saved_cards_charge(payment_ids=list(payment_ids))
        for payment_id, error in sorted(failed.items()):
            # Not chargeable any more (paid, canceled): the sync says why.
            logger.info("payment %s not charged: %s", payment_id, error)
            pledge_payment_sync(payment_id, "campaign charged")
        with transaction.atomic():
            _event(campaign, "charge_batch", pledges=len(ids))


SWEEP = "campaign_sweep"


def campaign_sweep(*, campaign: Campaign) -> int:
    """Move what the campaign's account holds to the project's fund (or back,
    after a refund); returns the cents moved. Serialised on the campaign's
    row, each sweep posts once under its own number."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in {C.SUCCEEDED, C.ENDED}:
            return 0
        held = -account_balance(locked.account_code)  # a credit balance is held
        if held == 0:
            return 0
        sweeps = LedgerTransaction.objects.filter(
            kind=SWEEP, source_type="campaign", source_id__startswith=f"{locked.pk}:"
        ).count()
        campaign_account = account_get(
            locked.account_code, kind=Account.Kind.CAMPAIGN, name=locked.title[:200]
        )
        fund = account_get(
            locked.project_fund_code,
            kind=Account.Kind.PROJECT_FUND,
            name=str(locked.project)[:200],
        )
        ledger_post(
            kind=SWEEP,
            source_type="campaign",
            source_id=f"{locked.pk}:{sweeps + 1}",
            lines=[Line(campaign_account, held), Line(fund, -held)],
            memo=f"campaign {locked.pk} to project fund {locked.project_id}",
            currency=locked.currency,
        )
    return held


def campaigns_close_due(*, now=None) -> list[int]:
    """The campaigns a scheduled run should close or go on closing."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            Q(status=C.LIVE, deadline__lte=now) | Q(status=C.CHARGING)
        ).values_list("pk", flat=True)
    )
