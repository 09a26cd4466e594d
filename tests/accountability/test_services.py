"""Expenses, grants and milestones: who may do what, and the money it moves."""

import pytest
from django.db import IntegrityError, transaction

from accountability import services
from accountability.exceptions import (
    AccountabilityError,
    ExpenseStateError,
    InsufficientFunds,
    MilestoneInvalid,
    NotAllowed,
    SecondPersonRequired,
)
from accountability.models import Expense, ExpenseEvent, Grant, Milestone
from payments.ledger import account_balance
from payments.models import Entry, LedgerTransaction

from .conftest import SPENT_ON, approved, assert_books_balance, fund, submitted

pytestmark = pytest.mark.django_db


def _events(expense):
    return list(expense.events.values_list("kind", "actor_id"))


# --- submitting ---------------------------------------------------------------


def test_a_facilitator_submits_an_expense_with_its_receipt(project, facilitator):
    expense = submitted(project, facilitator, amount_cents=1234)

    expense.refresh_from_db()
    assert (expense.status, expense.amount_cents, expense.supplier) == (
        "submitted",
        1234,
        "Vivaio Rossi",
    )
    assert expense.spent_on == SPENT_ON
    assert expense.receipt_content_type == "application/pdf"
    assert expense.receipt.name.startswith(f"accountability/receipts/{project.pk}/")
    assert "ricevuta" not in expense.receipt.name  # the uploader's name is not kept
    assert _events(expense) == [("submitted", facilitator.pk)]
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("who", ["participant", "outsider"])
def test_only_staff_submit_expenses(request, project, who):
    with pytest.raises(NotAllowed):
        submitted(project, request.getfixturevalue(who))

    assert not Expense.objects.exists()
    assert not ExpenseEvent.objects.exists()


def test_an_expense_of_zero_cents_is_refused(project, facilitator):
    with pytest.raises(AccountabilityError):
        submitted(project, facilitator, amount_cents=0)

    assert not Expense.objects.exists()


# --- approving ----------------------------------------------------------------


def test_a_manager_who_did_not_submit_it_approves_it(project, facilitator, manager):
    expense = services.expense_approve(
        expense=submitted(project, facilitator), approved_by=manager
    )

    expense.refresh_from_db()
    assert expense.status == "approved"
    assert expense.approved_by == manager
    assert expense.approved_at is not None
    assert _events(expense) == [
        ("submitted", facilitator.pk),
        ("approved", manager.pk),
    ]


def test_the_submitter_cannot_approve_their_own_expense(project, manager):
    expense = submitted(project, manager)

    with pytest.raises(SecondPersonRequired):
        services.expense_approve(expense=expense, approved_by=manager)

    expense.refresh_from_db()
    assert (expense.status, expense.approved_by) == ("submitted", None)
    assert _events(expense) == [("submitted", manager.pk)]


@pytest.mark.parametrize("who", ["facilitator", "participant", "outsider"])
def test_only_a_manager_or_an_admin_approves(request, project, admin, who):
    expense = submitted(project, admin)

    with pytest.raises(NotAllowed):
        services.expense_approve(
            expense=expense, approved_by=request.getfixturevalue(who)
        )

    expense.refresh_from_db()
    assert expense.status == "submitted"
    assert _events(expense) == [("submitted", admin.pk)]


def test_the_database_refuses_an_approval_by_the_submitter(project, manager):
    expense = submitted(project, manager)

    with pytest.raises(IntegrityError), transaction.atomic():
        Expense.objects.filter(pk=expense.pk).update(
            status="approved", approved_by=manager
        )


def test_an_approved_expense_cannot_be_approved_again(
    project, facilitator, manager, admin
):
    expense = approved(project, facilitator, manager)

    with pytest.raises(ExpenseStateError):
        services.expense_approve(expense=expense, approved_by=admin)

    expense.refresh_from_db()
    assert expense.approved_by == manager


# --- paying -------------------------------------------------------------------


def test_paying_posts_one_balanced_transaction_from_the_fund(
    project, community, facilitator, manager
):
    fund(project, 2000)
    expense = approved(project, facilitator, manager, amount_cents=1200)
    before = LedgerTransaction.objects.count()

    paid = services.expense_pay(expense=expense, paid_by=manager)

    assert paid.status == "paid"
    assert LedgerTransaction.objects.count() == before + 1
    txn = LedgerTransaction.objects.get(kind="expense")
    assert (txn.source_type, txn.source_id) == ("expense", str(expense.pk))
    assert sorted(txn.entries.values_list("account__code", "amount_cents")) == [
        (f"expenses:{community.pk}", -1200),
        (f"project_fund:{project.pk}", 1200),
    ]
    assert account_balance(f"project_fund:{project.pk}") == -800
    assert account_balance(f"expenses:{community.pk}") == -1200
    expense.refresh_from_db()
    assert (expense.status, expense.paid_by) == ("paid", manager)
    assert [kind for kind, _ in _events(expense)] == ["submitted", "approved", "paid"]
    assert_books_balance()


def test_an_expense_that_spends_the_whole_fund_is_paid(project, facilitator, manager):
    fund(project, 1200)
    expense = approved(project, facilitator, manager, amount_cents=1200)

    services.expense_pay(expense=expense, paid_by=manager)

    assert account_balance(f"project_fund:{project.pk}") == 0
    assert_books_balance()


