"""Paid orders as purchase votes in the community's process (participation
decides how much each weighs; the shop only says who bought what, for how
much, and when an order was refunded)."""

import logging

from participation.exceptions import PurchaseVoteError
from participation.models import Process, PurchaseVote
from participation.models.process import Phase, PurchaseVoteMode
from participation.services.purchase_votes import (
    purchase_vote_grant,
    purchase_vote_withdraw,
)

logger = logging.getLogger(__name__)


def order_vote_source(order) -> str:
    return f"order:{order.pk}"


def process_taking_purchase_votes(community) -> Process | None:
    """The community's process that counts purchases now (the latest)."""
    if community is None:
        return None
    return (
        Process.objects.filter(community=community, phase=Phase.VOTE)
        .exclude(purchase_votes=PurchaseVoteMode.OFF)
        .order_by("-pk")
        .first()
    )


def order_vote_grant(*, order, community, amount_cents: int) -> PurchaseVote | None:
    """Give the buyer of a paid order their purchase vote, if a process of
    the community counts purchases now; otherwise nothing (and say why in the
    log: a shop keeps selling whatever the vote's calendar)."""
    process = process_taking_purchase_votes(community)
    if process is None or order.user_id is None:
        return None
    try:
        return purchase_vote_grant(
            process=process,
            buyer=order.user,
            source=order_vote_source(order),
            amount_cents=amount_cents,
        )
    except PurchaseVoteError as error:
        logger.info("order %s gets no purchase vote: %s", order.pk, error)
        return None


def order_vote_withdraw(*, order) -> PurchaseVote | None:
    return purchase_vote_withdraw(
        source=order_vote_source(order), reason=f"order {order.number} refunded"
    )


def order_vote(order) -> PurchaseVote | None:
    return PurchaseVote.objects.filter(source=order_vote_source(order)).first()
