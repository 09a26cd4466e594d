"""The public pages, the staff page and "your money"."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accountability import services
from accountability.models import Expense
from accountability.selectors import fund_figures
from core.money import format_money
from payments.ledger import Line, account_get, ledger_post
from payments.models import Account, LedgerTransaction, Payment

from .conftest import approved, assert_books_balance, fund, pdf_upload, submitted

pytestmark = pytest.mark.django_db

K = Account.Kind
HTML_PDF = b"<html><body>not a receipt</body></html>"


def credit(code, cents, *, kind, source_id, debit="clearing:stripe:eur"):
    """Money arriving in an account (a campaign's) the way payments posts it."""
    ledger_post(
        kind=kind,
        source_type="test",
        source_id=source_id,
        lines=[
            Line(account_get(debit, kind=K.CLEARING), cents),
            Line(account_get(code, kind=K.CAMPAIGN), -cents),
        ],
    )


@pytest.fixture
def funded(project, facilitator, manager, admin):
    """15 € of pledges and 5 € of match funds swept from campaign 900; 7 € of
    shop sales; 3 € of profit reinvestment; 10 € of public budget; one paid
    expense of 12 €, one approved of 3 €, one only submitted of 9,99 €."""
    credit("campaign:900", 1500, kind="charge", source_id="pi_1")
    credit("campaign:900", 500, kind="match", source_id="round_1", debit="match:1")
    fund(project, 2000, source="campaign:900")
    fund(project, 700, kind="sale", source="shop_sales:1")
    fund(project, 300, kind="reinvestment", source="reinvestment_pool:1")
    services.grant_record(
        project=project,
        grantor="Comune",
        amount_cents=1000,
        reference="Delibera 1",
        recorded_by=admin,
    )
    paid = approved(project, facilitator, manager, amount_cents=1200)
    services.expense_pay(expense=paid, paid_by=manager)
    approved(project, facilitator, manager, amount_cents=300, supplier="Ferramenta")
    submitted(project, facilitator, amount_cents=999, supplier="Not approved yet")
    return project


def sources_on_page(html: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'data-source="(\w+)"><th scope="row">[^<]*</th><td>([^<]*)</td>', html
        )
    )


def euro(cents):
    return format_money(cents, "EUR", language="it")


# --- figures ------------------------------------------------------------------


def test_the_fund_figures_come_from_the_ledger_to_the_cent(funded):
    figures = fund_figures([funded.pk])[funded.pk]

    assert figures.sources == {
        "pledges": 1500,
        "match": 500,
        "sale": 700,
        "reinvestment": 300,
        "grant": 1000,
        "other": 0,
    }
    assert (figures.received_cents, figures.spent_cents, figures.held_cents) == (
        4000,
        1200,
        2800,
    )
    assert_books_balance()


def test_a_sweep_back_after_a_refund_lowers_the_pledges(project):
    credit("campaign:900", 2000, kind="charge", source_id="pi_1")
    fund(project, 2000, source="campaign:900")
    # a 5 € refund left the campaign account 5 € short: the sweep took it back
    ledger_post(
        kind="campaign_sweep",
        source_type="campaign",
        source_id="900:2",
        lines=[
            Line(account_get(f"project_fund:{project.pk}", kind=K.PROJECT_FUND), 500),
            Line(account_get("campaign:900", kind=K.CAMPAIGN), -500),
        ],
    )

    figures = fund_figures([project.pk])[project.pk]

    assert (figures.sources["pledges"], figures.held_cents) == (1500, 1500)


