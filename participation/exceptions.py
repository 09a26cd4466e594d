class ParticipationError(Exception):
    """Base of the errors a participation service raises; messages are for people."""


class MembershipClosed(ParticipationError):
    """The community does not take members online (a prison, for instance)."""


class VoterCodeInvalid(ParticipationError):
    """No such code in this community."""


class VoterCodeAlreadyUsed(ParticipationError):
    """The code has voted already."""


class ProcessError(ParticipationError):
    """Something a process does not allow now; nothing was changed."""


class WrongPhase(ProcessError):
    """The process is not in the phase this needs."""


class RulesFrozen(ProcessError):
    """The vote rules cannot change once a ballot exists."""


class NotEligible(ProcessError):
    """The person is not a member of the process's community."""


class SupportLimitReached(ProcessError):
    """The person supports as many proposals as allowed."""


class VoteClosed(ProcessError):
    """The vote is not open (not yet, or no longer)."""


class BallotInvalid(ProcessError):
    """The ballot breaks the rules; ``errors`` lists every problem for the voter."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


class PaperBatchError(ProcessError):
    """A paper batch cannot be keyed or counted as asked."""


class PurchaseVoteError(ProcessError):
    """A purchase vote cannot be granted, cast or withdrawn as asked."""


class PurchaseVotesOff(PurchaseVoteError):
    """The process does not count purchases as votes."""


class PurchaseVoteClosed(PurchaseVoteError, VoteClosed):
    """The process is not in its vote phase: purchases no longer count in it."""


class PurchaseVoteConflict(PurchaseVoteError):
    """The order's key was already used for another buyer or another process."""


class PurchaseVoteNotYours(PurchaseVoteError):
    """Only the buyer of the order may choose its projects."""


class PurchaseVoteWithdrawn(PurchaseVoteError):
    """The order was refunded: its vote no longer counts and cannot be cast."""


class PurchaseVoteInvalid(PurchaseVoteError, BallotInvalid):
    """The chosen projects break the process's rules; ``errors`` lists them."""
