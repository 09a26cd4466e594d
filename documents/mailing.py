"""E-mailing a stored document (a receipt) at most once, with retries.

A receipt's row has ``emailed_at``: set, the e-mail is claimed (being sent,
or sent). The claim is taken by a conditional update, so of two workers one
sends; if sending fails it is given back, and a later run (a sweep) sends
again. A worker killed between the claim and the send loses that e-mail
rather than sending it twice: the document itself stays downloadable.
"""

from django.core.mail import EmailMessage
from django.db import models
from django.utils import timezone


def _row(document: models.Model):
    return type(document)._default_manager.filter(pk=document.pk)


def email_claim(document: models.Model) -> bool:
    """Claim the e-mail of a stored ``document`` (a row with ``emailed_at``)
    whose e-mail was not sent; False when another run has claimed it."""
    claimed_at = timezone.now()
    if not _row(document).filter(emailed_at__isnull=True).update(emailed_at=claimed_at):
        return False
    document.emailed_at = claimed_at
    return True


def email_send_claimed(message: EmailMessage, document: models.Model) -> None:
    """Send ``message``, the e-mail ``document`` has claimed (its
    ``emailed_at`` set, by ``email_claim`` or with the row's store); if
    sending fails, give the claim back and let the error go on (to the task,
    which logs it)."""
    try:
        message.send()
    except Exception:
        _row(document).filter(emailed_at=document.emailed_at).update(emailed_at=None)
        document.emailed_at = None
        raise


def stored_bytes(field_file) -> bytes:
    """A stored file's content, read through its storage (the model's
    ``FieldFile`` is left closed, as the caller had it)."""
    with field_file.storage.open(field_file.name, "rb") as handle:
        return handle.read()
