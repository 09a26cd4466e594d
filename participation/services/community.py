import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ..exceptions import MembershipClosed, VoterCodeAlreadyUsed, VoterCodeInvalid
from ..models import Community, Membership, Participant, Role, Section

# No 0/O, 1/I/L: codes are read aloud and copied by hand from paper.
VOTER_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VOTER_CODE_LENGTH = 8


def membership_join(*, user, community: Community) -> Membership:
    """Join an open community as participant; joining twice is a no-op."""
    if not (community.open_membership and community.is_public):
        raise MembershipClosed(
            _("%(community)s does not accept new members online.")
            % {"community": community.name}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, community=community, role=Role.PARTICIPANT
    )
    return membership


def membership_grant(*, user, community: Community, role: str) -> Membership:
    """Give ``user`` a role in ``community`` (staff and community admins do this)."""
    membership, _created = Membership.objects.get_or_create(
        user=user, community=community, role=Role(role)
    )
    return membership


def participant_create(
    *,
    community: Community,
    pseudonym: str,
    section: Section | None = None,
    legal_name: str = "",
) -> Participant:
    """Register a pseudonymous participant. Raises ValueError on a taken pseudonym."""
    if section is not None and section.community_id != community.pk:
        raise ValueError(_("The section belongs to another community."))
    pseudonym = pseudonym.strip()
    if not pseudonym:
        raise ValueError(_("A pseudonym is required."))
    try:
        with transaction.atomic():
            return Participant.objects.create(
                community=community,
                section=section,
                pseudonym=pseudonym,
                legal_name=legal_name.strip(),
            )
    except IntegrityError as error:
        raise ValueError(
            _("The pseudonym %(pseudonym)s is already used in this community.")
            % {"pseudonym": pseudonym}
        ) from error


def voter_code_normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def voter_code_digest(code: str) -> str:
    return salted_hmac(
        "participation.voter_code", voter_code_normalise(code), algorithm="sha256"
    ).hexdigest()


def voter_code_format(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def voter_code_issue(*, participant: Participant) -> str:
    """Give the participant a fresh one-time code and return it in clear, once.

    Any earlier code of this participant stops working. Only the digest is kept,
    so a lost code cannot be shown again: issue a new one.
    """
    for _attempt in range(5):
        raw = "".join(
            secrets.choice(VOTER_CODE_ALPHABET) for _ in range(VOTER_CODE_LENGTH)
        )
        try:
            with transaction.atomic():
                Participant.objects.filter(pk=participant.pk).update(
                    voter_code_digest=voter_code_digest(raw),
                    voter_code_issued_at=timezone.now(),
                    voter_code_used_at=None,
                )
        except IntegrityError:
            continue  # a collision with another participant's code: draw again
        participant.refresh_from_db(
            fields=["voter_code_digest", "voter_code_issued_at", "voter_code_used_at"]
        )
        return voter_code_format(raw)
    raise RuntimeError("could not draw a unique voter code")


def voter_code_redeem(*, community: Community, code: str) -> Participant:
    """Spend a one-time code and return its participant.

    A single conditional UPDATE marks the code used, so two simultaneous uses
    of one code cannot both succeed. Raises VoterCodeInvalid for an unknown code
    and VoterCodeAlreadyUsed for a spent one; neither changes anything.
    """
    digest = voter_code_digest(code)
    spent = Participant.objects.filter(
        community=community, voter_code_digest=digest, voter_code_used_at__isnull=True
    ).update(voter_code_used_at=timezone.now())
    if spent:
        return Participant.objects.get(community=community, voter_code_digest=digest)
    if Participant.objects.filter(
        community=community, voter_code_digest=digest
    ).exists():
        raise VoterCodeAlreadyUsed(_("This code has already been used."))
    raise VoterCodeInvalid(_("This code is not valid for this community."))
