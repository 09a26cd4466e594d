class ParticipationError(Exception):
    """Base of the errors a participation service raises; messages are for people."""


class MembershipClosed(ParticipationError):
    pass


class VoterCodeInvalid(ParticipationError):
    pass


class VoterCodeAlreadyUsed(ParticipationError):
    pass


class ProcessError(ParticipationError):
    """Something a process does not allow now; nothing was changed."""


class WrongPhase(ProcessError):
    pass


class RulesFrozen(ProcessError):
    pass


class NotEligible(ProcessError):
    pass


class SupportLimitReached(ProcessError):
    pass


class VoteClosed(ProcessError):
    pass


class BallotInvalid(ProcessError):
    """The ballot breaks the rules; ``errors`` lists every problem for the voter."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


class PaperBatchError(ProcessError):
    pass
