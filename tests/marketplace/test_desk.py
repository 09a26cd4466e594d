"""The pickup desk of a community: record, confirm (another person), hand over."""

import pytest
from django.test import Client
from django.utils import translation

from core.money import format_money
from marketplace import services
from participation.models import Role
from tests.factories import MembershipFactory, UserFactory

from .conftest import Order, product

pytestmark = pytest.mark.django_db(transaction=True)


def staff(community, role=Role.FACILITATOR) -> tuple:
    user = UserFactory()
    MembershipFactory(user=user, community=community, role=role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return user, client


def test_the_desk_takes_an_order_from_unpaid_to_handed_over(farm, consortium):
    jar = product(farm, stock=5, price_cents=450)
    order = services.order_place(
        buyer=UserFactory(display_name="Anna <b>B</b>"), items=[(jar, 2)]
    )
    _, desk = staff(consortium)
    _, second = staff(consortium, Role.MANAGER)
    url = f"/shop/desk/{consortium.slug}/"

    page = desk.get(url)
    assert page.status_code == 200
    assert f'id="order-{order.number}"'.encode() in page.content
    with translation.override("en"):
        assert format_money(900, "EUR").encode() in page.content
    assert b"Anna &lt;b&gt;B&lt;/b&gt;" in page.content

    desk.post(url, {"order": order.pk, "action": "record", "method": "cash"})
    # the one who recorded it cannot confirm it
    refused = desk.post(url, {"order": order.pk, "action": "confirm"}, follow=True)
    order.refresh_from_db()
    assert order.status == "pending"
    assert b"second operator" in refused.content
    second.post(url, {"order": order.pk, "action": "confirm"})
    order.refresh_from_db()
    assert order.status == "paid"
    desk.post(url, {"order": order.pk, "action": "collect"})
    order.refresh_from_db()
    assert order.status == "collected"
    record = jar.stockrecords.get()
    assert (record.num_in_stock, record.num_allocated) == (3, 0)


def test_the_desk_is_for_the_communitys_staff_only(farm, consortium):
    jar = product(farm)
    order = services.order_place(buyer=UserFactory(), items=[(jar, 1)])
    outsider = Client(HTTP_ACCEPT_LANGUAGE="en")
    outsider.force_login(UserFactory())
    _, member = staff(consortium, Role.PARTICIPANT)
    url = f"/shop/desk/{consortium.slug}/"

    assert outsider.get(url).status_code == 404
    assert member.get(url).status_code == 404
    assert member.post(url, {"order": order.pk, "action": "cancel"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"


def test_an_order_of_another_community_cannot_be_touched_from_this_desk(
    farm, consortium
):
    from marketplace.catalogue import shop_partner_create
    from tests.factories import CommunityFactory

    other = CommunityFactory()
    elsewhere = shop_partner_create(community=other, name="Altrove")
    order = services.order_place(
        buyer=UserFactory(), items=[(product(elsewhere, sku="X"), 1)]
    )
    _, desk = staff(consortium)

    response = desk.post(
        f"/shop/desk/{consortium.slug}/",
        {"order": order.pk, "action": "cancel"},
        follow=True,
    )

    assert b"Choose an order of this desk" in response.content
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_the_desk_page_makes_the_same_queries_for_2_or_12_orders(
    farm, consortium, django_assert_max_num_queries
):
    jar = product(farm, stock=100)
    _, desk = staff(consortium)
    url = f"/shop/desk/{consortium.slug}/"
    for _ in range(2):
        services.order_place(buyer=UserFactory(), items=[(jar, 1)])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        desk.get(url)
    for _ in range(10):
        services.order_place(buyer=UserFactory(), items=[(jar, 1)])
    with CaptureQueriesContext(connection) as many:
        desk.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
