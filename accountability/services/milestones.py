import datetime

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from participation.models import Project

from .. import permissions
from ..exceptions import MilestoneInvalid, NotAllowed
from ..models import Milestone

S = Milestone.Status


def _check_progress(status: str, progress_percent: int) -> None:
    if status not in S.values:
        raise MilestoneInvalid(_("Choose a status for the milestone."))
    if not 0 <= progress_percent <= 100:
        raise MilestoneInvalid(_("The progress is a percentage from 0 to 100."))
    if status == S.DONE and progress_percent != 100:
        raise MilestoneInvalid(_("A milestone that is done is 100% done."))
    if status == S.PLANNED and progress_percent != 0:
        raise MilestoneInvalid(_("A planned milestone has not started: 0%."))


def _check_editor(user, project: Project) -> None:
    if not permissions.can_edit_milestones(user, project.process.community):
        raise NotAllowed(_("Only the staff of the community can edit milestones."))


def milestone_create(
    *,
    project: Project,
    title: str,
    description: str = "",
    due_on: datetime.date | None = None,
    status: str = S.PLANNED,
    progress_percent: int = 0,
    created_by,
) -> Milestone:
    """A new milestone, last in the project's order. Raises NotAllowed or
    MilestoneInvalid (nothing written)."""
    _check_editor(created_by, project)
    _check_progress(status, progress_percent)
    with transaction.atomic():
        last = project.milestones.aggregate(n=Max("position"))["n"]
        return Milestone.objects.create(
            project=project,
            title=title,
            description=description,
            due_on=due_on,
            status=status,
            progress_percent=progress_percent,
            position=0 if last is None else last + 1,
            created_by=created_by,
        )


def milestone_update(
    *,
    milestone: Milestone,
    title: str,
    description: str,
    due_on: datetime.date | None,
    status: str,
    progress_percent: int,
    position: int,
    updated_by,
) -> Milestone:
    """Change a milestone (any status to any other: plans change, and the page
    shows the current state). Locks the row; raises NotAllowed or
    MilestoneInvalid (nothing written)."""
    _check_editor(updated_by, milestone.project)
    _check_progress(status, progress_percent)
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
        locked.title, locked.description, locked.due_on = title, description, due_on
        locked.status, locked.progress_percent = status, progress_percent
        locked.position = position
        locked.save(
            update_fields=[
                "title",
                "description",
                "due_on",
                "status",
                "progress_percent",
                "position",
                "updated_at",
            ]
        )
    return locked
