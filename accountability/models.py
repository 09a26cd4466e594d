"""What happened after the vote: milestones and expenses of funded projects.

No amount of money is stored here except what one expense costs: what a
project's fund received, spent and holds is always read from the ledger
(``payments``), as sums of entries on ``project_fund:<project pk>``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Milestone(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    project = models.ForeignKey(
        "participation.Project",
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("project"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "position", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100),
                name="milestone_progress_at_most_100",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(progress_percent=100),
                name="milestone_done_is_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def receipt_upload_to(instance, filename: str) -> str:
    # The name is ours (see receipts.receipt_clean), never the uploader's.
    return f"accountability/receipts/{instance.project_id}/{filename}"


class Expense(models.Model):
    """Money a project spent, with its receipt; paid from the project's fund.

    submitted -> approved (by a second person) -> paid (one ledger transaction);
    submitted or approved -> rejected. See ``services.expenses``.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(
        "participation.Project",
        on_delete=models.PROTECT,
        related_name="expenses",
        verbose_name=_("project"),
    )
    supplier = models.CharField(_("supplier"), max_length=200)
    description = models.TextField(_("description"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    spent_on = models.DateField(_("date"))
    receipt = models.FileField(_("receipt"), upload_to=receipt_upload_to)
    receipt_content_type = models.CharField(max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="expense_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | ~Q(approved_by=F("submitted_by")),
                name="expense_approved_by_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"])
                | Q(approved_by__isnull=False),
                name="expense_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="expense_paid_has_date",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.amount_cents} {self.currency}"

    @property
    def is_public(self) -> bool:
        return self.status in {self.Status.APPROVED, self.Status.PAID}


class Event(models.Model):
    """An append-only history row: what happened (``kind``), who did it,
    the details, when."""

    kind = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ExpenseEvent(Event):
    """Append-only history of an expense: who did what, when."""

    expense = models.ForeignKey(
        Expense, on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = _("expense event")
        verbose_name_plural = _("expense events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.expense_id} · {self.kind}"


class Grant(models.Model):
    """Public budget given to a project (by the municipality, a school...).

    Recorded by a community admin; its money is one ledger transaction of
    kind ``grant`` from ``external:grant:<community pk>`` to the project fund.
    """

    project = models.ForeignKey(
        "participation.Project",
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("project"),
    )
    grantor = models.CharField(_("given by"), max_length=200)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    reference = models.CharField(_("reference (decision, act)"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("public budget grant")
        verbose_name_plural = _("public budget grants")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="grant_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grantor} · {self.amount_cents} {self.currency}"


# --- profit reinvestment --------------------------------------------------------


class ResultsPeriod(models.Model):
    """An enterprise's accounting period and what it did with its profit.

    declared (figures per partner) -> committed (a share of the profit moved
    into the community's reinvestment pool: one ledger transaction) ->
    allocated (the pool paid into the winning projects' funds, in the order
    of the ``process``'s outcome: one ledger transaction). ``draft`` is kept
    for periods prepared by hand in the admin; the services start at
    ``declared``. See ``services.reinvestment``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        DECLARED = "declared", _("Declared")
        COMMITTED = "committed", _("Share committed")
        ALLOCATED = "allocated", _("Allocated")

    community = models.ForeignKey(
        "participation.Community",
        on_delete=models.PROTECT,
        related_name="results_periods",
        verbose_name=_("community"),
    )
    label = models.CharField(_("label"), max_length=40)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    process = models.ForeignKey(
        "participation.Process",
        on_delete=models.PROTECT,
        related_name="results_periods",
        verbose_name=_("process whose outcome decides"),
    )
    # The consortium's total profit as declared (its figures row without a
    # section), kept here so that a constraint can hold the commitment to it.
    profit_cents = models.BigIntegerField(_("profit (cents)"), default=0)
    committed_cents = models.BigIntegerField(_("committed (cents)"), default=0)
    currency = models.CharField(max_length=3, default="EUR")
    notes = models.TextField(_("notes"), blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    declared_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("results period")
        verbose_name_plural = _("results periods")
        ordering = ["community", "-ends_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "label"], name="period_label_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="period_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(committed_cents__gte=0),
                name="period_committed_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(committed_cents=0)
                | Q(committed_cents__lte=F("profit_cents")),
                name="period_committed_at_most_profit",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["committed", "allocated"])
                | Q(committed_cents__gt=0),
                name="period_committed_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="allocated") | Q(allocated_at__isnull=False),
                name="period_allocated_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} · {self.label}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(
            "accountability:period",
            kwargs={"slug": self.community.slug, "label": self.label},
        )


class PeriodFigures(models.Model):
    """Revenue and costs of one partner in a period; the row without a section
    is the consortium as a whole (see ``services.reinvestment.period_declare``).
    The profit is computed, never stored: revenue minus costs."""

    period = models.ForeignKey(
        ResultsPeriod, on_delete=models.CASCADE, related_name="figures"
    )
    section = models.ForeignKey(
        "participation.Section",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    revenue_cents = models.BigIntegerField(_("revenue (cents)"))
    costs_cents = models.BigIntegerField(_("costs (cents)"))

    class Meta:
        verbose_name = _("period figures")
        verbose_name_plural = _("period figures")
        ordering = ["period", "section__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue_cents__gte=0), name="figures_revenue_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(costs_cents__gte=0), name="figures_costs_not_negative"
            ),
            models.UniqueConstraint(
                fields=["period", "section"], name="figures_one_row_per_partner"
            ),
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(section__isnull=True),
                name="figures_one_total_row",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.section_id or 'total'}"

    @property
    def profit_cents(self) -> int:
        return self.revenue_cents - self.costs_cents


class PeriodAllocation(models.Model):
    """What one winning project got from the period's reinvestment, and why.

    One row per winner of the process, in the outcome's order (``position``
    1, 2, ...), written when the manager confirms; a winner the pool did not
    reach has a row with 0 cents, so the statement can say so.
    """

    class Outcome(models.TextChoices):
        FULL = "full", _("Fully funded")
        PARTIAL = "partial", _("Partly funded")
        ALREADY = "already", _("Already funded")
        NOT_REACHED = "not_reached", _("Not reached")

    period = models.ForeignKey(
        ResultsPeriod, on_delete=models.CASCADE, related_name="allocations"
    )
    project = models.ForeignKey(
        "participation.Project", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("position"))
    cost_cents = models.BigIntegerField(_("cost (cents)"))
    needed_cents = models.BigIntegerField(_("still needed (cents)"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)

    class Meta:
        verbose_name = _("period allocation")
        verbose_name_plural = _("period allocations")
        ordering = ["period", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="allocation_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__lte=F("needed_cents")),
                name="allocation_at_most_needed",
            ),
            models.UniqueConstraint(
                fields=["period", "project"], name="allocation_once_per_project"
            ),
            models.UniqueConstraint(
                fields=["period", "position"], name="allocation_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.position} · {self.amount_cents}"

    @property
    def reason(self) -> str:
        from .services.reinvestment import allocation_reason

        return allocation_reason(
            position=self.position,
            cost_cents=self.cost_cents,
            needed_cents=self.needed_cents,
            amount_cents=self.amount_cents,
            outcome=self.outcome,
            currency=self.period.currency,
        )


class PeriodEvent(Event):
    """Append-only history of a results period: who did what, when."""

    period = models.ForeignKey(
        ResultsPeriod, on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.period_id} · {self.kind}"
