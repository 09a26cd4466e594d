"""Paper ballots: typed twice by two facilitators, compared, then counted."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import PaperBatchError, ParticipationError
from ..models import Assembly, PaperBatch, PaperEntry, Process
from ..models.process import Phase
from .community import voter_code_normalise
from .voting import ballot_cast


@dataclass(frozen=True)
class Difference:
    position: int
    first: PaperEntry | None
    second: PaperEntry | None
    resolved: PaperEntry | None


def paper_batch_open(
    *, process: Process, assembly: Assembly, label: str, actor
) -> PaperBatch:
    if process.phase != Phase.VOTE:
        raise PaperBatchError(_("Paper ballots are keyed while the vote is open."))
    if assembly.process_id != process.pk:
        raise PaperBatchError(_("The assembly belongs to another process."))
    return PaperBatch.objects.create(
        process=process, assembly=assembly, label=label, created_by=actor
    )


def _clean_choices(batch: PaperBatch, choices: dict[str, int]) -> dict[str, int]:
    codes = set(batch.process.projects.values_list("code", flat=True))
    cleaned = {}
    for code, points in choices.items():
        code = code.strip().upper()
        if code not in codes:
            raise PaperBatchError(
                _("There is no project %(code)s on this ballot.") % {"code": code}
            )
        if int(points) > 0:
            cleaned[code] = int(points)
    return dict(sorted(cleaned.items()))


@transaction.atomic
def paper_entry_key(
    *,
    batch: PaperBatch,
    keying: int,
    position: int,
    voter_code: str,
    choices: dict[str, int],
    actor,
) -> PaperEntry:
    """Type (or re-type) one sheet in keying 1 or 2.

    The two keyings of a batch must be done by two different facilitators.
    """
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != PaperBatch.Status.KEYING:
        raise PaperBatchError(_("This batch was already counted."))
    if keying not in (1, 2):
        raise PaperBatchError(_("A batch is keyed twice: first or second keying."))
    if position < 1:
        raise PaperBatchError(_("Sheet numbers start at 1."))
    other = (
        batch.entries.filter(keying=3 - keying)
        .values_list("keyed_by", flat=True)
        .first()
    )
    if other is not None and other == actor.pk:
        raise PaperBatchError(
            _(
                "You typed the other keying of this batch: a second facilitator "
                "must type this one."
            )
        )
    entry, _created = PaperEntry.objects.update_or_create(
        batch=batch,
        keying=keying,
        position=position,
        defaults={
            "voter_code": voter_code_normalise(voter_code),
            "choices": _clean_choices(batch, choices),
            "keyed_by": actor,
        },
    )
    return entry


def paper_batch_differences(batch: PaperBatch) -> list[Difference]:
    """Every sheet where the two keyings disagree (or one is missing)."""
    by_position: dict[int, dict[int, PaperEntry]] = {}
    for entry in batch.entries.all():
        by_position.setdefault(entry.position, {})[entry.keying] = entry
    differences = []
    for position in sorted(by_position):
        versions = by_position[position]
        first, second = versions.get(1), versions.get(2)
        same = (
            first is not None
            and second is not None
            and first.voter_code == second.voter_code
            and first.choices == second.choices
        )
        if not same:
            differences.append(Difference(position, first, second, versions.get(0)))
    return differences


@transaction.atomic
def paper_entry_resolve(
    *, batch: PaperBatch, position: int, voter_code: str, choices: dict[str, int], actor
) -> PaperEntry:
    """Record what the sheet really says where the two keyings differ."""
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != PaperBatch.Status.KEYING:
        raise PaperBatchError(_("This batch was already counted."))
    if position not in {d.position for d in paper_batch_differences(batch)}:
        raise PaperBatchError(
            _("Sheet %(n)s has no difference to resolve.") % {"n": position}
        )
    entry, _created = PaperEntry.objects.update_or_create(
        batch=batch,
        keying=0,
        position=position,
        defaults={
            "voter_code": voter_code_normalise(voter_code),
            "choices": _clean_choices(batch, choices),
            "keyed_by": actor,
        },
    )
    return entry


@transaction.atomic
def paper_batch_accept(*, batch: PaperBatch, actor) -> dict[str, int]:
    """Count a batch whose two keyings agree (or whose differences are resolved).

    Each sheet becomes a paper ballot of the participant whose code it carries;
    a sheet with an unknown or spent code, or that breaks the rules, is
    rejected with its reason (as a spoiled ballot would be). Returns
    ``{"counted": n, "rejected": m}``. Raises PaperBatchError while differences
    are unresolved; then nothing is counted.
    """
    batch = (
        PaperBatch.objects.select_for_update()
        .select_related("process")
        .get(pk=batch.pk)
    )
    if batch.status != PaperBatch.Status.KEYING:
        raise PaperBatchError(_("This batch was already counted."))
    open_differences = [
        d.position for d in paper_batch_differences(batch) if d.resolved is None
    ]
    if open_differences:
        raise PaperBatchError(
            _(
                "Sheets %(positions)s differ between the two keyings: "
                "resolve them first."
            )
            % {"positions": ", ".join(map(str, open_differences))}
        )
    if not batch.entries.exists():
        raise PaperBatchError(_("This batch has no sheet yet."))
    resolved = {e.position: e for e in batch.entries.filter(keying=0)}
    finals = [resolved.get(e.position, e) for e in batch.entries.filter(keying=1)]
    finals += [
        e for pos, e in resolved.items() if pos not in {f.position for f in finals}
    ]
    codes = dict(batch.process.projects.values_list("code", "pk"))
    summary = {"counted": 0, "rejected": 0}
    for entry in sorted(finals, key=lambda e: e.position):
        try:
            with transaction.atomic():
                ballot_cast(
                    process=batch.process,
                    choices={
                        codes[code]: points for code, points in entry.choices.items()
                    },
                    voter_code=entry.voter_code,
                    channel="paper",
                    paper_entry=entry,
                )
        except ParticipationError as error:
            entry.outcome, entry.outcome_reason = (
                PaperEntry.Outcome.REJECTED,
                str(error)[:200],
            )
            summary["rejected"] += 1
        else:
            entry.outcome, entry.outcome_reason = PaperEntry.Outcome.COUNTED, ""
            summary["counted"] += 1
        entry.save(update_fields=["outcome", "outcome_reason"])
    batch.status, batch.accepted_by, batch.accepted_at = (
        PaperBatch.Status.ACCEPTED,
        actor,
        timezone.now(),
    )
    batch.save(update_fields=["status", "accepted_by", "accepted_at"])
    return summary
