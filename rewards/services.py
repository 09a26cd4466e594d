"""Taking rewards out of stock, putting them back, and handing them over.

``reward_claim`` is one conditional UPDATE: on PostgreSQL concurrent claims
queue on the tier's row and each re-checks ``claimed < quantity`` after the
one before it commits, so a limited reward is never oversold (the check
constraint ``tier_never_oversold`` backs it). Callers run it inside their own
transaction, as late as they can, to hold that row lock briefly. On
PostgreSQL a card pledge takes its unit with the same UPDATE inside the one
statement that writes the pledge (``campaigns.services.pledge_statement``).
"""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import FulfilmentRefused, RewardSoldOut
from .models import Delivery, RewardClaim, RewardTier

S = RewardClaim.Status


def reward_claim(
    *, tier: RewardTier, pledge, shipping: dict | None = None
) -> RewardClaim:
    """Take one unit of ``tier`` for ``pledge``; raises RewardSoldOut."""
    taken = (
        RewardTier.objects.filter(pk=tier.pk)
        .filter(Q(quantity__isnull=True) | Q(claimed__lt=F("quantity")))
        .update(claimed=F("claimed") + 1)
    )
    if not taken:
        raise sold_out_error(tier)
    return RewardClaim.objects.create(
        tier=tier, pledge=pledge, **claim_shipping_fields(shipping)
    )


def claim_shipping_fields(shipping: dict | None) -> dict[str, str]:
    """A claim's ``ship_*`` fields from the address a backer gave (``name``,
    ``address``, ``postcode``, ``city``, ``country``; Italy when not said)."""
    shipping = shipping or {}
    return {
        "ship_name": shipping.get("name", ""),
        "ship_address": shipping.get("address", ""),
        "ship_postcode": shipping.get("postcode", ""),
        "ship_city": shipping.get("city", ""),
        "ship_country": shipping.get("country", "") or "IT",
    }


def sold_out_error(tier: RewardTier) -> RewardSoldOut:
    """The refusal of a claim on ``tier`` when no unit is left."""
    return RewardSoldOut(_("“%(title)s” is sold out.") % {"title": tier.title})


@transaction.atomic
def reward_release(*, claim_id: int) -> bool:
    """Put a reserved reward back in stock; True if it was released now.

    Safe to call twice: a claim already released (or handed over) is left alone.
    """
    claim = RewardClaim.objects.select_for_update().get(pk=claim_id)
    if claim.status != S.CLAIMED:
        return False
    claim.status = S.RELEASED
    claim.save(update_fields=["status", "updated_at"])
    RewardTier.objects.filter(pk=claim.tier_id).update(claimed=F("claimed") - 1)
    return True


@transaction.atomic
def reward_fulfil(
    *, claim: RewardClaim, status: str, by, tracking: str = ""
) -> RewardClaim:
    """Mark a reward handed over (pickup) or shipped (with tracking)."""
    claim = (
        RewardClaim.objects.select_for_update().select_related("tier").get(pk=claim.pk)
    )
    if status not in {S.HANDED_OVER, S.SHIPPED, S.CLAIMED}:
        raise FulfilmentRefused(_("Unknown fulfilment status."))
    if claim.status == S.RELEASED:
        raise FulfilmentRefused(
            _("This reward went back to stock: its pledge was not paid.")
        )
    if status == S.SHIPPED and claim.tier.delivery != Delivery.SHIPPING:
        raise FulfilmentRefused(_("This reward is picked up, not shipped."))
    claim.status = status
    claim.tracking = tracking[:120]
    claim.fulfilled_by = by if status != S.CLAIMED else None
    claim.fulfilled_at = timezone.now() if status != S.CLAIMED else None
    claim.save(
        update_fields=[
            "status",
            "tracking",
            "fulfilled_by",
            "fulfilled_at",
            "updated_at",
        ]
    )
    return claim
