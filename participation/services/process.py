from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import ProcessError, RulesFrozen, WrongPhase
from ..models import Community, Process, ProcessEvent, Project, Proposal
from ..models.process import BallotKind, OutcomeRule, Phase, PurchaseVoteMode
from .locks import process_lock

RULE_FIELDS = (
    "ballot_kind",
    "approval_min",
    "approval_max",
    "points_total",
    "points_max_per_project",
    "outcome_rule",
    "market_votes",
    "market_vote_weight",
    "purchase_votes",
    "purchase_votes_per_euro_cap",
    "purchase_vote_weight",
)


def process_create(
    *, community: Community, title: str, slug: str, budget_cents: int, **options
) -> Process:
    if budget_cents <= 0:
        raise ProcessError(_("The budget must be more than zero."))
    process = Process(
        community=community,
        title=title,
        slug=slug,
        budget_cents=budget_cents,
        **options,
    )
    _rules_check(process)
    process.full_clean(exclude=["community"])
    process.save()
    return process


def _rules_check(process: Process) -> None:
    if process.ballot_kind not in BallotKind.values:
        raise ProcessError(_("Unknown ballot kind."))
    if process.outcome_rule not in OutcomeRule.values:
        raise ProcessError(_("Unknown outcome rule."))
    if process.approval_min > process.approval_max:
        raise ProcessError(_("The minimum number of choices is above the maximum."))
    if process.points_max_per_project > process.points_total:
        raise ProcessError(
            _("The points per project are more than the points to share.")
        )
    if process.purchase_votes not in PurchaseVoteMode.values:
        raise ProcessError(_("Unknown way of counting purchases as votes."))
    if process.purchase_votes_per_euro_cap < 1:
        raise ProcessError(_("A buyer must be able to count at least one vote."))
    if process.purchase_vote_weight < 1:
        raise ProcessError(_("A purchase vote must weigh at least 1."))


@transaction.atomic
def process_rules_update(*, process: Process, actor, **rules) -> Process:
    """Change the vote rules. Locks the process (waits for ballots being cast).

    Raises RulesFrozen once any ballot or purchase vote exists (how purchases
    count is a vote rule too), ProcessError for inconsistent rules; in both
    cases nothing changes.
    """
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ProcessError(f"not vote rules: {sorted(unknown)}")
    locked = process_lock(process.pk)
    if locked.ballots.exists():
        count = locked.ballots.count()
        raise RulesFrozen(
            ngettext(
                "The vote rules cannot change: %(count)s ballot was already cast "
                "with them.",
                "The vote rules cannot change: %(count)s ballots were already cast "
                "with them.",
                count,
            )
            % {"count": count}
        )
    if locked.purchase_votes_granted.exists():
        count = locked.purchase_votes_granted.count()
        raise RulesFrozen(
            ngettext(
                "The vote rules cannot change: %(count)s purchase already gave a "
                "vote with them.",
                "The vote rules cannot change: %(count)s purchases already gave a "
                "vote with them.",
                count,
            )
            % {"count": count}
        )
    before = {field: getattr(locked, field) for field in RULE_FIELDS}
    for field, value in rules.items():
        setattr(locked, field, value)
    _rules_check(locked)
    locked.save(update_fields=list(rules))
    ProcessEvent.objects.create(
        process=locked,
        kind="rules_changed",
        actor=actor,
        detail={
            "before": before,
            "after": {f: getattr(locked, f) for f in RULE_FIELDS},
        },
    )
    return locked


@transaction.atomic
def process_advance(*, process: Process, actor) -> Process:
    """Move the process to its next enabled phase and do what that implies.

    Leaving support decides which proposals pass; entering the vote needs
    feasible projects (made from proposals when co-design is off); entering
    results counts the ballots with the outcome rule. Raises WrongPhase or
    ProcessError; then nothing changes.
    """
    from .proposals import support_close
    from .results import results_compute

    locked = process_lock(process.pk)
    target = locked.next_phase
    if target is None:
        raise WrongPhase(_("This process is already at its last phase."))
    leaving = locked.phase
    if leaving == Phase.SUPPORT:
        support_close(process=locked)
    if target == Phase.VOTE:
        _projects_ready_for_vote(locked)
    if target == Phase.RESULTS:
        open_batches = locked.paper_batches.filter(status="keying").count()
        if open_batches:
            raise ProcessError(
                ngettext(
                    "%(count)s paper batch is still being keyed: count it first.",
                    "%(count)s paper batches are still being keyed: count them first.",
                    open_batches,
                )
                % {"count": open_batches}
            )
    locked.phase = target
    locked.save(update_fields=["phase"])
    if target == Phase.RESULTS:
        results_compute(process=locked)
    ProcessEvent.objects.create(
        process=locked,
        kind="phase_changed",
        actor=actor,
        detail={"from": leaving, "to": target},
    )
    process.phase = locked.phase
    return locked


def _projects_ready_for_vote(process: Process) -> None:
    if not process.codesign_enabled and not process.projects.exists():
        status = (
            Proposal.Status.PASSED
            if process.support_enabled
            else Proposal.Status.SUBMITTED
        )
        for index, proposal in enumerate(
            process.proposals.filter(status=status, estimated_cost_cents__gt=0), start=1
        ):
            project = Project.objects.create(
                process=process,
                code=f"P{index:02d}",
                title=proposal.title,
                description=proposal.description,
                section=proposal.section,
                category=proposal.category,
                cost_cents=proposal.estimated_cost_cents,
                feasibility=Project.Feasibility.FEASIBLE,
            )
            proposal.project = project
            proposal.save(update_fields=["project"])
    if not process.projects.filter(feasibility=Project.Feasibility.FEASIBLE).exists():
        raise ProcessError(_("No feasible project yet: the vote cannot open."))