def test_the_project_page_shows_money_in_by_source_to_the_cent(client, funded):
    response = client.get(reverse("accountability:project", args=[funded.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert sources_on_page(html) == {
        "pledges": euro(1500),
        "match": euro(500),
        "sale": euro(700),
        "reinvestment": euro(300),
        "grant": euro(1000),
    }
    assert f"<strong>{euro(2800)}</strong>" in html  # still in the fund
    assert f"<strong>{euro(1200)}</strong>" in html  # spent
    assert "Vivaio Rossi" in html and "Ferramenta" in html
    assert "Not approved yet" not in html
    assert "<svg" in html and "<desc" in html


def test_the_community_page_adds_up_its_projects(client, community, funded):
    response = client.get(reverse("accountability:community", args=[community.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    assert sources_on_page(html)["pledges"] == euro(1500)
    assert f"<strong>{euro(4000)}</strong>" in html
    assert funded.title in html


def test_a_private_community_has_no_public_pages(client, community, funded):
    community.is_public = False
    community.save(update_fields=["is_public"])
    expense = Expense.objects.get(status="paid")

    assert (
        client.get(reverse("accountability:project", args=[funded.pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("accountability:community", args=[community.slug])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("accountability:receipt", args=[expense.pk])).status_code
        == 404
    )


def test_the_receipt_of_a_paid_expense_can_be_downloaded(client, funded):
    expense = Expense.objects.get(status="paid")

    response = client.get(reverse("accountability:receipt", args=[expense.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_receipt_of_an_unapproved_expense_is_not_public(
    client, funded, facilitator
):
    expense = Expense.objects.get(status="submitted")
    url = reverse("accountability:receipt", args=[expense.pk])

    assert client.get(url).status_code == 404
    client.force_login(facilitator)
    assert client.get(url).status_code == 200


def test_what_staff_type_is_escaped_on_the_public_page(
    client, project, facilitator, manager
):
    fund(project, 5000)
    expense = approved(
        project, facilitator, manager, supplier='<script>alert("x")</script>'
    )
    services.expense_pay(expense=expense, paid_by=manager)
    services.milestone_create(
        project=project,
        title="<b>bold</b> <img src=x onerror=alert(1)>",
        created_by=facilitator,
    )

    html = client.get(
        reverse("accountability:project", args=[project.pk])
    ).content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


# --- query counts -------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_public_pages_take_the_same_queries_whatever_the_expenses(
    client, community, funded, facilitator, manager
):
    urls = [
        reverse("accountability:project", args=[funded.pk]),
        reverse("accountability:community", args=[community.slug]),
    ]
    before = [_queries(client, url) for url in urls]
    for n in range(12):
        fund(funded, 1000 + n, source=f"campaign:{910 + n}")
        fund(funded, 100, kind="sale", source="shop_sales:1", n=f"s{n}")
        expense = approved(funded, facilitator, manager, amount_cents=500 + n)
        services.expense_pay(expense=expense, paid_by=manager)
        services.milestone_create(project=funded, title=f"M{n}", created_by=facilitator)

    after = [_queries(client, url) for url in urls]

    assert after == before
    assert max(after) <= 12


# --- the staff page -----------------------------------------------------------


def _manage(project):
    return reverse("accountability:project-manage", args=[project.pk])


def test_a_receipt_that_is_not_a_pdf_is_a_form_error_and_nothing_is_written(
    client, project, facilitator
):
    client.force_login(facilitator)

    response = client.post(
        _manage(project),
        {
            "action": "expense_submit",
            "supplier": "Vivaio",
            "description": "Piantine",
            "amount": "12,34",
            "spent_on": "2026-11-20",
            "receipt": pdf_upload(HTML_PDF),
        },
    )

    assert response.status_code == 200
    assert "JPEG, PNG o PDF" in response.content.decode()  # Italian first
    assert 'value="Vivaio"' in response.content.decode()  # what was typed is kept
    assert not Expense.objects.exists()


def test_staff_submit_an_expense_from_the_page(client, project, facilitator):
    client.force_login(facilitator)

    response = client.post(
        _manage(project),
        {
            "action": "expense_submit",
            "supplier": "Vivaio",
            "description": "Piantine",
            "amount": "12,34",
            "spent_on": "2026-11-20",
            "receipt": pdf_upload(),
        },
    )

    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (expense.amount_cents, expense.status, expense.submitted_by) == (
        1234,
        "submitted",
        facilitator,
    )


def test_paying_more_than_the_fund_holds_is_shown_as_an_error(
    client, project, facilitator, manager
):
    fund(project, 1000)
    expense = approved(project, facilitator, manager, amount_cents=1200)
    client.force_login(manager)

    response = client.post(
        _manage(project), {"action": "expense_pay", "expense": expense.pk}
    )

    assert response.status_code == 200
    assert "meno dei" in response.content.decode()
    assert not LedgerTransaction.objects.filter(kind="expense").exists()
    expense.refresh_from_db()
    assert expense.status == "approved"


def test_the_submitter_approving_is_shown_as_an_error(client, project, manager):
    expense = submitted(project, manager)
    client.force_login(manager)

    response = client.post(
        _manage(project), {"action": "expense_approve", "expense": expense.pk}
    )

    assert response.status_code == 200
    assert "deve approvarla un" in response.content.decode()
    expense.refresh_from_db()
    assert expense.status == "submitted"


def test_the_staff_page_is_for_staff(client, project, participant):
    assert client.get(_manage(project)).status_code == 302  # to the login page
    client.force_login(participant)
    assert client.get(_manage(project)).status_code == 403


# --- your money ---------------------------------------------------------------


def test_a_backer_follows_their_money_to_the_projects_expenses(
    client, project, facilitator, manager, outsider
):
    paid_at = timezone.now() - datetime.timedelta(days=1)
    payment = Payment.objects.create(
        purpose="pledge",
        purpose_id="1",
        amount_cents=2000,
        credit_account="campaign:900",
        payer_email=outsider.email.upper(),
        status=Payment.Status.SUCCEEDED,
        paid_at=paid_at,
    )
    credit("campaign:900", 2000, kind="charge", source_id="pi_backer")
    fund(project, 2000, source="campaign:900")
    fund(project, 2000, kind="grant", source="external:grant:1")
    expense = approved(project, facilitator, manager, amount_cents=1200)
    services.expense_pay(expense=expense, paid_by=manager)
    client.force_login(outsider)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("accountability:my-money"))

    html = response.content.decode()
    assert response.status_code == 200
    assert project.title in html
    assert "Vivaio Rossi" in html
    assert euro(1200) in html
    assert euro(600) in html  # your part: 20 € of the 40 € the fund received
    assert f'id="payment-{payment.pk}"' in html
    assert len(captured) <= 12


def test_someone_elses_payment_is_not_shown(client, project, outsider):
    Payment.objects.create(
        purpose="pledge",
        purpose_id="1",
        amount_cents=2000,
        credit_account="campaign:900",
        payer_email="someone@example.org",
        status=Payment.Status.SUCCEEDED,
        paid_at=timezone.now(),
    )
    client.force_login(outsider)

    response = client.get(reverse("accountability:my-money"))

    assert response.context["traces"] == []


def test_the_staff_page_lists_expenses_and_milestones(
    client, project, facilitator, manager
):
    submitted(project, facilitator, supplier="Vivaio Bianchi")
    services.milestone_create(project=project, title="Semina", created_by=facilitator)
    client.force_login(manager)

    response = client.get(_manage(project))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Vivaio Bianchi" in html and "Semina" in html
    assert 'value="expense_approve"' in html  # a manager who did not submit it
    assert 'value="grant_record"' not in html  # grants are for admins


def test_a_milestone_is_updated_from_the_staff_page(client, project, facilitator):
    milestone = services.milestone_create(
        project=project, title="Semina", created_by=facilitator
    )
    client.force_login(facilitator)
    prefix = f"m{milestone.pk}"

    response = client.post(
        _manage(project),
        {
            "action": "milestone_update",
            "milestone": milestone.pk,
            f"{prefix}-title": "Semina",
            f"{prefix}-description": "",
            f"{prefix}-due_on": "2027-03-01",
            f"{prefix}-status": "done",
            f"{prefix}-progress_percent": "60",
            f"{prefix}-position": "0",
        },
    )

    assert response.status_code == 200  # done at 60% is refused, shown on the form
    assert "100% di avanzamento" in response.content.decode()
    milestone.refresh_from_db()
    assert (milestone.status, milestone.progress_percent) == ("planned", 0)


def test_an_admin_records_a_grant_from_the_staff_page(client, project, admin):
    client.force_login(admin)

    response = client.post(
        _manage(project),
        {
            "action": "grant_record",
            "grantor": "Comune di Bollate",
            "amount": "1.500",
            "reference": "Delibera 7",
        },
    )

    assert response.status_code == 302
    assert fund_figures([project.pk])[project.pk].sources["grant"] == 150_000
    assert_books_balance()
