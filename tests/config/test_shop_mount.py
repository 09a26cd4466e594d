import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_oscar_catalogue_is_served_under_shop_in_italian(client):
    response = client.get("/shop/catalogue/")

    assert response.status_code == 200
    assert 'lang="it"' in response.content.decode()


def test_the_oscar_dashboard_is_for_staff_only(client):
    assert client.get("/shop/dashboard/").status_code == 302

    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get("/shop/dashboard/").status_code == 200
