from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.money import format_money

from ..exceptions import BallotInvalid, NotEligible, VoteClosed
from ..models import Ballot, BallotItem, Participant, Process, Project
from ..models.process import BallotKind, Phase
from ..permissions import is_member
from .community import voter_code_redeem
from .locks import process_lock_shared


def ballot_validate(*, process: Process, choices: dict[int, int]) -> dict[int, int]:
    """Check a ballot ``{project pk: points}`` against the process rules.

    Returns the cleaned ballot (only positive points). Raises BallotInvalid with
    every problem stated so the voter can fix them all at once.
    """
    projects = {
        p.pk: p
        for p in process.projects.filter(feasibility=Project.Feasibility.FEASIBLE)
    }
    errors: list[str] = []
    cleaned: dict[int, int] = {}
    for pk, points in choices.items():
        if pk not in projects:
            errors.append(_("One of the choices is not a project on this ballot."))
            continue
        if points < 0:
            errors.append(_("Points cannot be negative."))
            continue
        if points:
            cleaned[pk] = points
    kind = process.ballot_kind
    if kind == BallotKind.APPROVAL:
        if any(points != 1 for points in cleaned.values()):
            errors.append(_("On this ballot a project is chosen or not: no points."))
        count = len(cleaned)
        if count < process.approval_min:
            errors.append(
                ngettext(
                    "Choose at least %(min)s project.",
                    "Choose at least %(min)s projects.",
                    process.approval_min,
                )
                % {"min": process.approval_min}
            )
        if count > process.approval_max:
            errors.append(
                ngettext(
                    "Choose at most %(max)s project (you chose %(count)s).",
                    "Choose at most %(max)s projects (you chose %(count)s).",
                    process.approval_max,
                )
                % {"max": process.approval_max, "count": count}
            )
    elif kind == BallotKind.CUMULATIVE:
        total = sum(cleaned.values())
        if total == 0:
            errors.append(_("Give your points to at least one project."))
        if total > process.points_total:
            errors.append(
                _("You gave %(total)s points: the most is %(max)s.")
                % {"total": total, "max": process.points_total}
            )
        over = [
            projects[pk].code
            for pk, pts in cleaned.items()
            if pts > process.points_max_per_project
        ]
        if over:
            errors.append(
                _("At most %(max)s points per project (too many on %(codes)s).")
                % {
                    "max": process.points_max_per_project,
                    "codes": ", ".join(sorted(over)),
                }
            )
    else:  # knapsack
        if any(points != 1 for points in cleaned.values()):
            errors.append(_("On this ballot a project is chosen or not: no points."))
        total = sum(projects[pk].cost_cents for pk in cleaned if pk in projects)
        if not cleaned:
            errors.append(_("Choose at least one project."))
        if total > process.budget_cents:
            errors.append(
                _("Your choices cost %(total)s: the budget is %(budget)s.")
                % {
                    "total": format_money(total, process.currency),
                    "budget": format_money(process.budget_cents, process.currency),
                }
            )
    if errors:
        raise BallotInvalid(list(dict.fromkeys(errors)))
    return cleaned


def _require_open_vote(process: Process) -> None:
    if process.phase != Phase.VOTE:
        raise VoteClosed(_("Voting is not open in this process."))
    if process.vote_ends_on and timezone.localdate() > process.vote_ends_on:
        raise VoteClosed(
            _("The vote closed on %(date)s.")
            % {"date": date_format(process.vote_ends_on, "DATE_FORMAT")}
        )


@transaction.atomic
def ballot_cast(
    *,
    process: Process,
    choices: dict[int, int],
    user=None,
    voter_code: str | None = None,
    channel: str | None = None,
    participant: Participant | None = None,
    paper_entry=None,
) -> Ballot:
    """Cast or replace a ballot, atomically.

    A user may change their ballot until the vote closes (the items are replaced
    in one transaction). A voter code is spent by the same transaction that
    stores its ballot, so a refused ballot leaves the code unused. Holds a shared
    lock on the process so the rules cannot change meanwhile.

    Raises VoteClosed, NotEligible, BallotInvalid (and the voter-code errors).
    """
    locked = process_lock_shared(process.pk)
    _require_open_vote(locked)
    cleaned = ballot_validate(process=locked, choices=choices)
    if user is not None:
        if not is_member(user, locked.community):
            raise NotEligible(
                _("Only members of %(community)s can vote.")
                % {"community": locked.community}
            )
        ballot = (
            Ballot.objects.select_for_update().filter(process=locked, user=user).first()
        )
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = Ballot.objects.create(
                        process=locked, user=user, channel=Ballot.Channel.ONLINE
                    )
            except IntegrityError as error:
                raise BallotInvalid(
                    [_("Your ballot was sent twice at once: reload the page.")]
                ) from error
        else:
            ballot.items.all().delete()
            ballot.save(update_fields=["updated_at"])
    else:
        if participant is None:
            participant = voter_code_redeem(
                community=locked.community, code=voter_code or ""
            )
        if Ballot.objects.filter(process=locked, participant=participant).exists():
            raise BallotInvalid([_("This person has already voted in this process.")])
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(
                    process=locked,
                    participant=participant,
                    channel=channel or Ballot.Channel.CODE,
                    paper_entry=paper_entry,
                )
        except IntegrityError as error:
            raise BallotInvalid(
                [_("This person has already voted in this process.")]
            ) from error
    BallotItem.objects.bulk_create(
        BallotItem(ballot=ballot, project_id=pk, points=points)
        for pk, points in cleaned.items()
    )
    return ballot
