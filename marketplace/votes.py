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


def order_vote_source(order, community_id: int) -> str:
    """One vote per order and community whose partners sold in it."""
    return f"order:{order.pk}:{community_id}"


def process_taking_purchase_votes(community_id: int) -> Process | None:
    """The community's process that counts purchases now (the latest)."""
    return (
        Process.objects.filter(community_id=community_id, phase=Phase.VOTE)
        .exclude(purchase_votes=PurchaseVoteMode.OFF)
        .order_by("-pk")
        .first()
    )


def order_votes_grant(*, order, shares) -> list[PurchaseVote]:
    """Give the buyer of a paid order a purchase vote in each community it
    bought from whose process counts purchases now, for what was spent there;
    otherwise nothing (said in the log: the shop sells whatever the vote's
    calendar)."""
    if order.user_id is None:
        return []
    granted = []
    for community_id, cents in shares.spent.items():
        process = community_id and process_taking_purchase_votes(community_id)
        if not process:
            continue
        try:
            granted.append(
                purchase_vote_grant(
                    process=process,
                    buyer=order.user,
                    source=order_vote_source(order, community_id),
                    amount_cents=cents,
                    label=order.number,
                )
            )
        except PurchaseVoteError as error:
            logger.info("order %s gets no purchase vote: %s", order.pk, error)
    return granted


def order_votes_withdraw(*, order) -> None:
    for vote in order_votes(order):
        purchase_vote_withdraw(
            source=vote.source, reason=f"order {order.number} refunded"
        )


def order_votes(order) -> list[PurchaseVote]:
    return list(
        PurchaseVote.objects.filter(source__startswith=f"order:{order.pk}:")
        .select_related("process")
        .order_by("pk")
    )
