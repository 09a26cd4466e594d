"""Expenses: submitted -> approved (a second person) -> paid from the fund.

Each transition is one service that locks the expense row, re-checks its
status, saves with ``update_fields`` and appends an ExpenseEvent. Refusals
raise an AccountabilityError and write nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_money
from participation.models import Project
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account

from .. import ledger, permissions
from ..exceptions import (
    AccountabilityError,
    ExpenseStateError,
    InsufficientFunds,
    NotAllowed,
    SecondPersonRequired,
)
from ..models import Expense, ExpenseEvent
from ..receipts import receipt_clean

S = Expense.Status
TRANSITIONS = {
    S.SUBMITTED: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.PAID, S.REJECTED},
    S.PAID: set(),
    S.REJECTED: set(),
}


def _lock(expense: Expense) -> Expense:
    # of=("self",): only the expense row; the project and community rows are
    # read, not locked (payments from one fund serialise on its Account row).
    return (
        Expense.objects.select_for_update(of=("self",))
        .select_related("project__process__community")
        .get(pk=expense.pk)
    )


def _move(expense: Expense, status: str) -> None:
    if status not in TRANSITIONS[expense.status]:
        raise ExpenseStateError(
            _("This expense is %(status)s: it cannot be %(next)s now.")
            % {
                "status": expense.get_status_display().lower(),
                "next": S(status).label.lower(),
            }
        )
    expense.status = status


def _event(expense: Expense, kind: str, actor, **detail) -> None:
    ExpenseEvent.objects.create(expense=expense, kind=kind, actor=actor, detail=detail)


def expense_submit(
    *,
    project: Project,
    supplier: str,
    description: str,
    amount_cents: int,
    spent_on: datetime.date,
    receipt,
    submitted_by,
) -> Expense:
    """A staff member of the project's community submits an expense with its
    receipt (checked and cleaned by ``receipts.receipt_clean``). Raises
    NotAllowed, ReceiptInvalid or AccountabilityError; nothing is written then."""
    if not permissions.can_submit_expense(submitted_by, project.process.community):
        raise NotAllowed(_("Only the staff of the community can submit expenses."))
    if amount_cents < 1:
        raise AccountabilityError(_("An expense is at least one cent."))
    if spent_on > timezone.localdate():
        raise AccountabilityError(_("The date of an expense cannot be in the future."))
    file, content_type = receipt_clean(receipt)
    expense = Expense(
        project=project,
        supplier=supplier,
        description=description,
        amount_cents=amount_cents,
        spent_on=spent_on,
        receipt_content_type=content_type,
        submitted_by=submitted_by,
    )
    expense.receipt.save(file.name, file, save=False)
    try:
        with transaction.atomic():
            expense.save(force_insert=True)
            _event(expense, "submitted", submitted_by, amount_cents=amount_cents)
    except Exception:
        # No row points at the stored file: do not leave it behind.
        expense.receipt.delete(save=False)
        raise
    return expense


def expense_approve(*, expense: Expense, approved_by) -> Expense:
    """A manager or admin of the community who did not submit it approves it."""
    with transaction.atomic():
        locked = _lock(expense)
        community = locked.project.process.community
        if not permissions.can_approve_expense(approved_by, community):
            raise NotAllowed(
                _("Only a manager or an admin of the community can approve expenses.")
            )
        if locked.submitted_by_id == approved_by.pk:
            raise SecondPersonRequired(
                _("You submitted this expense: a second person must approve it.")
            )
        _move(locked, S.APPROVED)
        locked.approved_by, locked.approved_at = approved_by, timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        _event(locked, "approved", approved_by)
    return locked


def expense_reject(*, expense: Expense, rejected_by, reason: str) -> Expense:
    """A manager or admin turns down a submitted or approved (unpaid) expense."""
    with transaction.atomic():
        locked = _lock(expense)
        community = locked.project.process.community
        if not permissions.can_approve_expense(rejected_by, community):
            raise NotAllowed(
                _("Only a manager or an admin of the community can reject expenses.")
            )
        if not reason.strip():
            raise AccountabilityError(_("Say why the expense is rejected."))
        _move(locked, S.REJECTED)
        locked.rejected_by, locked.rejection_reason = rejected_by, reason.strip()[:500]
        locked.save(update_fields=["status", "rejected_by", "rejection_reason"])
        _event(locked, "rejected", rejected_by, reason=locked.rejection_reason)
    return locked


def expense_pay(*, expense: Expense, paid_by) -> Expense:
    """Pay an approved expense from the project's fund.

    Locks the expense row, then the fund's Account row (the stable row every
    payment from that fund goes through), so payments from one fund run one
    after the other; the fund's balance is read (a sum of entries) only once
    the lock is held. Posts exactly one balanced transaction, kind ``expense``,
    source ``expense:<pk>``: debit ``project_fund:<project>`` (it holds less),
    credit ``expenses:<community>``. Raises InsufficientFunds if the fund holds
    less than the expense at that moment; nothing is written then.
    """
    with transaction.atomic():
        locked = _lock(expense)
        project = locked.project
        community = project.process.community
        if not permissions.can_pay_expense(paid_by, community):
            raise NotAllowed(
                _("Only a manager or an admin of the community can pay expenses.")
            )
        _move(locked, S.PAID)
        fund = account_get(
            ledger.fund_code(project.pk),
            kind=Account.Kind.PROJECT_FUND,
            name=str(project)[:200],
        )
        payout = account_get(
            ledger.expenses_code(community.pk),
            kind=Account.Kind.EXPENSES,
            name=f"Expenses · {community.name}"[:200],
        )
        fund = Account.objects.select_for_update().get(pk=fund.pk)
        held = -account_balance(fund)  # the fund holds a credit balance
        if locked.amount_cents > held:
            raise InsufficientFunds(
                _(
                    "The project's fund holds %(held)s, less than the %(amount)s "
                    "of this expense."
                )
                % {
                    "held": format_money(held, locked.currency),
                    "amount": format_money(locked.amount_cents, locked.currency),
                }
            )
        ledger_post(
            kind=ledger.EXPENSE,
            source_type="expense",
            source_id=locked.pk,
            lines=[Line(fund, locked.amount_cents), Line(payout, -locked.amount_cents)],
            memo=f"expense {locked.pk} to {locked.supplier}"[:255],
            currency=locked.currency,
        )
        locked.paid_by, locked.paid_at = paid_by, timezone.now()
        locked.save(update_fields=["status", "paid_by", "paid_at"])
        _event(locked, "paid", paid_by, amount_cents=locked.amount_cents)
    return locked
