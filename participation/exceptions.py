class ParticipationError(Exception):
    """Base of the errors a participation service raises; messages are for people."""


class MembershipClosed(ParticipationError):
    pass


class VoterCodeInvalid(ParticipationError):
    pass


class VoterCodeAlreadyUsed(ParticipationError):
    pass
