"""Replay a real election: a pabulib file becomes a process with its results."""

from fractions import Fraction

from django.db import transaction
from django.utils.text import slugify

from ..exceptions import ProcessError
from ..models import Ballot, BallotItem, Community, Process, Project
from ..models.process import OutcomeRule, Phase
from ..rules import PabulibError, parse_pb
from .results import results_compute

BATCH = 5000


def _cents(value, what: str) -> int:
    cents = Fraction(value) * 100
    if cents.denominator != 1:
        raise ProcessError(f"{what} has a fraction of a cent: {value}")
    return int(cents)


@transaction.atomic
def process_import_pb(
    *,
    community: Community,
    source,
    rule: str = OutcomeRule.MES_ADD1,
    slug: str | None = None,
) -> Process:
    """Create a process in its results phase from a pabulib file and count it.

    Ballots are imported anonymous (no voter) and read as approvals. Raises
    ProcessError for a malformed file or one that cannot be kept in cents;
    nothing is created then.
    """
    try:
        election = parse_pb(source)
    except PabulibError as error:
        raise ProcessError(f"malformed .pb file: {error}") from error
    if rule not in OutcomeRule.values:
        raise ProcessError(f"unknown rule {rule!r}")
    meta = election.meta
    title = " ".join(
        filter(None, [meta.get("unit"), meta.get("instance"), meta.get("subunit")])
    )
    title = title or meta.get("description") or "Imported election"
    slug = slug or slugify(title)[:70] or "imported"
    if community.processes.filter(slug=slug).exists():
        raise ProcessError(f"a process {slug!r} already exists in {community}")
    for project in election.projects:
        if len(project.id) > 20:
            raise ProcessError(
                f"project id {project.id!r} is longer than 20 characters"
            )
    budget = _cents(election.budget, "the budget")
    if budget <= 0:
        raise ProcessError("the budget must be more than zero")
    process = Process.objects.create(
        community=community,
        title=title[:200],
        slug=slug,
        description=meta.get("description", "")[:2000],
        budget_cents=budget,
        currency=(meta.get("currency") or "EUR")[:3].upper(),
        phase=Phase.RESULTS,
        proposals_enabled=False,
        support_enabled=False,
        codesign_enabled=False,
        ballot_kind="approval",
        approval_min=0,
        approval_max=max((len(a) for a in election.approvals), default=1),
        outcome_rule=rule,
    )
    projects = {}
    for project in election.projects:
        projects[project.id] = Project.objects.create(
            process=process,
            code=project.id,
            title=(project.name or project.id)[:200],
            description=project.name or "",
            cost_cents=max(_cents(project.cost, f"the cost of {project.id}"), 1),
            feasibility=Project.Feasibility.FEASIBLE,
        )
    weights = election.weights or [1] * len(election.approvals)
    for start in range(0, len(election.approvals), BATCH):
        chunk = election.approvals[start : start + BATCH]
        ballots = Ballot.objects.bulk_create(
            Ballot(process=process, channel=Ballot.Channel.IMPORTED, weight=int(w))
            for w in weights[start : start + BATCH]
        )
        BallotItem.objects.bulk_create(
            BallotItem(ballot=ballot, project=projects[pid])
            for ballot, approved in zip(ballots, chunk, strict=True)
            for pid in approved
        )
    results_compute(process=process)
    return process
