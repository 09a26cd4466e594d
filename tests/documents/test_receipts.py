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
    assert text.count("€12.50") == 1  # once, as the total
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
    assert text.count("€12.50") == 1  # once, as the total donated
    assert "March 12, 2026" in text  # the day it was paid
    assert "pi_3Ok0000000000000" in text
    assert "received no goods or services" in words
    assert "traceable method" in words
    assert "article 83 of Legislative Decree no. 117 of 3 July 2017" in words
    assert "117/2017" in words
    assert "Signature and stamp of the legal representative" in text
    assert "charged only if" not in words


def render_pdf_bytes(template_name: str, context: dict, language="en") -> bytes:
    with translation.override(language):
        return render_pdf(template_name, context, stylesheets=STYLESHEETS)


def page_count(pdf: bytes) -> int:
    info = subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)[1])


def pdf_text_in_reading_order(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def lines_of(text: str) -> list[str]:
    """pdftotext's lines, each with its runs of spaces as one space."""
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


def test_each_fact_of_the_pledge_receipt_is_its_label_and_value_on_one_line():
    lines = lines_of(render("documents/pledge_receipt.html", sample_context(paid=True)))

    for fact in [
        "Status Paid",
        "Funding model All or nothing",
        "Pledged on March 10, 2026",
        "Shown on the campaign as Giulia Rossi",
        "Payment method Card",
        "Payment reference pi_3Ok0000000000000",
        "Paid on March 12, 2026",
        "Pledge no. 42 · Issued on March 14, 2026",
        "Total €12.50",
    ]:
        assert fact in lines
    # The backer's block, its lines as given and nothing in between.
    start = lines.index("Giulia Rossi")
    assert lines[start : start + 5] == [
        "Giulia Rossi",
        "giulia@example.org",
        "Via Roma 1",
        "20100 Milano MI",
        "Tax code: RSSGLI80A41F205X",
    ]


def test_each_fact_of_the_donation_receipt_is_its_label_and_value_on_one_line():
    text = render(
        "documents/donation_receipt.html",
        sample_context(kind="donation", paid=True, reward=False),
    )
    lines = lines_of(text)

    for fact in [
        "Receipt no. 2026/000012 · Issued on March 14, 2026",
        "Total donated €12.50",
        "Date of the donation March 12, 2026",
        "Payment method Card",
        "Payment reference pi_3Ok0000000000000",
    ]:
        assert fact in lines
    # Side by side, so read in pdftotext's reading order (column by column).
    reading = pdf_text_in_reading_order(
        render_pdf_bytes(
            "documents/donation_receipt.html",
            sample_context(kind="donation", paid=True, reward=False),
        )
    )
    assert (
        "Associazione Orti di Quartiere APS\nVia dei Giardini 4\n20121 Milano MI\n"
        "Tax code: 97123450150\nThird sector entity (ETS)\n"
    ) in reading
    assert (
        "Giulia Rossi\nVia Roma 1\n20100 Milano MI\nTax code: RSSGLI80A41F205X\n"
    ) in reading
    # The page footer: the title and the number.
    assert "Receipt for a donation 2026/000012 1/1" in lines


def long_context(kind: str) -> dict:
    """Every field as long as a real one gets: long names, three-line
    addresses, a long campaign and project title."""
    context = sample_context(kind=kind, paid=kind == "donation", reward=False)
    context["organisation"].update(
        name="Cooperativa Sociale Orti e Falegnameria di Quartiere",
        legal_name="Cooperativa Sociale Orti e Falegnameria di Quartiere "
        "Impresa Sociale ETS",
        address="Via dei Giardini Pubblici e dei Mestieri 124/B\n"
        "Scala C, interno 7\n20121 Milano MI",
    )
    context["backer"].update(
        name="Maria Giovanna Bianchi Rossi Ferraris di Sant'Angelo",
        email="maria.giovanna.bianchi.rossi@example.org",
        address="Corso Vittorio Emanuele II 1024\nScala A, interno 12\n10121 Torino TO",
    )
    context["campaign"]["title"] = (
        "Un laboratorio di falegnameria e un orto condiviso per la sezione "
        "maschile, con i corsi per chi esce"
    )
    context["project"]["title"] = (
        "Laboratorio di falegnameria, orto condiviso e corsi di avviamento al lavoro"
    )
    return context


@pytest.mark.parametrize("kind", ["pledge", "donation"])
@pytest.mark.parametrize("language", ["it", "en"])
def test_a_receipt_with_long_data_is_one_page_and_small(kind, language):
    pdf = render_pdf_bytes(
        f"documents/{kind}_receipt.html", long_context(kind), language=language
    )

    assert page_count(pdf) == 1
    # Two faces of one family, subset: 10,000 receipts are kept.
    assert len(pdf) < 25_000
    words = flat(pdf_text(pdf))
    assert "Maria Giovanna Bianchi Rossi Ferraris di Sant'Angelo" in words
    assert "Scala A, interno 12" in words
    assert "Impresa Sociale ETS" in words


def embedded_fonts(pdf: bytes) -> list[tuple[str, str]]:
    """(font name without its subset prefix, "yes"/"no" embedded) per font."""
    listing = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    fonts = []
    for line in listing.splitlines()[2:]:
        name, *_, emb, _sub, _uni, _obj, _gen = line.split()
        fonts.append((name.split("+", 1)[-1], emb))
    return fonts


@pytest.mark.parametrize("kind", ["pledge", "donation"])
def test_a_receipt_embeds_liberation_sans_with_the_euro_and_the_accents(kind):
    context = sample_context(kind=kind, paid=True, reward=kind == "pledge")
    context["backer"]["name"] = "Niccolò Àlberti Perché"
    pdf = render_pdf_bytes(f"documents/{kind}_receipt.html", context, language="it")

    # Regular and bold, both embedded (subset); no fallback font was needed
    # for any character, the euro sign and the accented letters included.
    assert sorted(embedded_fonts(pdf)) == [
        ("Liberation-Sans", "yes"),
        ("Liberation-Sans-Bold", "yes"),
    ]
    text = pdf_text(pdf)
    assert "€ 12,50" in text
    assert "Niccolò Àlberti Perché" in text
    assert "Modalità di pagamento" in text
