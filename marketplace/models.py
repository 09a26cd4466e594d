"""What the shop adds to Oscar: who sells (a community's partner) and which
winning project a product's sales fund."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShopPartner(models.Model):
    """An Oscar partner (a farm, a workshop) as part of a community.

    The community is the one whose process the buyers' purchase votes go to
    and whose shop-sales account the orders credit."""

    partner = models.OneToOneField(
        "partner.Partner", on_delete=models.CASCADE, related_name="shop"
    )
    community = models.ForeignKey(
        "participation.Community",
        on_delete=models.PROTECT,
        related_name="shop_partners",
        verbose_name=_("community"),
    )
    section = models.ForeignKey(
        "participation.Section",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shop_partners",
        verbose_name=_("section"),
    )
    pickup_place = models.CharField(_("pickup place"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("shop partner")
        verbose_name_plural = _("shop partners")

    def __str__(self) -> str:
        return str(self.partner)


class ProductListing(models.Model):
    """A product whose sales fund a winning project: ``share_percent`` of each
    paid line's price goes from the shop's sales to the project's fund."""

    product = models.OneToOneField(
        "catalogue.Product", on_delete=models.CASCADE, related_name="listing"
    )
    project = models.ForeignKey(
        "participation.Project",
        on_delete=models.PROTECT,
        related_name="product_listings",
        verbose_name=_("project"),
    )
    share_percent = models.PositiveSmallIntegerField(
        _("share of the price to the project (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product listing")
        verbose_name_plural = _("product listings")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__gte=1) & Q(share_percent__lte=100),
                name="listing_share_between_1_and_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.project}"


class OrderEvent(models.Model):
    """Append-only history of what happened to an order's money (ours, next to
    Oscar's own status changes)."""

    order = models.ForeignKey(
        "order.Order", on_delete=models.CASCADE, related_name="money_events"
    )
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"order {self.order_id} · {self.kind}"


class OrderReceipt(models.Model):
    """An order's PDF receipt, rendered once by a task when the order is paid
    and kept (the buyer downloads it, it was e-mailed to them)."""

    order = models.OneToOneField(
        "order.Order", on_delete=models.PROTECT, related_name="receipt"
    )
    file = models.FileField(_("file"), upload_to="receipts/orders/")
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order receipt")
        verbose_name_plural = _("order receipts")

    def __str__(self) -> str:
        return f"receipt of order {self.order_id}"
