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


class ExpenseEvent(models.Model):
    """Append-only history of an expense: who did what, when."""

    expense = models.ForeignKey(
        Expense, on_delete=models.CASCADE, related_name="events"
    )
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
