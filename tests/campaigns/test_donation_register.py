"""The register of a community's donation receipts: facilitators only, one
year at a time, on a page and as CSV, with the gapless numbering checked."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Pledge, Receipt
from participation.models import Role
from tests.factories import MembershipFactory, UserFactory

from .test_receipt_numbers import _paid_donations

pytestmark = pytest.mark.django_db(transaction=True)


def _register_of_three():
    pledges = _paid_donations(3)
    Pledge.objects.filter(pk=pledges[1].pk).update(
        backer_name='=HYPERLINK("http://x")', backer=None
    )
    for pledge in pledges:
        services.receipt_render(pledge_id=pledge.pk, kind="donation")
    community = pledges[0].campaign.community
    facilitator = MembershipFactory(community=community, role=Role.FACILITATOR).user
    return community, pledges, facilitator


def test_the_register_lists_the_years_receipts_in_number_order(client):
    community, pledges, facilitator = _register_of_three()
    year = timezone.localdate().year
    client.force_login(facilitator)

    page = client.get(reverse("campaigns:donation-register", args=[community.slug]))
    assert page.status_code == 302
    page = client.get(page["Location"])

    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    numbers = [f"{year}/{n:06d}" for n in (1, 2, 3)]
    assert [text.index(n) for n in numbers] == sorted(text.index(n) for n in numbers)
    assert "Numeri da 1 a 3, nessuno manca." in text
    total = sum(p.amount_cents for p in pledges)
    assert f"€ {total // 100},{total % 100:02d}" in text
    receipt = Receipt.objects.get(pledge=pledges[0], kind="donation")
    assert reverse("campaigns:receipt", args=[pledges[0].pk, receipt.pk]) in text


def test_the_csv_holds_what_the_receipts_state_and_no_formula():
    from django.test import Client

    community, pledges, facilitator = _register_of_three()
    year = timezone.localdate().year
    client = Client()
    client.force_login(facilitator)

    response = client.get(
        reverse("campaigns:donation-register-csv", args=[community.slug, year])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        f"donation-receipts-{community.slug}-{year}.csv"
        in (response["Content-Disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["number"] for r in rows] == [f"{year}/{n:06d}" for n in (1, 2, 3)]
    first = rows[0]
    assert first["status"] == "issued"
    assert first["donor_tax_code"] == "RSSMRA80A01H501U"
    assert first["amount"] == "10.00" and first["currency"] == "EUR"
    assert first["pledge"] == str(pledges[0].pk)
    assert first["pledge_status"] == "paid"
    assert first["issued_on"] == timezone.localdate().isoformat()
    # A donor's name that a spreadsheet would run as a formula stays text.
    assert rows[1]["donor_name"] == '\'=HYPERLINK("http://x")'


def test_a_missing_number_is_shown_and_a_pending_receipt_has_no_download(client):
    community, pledges, facilitator = _register_of_three()
    year = timezone.localdate().year
    Receipt.objects.filter(pledge=pledges[1], kind="donation").delete()
    Receipt.objects.filter(pledge=pledges[2], kind="donation").update(file="")
    client.force_login(facilitator)

    page = client.get(
        reverse("campaigns:donation-register-year", args=[community.slug, year])
    )

    text = " ".join(page.content.decode().split())
    assert f"Un numero assegnato manca dal registro: {year}/000002." in text
    pending = Receipt.objects.get(pledge=pledges[2], kind="donation")
    assert reverse("campaigns:receipt", args=[pledges[2].pk, pending.pk]) not in text
    assert "in preparazione" in text


def test_only_the_communitys_facilitators_see_the_register(client):
    community, _pledges, _facilitator = _register_of_three()
    year = timezone.localdate().year
    urls = [
        reverse("campaigns:donation-register-year", args=[community.slug, year]),
        reverse("campaigns:donation-register-csv", args=[community.slug, year]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login
        assert "/accounts/login/" in client.get(url)["Location"]
    member = MembershipFactory(community=community, role=Role.PARTICIPANT).user
    client.force_login(member)
    for url in urls:
        assert client.get(url).status_code == 403
    other = MembershipFactory(role=Role.FACILITATOR).user  # of another community
    client.force_login(other)
    for url in urls:
        assert client.get(url).status_code in (403, 404)
    client.force_login(UserFactory())
    assert client.get(urls[1]).status_code in (403, 404)
    missing = reverse("campaigns:donation-register-year", args=["no-such", year])
    assert client.get(missing).status_code == 404
