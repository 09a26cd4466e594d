from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connections

from participation.exceptions import VoterCodeAlreadyUsed
from participation.services import voter_code_issue, voter_code_redeem
from tests.factories import ParticipantFactory

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_voter_code_used_at_the_same_moment_by_many_succeeds_once():
    participant = ParticipantFactory()
    code = voter_code_issue(participant=participant)
    barrier = Barrier(THREADS)

    def attempt(_):
        barrier.wait()
        try:
            voter_code_redeem(community=participant.community, code=code)
            return "ok"
        except VoterCodeAlreadyUsed:
            return "used"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(attempt, range(THREADS)))

    assert sorted(outcomes) == ["ok"] + ["used"] * (THREADS - 1)


def _race(count, attempt):
    barrier = Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return attempt(index)
        except Exception as error:  # noqa: BLE001 - the outcome is what we count
            return type(error).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_ballots_of_one_person_leave_exactly_one_ballot():
    from participation.models import Ballot, BallotItem
    from participation.services import ballot_cast
    from tests.factories import MembershipFactory, ProcessFactory, ProjectFactory

    process = ProcessFactory(phase="vote", approval_min=1, approval_max=1)
    projects = [ProjectFactory(process=process) for _ in range(THREADS)]
    voter = MembershipFactory(community=process.community).user

    outcomes = _race(
        THREADS,
        lambda i: (
            ballot_cast(process=process, user=voter, choices={projects[i].pk: 1})
            and "ok"
        ),
    )

    assert Ballot.objects.count() == 1
    assert BallotItem.objects.count() == 1
    assert outcomes.count("ok") >= 1
    assert set(outcomes) <= {"ok", "BallotInvalid"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_supports_never_exceed_the_limit():
    from participation.models import Support
    from participation.services import support_toggle
    from tests.factories import MembershipFactory, ProcessFactory, ProposalFactory

    process = ProcessFactory(phase="support", support_max_per_voter=3)
    proposals = ProposalFactory.create_batch(THREADS, process=process)
    voter = MembershipFactory(community=process.community).user

    outcomes = _race(
        THREADS, lambda i: support_toggle(proposal=proposals[i], user=voter)
    )

    assert Support.objects.filter(user=voter).count() == 3
    assert (
        sorted(map(str, outcomes))
        == ["SupportLimitReached"] * (THREADS - 3) + ["True"] * 3
    )
