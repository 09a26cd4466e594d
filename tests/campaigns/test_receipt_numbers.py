"""Donation receipt numbers: gapless, taken in a short transaction, the PDF
rendered outside the sequence's lock (so one community's receipts are made
by several workers at once), and a failed render waits for its retry under
the number it took."""

import threading

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from campaigns import services
from campaigns.models import Pledge, Receipt, ReceiptSequence
from campaigns.services import receipts as receipts_module
from campaigns.tasks import receipts_render_pending_task
from payments.models import Payment
from tests.documents.test_pdf import pdf_text
from tests.factories import UserFactory

from .conftest import nonprofit_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def _paid_donations(count: int) -> list[Pledge]:
    """Paid pledges without reward to a non-profit, no receipt yet (their
    status set directly: the card step is not what is tested here)."""
    campaign = nonprofit_campaign()
    ids = [
        services.pledge_create(
            campaign=campaign, amount_cents=1_000 + n, backer=UserFactory()
        ).pk
        for n in range(count)
    ]
    Pledge.objects.filter(pk__in=ids).update(
        status=Pledge.Status.PAID, donor_tax_code="RSSMRA80A01H501U"
    )
    paid = Pledge.objects.filter(pk__in=ids).values("payment_id")
    Payment.objects.filter(pk__in=paid).update(
        status=Payment.Status.SUCCEEDED, paid_at=timezone.now()
    )
    assert not Receipt.objects.filter(pledge__in=ids).exists()
    return list(Pledge.objects.filter(pk__in=ids).order_by("pk"))


def _numbers() -> list[str]:
    return sorted(
        Receipt.objects.filter(kind="donation").values_list("number", flat=True)
    )


def _expected(count: int) -> list[str]:
    year = timezone.localdate().year
    return [f"{year}/{n:06d}" for n in range(1, count + 1)]


def _renders_side_by_side(monkeypatch) -> None:
    """Each render waits until two renders are under way."""
    together = threading.Barrier(2, timeout=20)
    render = receipts_module.render_pdf

    def render_side_by_side(*args, **kwargs):
        together.wait()
        return render(*args, **kwargs)

    monkeypatch.setattr(receipts_module, "render_pdf", render_side_by_side)


def _in_threads(targets) -> list[BaseException]:
    """Run ``targets`` in threads, each with its own connection; the errors.

    The tests that use it run on PostgreSQL (CI): SQLite's shared in-memory
    test database answers a read of a table that another connection is
    writing with "database table is locked" at once, instead of waiting."""
    from django.db import connection

    errors = []

    def run(target):
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres  # see _in_threads
def test_two_workers_render_one_communitys_receipts_at_the_same_time(monkeypatch):
    """Both renders must be under way together: with the sequence row locked
    through the render, the second worker would wait for the first one's
    commit before it could render, and the barrier would break."""
    first, second = _paid_donations(2)
    _renders_side_by_side(monkeypatch)

    errors = _in_threads(
        [
            lambda: services.receipt_render(pledge_id=first.pk, kind="donation"),
            lambda: services.receipt_render(pledge_id=second.pk, kind="donation"),
        ]
    )

    assert errors == []
    assert _numbers() == _expected(2)
    for receipt in Receipt.objects.filter(kind="donation"):
        assert receipt.file.read(5) == b"%PDF-"
        assert receipt.emailed_at is not None


@pytest.mark.postgres  # see _in_threads
def test_many_workers_number_without_gap_or_repeat():
    pledges = _paid_donations(12)
    chunks = [pledges[n::4] for n in range(4)]

    def worker(chunk):
        return lambda: [
            services.receipt_render(pledge_id=p.pk, kind="donation") for p in chunk
        ]

    assert _in_threads([worker(chunk) for chunk in chunks]) == []

    assert _numbers() == _expected(12)
    assert Receipt.objects.issued().filter(kind="donation").count() == 12
    sequence = ReceiptSequence.objects.get()
    assert sequence.last_number == 12


