from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import NotEligible, ProcessError, SupportLimitReached, WrongPhase
from ..models import (
    Assembly,
    Participant,
    Process,
    Project,
    Proposal,
    Role,
    Support,
    SupportTally,
)
from ..models.process import Phase
from ..permissions import is_member
from .images import image_strip_metadata


def _require_phase(process: Process, *phases: str) -> None:
    if process.phase not in phases:
        raise WrongPhase(
            _("This cannot be done now: the process is in its “%(phase)s” phase.")
            % {"phase": process.get_phase_display()}
        )


def assembly_record(
    *,
    process: Process,
    held_on,
    attendance: int,
    facilitators,
    section=None,
    place: str = "",
    notes: str = "",
) -> Assembly:
    if section is not None and section.community_id != process.community_id:
        raise ProcessError(_("The ward belongs to another community."))
    with transaction.atomic():
        assembly = Assembly.objects.create(
            process=process,
            held_on=held_on,
            section=section,
            place=place,
            attendance=attendance,
            notes=notes,
        )
        assembly.facilitators.set(facilitators)
    return assembly


def proposal_create(
    *,
    process: Process,
    title: str,
    description: str,
    category=None,
    section=None,
    estimated_cost_cents: int | None = None,
    image=None,
    author_user=None,
    author_participant: Participant | None = None,
    assembly: Assembly | None = None,
) -> Proposal:
    """An online proposal (``author_user``) or a paper one typed in by a facilitator
    (``assembly`` and optionally a pseudonymous ``author_participant``)."""
    _require_phase(process, Phase.PROPOSALS)
    if author_user is not None and not is_member(author_user, process.community):
        raise NotEligible(_("Only members of the community can propose."))
    if (
        author_participant is not None
        and author_participant.community_id != process.community_id
    ):
        raise ProcessError(_("The author belongs to another community."))
    if assembly is not None and assembly.process_id != process.pk:
        raise ProcessError(_("The assembly belongs to another process."))
    if estimated_cost_cents is not None and estimated_cost_cents < 0:
        raise ProcessError(_("The cost cannot be negative."))
    if category is not None and category.process_id != process.pk:
        raise ProcessError(_("The category belongs to another process."))
    if section is not None and section.community_id != process.community_id:
        raise ProcessError(_("The area belongs to another community."))
    clean_image = image_strip_metadata(image) if image else None
    proposal = Proposal(
        process=process,
        title=title.strip(),
        description=description.strip(),
        category=category,
        section=section,
        estimated_cost_cents=estimated_cost_cents,
        author_user=author_user,
        author_participant=author_participant,
        assembly=assembly,
    )
    if clean_image is not None:
        proposal.image.save(clean_image.name, clean_image, save=False)
    proposal.save()
    return proposal


def _lock_user(user):
    # One row per supporter: serialises one person's supports without
    # blocking anybody else's.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def support_toggle(*, proposal: Proposal, user) -> bool:
    """Support a proposal, or take the support back. Returns True if now supported.

    Locks the user's row so that two quick clicks cannot exceed the limit.
    Raises WrongPhase, NotEligible or SupportLimitReached; nothing changes then.
    """
    process = proposal.process
    _require_phase(process, Phase.SUPPORT)
    if not is_member(user, process.community):
        raise NotEligible(_("Only members of the community can support proposals."))
    _lock_user(user)
    existing = Support.objects.filter(proposal=proposal, user=user).first()
    if existing is not None:
        existing.delete()
        return False
    used = Support.objects.filter(proposal__process=process, user=user).count()
    if used >= process.support_max_per_voter:
        raise SupportLimitReached(
            ngettext(
                "You already support %(count)s proposal, the most allowed. "
                "Take it back first.",
                "You already support %(count)s proposals, the most allowed. "
                "Take one back first.",
                used,
            )
            % {"count": used}
        )
    try:
        with transaction.atomic():
            Support.objects.create(proposal=proposal, user=user)
    except IntegrityError:
        pass  # the same support arrived twice at once: it exists, as asked
    return True


def support_tally_record(
    *, proposal: Proposal, assembly: Assembly, count: int, actor
) -> SupportTally:
    _require_phase(proposal.process, Phase.SUPPORT)
    if assembly.process_id != proposal.process_id:
        raise ProcessError(_("The assembly belongs to another process."))
    if count < 0:
        raise ProcessError(_("A count cannot be negative."))
    tally, _created = SupportTally.objects.update_or_create(
        proposal=proposal,
        assembly=assembly,
        defaults={"count": count, "recorded_by": actor},
    )
    return tally


