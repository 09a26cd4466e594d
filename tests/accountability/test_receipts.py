"""Receipts are JPEG, PNG or PDF by their content, without picture metadata."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accountability import services
from accountability.exceptions import ReceiptInvalid
from accountability.models import Expense, ExpenseEvent
from accountability.receipts import MAX_RECEIPT_BYTES, receipt_clean

from .conftest import PDF, SPENT_ON, image_bytes, pdf_upload

HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def test_a_pdf_that_is_really_html_is_refused():
    with pytest.raises(ReceiptInvalid):
        receipt_clean(pdf_upload(HTML, name="ricevuta.pdf"))


@pytest.mark.django_db
def test_a_refused_receipt_writes_no_expense_and_no_file(
    project, facilitator, settings
):
    with pytest.raises(ReceiptInvalid):
        services.expense_submit(
            project=project,
            supplier="Vivaio",
            description="x",
            amount_cents=100,
            spent_on=SPENT_ON,
            receipt=pdf_upload(HTML),
            submitted_by=facilitator,
        )

    assert not Expense.objects.exists()
    assert not ExpenseEvent.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_a_jpeg_is_stored_without_its_metadata():
    original = image_bytes("JPEG", with_exif=True)
    assert Image.open(io.BytesIO(original)).getexif()  # the test picture has some

    file, content_type = receipt_clean(
        SimpleUploadedFile("IMG_0001.jpeg", original, "image/jpeg")
    )

    assert content_type == "image/jpeg"
    assert file.name.endswith(".jpg") and "IMG" not in file.name
    cleaned = Image.open(io.BytesIO(file.read()))
    assert cleaned.format == "JPEG"
    assert cleaned.size == (40, 30)
    assert dict(cleaned.getexif()) == {}
    assert "exif" not in cleaned.info


def test_a_png_is_accepted_whatever_its_name_says():
    file, content_type = receipt_clean(
        SimpleUploadedFile("scan.pdf", image_bytes("PNG", with_exif=False), "x/y")
    )

    assert content_type == "image/png"
    assert file.name.endswith(".png")


def test_a_plain_pdf_is_kept_as_sent():
    file, content_type = receipt_clean(pdf_upload(PDF, name="r.PDF"))

    assert content_type == "application/pdf"
    assert file.read() == PDF


def test_a_pdf_with_a_script_is_refused():
    data = PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /JS (x) >>")

    with pytest.raises(ReceiptInvalid):
        receipt_clean(pdf_upload(data))


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a" + b"\x00" * 40,
        image_bytes("WEBP", with_exif=False),
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"%PDF-1.4 cut short",
        b"",
    ],
    ids=["gif", "webp", "broken-jpeg", "truncated-pdf", "empty"],
)
def test_other_files_are_refused(data):
    with pytest.raises(ReceiptInvalid):
        receipt_clean(SimpleUploadedFile("receipt.jpg", data, "image/jpeg"))


def test_a_receipt_above_10_mb_is_refused():
    data = b"%PDF-1.4\n" + b"0" * MAX_RECEIPT_BYTES + b"\n%%EOF\n"

    with pytest.raises(ReceiptInvalid):
        receipt_clean(pdf_upload(data))
