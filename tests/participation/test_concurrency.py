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