@pytest.mark.postgres  # see _in_threads
def test_the_same_receipt_rendered_twice_at_once_is_stored_and_sent_once(
    monkeypatch,
):
    (pledge,) = _paid_donations(1)
    mail.outbox.clear()
    _renders_side_by_side(monkeypatch)
    # Both workers find the row (number taken) waiting for its PDF.
    receipts_module._donation_number_take(pledge)
    storage = Receipt._meta.get_field("file").storage
    folder = timezone.now().strftime("receipts/%Y")
    before = set(storage.listdir(folder)[1]) if storage.exists(folder) else set()
    results = []

    def work():
        results.append(services.receipt_render(pledge_id=pledge.pk, kind="donation"))

    assert _in_threads([work, work]) == []

    receipt = Receipt.objects.get(pledge=pledge, kind="donation")
    assert [r.pk for r in results] == [receipt.pk, receipt.pk]
    assert receipt.number == _expected(1)[0]
    assert receipt.file.read(5) == b"%PDF-"
    assert len([m for m in mail.outbox if pledge.backer_email in m.to]) == 1
    # One file written: the worker that lost did not leave its own behind.
    assert set(storage.listdir(folder)[1]) - before == {
        receipt.file.name.rsplit("/", 1)[1]
    }


def test_a_failed_render_keeps_its_number_for_the_retry(client, monkeypatch):
    first, second = _paid_donations(2)
    render = receipts_module.render_pdf

    def broken(*args, **kwargs):
        raise OSError("the disk is full")

    monkeypatch.setattr(receipts_module, "render_pdf", broken)
    with pytest.raises(OSError):
        services.receipt_render(pledge_id=first.pk, kind="donation")
    monkeypatch.setattr(receipts_module, "render_pdf", render)

    waiting = Receipt.objects.get(pledge=first, kind="donation")
    assert waiting.number == _expected(1)[0] and not waiting.file
    # The next donation takes the next number: the first one is not given back.
    services.receipt_render(pledge_id=second.pk, kind="donation")
    assert _numbers() == _expected(2)

    # The backer sees it being prepared, under its number, with no download.
    client.force_login(first.backer)
    detail = client.get(reverse("campaigns:pledge", args=[first.pk]))
    assert detail.status_code == 200
    page = " ".join(detail.content.decode().split())
    assert f"n. {waiting.number} · in preparazione" in page
    download = reverse("campaigns:receipt", args=[first.pk, waiting.pk])
    assert download not in page
    mine = client.get(reverse("campaigns:my-pledges")).content.decode()
    assert "Ricevuta di erogazione liberale (in preparazione)" in mine
    assert download not in mine
    assert client.get(download).status_code == 404

    # The sweep (run every 10 minutes) finds it once it has waited long enough.
    assert services.receipts_render_pending() == []
    taken_at = timezone.now() - timezone.timedelta(days=3)
    Receipt.objects.filter(pk=waiting.pk).update(created_at=taken_at)
    assert services.receipts_render_pending() == [
        (first.pk, "donation", taken_at, "PDF")
    ]
    mail.outbox.clear()
    assert receipts_render_pending_task() == 1  # eager in tests: rendered now

    receipt = Receipt.objects.get(pk=waiting.pk)
    assert receipt.number == _expected(1)[0]
    assert receipt.emailed_at is not None
    assert len(mail.outbox) == 1
    # Issued on the day its number was taken, not on the day of the retry.
    with translation.override(first.language or "it"):
        issued = date_format(timezone.localdate(taken_at), "DATE_FORMAT")
    text = pdf_text(receipt.file.read())
    assert f"Emessa il {issued}" in " ".join(text.split())
    assert receipt.number in text
    assert _numbers() == _expected(2)
    assert services.receipts_render_pending() == []
    detail = client.get(reverse("campaigns:pledge", args=[first.pk]))
    assert download in detail.content.decode()
    assert "in preparazione" not in detail.content.decode()
    assert client.get(download).status_code == 200
