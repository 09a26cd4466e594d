class RewardError(Exception):
    """Base of reward errors; the message is for the person who acted."""


class RewardSoldOut(RewardError):
    """No unit of this limited reward is left."""


class RewardNotClaimable(RewardError):
    """The reward belongs to another campaign, or the pledge is below its minimum."""


class FulfilmentRefused(RewardError):
    """The claim is released, or the new fulfilment status makes no sense."""
