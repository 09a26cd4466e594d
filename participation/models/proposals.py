from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .community import Participant, Section
from .process import Category, Process


class Assembly(models.Model):
    """A facilitated assembly: where people without internet propose and decide."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="assemblies"
    )
    held_on = models.DateField(_("date"))
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assemblies",
        verbose_name=_("ward or place"),
    )
    place = models.CharField(_("room or place"), max_length=120, blank=True)
    attendance = models.PositiveIntegerField(_("people present"))
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="assemblies",
        verbose_name=_("facilitators"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assembly")
        verbose_name_plural = _("assemblies")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        where = self.section or self.place
        return f"{self.held_on:%d/%m/%Y} · {where}"


class Proposal(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        PASSED = "passed", _("Passed to co-design")
        NOT_PASSED = "not_passed", _("Did not pass the support phase")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("area"),
    )
    estimated_cost_cents = models.BigIntegerField(
        _("estimated cost (cents)"), null=True, blank=True
    )
    image = models.ImageField(_("image"), upload_to="proposals/%Y/%m/", blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    author_participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    assembly = models.ForeignKey(
        Assembly,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("assembly"),
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    project = models.ForeignKey(
        "Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_proposals",
        verbose_name=_("merged into project"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_user__isnull=True)
                | Q(author_participant__isnull=True),
                name="proposal_one_author_kind",
            ),
            models.CheckConstraint(
                condition=Q(estimated_cost_cents__isnull=True)
                | Q(estimated_cost_cents__gte=0),
                name="proposal_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def author_name(self) -> str:
        """The only name of an author the site ever shows: display name or pseudonym."""
        if self.author_participant_id:
            return self.author_participant.pseudonym
        if self.author_user_id:
            return str(self.author_user)
        return ""

    @property
    def is_delegate_proposal(self) -> bool:
        return self.status == self.Status.PASSED


class Support(models.Model):
    """One online support (BiPart pre-vote) of a user for a proposal."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "user"], name="support_once_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.proposal_id}"


class SupportTally(models.Model):
    """Supports counted by hand in an assembly (paper or show of hands)."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="tallies"
    )
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="tallies"
    )
    count = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "assembly"], name="support_tally_once_per_assembly"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.count}"


class Project(models.Model):
    """What co-design makes of one or more proposals: costed, judged, votable."""

    class Feasibility(models.TextChoices):
        PENDING = "pending", _("Being assessed")
        FEASIBLE = "feasible", _("Feasible")
        NOT_FEASIBLE = "not_feasible", _("Not feasible")

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="projects"
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    section = models.ForeignKey(
        Section,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("area"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    cost_cents = models.BigIntegerField(_("cost (cents)"))
    feasibility = models.CharField(
        _("feasibility"),
        max_length=12,
        choices=Feasibility.choices,
        default=Feasibility.PENDING,
    )
    feasibility_reason = models.TextField(_("reason"), blank=True)
    reward_plan = models.TextField(
        _("rewards and products plan"),
        blank=True,
        help_text=_("What backers could receive, or which products could fund it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "code"], name="project_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(cost_cents__gt=0), name="project_cost_positive"
            ),
            models.CheckConstraint(
                condition=~Q(feasibility="not_feasible") | ~Q(feasibility_reason=""),
                name="project_not_feasible_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"

    @property
    def on_ballot(self) -> bool:
        return self.feasibility == self.Feasibility.FEASIBLE
