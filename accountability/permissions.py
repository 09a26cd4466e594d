"""Who may do what with a project's milestones, expenses and grants.

Built on ``participation.permissions.community_roles`` (the one place where
memberships are read). A superuser may do everything.

- facilitators, enterprise managers and community admins ("staff") keep the
  milestones and submit expenses;
- managers and admins approve, reject and pay expenses (never the ones they
  submitted themselves: see ``services.expense_approve``);
- admins record public budget grants.
"""

from participation.models import Community, Role
from participation.permissions import community_roles

STAFF_ROLES = frozenset({Role.FACILITATOR, Role.MANAGER, Role.ADMIN})
APPROVING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def is_staff(user, community: Community) -> bool:
    return user.is_superuser or bool(community_roles(user, community) & STAFF_ROLES)


def can_edit_milestones(user, community: Community) -> bool:
    return is_staff(user, community)


def can_submit_expense(user, community: Community) -> bool:
    return is_staff(user, community)


def can_approve_expense(user, community: Community) -> bool:
    return user.is_superuser or bool(community_roles(user, community) & APPROVING_ROLES)


def can_pay_expense(user, community: Community) -> bool:
    return can_approve_expense(user, community)


def can_record_grant(user, community: Community) -> bool:
    return user.is_superuser or Role.ADMIN in community_roles(user, community)
