from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .community import Participant
from .process import Process
from .proposals import Assembly, Project


class Ballot(models.Model):
    """One voter's ballot in one process, whatever the channel.

    A voter is a user (online) or a pseudonymous participant (voter code or
    paper). Two partial unique constraints make it one ballot per voter per
    process across channels.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        CODE = "code", _("Voter code")
        PAPER = "paper", _("Paper")
        IMPORTED = "imported", _("Imported from a pabulib file")

    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="ballots"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    paper_entry = models.OneToOneField(
        "PaperEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballot",
    )
    weight = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(participant__isnull=True))
                | (Q(user__isnull=True) & Q(participant__isnull=False))
                | (
                    Q(user__isnull=True)
                    & Q(participant__isnull=True)
                    & Q(channel="imported")
                ),
                name="ballot_exactly_one_voter",
            ),
            models.UniqueConstraint(
                fields=["process", "user"],
                condition=Q(user__isnull=False),
                name="ballot_one_per_user_per_process",
            ),
            models.UniqueConstraint(
                fields=["process", "participant"],
                condition=Q(participant__isnull=False),
                name="ballot_one_per_participant_per_process",
            ),
        ]

    def __str__(self) -> str:
        return f"ballot {self.pk} · {self.process}"


class BallotItem(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="ballot_items"
    )
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "project"], name="ballot_item_once"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=1), name="ballot_item_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.points}"


class PaperBatch(models.Model):
    """A stack of paper ballots from one assembly, keyed twice before it counts."""

    class Status(models.TextChoices):
        KEYING = "keying", _("Being keyed")
        ACCEPTED = "accepted", _("Counted")

    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="paper_batches"
    )
    assembly = models.ForeignKey(
        Assembly,
        on_delete=models.PROTECT,
        related_name="paper_batches",
        verbose_name=_("assembly"),
    )
    label = models.CharField(_("label"), max_length=80)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.KEYING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paper batch")
        verbose_name_plural = _("paper batches")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.label


class PaperEntry(models.Model):
    """One paper ballot as typed by one facilitator in one of the two keyings.

    ``keying`` 1 and 2 are the two independent passes; ``keying`` 0 is the
    version a facilitator chose when the two differ. ``choices`` maps project
    codes to points (1 for approval and knapsack ballots).
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not counted yet")
        COUNTED = "counted", _("Counted")
        REJECTED = "rejected", _("Rejected")

    batch = models.ForeignKey(
        PaperBatch, on_delete=models.CASCADE, related_name="entries"
    )
    keying = models.PositiveSmallIntegerField()
    position = models.PositiveIntegerField(_("sheet number"))
    voter_code = models.CharField(_("voter code"), max_length=20)
    choices = models.JSONField(default=dict)
    keyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch", "position", "keying"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "keying", "position"],
                name="paper_entry_once_per_keying",
            ),
            models.CheckConstraint(
                condition=Q(keying__lte=2), name="paper_entry_keying_0_1_2"
            ),
        ]

    def __str__(self) -> str:
        return f"sheet {self.position} · keying {self.keying}"


class ProcessResult(models.Model):
    """The outcome computed when the vote closed, kept as it was published."""

    process = models.OneToOneField(
        Process, on_delete=models.PROTECT, related_name="result"
    )
    rule = models.CharField(max_length=10)
    winners = models.JSONField(default=list)
    explanation = models.JSONField(default=dict)
    ballots_counted = models.PositiveIntegerField()
    computed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"result of {self.process_id}"
