from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .community import Community


class Phase(models.TextChoices):
    DRAFT = "draft", _("In preparation")
    PROPOSALS = "proposals", _("Proposals")
    SUPPORT = "support", _("Support")
    CODESIGN = "codesign", _("Co-design")
    VOTE = "vote", _("Vote")
    RESULTS = "results", _("Results")


# The order of the cycle; a process skips the phases it switched off.
PHASE_ORDER = [
    Phase.DRAFT,
    Phase.PROPOSALS,
    Phase.SUPPORT,
    Phase.CODESIGN,
    Phase.VOTE,
    Phase.RESULTS,
]
OPTIONAL_PHASES = {Phase.PROPOSALS, Phase.SUPPORT, Phase.CODESIGN}


class BallotKind(models.TextChoices):
    APPROVAL = "approval", _("Approval: choose between a minimum and a maximum")
    CUMULATIVE = "cumulative", _("Points: share a number of points")
    KNAPSACK = "knapsack", _("Budget: choose projects within the budget")


class OutcomeRule(models.TextChoices):
    GREEDY = "greedy", _("Most votes first, within the budget")
    MES = "mes", _("Method of Equal Shares (proportional)")
    MES_ADD1 = (
        "mes-add1",
        _(
            "Method of Equal Shares, completed with the most voted projects "
            "that still fit"
        ),
    )


class SupportPassMode(models.TextChoices):
    COUNT = "count", _("At least a number of supports")
    SHARE = "share", _("At least a share of the participants")
    TOP_K = "top_k", _("The most supported proposals")


class PurchaseVoteMode(models.TextChoices):
    OFF = "off", _("Purchases do not count as votes")
    BUYER = "buyer", _("One buyer, one vote")
    ORDER = "order", _("One vote per paid order")
    EURO = "euro", _("Votes per euro spent")


