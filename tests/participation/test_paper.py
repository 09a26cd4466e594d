import pytest
from django.utils import translation

from participation.exceptions import PaperBatchError
from participation.models import Ballot, PaperEntry
from participation.services import (
    paper_batch_accept,
    paper_batch_differences,
    paper_batch_open,
    paper_entry_key,
    paper_entry_resolve,
    voter_code_issue,
)
from tests.factories import (
    AssemblyFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English here; the Italian ones are checked in the
    # view and browser tests.
    with translation.override("en"):
        yield


@pytest.fixture
def batch():
    process = ProcessFactory(phase="vote", approval_min=1, approval_max=2)
    for code in ("P01", "P02", "P03"):
        ProjectFactory(process=process, code=code)
    assembly = AssemblyFactory(process=process)
    first, second = UserFactory(), UserFactory()
    batch = paper_batch_open(
        process=process, assembly=assembly, label="Reparto A", actor=first
    )
    codes = [
        voter_code_issue(participant=ParticipantFactory(community=process.community))
        for _ in range(3)
    ]
    return batch, first, second, codes


def _key_both(batch, first, second, sheets):
    for position, (code, one, two) in enumerate(sheets, start=1):
        paper_entry_key(
            batch=batch,
            keying=1,
            position=position,
            voter_code=code,
            choices=one,
            actor=first,
        )
        paper_entry_key(
            batch=batch,
            keying=2,
            position=position,
            voter_code=code,
            choices=two,
            actor=second,
        )


def test_the_same_facilitator_cannot_type_both_keyings(batch):
    batch, first, _second, codes = batch
    paper_entry_key(
        batch=batch,
        keying=1,
        position=1,
        voter_code=codes[0],
        choices={"P01": 1},
        actor=first,
    )

    with pytest.raises(PaperBatchError, match="second facilitator"):
        paper_entry_key(
            batch=batch,
            keying=2,
            position=1,
            voter_code=codes[0],
            choices={"P01": 1},
            actor=first,
        )

    assert PaperEntry.objects.filter(keying=2).count() == 0


def test_differences_are_listed_and_block_the_count_until_resolved(batch):
    batch, first, second, codes = batch
    _key_both(
        batch,
        first,
        second,
        [(codes[0], {"P01": 1}, {"P01": 1}), (codes[1], {"P02": 1}, {"P03": 1})],
    )
    paper_entry_key(
        batch=batch,
        keying=1,
        position=3,
        voter_code=codes[2],
        choices={"P01": 1},
        actor=first,
    )

    differences = paper_batch_differences(batch)
    assert [d.position for d in differences] == [2, 3]
    assert differences[1].second is None
    with pytest.raises(PaperBatchError, match="Sheets 2, 3 differ"):
        paper_batch_accept(batch=batch, actor=first)
    assert not Ballot.objects.exists()

    paper_entry_resolve(
        batch=batch, position=2, voter_code=codes[1], choices={"P03": 1}, actor=first
    )
    paper_entry_key(
        batch=batch,
        keying=2,
        position=3,
        voter_code=codes[2],
        choices={"P01": 1},
        actor=second,
    )
    summary = paper_batch_accept(batch=batch, actor=first)

    assert summary == {"counted": 3, "rejected": 0}
    ballots = Ballot.objects.order_by("paper_entry__position")
    assert [
        sorted(b.items.values_list("project__code", flat=True)) for b in ballots
    ] == [
        ["P01"],
        ["P03"],
        ["P01"],
    ]
    assert {b.channel for b in ballots} == {"paper"}


def test_a_sheet_with_a_spent_or_unknown_code_is_rejected_with_its_reason(batch):
    batch, first, second, codes = batch
    _key_both(
        batch,
        first,
        second,
        [
            (codes[0], {"P01": 1}, {"P01": 1}),
            (codes[0], {"P02": 1}, {"P02": 1}),
            ("ZZZZ-9999", {"P01": 1}, {"P01": 1}),
            (codes[1], {"P01": 1, "P02": 1, "P03": 1}, {"P01": 1, "P02": 1, "P03": 1}),
        ],
    )

    summary = paper_batch_accept(batch=batch, actor=first)

    assert summary == {"counted": 1, "rejected": 3}
    reasons = list(
        PaperEntry.objects.filter(keying=1)
        .order_by("position")
        .values_list("outcome", "outcome_reason")
    )
    assert reasons[0] == ("counted", "")
    assert [r[0] for r in reasons[1:]] == ["rejected"] * 3
    assert Ballot.objects.count() == 1


def test_a_counted_batch_cannot_be_changed(batch):
    batch, first, second, codes = batch
    _key_both(batch, first, second, [(codes[0], {"P01": 1}, {"P01": 1})])
    paper_batch_accept(batch=batch, actor=first)

    with pytest.raises(PaperBatchError):
        paper_entry_key(
            batch=batch,
            keying=1,
            position=2,
            voter_code=codes[1],
            choices={"P01": 1},
            actor=first,
        )
    with pytest.raises(PaperBatchError):
        paper_batch_accept(batch=batch, actor=first)


def test_an_unknown_project_code_on_a_sheet_is_refused(batch):
    batch, first, _second, codes = batch

    with pytest.raises(PaperBatchError, match="P99"):
        paper_entry_key(
            batch=batch,
            keying=1,
            position=1,
            voter_code=codes[0],
            choices={"P99": 1},
            actor=first,
        )
