"""The demo shop: partners, products, orders in every state, purchase votes."""

from collections import Counter

import pytest
from django.db.models import Sum
from django.test import Client
from oscar.core.loading import get_model

from demo.seed import CONSORTIUM_SLUG, PRISON_SLUG, _user, seed_cases
from demo.shop import ORDERS, seed_shop
from marketplace.models import ProductListing, ShopPartner
from participation.models import Community, PurchaseVote
from payments.ledger import account_balance
from payments.models import Entry

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db(transaction=True)


def _seed() -> str:
    return seed_shop(
        consortium=Community.objects.get(slug=CONSORTIUM_SLUG),
        prison=Community.objects.get(slug=PRISON_SLUG),
        user_factory=_user,
    )


def test_the_demo_shop_has_orders_in_every_state_and_counts_their_votes():
    seed_cases()
    summary = _seed()

    consortium = Community.objects.get(slug=CONSORTIUM_SLUG)
    assert ShopPartner.objects.filter(community=consortium).count() == 12
    assert (
        summary
        == "Negozio: 1 pending, 5 paid, 1 collected, 1 refunded (ordini del consorzio)"
    )
    assert Counter(Order.objects.values_list("status", flat=True)) == {
        "pending": 1, "paid": 5, "collected": 1, "refunded": 1,
    }  # fmt: skip
    # 7 orders were paid, one of them refunded: 6 votes count, each cast
    votes = PurchaseVote.objects.all()
    assert Counter(votes.values_list("status", flat=True)) == {
        "active": 6, "withdrawn": 1,
    }  # fmt: skip
    assert all(v.projects.exists() for v in votes.filter(status="active"))
    # the prison's goods fund their projects: one bag sold, in a mixed order
    bag = ProductListing.objects.get(product__title="Borsa di stoffa cucita a mano")
    assert account_balance(f"project_fund:{bag.project_id}") == -1_800
    assert ProductListing.objects.count() == 3
    assert StockRecord.objects.filter(num_allocated__gt=F_in_stock()).count() == 0
    assert Entry.objects.aggregate(total=Sum("amount_cents"))["total"] == 0
    assert len(ORDERS) == Order.objects.count()

    # the shop's search finds the seeded products
    found = Client().get("/shop/search/", {"q": "miele"})
    assert found.status_code == 200
    assert "Miele millefiori (500 g)" in found.content.decode()

    again = _seed()

    assert again == summary
    assert Order.objects.count() == len(ORDERS)


def F_in_stock():  # noqa: N802 - reads as the column it stands for
    from django.db.models import F

    return F("num_in_stock")