@transaction.atomic
def support_tallies_record(*, assembly: Assembly, counts: dict, actor) -> None:
    """Record the supports an assembly counted for each proposal, all or none."""
    for proposal, count in counts.items():
        support_tally_record(
            proposal=proposal, assembly=assembly, count=count, actor=actor
        )


def support_totals(process: Process) -> dict[int, int]:
    online = dict(
        process.proposals.annotate(n=Count("supports")).values_list("pk", "n")
    )
    paper = dict(
        SupportTally.objects.filter(proposal__process=process)
        .values("proposal")
        .annotate(n=Sum("count"))
        .values_list("proposal", "n")
    )
    return {pk: online.get(pk, 0) + paper.get(pk, 0) for pk in online}


def eligible_voter_count(process: Process) -> int:
    community = process.community
    members = (
        community.memberships.filter(role=Role.PARTICIPANT)
        .values("user")
        .distinct()
        .count()
    )
    return members + community.participants.count()


def support_close(*, process: Process) -> list[Proposal]:
    """Decide which proposals pass to co-design (called when support ends).

    Count: at least ``support_threshold`` supports. Share: at least that percent
    of the community's participants. Top: the ``support_threshold`` most
    supported (ties at the cut all pass). Proposers of passing proposals are
    their delegates.
    """
    totals = support_totals(process)
    candidates = process.proposals.filter(status=Proposal.Status.SUBMITTED)
    mode, threshold = process.support_pass_mode, process.support_threshold
    if mode == "count":
        passing = {
            pk
            for pk in candidates.values_list("pk", flat=True)
            if totals[pk] >= threshold
        }
    elif mode == "share":
        needed = threshold * eligible_voter_count(process) / 100
        passing = {
            pk for pk in candidates.values_list("pk", flat=True) if totals[pk] >= needed
        }
    else:
        ranked = sorted(
            candidates.values_list("pk", flat=True), key=lambda pk: -totals[pk]
        )
        cut = totals[ranked[threshold - 1]] if len(ranked) >= threshold else 0
        passing = {pk for pk in ranked if totals[pk] >= max(cut, 1)}
    candidates.filter(pk__in=passing).update(status=Proposal.Status.PASSED)
    candidates.exclude(pk__in=passing).update(status=Proposal.Status.NOT_PASSED)
    return list(process.proposals.filter(pk__in=passing))


@transaction.atomic
def project_create(
    *,
    process: Process,
    code: str,
    title: str,
    description: str,
    cost_cents: int,
    proposals: list[Proposal],
    section=None,
    category=None,
    reward_plan: str = "",
) -> Project:
    """Merge one or more passing proposals into a project (co-design).

    Each proposal keeps a link to the project it went into; a proposal goes
    into one project at most.
    """
    _require_phase(process, Phase.CODESIGN)
    if cost_cents <= 0:
        raise ProcessError(_("A project must have a cost above zero."))
    if not proposals:
        raise ProcessError(_("Choose at least one proposal to start from."))
    allowed = (
        Proposal.Status.PASSED if process.support_enabled else Proposal.Status.SUBMITTED
    )
    locked = list(
        Proposal.objects.select_for_update()
        .filter(pk__in=[p.pk for p in proposals])
        .order_by("pk")
    )
    for proposal in locked:
        if proposal.process_id != process.pk:
            raise ProcessError(_("A proposal belongs to another process."))
        if proposal.status != allowed:
            raise ProcessError(
                _("“%(title)s” did not pass the support phase.")
                % {"title": proposal.title}
            )
        if proposal.project_id is not None:
            raise ProcessError(
                _("“%(title)s” is already part of a project.")
                % {"title": proposal.title}
            )
    project = Project.objects.create(
        process=process,
        code=code,
        title=title,
        description=description,
        cost_cents=cost_cents,
        section=section,
        category=category,
        reward_plan=reward_plan,
    )
    Proposal.objects.filter(pk__in=[p.pk for p in locked]).update(project=project)
    return project


def project_assess(
    *,
    project: Project,
    feasibility: str,
    reason: str = "",
    cost_cents: int | None = None,
) -> Project:
    _require_phase(project.process, Phase.CODESIGN)
    if feasibility not in Project.Feasibility.values:
        raise ProcessError(_("Unknown feasibility verdict."))
    if feasibility == Project.Feasibility.NOT_FEASIBLE and not reason.strip():
        raise ProcessError(_("Say why the project is not feasible."))
    if cost_cents is not None:
        if cost_cents <= 0:
            raise ProcessError(_("A project must have a cost above zero."))
        project.cost_cents = cost_cents
    project.feasibility = feasibility
    project.feasibility_reason = reason.strip()
    project.save(update_fields=["feasibility", "feasibility_reason", "cost_cents"])
    return project
