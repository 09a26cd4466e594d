"""The receipts sweep (``campaigns.receipts_render_pending``, every 10
minutes): a receipt whose task was lost or failed is found, queued again and
logged (an error once it is an hour late); nothing is queued twice while PDF
tasks still wait in their queue."""

import logging
import smtplib
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services, tasks
from campaigns.models import Pledge, Receipt
from core.tasks import queued
from payments.models import Payment
from tests.documents.test_pdf import pdf_text
from tests.factories import UserFactory

from .conftest import live_campaign, nonprofit_campaign

pytestmark = pytest.mark.django_db(transaction=True)

P = Pledge.Status


def _pledge(campaign, status, *, minutes_ago=30, tier=None) -> Pledge:
    """A pledge in ``status`` whose receipt task never ran (the status set
    directly, as a lost task leaves it), last changed ``minutes_ago``."""
    pledge = services.pledge_create(
        campaign=campaign, amount_cents=2_500, backer=UserFactory(), tier=tier
    )
    changed = timezone.now() - timedelta(minutes=minutes_ago)
    Pledge.objects.filter(pk=pledge.pk).update(status=status, updated_at=changed)
    if status == P.PAID:
        Payment.objects.filter(pk=pledge.payment_id).update(
            status=Payment.Status.SUCCEEDED, paid_at=changed
        )
    return pledge


def _listed() -> set[tuple[int, str]]:
    return {(p.pledge_id, p.kind) for p in services.receipts_render_pending()}


def test_confirmed_pledges_without_their_receipt_are_listed_and_no_other():
    campaign = live_campaign()
    lost = {status: _pledge(campaign, status) for status in (P.COMMITTED, P.PAID)}
    needs_action = _pledge(campaign, P.ACTION_REQUIRED)
    not_due = [_pledge(campaign, s) for s in (P.PENDING, P.CANCELED, P.GIVEN_UP)]
    fresh = _pledge(campaign, P.COMMITTED, minutes_ago=2)  # its task may be running
    old = _pledge(campaign, P.COMMITTED, minutes_ago=60 * 24 * 8)
    done = _pledge(campaign, P.COMMITTED)
    services.receipt_render(pledge_id=done.pk, kind="pledge")

    listed = _listed()

    assert listed == {
        (lost[P.COMMITTED].pk, "pledge"),
        (lost[P.PAID].pk, "pledge"),
        (needs_action.pk, "pledge"),
    }
    for pledge in [*not_due, fresh, old, done]:
        assert all(pk != pledge.pk for pk, _kind in listed)


def test_a_paid_donation_without_its_row_is_listed_as_a_donation_receipt():
    campaign = nonprofit_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Tagliere", min_pledge_cents=1_000
    )
    donation = _pledge(campaign, P.PAID)
    with_reward = _pledge(campaign, P.PAID, tier=tier)  # a reward: no donation

    assert _listed() == {
        (donation.pk, "pledge"),
        (donation.pk, "donation"),
        (with_reward.pk, "pledge"),
    }


def test_the_sweep_renders_what_was_lost_once_and_logs_it(caplog):
    campaign = nonprofit_campaign()
    recent = _pledge(campaign, P.PAID, minutes_ago=20)
    late = _pledge(campaign, P.COMMITTED, minutes_ago=90)
    mail.outbox.clear()

    with caplog.at_level(logging.WARNING, logger="campaigns.tasks"):
        assert tasks.receipts_render_pending_task() == 3  # eager: rendered now

    receipts = Receipt.objects.issued().filter(pledge__in=[recent, late])
    assert sorted(receipts.values_list("pledge_id", "kind")) == sorted(
        [(recent.pk, "donation"), (recent.pk, "pledge"), (late.pk, "pledge")]
    )
    assert receipts.get(kind="donation").number.endswith("/000001")
    assert len(mail.outbox) == 3
    logged = {(r.levelname, r.getMessage()) for r in caplog.records}
    assert (
        "WARNING",
        f"pledge receipt of pledge {recent.pk}: PDF missing for 20 min, queued again",
    ) in logged
    assert (
        "ERROR",
        f"pledge receipt of pledge {late.pk}: PDF missing for 90 min, queued again",
    ) in logged
    # Rendered: the next sweep has nothing to do.
    assert services.receipts_render_pending() == []
    assert tasks.receipts_render_pending_task() == 0


def test_oldest_first_and_at_most_the_limit():
    campaign = live_campaign()
    pledges = [_pledge(campaign, P.COMMITTED, minutes_ago=m) for m in (40, 80, 60)]

    due = services.receipts_render_pending(limit=2)

    assert [p.pledge_id for p in due] == [pledges[1].pk, pledges[2].pk]


@pytest.mark.celery_worker  # the real broker (Redis in CI), no worker needed
def test_nothing_is_queued_again_while_pdf_tasks_wait(settings):
    from config.celery import app

    queue = f"test-pdf-{uuid.uuid4().hex[:10]}"
    settings.CELERY_PDF_QUEUE = queue
    pledge = _pledge(live_campaign(), P.COMMITTED)
    app.conf.task_always_eager = False
    try:
        assert queued(queue) == 0  # never declared yet
        tasks.receipt_render_task.apply_async((pledge.pk, "pledge"), queue=queue)
        assert queued(queue) == 1

        assert tasks.receipts_render_pending_task() == 0
        assert queued(queue) == 1  # the waiting task, not a second one
    finally:
        app.conf.task_always_eager = True
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
            conn.default_channel.queue_delete(queue)
    assert not Receipt.objects.filter(pledge=pledge).exists()


def _mail_server_refuses(monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMessage, "send", refuse)