class Process(models.Model):
    """A participatory budgeting process of one community: budget, phases, rules.

    ``phase`` moves forward only, through ``services.process_advance``. The vote
    rules (ballot kind, limits, outcome rule) are frozen from the first ballot.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="processes"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    budget_cents = models.BigIntegerField(_("budget (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    phase = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.DRAFT
    )

    proposals_enabled = models.BooleanField(_("proposal phase"), default=True)
    support_enabled = models.BooleanField(_("support phase"), default=True)
    codesign_enabled = models.BooleanField(_("co-design phase"), default=True)

    proposals_starts_on = models.DateField(_("proposals from"), null=True, blank=True)
    proposals_ends_on = models.DateField(_("proposals until"), null=True, blank=True)
    support_starts_on = models.DateField(_("support from"), null=True, blank=True)
    support_ends_on = models.DateField(_("support until"), null=True, blank=True)
    codesign_starts_on = models.DateField(_("co-design from"), null=True, blank=True)
    codesign_ends_on = models.DateField(_("co-design until"), null=True, blank=True)
    vote_starts_on = models.DateField(_("vote from"), null=True, blank=True)
    vote_ends_on = models.DateField(_("vote until"), null=True, blank=True)
    results_on = models.DateField(_("results on"), null=True, blank=True)

    # Support phase (BiPart): who passes to co-design.
    support_max_per_voter = models.PositiveSmallIntegerField(
        _("supports per participant"), default=3
    )
    support_pass_mode = models.CharField(
        _("who passes"),
        max_length=10,
        choices=SupportPassMode.choices,
        default=SupportPassMode.COUNT,
    )
    support_threshold = models.PositiveIntegerField(
        _("threshold"),
        default=10,
        help_text=_(
            "A number of supports, a percentage of the participants, or how many "
            "of the most supported proposals pass, depending on the choice above."
        ),
    )

    # Vote rules: frozen once the first ballot exists.
    ballot_kind = models.CharField(
        _("ballot"),
        max_length=12,
        choices=BallotKind.choices,
        default=BallotKind.APPROVAL,
    )
    approval_min = models.PositiveSmallIntegerField(_("choose at least"), default=1)
    approval_max = models.PositiveSmallIntegerField(_("choose at most"), default=3)
    points_total = models.PositiveSmallIntegerField(_("points to share"), default=10)
    points_max_per_project = models.PositiveSmallIntegerField(
        _("points per project at most"), default=5
    )
    outcome_rule = models.CharField(
        _("outcome rule"),
        max_length=10,
        choices=OutcomeRule.choices,
        default=OutcomeRule.MES_ADD1,
    )

    # Money as votes: each distinct backer of a campaign born from one of this
    # process's projects counts as a weighted approval in the next count.
    market_votes = models.BooleanField(
        _("count backers as votes"),
        default=False,
        help_text=_(
            "Each distinct backer of a project's campaign counts as a supporter "
            "of that project in the next count of this process."
        ),
    )
    market_vote_weight = models.PositiveSmallIntegerField(
        _("weight of a backer"), default=1
    )

    # Purchases as votes: each paid shop order grants its buyer a purchase
    # vote (``PurchaseVote``) on this process's projects; how much it weighs
    # depends on the mode, times ``purchase_vote_weight``.
    purchase_votes = models.CharField(
        _("purchases as votes"),
        max_length=10,
        choices=PurchaseVoteMode.choices,
        default=PurchaseVoteMode.OFF,
        help_text=_(
            "How the shop's paid orders count in this process's vote: not at "
            "all, one vote per buyer, one vote per order, or one vote per whole "
            "euro spent (up to a maximum per buyer)."
        ),
    )
    purchase_votes_per_euro_cap = models.PositiveIntegerField(
        _("most votes per buyer"),
        default=50,
        help_text=_(
            "With votes per euro: however much a buyer spends, they count at "
            "most this many votes."
        ),
    )
    purchase_vote_weight = models.PositiveSmallIntegerField(
        _("weight of a purchase vote"),
        default=1,
        help_text=_("Each purchase vote counts this many times."),
    )

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "slug"], name="process_slug_unique_in_community"
            ),
            models.CheckConstraint(
                condition=Q(budget_cents__gt=0), name="process_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(approval_min__lte=models.F("approval_max")),
                name="process_approval_min_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(points_max_per_project__lte=models.F("points_total")),
                name="process_points_per_project_lte_total",
            ),
            models.CheckConstraint(
                condition=Q(purchase_votes_per_euro_cap__gte=1),
                name="process_purchase_vote_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(purchase_vote_weight__gte=1),
                name="process_purchase_vote_weight_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "participation:process-detail",
            kwargs={"slug": self.community.slug, "process": self.slug},
        )

    def is_enabled(self, phase: str) -> bool:
        if phase not in OPTIONAL_PHASES:
            return True
        return getattr(self, f"{phase}_enabled")

    @property
    def enabled_phases(self) -> list[str]:
        return [phase for phase in PHASE_ORDER if self.is_enabled(phase)]

    @property
    def next_phase(self) -> str | None:
        phases = self.enabled_phases
        if self.phase not in phases:
            # the current phase was switched off after being entered: go on
            later = PHASE_ORDER[PHASE_ORDER.index(self.phase) + 1 :]
            return next((p for p in later if p in phases), None)
        index = phases.index(self.phase)
        return phases[index + 1] if index + 1 < len(phases) else None

    def phase_dates(self, phase: str) -> tuple:
        if phase == Phase.RESULTS:
            return (self.results_on, None)
        if phase == Phase.DRAFT:
            return (None, None)
        return (getattr(self, f"{phase}_starts_on"), getattr(self, f"{phase}_ends_on"))


class Category(models.Model):
    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "name"], name="category_unique_in_process"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProcessEvent(models.Model):
    """Append-only log of what facilitators did to a process (phase moves, rules)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.process} · {self.kind}"
