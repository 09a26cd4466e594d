"""Double-entry books in integer cents.

An entry's ``amount_cents`` is signed: positive is a debit, negative a credit.
The entries of one transaction sum to zero (checked by ``ledger_post`` and, on
PostgreSQL, by a deferred constraint trigger at commit). A balance is always
a sum of entries: no row keeps a running total, so concurrent postings never
wait on a shared "hot" row.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind(models.TextChoices):
        CLEARING = "clearing", _("Payments clearing")
        OFFLINE = "offline", _("Offline money (cash desk, bank)")
        CAMPAIGN = "campaign", _("Campaign")
        PROJECT_FUND = "project_fund", _("Project fund")
        MATCH_POOL = "match_pool", _("Match funding pool")
        REINVESTMENT_POOL = "reinvestment_pool", _("Profit reinvestment pool")
        SHOP_SALES = "shop_sales", _("Shop sales")
        FEES = "fees", _("Processor fees")
        PLATFORM = "platform", _("Platform")
        REFUNDS = "refunds", _("Refunds")
        DISPUTES = "disputes", _("Disputes")
        EXPENSES = "expenses", _("Expenses")
        EXTERNAL = "external", _("Money from outside (sponsors, profits)")

    code = models.CharField(_("code"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class LedgerTransaction(models.Model):
    """One money event, posted once: ``(source_type, source_id, kind)`` is unique."""

    kind = models.CharField(_("kind"), max_length=40)
    source_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=80)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"],
                name="ledger_txn_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_type}:{self.source_id}"


class Entry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries"
    )
    amount_cents = models.BigIntegerField()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="ledger_entry_not_zero"
            )
        ]
        indexes = [models.Index(fields=["account", "transaction"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_cents:+d}"
