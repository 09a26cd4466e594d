from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Community, Membership, Participant, Role, Section


def community_list_public() -> QuerySet[Community]:
    return (
        Community.objects.filter(is_public=True)
        .annotate(
            participant_count=Count("participants", distinct=True)
            + Count(
                "memberships",
                filter=Q(memberships__role=Role.PARTICIPANT),
                distinct=True,
            ),
            section_count=Count("sections", distinct=True),
        )
        .order_by("name")
    )


def community_list_open() -> QuerySet[Community]:
    return Community.objects.filter(is_public=True, open_membership=True).order_by(
        "name"
    )


def community_sections(community: Community) -> QuerySet[Section]:
    return community.sections.annotate(participant_count=Count("participants"))


def community_facilitators(community: Community) -> QuerySet[Membership]:
    return (
        community.memberships.filter(role__in=[Role.FACILITATOR, Role.ADMIN])
        .select_related("user")
        .order_by("user__display_name")
    )


def community_participants(community: Community) -> QuerySet[Participant]:
    return community.participants.select_related("section").order_by(
        "section__name", "pseudonym"
    )


def user_communities(user) -> list[dict]:
    """The user's communities, each with the list of roles held there."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("community")
        .order_by("community__name", "role")
    )
    grouped: dict[int, dict] = {}
    for membership in memberships:
        entry = grouped.setdefault(
            membership.community_id,
            {
                "community": membership.community,
                "roles": [],
                "since": membership.created_at,
            },
        )
        entry["roles"].append(membership.get_role_display())
        entry["since"] = min(entry["since"], membership.created_at)
    return list(grouped.values())


def community_members(community: Community) -> QuerySet[Membership]:
    return community.memberships.select_related("user").order_by("role", "user__email")


def sections_with_participants(community: Community):
    return community.sections.prefetch_related(
        Prefetch("participants", queryset=Participant.objects.order_by("pseudonym"))
    )
