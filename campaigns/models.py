"""Crowdfunding campaigns born from winning projects, their pledges, match rounds.

Money never lives here: a pledge's money is a ``payments.Payment`` crediting
the ledger account ``campaign:<id>``; what a campaign raised, what moved to
the project's fund and what a match round gave are sums of ledger entries.
Statuses move only through ``campaigns.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FundingModel(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
    KEEP_IT_ALL = "keep_it_all", _("Keep it all")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CHARGING = "charging", _("Funded: collecting the pledges")
        SUCCEEDED = "succeeded", pgettext_lazy("campaign", "Funded")
        FAILED = "failed", pgettext_lazy("campaign", "Not funded")
        ENDED = "ended", _("Ended below the goal (funds kept)")

    community = models.ForeignKey(
        "participation.Community", on_delete=models.PROTECT, related_name="campaigns"
    )
    project = models.OneToOneField(
        "participation.Project",
        on_delete=models.PROTECT,
        related_name="campaign",
        verbose_name=_("project"),
    )
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    story = models.TextField(_("story"))
    image = models.ImageField(_("image"), upload_to="campaigns/%Y/%m/", blank=True)
    goal_cents = models.BigIntegerField(_("goal (cents)"))
    stretch_goal_cents = models.BigIntegerField(
        _("optimum goal (cents)"), null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="EUR")
    funding_model = models.CharField(
        _("funding model"),
        max_length=16,
        choices=FundingModel.choices,
        default=FundingModel.ALL_OR_NOTHING,
    )
    starts_at = models.DateTimeField(_("starts"))
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(goal_cents__gte=100), name="campaign_goal_positive"
            ),
            models.CheckConstraint(
                condition=Q(stretch_goal_cents__isnull=True)
                | Q(stretch_goal_cents__gt=models.F("goal_cents")),
                name="campaign_stretch_above_goal",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("starts_at")),
                name="campaign_deadline_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaigns:detail", kwargs={"slug": self.slug})

    @property
    def account_code(self) -> str:
        return f"campaign:{self.pk}"

    @property
    def project_fund_code(self) -> str:
        return f"project_fund:{self.project_id}"

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return self.status == self.Status.LIVE and self.starts_at <= now < self.deadline

    @property
    def all_or_nothing(self) -> bool:
        return self.funding_model == FundingModel.ALL_OR_NOTHING


class CampaignUpdate(models.Model):
    """News from the team, shown on the campaign page."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="updates"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class CampaignEvent(models.Model):
    """Append-only history of a campaign (publication, close, charging batches)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.kind}"


class PledgeQuerySet(models.QuerySet):
    def donation_receipt_due(self):
        """Pledges due a donation receipt (art. 83 D.Lgs. 117/2017): paid, to
        a community registered as a non-profit, without a reward (a reward is
        something given in exchange). ``Pledge.donation_receipt_due`` is the
        same rule for one pledge."""
        return self.filter(
            status=Pledge.Status.PAID,
            campaign__community__nonprofit=True,
            reward_claim__isnull=True,
        )


class Pledge(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the card or the payment")
        COMMITTED = "committed", _("Card saved: charged if the campaign succeeds")
        PAID = "paid", _("Paid")
        ACTION_REQUIRED = "action_required", _("Payment needs your action")
        GIVEN_UP = "given_up", _("Not paid in time")
        NOT_FUNDED = "not_funded", _("Campaign not funded: nothing charged")
        CANCELED = "canceled", _("Canceled")
        REFUNDED = "refunded", _("Refunded")

    # No index of their own: the indexes of Meta lead with each of them, and
    # every pledge written pays for every index of the table.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="pledges", db_index=False
    )
    backer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        db_index=False,
    )
    backer_name = models.CharField(_("name"), max_length=160, blank=True)
    backer_email = models.EmailField(_("e-mail"), blank=True)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # For a donation receipt (a pledge without reward to a non-profit).
    donor_tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    donor_address = models.CharField(_("address"), max_length=250, blank=True)
    # A close that charges this pledge holds it until then (crash-safe batches).
    charge_lease_until = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, default="it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=100), name="pledge_at_least_1_eur"
            ),
            models.CheckConstraint(
                condition=Q(backer__isnull=False) | ~Q(backer_name=""),
                name="pledge_has_a_backer",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["campaign", "-created_at"]),
            models.Index(fields=["backer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"pledge {self.pk} · {self.campaign_id} · {self.status}"

    @property
    def donation_receipt_due(self) -> bool:
        """``PledgeQuerySet.donation_receipt_due`` for this pledge (read with
        its campaign's community and its reward claim, or it queries them).
        A pledge refunded before its receipt was issued is not due one: the
        money given was given back."""
        return (
            self.status == Pledge.Status.PAID
            and self.campaign.community.nonprofit
            and not hasattr(self, "reward_claim")
        )

    @property
    def public_name(self) -> str:
        if self.anonymous:
            return str(_("Anonymous"))
        if self.backer_id:
            return str(self.backer)
        return self.backer_name

    @property
    def backer_key(self) -> str:
        """Who this backer is, for counting distinct backers."""
        if self.backer_id:
            return f"user:{self.backer_id}"
        if self.backer_email:
            return f"email:{self.backer_email.lower()}"
        return f"pledge:{self.pk}"


class PledgeEvent(models.Model):
    """Append-only history of a pledge, from after its creation: the pledge's
    row says when it was made and for how much, and its reward claim which
    reward it asked for (older pledges also have a "created" event, from
    before that rule)."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.pledge_id} · {self.kind}"


class ReceiptQuerySet(models.QuerySet):
    def issued(self):
        """Receipts with their PDF, the ones that can be downloaded. A
        donation receipt's row (with its number) is written before its PDF
        is rendered, so a row may wait for its file for the time of a
        render, or until a retry when the render failed."""
        return self.exclude(file="")


class Receipt(models.Model):
    """A PDF receipt, rendered once by a task and kept."""

    class Kind(models.TextChoices):
        PLEDGE = "pledge", _("Pledge receipt")
        DONATION = "donation", _("Donation receipt")

    pledge = models.ForeignKey(
        Pledge, on_delete=models.PROTECT, related_name="receipts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=20, blank=True)
    file = models.FileField(upload_to="receipts/%Y/")
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "kind"], name="receipt_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.pk}"


class ReceiptSequence(models.Model):
    """The last donation receipt number of a community in a year (gapless)."""

    community = models.ForeignKey(
        "participation.Community", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"], name="receipt_sequence_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.year}: {self.last_number}"


class MatchRound(models.Model):
    """A sponsor's pool that matches the pledges of a set of campaigns."""

    class Mode(models.TextChoices):
        RATIO = "ratio", _("Match each pledge (1:1 or another factor)")
        QUADRATIC = "quadratic", _("Quadratic funding (many small backers weigh more)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Allocated")

    community = models.ForeignKey(
        "participation.Community", on_delete=models.PROTECT, related_name="match_rounds"
    )
    title = models.CharField(_("title"), max_length=200)
    sponsor = models.CharField(_("sponsor"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    pool_cents = models.BigIntegerField(_("pool (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    factor_percent = models.PositiveIntegerField(
        _("match factor (%)"),
        default=100,
        help_text=_("100 matches each euro with one euro, 200 with two."),
    )
    cap_per_pledge_cents = models.BigIntegerField(
        _("cap per pledge (cents)"), null=True, blank=True
    )
    cap_per_campaign_cents = models.BigIntegerField(
        _("cap per campaign (cents)"), null=True, blank=True
    )
    campaigns = models.ManyToManyField(Campaign, related_name="match_rounds")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("match round")
        verbose_name_plural = _("match rounds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pool_cents__gt=0), name="match_pool_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaigns:match-round", kwargs={"pk": self.pk})

    @property
    def account_code(self) -> str:
        return f"match_pool:{self.pk}"


class MatchAllocation(models.Model):
    """What a closed round gave one campaign, and the figures behind it."""

    round = models.ForeignKey(
        MatchRound, on_delete=models.PROTECT, related_name="allocations"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="match_allocations"
    )
    backers = models.PositiveIntegerField()
    pledged_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()
    capped = models.BooleanField(default=False)
    weight = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["round", "-amount_cents", "campaign"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "campaign"], name="match_allocation_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="match_allocation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} → {self.campaign_id}: {self.amount_cents}"