def test_a_receipt_the_mail_server_refused_is_stored_then_emailed_by_the_sweep(
    monkeypatch, caplog
):
    pledge = _pledge(nonprofit_campaign(), P.PAID, minutes_ago=30)
    mail.outbox.clear()
    with monkeypatch.context() as refused:
        _mail_server_refuses(refused)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            services.receipt_render(pledge_id=pledge.pk, kind="donation")

    # Stored under its number and downloadable; the e-mail still owed.
    receipt = Receipt.objects.get(pledge=pledge, kind="donation")
    assert receipt.file.read(5) == b"%PDF-"
    assert receipt.number.endswith("/000001")
    assert receipt.emailed_at is None
    assert mail.outbox == []
    assert _listed() == {(pledge.pk, "pledge")}  # not yet: it may be retried
    stored_at = timezone.now() - timedelta(minutes=15)
    Receipt.objects.filter(pk=receipt.pk).update(created_at=stored_at)
    assert services.receipts_render_pending() == [
        (pledge.pk, "pledge", Pledge.objects.get(pk=pledge.pk).updated_at, "PDF"),
        (pledge.pk, "donation", stored_at, "e-mail"),
    ]

    with caplog.at_level(logging.WARNING, logger="campaigns.tasks"):
        assert tasks.receipts_render_pending_task() == 2

    assert (
        f"donation receipt of pledge {pledge.pk}: e-mail missing for 15 min, "
        "queued again"
    ) in caplog.messages
    sent = [m for m in mail.outbox if m.attachments[0][0].startswith("donation-")]
    assert len(sent) == 1 and sent[0].to == [pledge.backer_email]
    _name, content, mimetype = sent[0].attachments[0]
    assert content == Receipt.objects.get(pk=receipt.pk).file.read()
    assert mimetype == "application/pdf"
    again = Receipt.objects.get(pk=receipt.pk)
    assert again.emailed_at is not None and again.number == receipt.number
    # Sent: neither the sweep nor another run sends it again.
    assert services.receipts_render_pending() == []
    services.receipt_render(pledge_id=pledge.pk, kind="donation")
    assert len(mail.outbox) == 2  # the donation receipt and the pledge receipt


def test_a_pledge_receipt_refused_then_sent_by_the_next_run():
    pledge = _pledge(live_campaign(), P.COMMITTED)
    mail.outbox.clear()
    with pytest.MonkeyPatch.context() as refused:
        _mail_server_refuses(refused)
        with pytest.raises(smtplib.SMTPException):
            services.receipt_render(pledge_id=pledge.pk, kind="pledge")
    assert Receipt.objects.get(pledge=pledge).emailed_at is None

    receipt = services.receipt_render(pledge_id=pledge.pk, kind="pledge")
    services.receipt_render(pledge_id=pledge.pk, kind="pledge")

    assert receipt.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][1] == receipt.file.read()


def test_a_backer_without_an_address_is_never_owed_an_email():
    pledge = _pledge(live_campaign(), P.COMMITTED)
    Pledge.objects.filter(pk=pledge.pk).update(backer_email="")
    mail.outbox.clear()

    receipt = services.receipt_render(pledge_id=pledge.pk, kind="pledge")
    Receipt.objects.filter(pk=receipt.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )

    assert receipt.file and receipt.emailed_at is None
    assert mail.outbox == []
    assert services.receipts_render_pending() == []


def test_a_receipt_reads_the_pledge_once_with_all_it_shows():
    """Two reads (is it stored? the pledge with all it shows), then writes:
    a column left out of the pledge's query would be one read more."""
    campaign = nonprofit_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Tagliere", min_pledge_cents=1_000
    )
    donation = _pledge(campaign, P.PAID)
    with_reward = _pledge(campaign, P.PAID, tier=tier)

    for pledge, kind in [(donation, "donation"), (with_reward, "pledge")]:
        with CaptureQueriesContext(connection) as captured:
            receipt = services.receipt_render(pledge_id=pledge.pk, kind=kind)
        reads = [q["sql"] for q in captured if q["sql"].startswith("SELECT")]
        assert len(reads) == 2, reads
        assert receipt.emailed_at is not None
        text = pdf_text(receipt.file.read())
        assert pledge.campaign.community.legal_name in text
    assert "Tagliere" in pdf_text(
        Receipt.objects.get(pledge=with_reward, kind="pledge").file.read()
    )


def test_a_donation_refunded_before_its_receipt_is_not_due_one():
    """The same rule in the database (the sweep) and for one pledge (the
    render): paid, no reward, a non-profit's campaign."""
    campaign = nonprofit_campaign()
    tier = services.tier_create(
        campaign=campaign, title="Tagliere", min_pledge_cents=1_000
    )
    paid = _pledge(campaign, P.PAID)
    refunded = _pledge(campaign, P.PAID)
    Pledge.objects.filter(pk=refunded.pk).update(status=P.REFUNDED)
    rewarded = _pledge(campaign, P.PAID, tier=tier)
    elsewhere = _pledge(live_campaign(), P.PAID)  # not a non-profit

    due = set(Pledge.objects.donation_receipt_due().values_list("pk", flat=True))

    assert due == {paid.pk}
    for pledge in (paid, refunded, rewarded, elsewhere):
        loaded = Pledge.objects.select_related("campaign__community").get(pk=pledge.pk)
        assert loaded.donation_receipt_due == (pledge.pk in due)
    assert services.receipt_render(pledge_id=refunded.pk, kind="donation") is None
    assert not Receipt.objects.filter(pledge=refunded, kind="donation").exists()
    assert (refunded.pk, "donation") not in _listed()
