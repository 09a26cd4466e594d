class CampaignError(Exception):
    """Base of campaign errors; the message is for the person who acted."""


class CampaignNotOpen(CampaignError):
    """The campaign does not take pledges now (not started, closed, draft)."""


class CampaignNotDue(CampaignError):
    """The campaign cannot close before its deadline."""


class CampaignStateError(CampaignError):
    """The campaign is not in a state that allows this."""


class PledgeBelowMinimum(CampaignError):
    """Less than the reward's minimum, or less than 1 EUR."""


class PledgeStateError(CampaignError):
    """The pledge is not in a state that allows this."""


class MatchRoundError(CampaignError):
    """The match round cannot do this (closed, unfunded, bad settings)."""
