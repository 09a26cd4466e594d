"""Purchases as votes: the shop grants, the buyer casts, a refund withdraws.

The shop (``marketplace``) calls these three services; participation never
imports the shop. A purchase vote is granted while the process is in its
vote phase (the candidate projects and the rules are fixed then), may be
cast and changed by its buyer until the vote closes (when the results are
computed), and is withdrawn whenever its order is refunded: a withdrawn vote
no longer counts in any later count, the published result stays as it was.

How much the votes weigh, per ``Process.purchase_votes`` mode and times the
channel weight ``Process.purchase_vote_weight`` (see :func:`purchase_ballots`):

- ``buyer``: one approval ballot per distinct buyer, of the union of the
  projects chosen in their active votes;
- ``order``: one approval ballot per active vote;
- ``euro``: one ballot per buyer, weighing the whole euros of their active
  cast votes together (``floor(cents / 100)``), at most
  ``purchase_votes_per_euro_cap``; a buyer below one euro weighs nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..exceptions import (
    BallotInvalid,
    PurchaseVoteClosed,
    PurchaseVoteConflict,
    PurchaseVoteError,
    PurchaseVoteInvalid,
    PurchaseVoteNotYours,
    PurchaseVotesOff,
    PurchaseVoteWithdrawn,
)
from ..models import Process, Project, PurchaseVote, PurchaseVoteEvent
from ..models.process import Phase, PurchaseVoteMode
from .locks import process_lock_shared
from .voting import ballot_validate


@dataclass(frozen=True)
class PurchaseBallot:
    """One approval ballot made of purchase votes, with its exact weight."""

    approved: frozenset[str]
    weight: int
    buyer_id: int
    orders: int


def purchase_ballots(
    process: Process,
    votes: Iterable[tuple[int, int, int, Iterable[str]]],
    *,
    codes: Iterable[str] | None = None,
) -> list[PurchaseBallot]:
    """The weighted approval ballots the active cast votes make under the mode.

    ``votes`` are ``(vote pk, buyer pk, amount_cents, chosen project codes)``
    of active votes; a vote without a chosen project (in ``codes``, when
    given) does not count. Weights are whole numbers (cap and channel weight
    are integers); the order is by buyer, then vote, so counts repeat.
    """
    mode = process.purchase_votes
    if mode == PurchaseVoteMode.OFF:
        return []
    known = None if codes is None else set(codes)
    channel = process.purchase_vote_weight
    rows = []
    for pk, buyer_id, amount_cents, chosen in votes:
        approved = frozenset(c for c in chosen if known is None or c in known)
        if approved:
            rows.append((buyer_id, pk, amount_cents, approved))
    rows.sort()
    if mode == PurchaseVoteMode.ORDER:
        return [
            PurchaseBallot(approved=a, weight=channel, buyer_id=b, orders=1)
            for b, _pk, _cents, a in rows
        ]
    by_buyer: dict[int, list] = {}
    for buyer_id, _pk, cents, approved in rows:
        by_buyer.setdefault(buyer_id, []).append((cents, approved))
    ballots = []
    for buyer_id, entries in by_buyer.items():
        approved = frozenset().union(*(a for _c, a in entries))
        if mode == PurchaseVoteMode.EURO:
            euros = sum(c for c, _a in entries) // 100
            votes_count = min(euros, process.purchase_votes_per_euro_cap)
        else:
            votes_count = 1
        if votes_count > 0:
            ballots.append(
                PurchaseBallot(
                    approved=approved,
                    weight=votes_count * channel,
                    buyer_id=buyer_id,
                    orders=len(entries),
                )
            )
    return ballots


def purchase_vote_weight_of(vote: PurchaseVote, process: Process) -> int:
    """What this one order weighs on its own (the page's "weight it carries")."""
    mode = process.purchase_votes
    if mode == PurchaseVoteMode.OFF or not vote.is_active:
        return 0
    if mode == PurchaseVoteMode.EURO:
        votes_count = min(vote.amount_cents // 100, process.purchase_votes_per_euro_cap)
        return votes_count * process.purchase_vote_weight
    return process.purchase_vote_weight


def _require_counting(process: Process) -> None:
    if process.purchase_votes == PurchaseVoteMode.OFF:
        raise PurchaseVotesOff(
            _("Purchases do not count as votes in %(process)s.")
            % {"process": process.title}
        )
    if process.phase != Phase.VOTE:
        raise PurchaseVoteClosed(
            _("%(process)s is not voting now: purchases do not count in it.")
            % {"process": process.title}
        )
    if process.vote_ends_on and timezone.localdate() > process.vote_ends_on:
        raise PurchaseVoteClosed(
            _("The vote of %(process)s closed on %(date)s.")
            % {
                "process": process.title,
                "date": date_format(process.vote_ends_on, "DATE_FORMAT"),
            }
        )


@transaction.atomic
def purchase_vote_grant(
    *, process: Process, buyer, source: str, amount_cents: int, label: str = ""
) -> PurchaseVote:
    """Grant the buyer of a paid order a purchase vote in ``process``.

    Idempotent on ``source``: a second call with the same key returns the
    vote granted the first time (as it is now, withdrawn or not) and writes
    nothing. Holds a shared lock on the process, so its rules cannot change
    meanwhile. Raises PurchaseVotesOff (the process does not count
    purchases), PurchaseVoteClosed (not in its vote phase),
    PurchaseVoteConflict (the key belongs to another buyer or process) or
    PurchaseVoteError (bad amount or key); then nothing is written.
    """
    source = (source or "").strip()
    if not source or len(source) > 100:
        raise PurchaseVoteError(_("An order key of 1 to 100 characters is needed."))
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise PurchaseVoteError(_("The amount must be a whole number of cents."))
    if amount_cents < 0:
        raise PurchaseVoteError(_("The amount of an order cannot be negative."))
    if buyer is None or not getattr(buyer, "is_authenticated", False):
        raise PurchaseVoteError(_("Only a buyer with an account gets a vote."))
    existing = PurchaseVote.objects.filter(source=source).first()
    if existing is not None:
        return _same_grant(existing, process=process, buyer=buyer)
    locked = process_lock_shared(process.pk)
    _require_counting(locked)
    try:
        with transaction.atomic():
            vote = PurchaseVote.objects.create(
                process=locked,
                buyer=buyer,
                source=source,
                amount_cents=amount_cents,
                label=(label or "").strip()[:100],
            )
    except IntegrityError:
        # the same order was granted at the same moment by another worker
        return _same_grant(
            PurchaseVote.objects.get(source=source), process=process, buyer=buyer
        )
    PurchaseVoteEvent.objects.create(
        vote=vote, kind=PurchaseVoteEvent.Kind.GRANTED, detail={"cents": amount_cents}
    )
    return vote


def _same_grant(vote: PurchaseVote, *, process: Process, buyer) -> PurchaseVote:
    if vote.process_id != process.pk or vote.buyer_id != buyer.pk:
        raise PurchaseVoteConflict(
            _("The order %(source)s already gave a vote to someone or somewhere else.")
            % {"source": vote.source}
        )
    return vote


@transaction.atomic
def purchase_vote_cast(
    *, vote: PurchaseVote, buyer, projects: list[Project]
) -> PurchaseVote:
    """The buyer chooses (or changes) the projects their order votes for.

    Only the buyer, only while the process is in its vote phase (a choice
    can change until the vote closes and the results are computed), only an
    active vote, only feasible projects of the process and within the same
    limits as a ballot of the process (at most ``approval_max`` projects on
    an approval ballot, within the budget on a knapsack one). Locks the
    process (shared) then the vote. Raises PurchaseVoteNotYours,
    PurchaseVoteWithdrawn, PurchaseVoteClosed or PurchaseVoteInvalid (every
    problem in ``errors``); then nothing changes.
    """
    if buyer is None or vote.buyer_id != buyer.pk:
        raise PurchaseVoteNotYours(_("This purchase vote belongs to someone else."))
    locked_process = process_lock_shared(vote.process_id)
    locked = PurchaseVote.objects.select_for_update().get(pk=vote.pk)
    if not locked.is_active:
        raise PurchaseVoteWithdrawn(
            _("This order was refunded: its vote no longer counts.")
        )
    _require_counting(locked_process)
    chosen = {project.pk: project for project in projects}
    if not chosen:
        raise PurchaseVoteInvalid([_("Choose at least one project.")])
    if any(p.process_id != locked_process.pk for p in chosen.values()):
        raise PurchaseVoteInvalid(
            [_("One of the choices is not a project of this process.")]
        )
    try:
        ballot_validate(process=locked_process, choices=dict.fromkeys(chosen, 1))
    except BallotInvalid as error:
        raise PurchaseVoteInvalid(error.errors) from error
    locked.projects.set(sorted(chosen))
    locked.cast_at = timezone.now()
    locked.save(update_fields=["cast_at"])
    PurchaseVoteEvent.objects.create(
        vote=locked,
        kind=PurchaseVoteEvent.Kind.CAST,
        detail={"projects": sorted(p.code for p in chosen.values())},
    )
    vote.cast_at = locked.cast_at
    return locked


@transaction.atomic
def purchase_vote_withdraw(*, source: str, reason: str) -> PurchaseVote | None:
    """The order was refunded: its vote stops counting. Idempotent.

    Returns None when the order never got a vote (its process did not count
    purchases, for instance), the vote as it is when it was withdrawn
    already. Works in any phase; a result already computed is not changed.
    Locks the vote.
    """
    vote = PurchaseVote.objects.select_for_update().filter(source=source).first()
    if vote is None or not vote.is_active:
        return vote
    vote.status = PurchaseVote.Status.WITHDRAWN
    vote.withdrawn_at = timezone.now()
    vote.withdraw_reason = (reason or "")[:200]
    vote.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
    PurchaseVoteEvent.objects.create(
        vote=vote, kind=PurchaseVoteEvent.Kind.WITHDRAWN, detail={"reason": reason}
    )
    return vote
