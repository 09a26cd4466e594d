"""The writes of the accountability app (one module per concern)."""

from .expenses import (
    expense_approve,
    expense_pay,
    expense_reject,
    expense_submit,
)
from .grants import grant_record
from .milestones import milestone_create, milestone_update

__all__ = [
    "expense_approve",
    "expense_pay",
    "expense_reject",
    "expense_submit",
    "grant_record",
    "milestone_create",
    "milestone_update",
]
