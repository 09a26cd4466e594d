"""The writes of the accountability app (one module per concern)."""

from .expenses import (
    expense_approve,
    expense_pay,
    expense_reject,
    expense_submit,
)
from .grants import grant_record
from .milestones import milestone_create, milestone_update
from .reinvestment import (
    period_allocate,
    period_allocation_propose,
    period_commit,
    period_declare,
)

__all__ = [
    "expense_approve",
    "expense_pay",
    "expense_reject",
    "expense_submit",
    "grant_record",
    "milestone_create",
    "milestone_update",
    "period_allocate",
    "period_allocation_propose",
    "period_commit",
    "period_declare",
]
