import datetime

import pytest
from django.utils import translation

from participation.exceptions import (
    BallotInvalid,
    NotEligible,
    ProcessError,
    RulesFrozen,
    SupportLimitReached,
    VoteClosed,
    VoterCodeAlreadyUsed,
    WrongPhase,
)
from participation.models import (
    Ballot,
    BallotItem,
    Process,
    ProcessEvent,
    Proposal,
    Support,
)
from participation.services import (
    ballot_cast,
    process_advance,
    process_rules_update,
    project_assess,
    project_create,
    proposal_create,
    support_tally_record,
    support_toggle,
    voter_code_issue,
)
from tests.factories import (
    AssemblyFactory,
    MembershipFactory,
    ParticipantFactory,
    ProcessFactory,
    ProjectFactory,
    ProposalFactory,
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
def voting():
    process = ProcessFactory(
        phase="vote", budget_cents=100_000, approval_min=1, approval_max=2
    )
    projects = [
        ProjectFactory(process=process, code=f"P0{i}", cost_cents=30_000)
        for i in (1, 2, 3)
    ]
    member = MembershipFactory(community=process.community).user
    return process, projects, member


def test_phases_move_forward_skipping_those_switched_off():
    process = ProcessFactory(support_enabled=False, codesign_enabled=False)
    facilitator = UserFactory()
    ProposalFactory(process=process, estimated_cost_cents=50_000)

    seen = []
    while process.next_phase:
        seen.append(process_advance(process=process, actor=facilitator).phase)

    assert seen == ["proposals", "vote", "results"]
    assert (
        ProcessEvent.objects.filter(process=process, kind="phase_changed").count() == 3
    )
    with pytest.raises(WrongPhase):
        process_advance(process=process, actor=facilitator)


def test_the_vote_cannot_open_without_a_feasible_project():
    process = ProcessFactory(phase="codesign")
    ProjectFactory(
        process=process, feasibility="not_feasible", feasibility_reason="Too costly"
    )

    with pytest.raises(ProcessError, match="No feasible project"):
        process_advance(process=process, actor=UserFactory())

    process.refresh_from_db()
    assert process.phase == "codesign"


def test_vote_rules_are_frozen_from_the_first_ballot(voting):
    process, projects, member = voting
    process_rules_update(process=process, actor=member, approval_max=3)
    ballot_cast(process=process, user=member, choices={projects[0].pk: 1})

    with pytest.raises(RulesFrozen, match="1 ballot was already cast"):
        process_rules_update(
            process=process, actor=member, approval_max=1, outcome_rule="greedy"
        )

    process.refresh_from_db()
    assert (process.approval_max, process.outcome_rule) == (3, "mes-add1")


def test_inconsistent_rules_are_refused_and_nothing_changes(voting):
    process, _projects, member = voting

    with pytest.raises(ProcessError):
        process_rules_update(
            process=process, actor=member, approval_min=4, approval_max=2
        )

    process.refresh_from_db()
    assert (process.approval_min, process.approval_max) == (1, 2)


def test_an_online_proposal_needs_the_proposal_phase_and_membership():
    process = ProcessFactory(phase="proposals")
    outsider = UserFactory()
    member = MembershipFactory(community=process.community).user

    with pytest.raises(NotEligible):
        proposal_create(
            process=process, title="Orto", description="Un orto", author_user=outsider
        )
    proposal = proposal_create(
        process=process,
        title="Orto",
        description="Un orto",
        author_user=member,
        estimated_cost_cents=120_000,
    )

    assert proposal.author_name == str(member)
    process.phase = "support"
    process.save()
    with pytest.raises(WrongPhase):
        proposal_create(
            process=process, title="Late", description="Late", author_user=member
        )
    assert Proposal.objects.count() == 1


def test_a_paper_proposal_shows_the_pseudonym_never_the_real_name():
    process = ProcessFactory(phase="proposals")
    inmate = ParticipantFactory(
        community=process.community, pseudonym="Airone 07", legal_name="Mario Rossi"
    )
    assembly = AssemblyFactory(process=process)

    proposal = proposal_create(
        process=process,
        title="Biblioteca",
        description="Più libri",
        author_participant=inmate,
        assembly=assembly,
    )

    assert proposal.author_name == "Airone 07"


def test_support_is_limited_per_participant_and_can_be_taken_back():
    process = ProcessFactory(phase="support", support_max_per_voter=2)
    proposals = ProposalFactory.create_batch(3, process=process)
    member = MembershipFactory(community=process.community).user

    assert support_toggle(proposal=proposals[0], user=member) is True
    assert support_toggle(proposal=proposals[1], user=member) is True
    with pytest.raises(SupportLimitReached):
        support_toggle(proposal=proposals[2], user=member)
    assert support_toggle(proposal=proposals[0], user=member) is False
    assert support_toggle(proposal=proposals[2], user=member) is True

    assert sorted(Support.objects.values_list("proposal_id", flat=True)) == [
        proposals[1].pk,
        proposals[2].pk,
    ]


@pytest.mark.parametrize(
    ("mode", "threshold", "passing"),
    [("count", 5, [0, 1]), ("share", 60, [0]), ("top_k", 3, [0, 1, 2])],
)
def test_support_close_passes_proposals_by_count_share_or_top(mode, threshold, passing):
    process = ProcessFactory(
        phase="support", support_pass_mode=mode, support_threshold=threshold
    )
    for _ in range(10):
        ParticipantFactory(community=process.community)
    assembly = AssemblyFactory(process=process)
    proposals = ProposalFactory.create_batch(4, process=process)
    for proposal, count in zip(proposals, [6, 5, 2, 0], strict=True):
        support_tally_record(
            proposal=proposal, assembly=assembly, count=count, actor=None
        )

    process_advance(process=process, actor=UserFactory())

    statuses = [Proposal.objects.get(pk=p.pk).status for p in proposals]
    assert [i for i, s in enumerate(statuses) if s == "passed"] == passing
    assert all(s == "not_passed" for i, s in enumerate(statuses) if i not in passing)


def test_codesign_merges_proposals_and_keeps_where_they_came_from():
    process = ProcessFactory(phase="codesign")
    first, second, failed = ProposalFactory.create_batch(
        3, process=process, status="passed"
    )
    failed.status = "not_passed"
    failed.save()

    project = project_create(
        process=process,
        code="P01",
        title="Spazio verde",
        description="Insieme",
        cost_cents=80_000,
        proposals=[first, second],
    )

    assert set(project.source_proposals.values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    with pytest.raises(ProcessError, match="already part of a project"):
        project_create(
            process=process,
            code="P02",
            title="Di nuovo",
            description="x",
            cost_cents=1,
            proposals=[first],
        )
    with pytest.raises(ProcessError, match="did not pass"):
        project_create(
            process=process,
            code="P03",
            title="No",
            description="x",
            cost_cents=1,
            proposals=[failed],
        )
    assert process.projects.count() == 1


def test_a_project_judged_not_feasible_needs_a_reason():
    project = ProjectFactory(
        process=ProcessFactory(phase="codesign"), feasibility="pending"
    )

    with pytest.raises(ProcessError):
        project_assess(project=project, feasibility="not_feasible", reason="  ")
    project_assess(
        project=project, feasibility="not_feasible", reason="Serve un permesso edilizio"
    )

    project.refresh_from_db()
    assert (project.feasibility, project.feasibility_reason) == (
        "not_feasible",
        "Serve un permesso edilizio",
    )


def test_an_approval_ballot_over_the_limit_is_refused_with_a_clear_message(voting):
    process, projects, member = voting

    with pytest.raises(BallotInvalid) as refused:
        ballot_cast(process=process, user=member, choices={p.pk: 1 for p in projects})

    assert refused.value.errors == ["Choose at most 2 projects (you chose 3)."]
    assert not Ballot.objects.exists()


def test_a_member_changes_their_ballot_in_one_go(voting):
    process, projects, member = voting
    ballot_cast(
        process=process, user=member, choices={projects[0].pk: 1, projects[1].pk: 1}
    )

    ballot_cast(process=process, user=member, choices={projects[2].pk: 1})

    assert Ballot.objects.count() == 1
    assert list(BallotItem.objects.values_list("project__code", flat=True)) == ["P03"]


def test_a_refused_change_keeps_the_previous_ballot(voting):
    process, projects, member = voting
    ballot_cast(process=process, user=member, choices={projects[0].pk: 1})

    with pytest.raises(BallotInvalid):
        ballot_cast(process=process, user=member, choices={})

    assert list(BallotItem.objects.values_list("project__code", flat=True)) == ["P01"]


def test_a_vote_after_the_close_is_refused(voting):
    process, projects, member = voting
    process.vote_ends_on = datetime.date(2020, 1, 1)
    process.save()

    with pytest.raises(VoteClosed):
        ballot_cast(process=process, user=member, choices={projects[0].pk: 1})
    process.vote_ends_on, process.phase = None, "results"
    process.save()
    with pytest.raises(VoteClosed):
        ballot_cast(process=process, user=member, choices={projects[0].pk: 1})
    assert not Ballot.objects.exists()


def test_a_voter_code_votes_once(voting):
    process, projects, _member = voting
    inmate = ParticipantFactory(community=process.community)
    code = voter_code_issue(participant=inmate)

    ballot_cast(process=process, voter_code=code, choices={projects[0].pk: 1})
    with pytest.raises(VoterCodeAlreadyUsed):
        ballot_cast(process=process, voter_code=code, choices={projects[1].pk: 1})

    assert list(Ballot.objects.values_list("participant", "channel")) == [
        (inmate.pk, "code")
    ]


def test_a_refused_code_ballot_leaves_the_code_unused(voting):
    process, projects, _member = voting
    inmate = ParticipantFactory(community=process.community)
    code = voter_code_issue(participant=inmate)

    with pytest.raises(BallotInvalid):
        ballot_cast(
            process=process, voter_code=code, choices={p.pk: 1 for p in projects}
        )

    inmate.refresh_from_db()
    assert inmate.voter_code_used_at is None
    ballot_cast(process=process, voter_code=code, choices={projects[0].pk: 1})
    assert Ballot.objects.count() == 1


def test_cumulative_and_knapsack_limits(voting):
    process, projects, member = voting
    process.ballot_kind, process.points_total, process.points_max_per_project = (
        "cumulative",
        5,
        3,
    )
    process.save()
    with pytest.raises(BallotInvalid) as refused:
        ballot_cast(
            process=process, user=member, choices={projects[0].pk: 4, projects[1].pk: 2}
        )
    assert len(refused.value.errors) == 2

    process.ballot_kind, process.budget_cents = "knapsack", 50_000
    process.save()
    with pytest.raises(BallotInvalid):
        ballot_cast(
            process=process, user=member, choices={projects[0].pk: 1, projects[1].pk: 1}
        )
    ballot_cast(process=process, user=member, choices={projects[0].pk: 1})
    assert Ballot.objects.count() == 1


def test_someone_outside_the_community_cannot_vote(voting):
    process, projects, _member = voting

    with pytest.raises(NotEligible):
        ballot_cast(process=process, user=UserFactory(), choices={projects[0].pk: 1})

    assert not Ballot.objects.exists()


def test_a_process_has_a_positive_budget():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Process.objects.create(
            community=ProcessFactory().community, title="x", slug="x", budget_cents=0
        )
