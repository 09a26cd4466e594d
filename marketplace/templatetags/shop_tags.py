from django import template

from ..models import ProductListing

register = template.Library()


def _listings():
    return ProductListing.objects.select_related("product", "project").filter(
        product__is_public=True
    )


@register.simple_tag
def process_products(process):
    """The process's projects that shop products fund, each with its
    listings, in one query: [(project, [listing, ...]), ...]."""
    grouped: dict = {}
    for listing in (
        _listings()
        .filter(project__process=process)
        .order_by("project__code", "product__title")
    ):
        grouped.setdefault(listing.project, []).append(listing)
    return list(grouped.items())


@register.simple_tag
def project_products(project):
    return list(_listings().filter(project=project).order_by("product__title"))


@register.simple_tag
def product_listing(product):
    """The listing of an Oscar product (the project its sales fund), or None."""
    return (
        ProductListing.objects.select_related("project__process")
        .filter(product=product)
        .first()
    )


@register.simple_tag
def order_purchase_votes(order):
    """The purchase votes an order gave its buyer (one per community)."""
    from ..votes import order_votes

    return order_votes(order)


@register.simple_tag
def order_receipt_pending(order) -> bool:
    """Paid, its receipt still being rendered (``receipts.order_receipt_pending``)."""
    from ..receipts import order_receipt_pending as pending

    return pending(order)


@register.filter
def order_status_label(status: str) -> str:
    """An order status in words ("Waiting for payment"), not its code."""
    from ..services import STATUS_LABELS

    return STATUS_LABELS.get(status, status)


@register.simple_tag
def order_pickup(order):
    """What the buyer needs to collect and pay: the pay page of an unpaid card
    order, and each seller with its pickup place and the order's lines there.
    Two queries whatever the number of lines."""
    from ..services import Status, order_pay_url, order_payment

    sellers: dict = {}
    for line in order.lines.select_related("partner__shop", "product"):
        sellers.setdefault(line.partner, []).append(line)
    places = [
        {
            "partner": partner,
            "place": getattr(getattr(partner, "shop", None), "pickup_place", ""),
            "lines": lines,
        }
        for partner, lines in sellers.items()
    ]
    payment = order_payment(order)
    return {
        "places": places,
        "pay_url": order_pay_url(order, payment),
        "pay_at_pickup": order.status == Status.PENDING and payment is None,
    }
