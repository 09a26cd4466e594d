"""Who may do what in a community: the one place where roles are checked.

Views, templates and services ask these predicates; none of them looks at
``Membership`` rows directly. A superuser may do everything; ``is_staff`` alone
grants nothing here (it is only the key to Django's admin).
"""

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Community, Membership, Role

FACILITATING_ROLES = frozenset({Role.FACILITATOR, Role.ADMIN})
MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def community_roles(user, community: Community) -> frozenset[str]:
    """The roles ``user`` holds in ``community`` (cached on the user per request)."""
    if not user.is_authenticated:
        return frozenset()
    cache = user.__dict__.setdefault("_community_roles", {})
    if community.pk not in cache:
        cache[community.pk] = frozenset(
            Membership.objects.filter(user=user, community=community).values_list(
                "role", flat=True
            )
        )
    return cache[community.pk]


def is_member(user, community: Community) -> bool:
    return bool(community_roles(user, community))


def can_view_community(user, community: Community) -> bool:
    return community.is_public or user.is_superuser or is_member(user, community)


def community_visible_or_404(user, community: Community) -> None:
    """Raise 404 when ``user`` may not see ``community``: a private community,
    and everything in it, does not exist for those outside it."""
    if not can_view_community(user, community):
        raise Http404


def can_facilitate(user, community: Community) -> bool:
    """Run assemblies, keep the pseudonymous roster, issue voter codes."""
    return user.is_superuser or bool(
        community_roles(user, community) & FACILITATING_ROLES
    )


def can_manage_enterprise(user, community: Community) -> bool:
    """Declare profits and reinvest them (enterprise managers)."""
    return user.is_superuser or bool(community_roles(user, community) & MANAGING_ROLES)


def can_manage_members(user, community: Community) -> bool:
    return user.is_superuser or Role.ADMIN in community_roles(user, community)


def can_see_legal_names(user, community: Community) -> bool:
    """Real names of pseudonymous participants: facilitators of that community only."""
    return can_facilitate(user, community)


class CommunityPermissionMixin:
    """Load ``self.community`` from the URL's slug and apply ``permission``.

    Anonymous people are sent to the login page; a logged-in person without
    the role gets 403. A community they may not even see is a 404, so private
    communities do not reveal that they exist.
    """

    permission: Callable[..., bool] = staticmethod(can_view_community)

    def dispatch(self, request, *args, **kwargs):
        self.community = get_object_or_404(Community, slug=kwargs["slug"])
        if not can_view_community(request.user, self.community):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise Http404
        if not self.permission(request.user, self.community):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            community=self.community,
            can_facilitate=can_facilitate(user, self.community),
            can_manage_members=can_manage_members(user, self.community),
        )
        return context
