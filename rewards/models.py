"""Reward tiers and the claims that take them out of stock.

A tier's ``claimed`` counter moves only through ``rewards.services`` with a
conditional UPDATE; two check constraints keep it between 0 and ``quantity``,
so no race can oversell a limited reward. A claim belongs to one pledge
(a lazy reference: rewards imports nothing of campaigns).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    SHIPPING = "shipping", _("Shipping")
    NONE = "none", _("Nothing to deliver")


class RewardTier(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="tiers"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    min_pledge_cents = models.BigIntegerField(_("minimum pledge (cents)"))
    quantity = models.PositiveIntegerField(
        _("quantity"),
        null=True,
        blank=True,
        help_text=_("Leave empty for an unlimited reward."),
    )
    claimed = models.PositiveIntegerField(_("claimed"), default=0, editable=False)
    estimated_delivery = models.DateField(
        _("estimated delivery"), null=True, blank=True
    )
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PICKUP
    )
    made_by = models.CharField(
        _("made by"),
        max_length=160,
        blank=True,
        help_text=_("For example: the prison's carpentry workshop."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["campaign", "position", "min_pledge_cents", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_pledge_cents__gte=100), name="tier_min_pledge_1_eur"
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(claimed__lte=F("quantity")),
                name="tier_never_oversold",
            ),
            models.CheckConstraint(
                condition=Q(claimed__gte=0), name="tier_claimed_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_limited(self) -> bool:
        return self.quantity is not None

    @property
    def left(self) -> int | None:
        if self.quantity is None:
            return None
        return max(self.quantity - self.claimed, 0)

    @property
    def sold_out(self) -> bool:
        return self.quantity is not None and self.claimed >= self.quantity


class RewardClaim(models.Model):
    """One reward taken from a tier's stock for one pledge, and its fulfilment."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Reserved")
        RELEASED = "released", _("Released (back in stock)")
        HANDED_OVER = "handed_over", _("Handed over")
        SHIPPED = "shipped", _("Shipped")

    # Indexed by Meta's (tier, status), which leads with it.
    tier = models.ForeignKey(
        RewardTier, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    pledge = models.OneToOneField(
        "campaigns.Pledge", on_delete=models.CASCADE, related_name="reward_claim"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.CLAIMED
    )
    ship_name = models.CharField(_("name for delivery"), max_length=160, blank=True)
    ship_address = models.CharField(_("address"), max_length=200, blank=True)
    ship_postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    ship_city = models.CharField(_("city"), max_length=80, blank=True)
    ship_country = models.CharField(_("country"), max_length=2, default="IT")
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    # Indexed only where set (Meta): a new claim has none.
    fulfilled_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    tracking = models.CharField(_("tracking or note"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reward claim")
        verbose_name_plural = _("reward claims")
        ordering = ["tier", "pk"]
        indexes = [
            models.Index(fields=["tier", "status"]),
            # For deleting a user (SET_NULL); a claim is inserted without one.
            models.Index(
                fields=["fulfilled_by"],
                condition=Q(fulfilled_by__isnull=False),
                name="claim_fulfilled_by_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier} · {self.get_status_display()}"
