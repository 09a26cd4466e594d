"""Races on PostgreSQL (row locks do nothing on SQLite): paying from one fund."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connections

from accountability import services
from accountability.models import Expense
from payments.ledger import account_balance
from payments.models import LedgerTransaction
from tests.factories import ProjectFactory

from .conftest import approved, assert_books_balance, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(calls):
    barrier = Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
            return "ok"
        except Exception as error:  # noqa: BLE001 - the outcome is counted
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return sorted(pool.map(run, calls))


def test_two_payments_at_once_that_together_exceed_the_fund_pay_only_one(
    project, facilitator, manager, admin
):
    # A few rounds, each on its own fund: a single round may not overlap.
    projects = [project] + [
        ProjectFactory(process=project.process, code=f"R{n}") for n in range(4)
    ]
    for each in projects:
        fund(each, 2000)
        first = approved(each, facilitator, manager, amount_cents=1200)
        second = approved(each, facilitator, manager, amount_cents=1100)

        outcomes = _race(
            [
                lambda first=first: services.expense_pay(
                    expense=first, paid_by=manager
                ),
                lambda second=second: services.expense_pay(
                    expense=second, paid_by=admin
                ),
            ]
        )

        assert outcomes == ["InsufficientFunds", "ok"]
        paid = Expense.objects.get(project=each, status="paid")
        assert Expense.objects.filter(project=each, status="approved").count() == 1
        assert account_balance(f"project_fund:{each.pk}") == -(2000 - paid.amount_cents)
    assert LedgerTransaction.objects.filter(kind="expense").count() == len(projects)
    assert_books_balance()


def test_many_payments_at_once_never_overdraw_the_fund(project, facilitator, manager):
    fund(project, 5000)
    expenses = [
        approved(project, facilitator, manager, amount_cents=700) for _ in range(10)
    ]

    outcomes = _race(
        [
            (lambda e=e: services.expense_pay(expense=e, paid_by=manager))
            for e in expenses
        ]
    )

    assert outcomes.count("ok") == 7  # 7 x 7 € fit in 50 €, the eighth does not
    assert outcomes.count("InsufficientFunds") == 3
    assert account_balance(f"project_fund:{project.pk}") == -100
    assert LedgerTransaction.objects.filter(kind="expense").count() == 7
    assert_books_balance()


def test_the_same_expense_paid_twice_at_once_is_paid_once(
    project, facilitator, manager
):
    fund(project, 5000)
    expense = approved(project, facilitator, manager, amount_cents=1200)

    outcomes = _race(
        [lambda: services.expense_pay(expense=expense, paid_by=manager)] * 2
    )

    assert outcomes == ["ExpenseStateError", "ok"]
    assert account_balance(f"project_fund:{project.pk}") == -3800
    assert_books_balance()