def test_an_expense_above_what_the_fund_holds_is_refused_and_nothing_is_written(
    project, facilitator, manager
):
    fund(project, 1199)
    expense = approved(project, facilitator, manager, amount_cents=1200)
    entries = Entry.objects.count()

    with pytest.raises(InsufficientFunds):
        services.expense_pay(expense=expense, paid_by=manager)

    assert Entry.objects.count() == entries
    assert not LedgerTransaction.objects.filter(kind="expense").exists()
    assert account_balance(f"project_fund:{project.pk}") == -1199
    expense.refresh_from_db()
    assert (expense.status, expense.paid_at, expense.paid_by) == (
        "approved",
        None,
        None,
    )
    assert [kind for kind, _ in _events(expense)] == ["submitted", "approved"]
    assert_books_balance()


def test_two_expenses_cannot_together_spend_more_than_the_fund(
    project, facilitator, manager
):
    fund(project, 2000)
    first = approved(project, facilitator, manager, amount_cents=1200)
    second = approved(project, facilitator, manager, amount_cents=900)

    services.expense_pay(expense=first, paid_by=manager)
    with pytest.raises(InsufficientFunds):
        services.expense_pay(expense=second, paid_by=manager)

    assert account_balance(f"project_fund:{project.pk}") == -800
    assert LedgerTransaction.objects.filter(kind="expense").count() == 1
    assert_books_balance()


def test_an_expense_is_paid_once(project, facilitator, manager):
    fund(project, 5000)
    expense = approved(project, facilitator, manager, amount_cents=1200)
    services.expense_pay(expense=expense, paid_by=manager)

    with pytest.raises(ExpenseStateError):
        services.expense_pay(expense=expense, paid_by=manager)

    assert LedgerTransaction.objects.filter(kind="expense").count() == 1
    assert account_balance(f"project_fund:{project.pk}") == -3800


def test_an_expense_not_approved_cannot_be_paid(project, facilitator, manager):
    fund(project, 5000)
    expense = submitted(project, facilitator)

    with pytest.raises(ExpenseStateError):
        services.expense_pay(expense=expense, paid_by=manager)

    assert not LedgerTransaction.objects.filter(kind="expense").exists()


def test_a_facilitator_cannot_pay(project, facilitator, manager, admin):
    fund(project, 5000)
    expense = approved(project, admin, manager)

    with pytest.raises(NotAllowed):
        services.expense_pay(expense=expense, paid_by=facilitator)

    assert not LedgerTransaction.objects.filter(kind="expense").exists()


# --- rejecting ----------------------------------------------------------------


def test_a_rejected_expense_keeps_its_reason_and_cannot_be_paid(
    project, facilitator, manager
):
    fund(project, 5000)
    expense = approved(project, facilitator, manager)

    services.expense_reject(expense=expense, rejected_by=manager, reason=" Duplicate ")
    with pytest.raises(ExpenseStateError):
        services.expense_pay(expense=expense, paid_by=manager)

    expense.refresh_from_db()
    assert (expense.status, expense.rejection_reason) == ("rejected", "Duplicate")
    assert not LedgerTransaction.objects.filter(kind="expense").exists()


def test_a_rejection_needs_a_reason(project, facilitator, manager):
    expense = submitted(project, facilitator)

    with pytest.raises(AccountabilityError):
        services.expense_reject(expense=expense, rejected_by=manager, reason="  ")

    expense.refresh_from_db()
    assert expense.status == "submitted"


# --- grants -------------------------------------------------------------------


def test_an_admin_records_a_public_budget_grant_into_the_fund(
    project, community, admin
):
    grant = services.grant_record(
        project=project,
        grantor="Comune di Bollate",
        amount_cents=50_000,
        reference="Delibera 12/2026",
        recorded_by=admin,
    )

    txn = LedgerTransaction.objects.get(kind="grant")
    assert (txn.source_type, txn.source_id) == ("grant", str(grant.pk))
    assert sorted(txn.entries.values_list("account__code", "amount_cents")) == [
        (f"external:grant:{community.pk}", 50_000),
        (f"project_fund:{project.pk}", -50_000),
    ]
    assert account_balance(f"project_fund:{project.pk}") == -50_000
    assert_books_balance()


def test_only_an_admin_records_a_grant(project, manager):
    with pytest.raises(NotAllowed):
        services.grant_record(
            project=project,
            grantor="Comune",
            amount_cents=100,
            reference="x",
            recorded_by=manager,
        )

    assert not Grant.objects.exists()
    assert not LedgerTransaction.objects.exists()


# --- milestones ---------------------------------------------------------------


def test_milestones_are_kept_in_the_order_they_are_added(project, facilitator):
    first = services.milestone_create(
        project=project, title="Progetto", created_by=facilitator
    )
    second = services.milestone_create(
        project=project,
        title="Lavori",
        status="in_progress",
        progress_percent=40,
        created_by=facilitator,
    )

    assert [(m.title, m.position) for m in project.milestones.all()] == [
        ("Progetto", 0),
        ("Lavori", 1),
    ]
    services.milestone_update(
        milestone=first,
        title="Progetto",
        description="",
        due_on=None,
        status="done",
        progress_percent=100,
        position=2,
        updated_by=facilitator,
    )
    assert list(project.milestones.values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


@pytest.mark.parametrize(
    ("status", "percent"), [("done", 50), ("planned", 10), ("in_progress", 101)]
)
def test_status_and_progress_must_agree(project, facilitator, status, percent):
    with pytest.raises(MilestoneInvalid):
        services.milestone_create(
            project=project,
            title="x",
            status=status,
            progress_percent=percent,
            created_by=facilitator,
        )

    assert not Milestone.objects.exists()


def test_a_participant_cannot_edit_milestones(project, participant):
    with pytest.raises(NotAllowed):
        services.milestone_create(project=project, title="x", created_by=participant)

    assert not Milestone.objects.exists()
