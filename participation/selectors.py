from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from .models import (
    Ballot,
    Community,
    Membership,
    Participant,
    Process,
    Project,
    Proposal,
    PurchaseVote,
    Role,
    Section,
    Support,
)


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


# --- processes ------------------------------------------------------------------


def process_list_public() -> QuerySet[Process]:
    return (
        Process.objects.filter(community__is_public=True)
        .exclude(phase="draft")
        .select_related("community")
        .order_by("-created_at")
    )


def process_counts(process: Process) -> dict[str, int]:
    """Public figures of a process; per-project vote totals are not among them."""
    return {
        "proposals": process.proposals.count(),
        "assemblies": process.assemblies.count(),
        "attendance": process.assemblies.aggregate(n=Sum("attendance"))["n"] or 0,
        "projects": process.projects.filter(
            feasibility=Project.Feasibility.FEASIBLE
        ).count(),
        "ballots": process.ballots.count(),
    }


def ballot_of(process: Process, user) -> Ballot | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Ballot.objects.filter(process=process, user=user)
        .prefetch_related("items__project")
        .first()
    )


def proposal_list(process: Process, *, user=None) -> list[Proposal]:
    from .services.proposals import support_totals

    totals = support_totals(process)
    mine = set()
    if getattr(user, "is_authenticated", False):
        mine = set(
            Support.objects.filter(proposal__process=process, user=user).values_list(
                "proposal", flat=True
            )
        )
    proposals = list(
        process.proposals.select_related(
            "author_user",
            "author_participant",
            "category",
            "section",
            "assembly",
            "project",
        )
    )
    for proposal in proposals:
        proposal.support_total = totals.get(proposal.pk, 0)
        proposal.supported_by_me = proposal.pk in mine
    return proposals


def supports_left(process: Process, user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    used = Support.objects.filter(proposal__process=process, user=user).count()
    return max(process.support_max_per_voter - used, 0)


def project_list(process: Process) -> QuerySet[Project]:
    return process.projects.select_related("section", "category").prefetch_related(
        Prefetch(
            "source_proposals",
            queryset=Proposal.objects.select_related(
                "author_user", "author_participant"
            ),
        )
    )


def ballot_projects(process: Process) -> QuerySet[Project]:
    return process.projects.filter(feasibility=Project.Feasibility.FEASIBLE).order_by(
        "code"
    )


def results_for_display(process: Process) -> dict | None:
    """The stored result, ready for the results page (None before the close)."""
    result = getattr(process, "result", None)
    if process.phase != "results" or result is None:
        return None
    from .services.results import result_rows

    return result_rows(process, result)


def money_supporters(process: Process) -> list[dict]:
    """The "supporters with money" ranking: distinct backers per project."""
    from . import market_votes

    ranking = market_votes.supporters_ranking(process)
    if not ranking:
        return []
    titles = dict(process.projects.values_list("code", "title"))
    return [
        {"code": code, "title": titles.get(code, code), "backers": count}
        for code, count in ranking
    ]


# --- purchase votes ---------------------------------------------------------------


def purchase_votes_of(buyer) -> QuerySet[PurchaseVote]:
    """The buyer's purchase votes, newest first, ready for their votes page."""
    if not getattr(buyer, "is_authenticated", False):
        return PurchaseVote.objects.none()
    return (
        PurchaseVote.objects.filter(buyer=buyer)
        .select_related("process__community")
        .prefetch_related(
            Prefetch("projects", queryset=Project.objects.order_by("code"))
        )
        .order_by("-created_at", "-pk")
    )


def purchase_vote_by_source(source: str) -> PurchaseVote | None:
    """The vote an order granted (the shop's key, ``"order:123"``), if any."""
    return PurchaseVote.objects.select_related("process").filter(source=source).first()


def purchase_vote_candidates(process_ids) -> dict[int, list[Project]]:
    """The projects one can vote for, per process, in one query."""
    grouped: dict[int, list[Project]] = {pk: [] for pk in process_ids}
    for project in Project.objects.filter(
        process_id__in=grouped, feasibility=Project.Feasibility.FEASIBLE
    ).order_by("process_id", "code"):
        grouped[project.process_id].append(project)
    return grouped


def purchase_vote_ballots(process: Process, *, codes=None) -> list:
    """The purchase votes of a process as weighted approval ballots (one query).

    Only active votes with projects chosen; how they group and weigh is the
    process's ``purchase_votes`` mode (``services.purchase_votes``).
    """
    from .services.purchase_votes import purchase_ballots

    if process.purchase_votes == "off":
        return []
    by_vote: dict[int, tuple[int, int, set[str]]] = {}
    for pk, buyer_id, cents, code in PurchaseVote.projects.through.objects.filter(
        purchasevote__process=process,
        purchasevote__status=PurchaseVote.Status.ACTIVE,
    ).values_list(
        "purchasevote_id",
        "purchasevote__buyer_id",
        "purchasevote__amount_cents",
        "project__code",
    ):
        by_vote.setdefault(pk, (buyer_id, cents, set()))[2].add(code)
    return purchase_ballots(
        process,
        [(pk, b, cents, chosen) for pk, (b, cents, chosen) in by_vote.items()],
        codes=codes,
    )
