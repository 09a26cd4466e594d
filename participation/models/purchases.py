from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .process import Process
from .proposals import Project


class PurchaseVote(models.Model):
    """The say one paid shop order gives its buyer on a process's projects.

    Granted by the shop when the order is paid (``source`` is the shop's own
    key, ``"order:123"``, unique so that a retried grant grants once), cast by
    the buyer on the candidate projects, withdrawn when the order is refunded.
    Only an active vote with projects chosen counts. Every change is also an
    append-only :class:`PurchaseVoteEvent`.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Counts")
        WITHDRAWN = "withdrawn", _("Withdrawn (the order was refunded)")

    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="purchase_votes_granted"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="purchase_votes",
    )
    source = models.CharField(_("order"), max_length=100, unique=True)
    # What the buyer recognises the purchase by (the shop's order number).
    label = models.CharField(_("purchase"), max_length=100, blank=True)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    projects = models.ManyToManyField(
        Project, blank=True, related_name="purchase_votes", verbose_name=_("projects")
    )
    withdraw_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cast_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("purchase vote")
        verbose_name_plural = _("purchase votes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["process", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0),
                name="purchase_vote_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(withdrawn_at__isnull=True))
                | (Q(status="withdrawn") & Q(withdrawn_at__isnull=False)),
                name="purchase_vote_withdrawn_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.process}"

    def get_absolute_url(self) -> str:
        return reverse("participation:purchase-vote-cast", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PurchaseVoteEvent(models.Model):
    """Append-only history of a purchase vote: granted, cast, withdrawn."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("Granted")
        CAST = "cast", _("Cast")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    vote = models.ForeignKey(
        PurchaseVote, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.kind}"
