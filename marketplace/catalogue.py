"""Setting the shop up: partners of a community and their products, through
Oscar's models (reached with its loader), priced in our integer cents."""

from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from oscar.core.loading import get_model

from .models import ProductListing, ShopPartner

Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")

PICKUP_GOODS = "Prodotti da ritirare"


def pickup_product_class():
    """Goods collected at the farm or the prison's desk: stock is tracked,
    nothing is shipped (the checkout asks for no address)."""
    product_class, _ = ProductClass.objects.get_or_create(
        slug="pickup-goods",
        defaults={
            "name": PICKUP_GOODS,
            "requires_shipping": False,
            "track_stock": True,
        },
    )
    return product_class


def category_path(*names: str):
    """The category ``names[0] > names[1] > ...``, created where missing."""
    parent = None
    for name in names:
        siblings = (
            parent.get_children() if parent else Category.objects.get_root_nodes()
        )
        found = siblings.filter(name=name).first()
        if found is None:
            found = (
                parent.add_child(name=name, slug=slugify(name))
                if parent
                else Category.add_root(name=name, slug=slugify(name))
            )
        parent = found
    return parent


@transaction.atomic
def shop_partner_create(
    *, community, name: str, section=None, pickup_place: str = ""
) -> ShopPartner:
    partner, _ = Partner.objects.get_or_create(
        code=slugify(name)[:128], defaults={"name": name}
    )
    shop, _ = ShopPartner.objects.update_or_create(
        partner=partner,
        defaults={
            "community": community,
            "section": section,
            "pickup_place": pickup_place,
        },
    )
    return shop


@transaction.atomic
def shop_product_create(
    *,
    shop: ShopPartner,
    title: str,
    price_cents: int,
    stock: int,
    sku: str,
    description: str = "",
    category=None,
    project=None,
    share_percent: int = 100,
):
    """A product of ``shop``'s partner with its stock record; with ``project``
    it is listed for that (winning) project, which gets ``share_percent`` of
    each paid sale."""
    if price_cents < 1 or stock < 0:
        raise ValueError("a product has a price of at least 1 cent and stock >= 0")
    product = Product.objects.create(
        structure=Product.STANDALONE,
        title=title,
        description=description,
        product_class=pickup_product_class(),
        is_public=True,
    )
    if category is not None:
        ProductCategory.objects.create(product=product, category=category)
    StockRecord.objects.create(
        product=product,
        partner=shop.partner,
        partner_sku=sku,
        price=Decimal(price_cents) / 100,
        price_currency="EUR",
        num_in_stock=stock,
        num_allocated=0,
    )
    if project is not None:
        ProductListing.objects.create(
            product=product, project=project, share_percent=share_percent
        )
    return product
