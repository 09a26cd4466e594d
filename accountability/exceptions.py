"""Refusals of the accountability services; their messages are for people.

When a service raises one of these, it has written nothing.
"""


class AccountabilityError(Exception):
    """Base of every refusal in this app."""


class NotAllowed(AccountabilityError):
    """The person does not hold a role that may do this in the community."""


class SecondPersonRequired(AccountabilityError):
    """The one who submitted an expense cannot also approve it."""


class ExpenseStateError(AccountabilityError):
    """The expense is not in a status that allows this step."""


class InsufficientFunds(AccountabilityError):
    """The project's fund holds less than the expense costs."""


class ReceiptInvalid(AccountabilityError):
    """The uploaded receipt is not an acceptable JPEG, PNG or PDF."""


class MilestoneInvalid(AccountabilityError):
    """The milestone's status and progress do not agree."""


class PeriodInvalid(AccountabilityError):
    """The declared figures, dates or label of a results period do not hold."""


class PeriodStateError(AccountabilityError):
    """The results period is not in a status that allows this step."""


class CommitTooLarge(AccountabilityError):
    """The share to reinvest is more than the period's declared profit."""


class ProposalChanged(AccountabilityError):
    """Something changed since the allocation was proposed: look at it again."""
