import pytest
from oscar.core.loading import get_model

from marketplace.catalogue import (
    category_path,
    shop_partner_create,
    shop_product_create,
)
from participation.models import Community, ProcessResult
from tests.factories import (
    CommunityFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

Order = get_model("order", "Order")


@pytest.fixture
def consortium():
    return CommunityFactory(kind=Community.Kind.ENTERPRISE, name="Consorzio Terra")


@pytest.fixture
def winning_project(consortium):
    process = ProcessFactory(community=consortium, phase="results")
    project = ProjectFactory(process=process, code="P01", cost_cents=500_000)
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["P01"],
        explanation={},
        ballots_counted=1,
    )
    return project


@pytest.fixture
def farm(consortium):
    return shop_partner_create(
        community=consortium, name="Orto di Chiara", pickup_place="Via dei Campi 3"
    )


def product(farm, *, title="Passata di pomodoro", price_cents=450, stock=10, **kw):
    return shop_product_create(
        shop=farm,
        title=title,
        price_cents=price_cents,
        stock=stock,
        sku=kw.pop("sku", title[:20]),
        category=category_path("Conserve"),
        **kw,
    )


@pytest.fixture
def buyer(client):
    user = UserFactory(email="anna@example.org")
    client.force_login(user)
    return user


def checkout(client, product, *, quantity=1, method="pickup"):
    """Add to the basket and go through Oscar's checkout; the last response."""
    response = client.post(
        f"/shop/basket/add/{product.pk}/", {"quantity": quantity}, follow=True
    )
    assert response.status_code == 200
    response = client.get("/shop/checkout/", follow=True)
    assert response.status_code == 200, response.content[:500]
    response = client.post("/shop/checkout/payment-method/", {"method": method})
    assert response.status_code == 302, response.content[:2000]
    response = client.post("/shop/checkout/preview/", {"action": "place_order"})
    return response
