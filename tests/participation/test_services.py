import pytest

from participation.exceptions import (
    MembershipClosed,
    VoterCodeAlreadyUsed,
    VoterCodeInvalid,
)
from participation.models import Membership, Participant, Role
from participation.services import (
    membership_join,
    participant_create,
    voter_code_issue,
    voter_code_redeem,
)
from tests.factories import (
    CommunityFactory,
    ParticipantFactory,
    SectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_a_voter_code_works_once_and_names_its_participant():
    participant = ParticipantFactory()
    code = voter_code_issue(participant=participant)

    redeemed = voter_code_redeem(community=participant.community, code=code)

    assert redeemed == participant
    assert redeemed.voter_code_used_at is not None
    with pytest.raises(VoterCodeAlreadyUsed):
        voter_code_redeem(community=participant.community, code=code)


def test_a_voter_code_is_stored_only_as_a_digest():
    participant = ParticipantFactory()
    code = voter_code_issue(participant=participant)

    participant.refresh_from_db()
    assert len(participant.voter_code_digest) == 64
    assert code.replace("-", "") not in participant.voter_code_digest
    assert len(code) == 9 and code[4] == "-"


def test_a_code_typed_in_lower_case_or_without_dash_still_works():
    participant = ParticipantFactory()
    code = voter_code_issue(participant=participant)

    assert (
        voter_code_redeem(
            community=participant.community, code=code.replace("-", " ").lower()
        )
        == participant
    )


def test_a_code_of_another_community_is_refused_and_not_spent():
    participant = ParticipantFactory()
    code = voter_code_issue(participant=participant)
    elsewhere = CommunityFactory()

    with pytest.raises(VoterCodeInvalid):
        voter_code_redeem(community=elsewhere, code=code)

    participant.refresh_from_db()
    assert participant.voter_code_used_at is None


def test_issuing_a_new_code_invalidates_the_old_one():
    participant = ParticipantFactory()
    old = voter_code_issue(participant=participant)
    new = voter_code_issue(participant=participant)

    with pytest.raises(VoterCodeInvalid):
        voter_code_redeem(community=participant.community, code=old)
    assert voter_code_redeem(community=participant.community, code=new) == participant


def test_a_taken_pseudonym_is_refused_without_creating_anything():
    existing = ParticipantFactory(pseudonym="Quercia 01")

    with pytest.raises(ValueError, match="Quercia 01"):
        participant_create(community=existing.community, pseudonym=" Quercia 01 ")

    assert Participant.objects.filter(community=existing.community).count() == 1


def test_a_section_of_another_community_is_refused():
    community = CommunityFactory()
    foreign_section = SectionFactory()

    with pytest.raises(ValueError):
        participant_create(
            community=community, pseudonym="Airone", section=foreign_section
        )

    assert not Participant.objects.exists()


def test_joining_an_open_community_twice_gives_one_membership():
    community = CommunityFactory(open_membership=True)
    user = UserFactory()

    membership_join(user=user, community=community)
    membership_join(user=user, community=community)

    assert list(
        Membership.objects.filter(user=user).values_list("role", flat=True)
    ) == [Role.PARTICIPANT]


def test_a_closed_community_cannot_be_joined_online():
    prison = CommunityFactory(open_membership=False)
    user = UserFactory()

    with pytest.raises(MembershipClosed):
        membership_join(user=user, community=prison)

    assert not Membership.objects.exists()
