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
