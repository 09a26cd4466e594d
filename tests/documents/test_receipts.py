"""Receipts rendered to PDF and read back as text with poppler's pdftotext."""

import datetime
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from campaigns.services.receipts import STYLESHEETS
from documents.pdf import render_pdf

ROME = ZoneInfo("Europe/Rome")


def sample_context(
    *, kind="pledge", funding_model="all_or_nothing", paid=False, reward=True
):
    return {
        "receipt": {
            "kind": kind,
            "number": "2026/000012" if kind == "donation" else None,
            "issued_on": datetime.date(2026, 3, 14),
        },
        "organisation": {
            "name": "Orti di Quartiere",
            "legal_name": "Associazione Orti di Quartiere APS",
            "tax_code": "97123450150",
            "address": "Via dei Giardini 4\n20121 Milano MI",
            "nonprofit": kind == "donation",
        },
        "campaign": {
            "title": "A greenhouse for the school garden",
            "url": "https://example.org/c/greenhouse/",
        },
        "project": {
            "code": "P-07",
            "title": "School greenhouse",
            "process_title": "Participatory budget 2026",
        },
        "backer": {
            "name": "Giulia Rossi",
            "email": "giulia@example.org",
            "tax_code": "RSSGLI80A41F205X",
            "address": "Via Roma 1\n20100 Milano MI",
        },
        "pledge": {
            "id": 42,
            "amount_cents": 1250,
            "currency": "EUR",
            "status_label": "Paid" if paid else "Authorised",
            "created_at": datetime.datetime(2026, 3, 10, 9, 30, tzinfo=ROME),
            "reward_title": "Seed kit" if reward else None,
            "reward_made_by": "Cooperativa Semi Liberi" if reward else "",
            "funding_model": funding_model,
            "anonymous": False,
        },
        "payment": {
            "method_label": "Card",
            "reference": "pi_3Ok0000000000000",
            "paid_at": (
                datetime.datetime(2026, 3, 12, 18, 5, tzinfo=ROME) if paid else None
            ),
        },
    }


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def flat(text: str) -> str:
    """The text with every run of whitespace as one space: sentences wrap."""
    return re.sub(r"\s+", " ", text)


def render(template_name: str, context: dict) -> str:
    with translation.override("en"):
        pdf = render_pdf(template_name, context, stylesheets=STYLESHEETS)
    assert pdf.startswith(b"%PDF-")
    return pdf_text(pdf)


def test_pledge_receipt_shows_the_key_figures():
    text = render(
        "documents/pledge_receipt.html", sample_context(paid=True, reward=True)
    )

    assert "Pledge receipt" in text
    assert "Orti di Quartiere" in text
    assert "A greenhouse for the school garden" in text
    assert "P-07" in text
    assert "Participatory budget 2026" in text
    assert "Giulia Rossi" in text
    assert "Pledge no. 42" in text
    assert "Seed kit" in text
    assert text.count("€12.50") == 2  # the line and the total
    assert "Paid on" in text
    assert "March 12, 2026" in text
    assert "pi_3Ok0000000000000" in text
    assert "Receipt no." not in text  # no number given


def test_pledge_receipt_without_reward_says_so():
    text = render("documents/pledge_receipt.html", sample_context(reward=False))

    assert "No reward" in text
    assert "Seed kit" not in text


def test_unpaid_all_or_nothing_pledge_explains_when_the_card_is_charged():
    text = flat(render("documents/pledge_receipt.html", sample_context(paid=False)))

    assert (
        "Your card is charged only if the campaign reaches its goal by its deadline."
        in text
    )
    assert "Paid on" not in text


@pytest.mark.parametrize(
    ("funding_model", "paid"),
    [("all_or_nothing", True), ("keep_it_all", False), ("keep_it_all", True)],
)
def test_other_pledges_do_not_mention_a_conditional_charge(funding_model, paid):
    text = flat(
        render(
            "documents/pledge_receipt.html",
            sample_context(funding_model=funding_model, paid=paid),
        )
    )

    assert "charged only if" not in text


def test_donation_receipt_shows_the_key_figures_and_the_statement():
    text = render(
        "documents/donation_receipt.html",
        sample_context(kind="donation", paid=True, reward=False),
    )
    words = flat(text)

    assert "Receipt for a donation" in text
    assert "2026/000012" in text
    assert "Associazione Orti di Quartiere APS" in text
    assert "97123450150" in text
    assert "Via dei Giardini 4" in text
    assert "Giulia Rossi" in text
    assert "RSSGLI80A41F205X" in text
    assert "Via Roma 1" in text
    assert text.count("€12.50") == 2
    assert "March 12, 2026" in text  # the day it was paid
    assert "pi_3Ok0000000000000" in text
    assert "received no goods or services" in words
    assert "traceable method" in words
    assert "article 83 of Legislative Decree no. 117 of 3 July 2017" in words
    assert "117/2017" in words
    assert "Signature and stamp of the legal representative" in text
    assert "charged only if" not in words
