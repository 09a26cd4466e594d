from .community import Community, Membership, Participant, Role, Section
from .process import Category, Process, ProcessEvent
from .proposals import Assembly, Project, Proposal, Support, SupportTally
from .purchases import PurchaseVote, PurchaseVoteEvent
from .voting import Ballot, BallotItem, PaperBatch, PaperEntry, ProcessResult

__all__ = [
    "Assembly",
    "Ballot",
    "BallotItem",
    "Category",
    "Community",
    "Membership",
    "PaperBatch",
    "PaperEntry",
    "Participant",
    "Process",
    "ProcessEvent",
    "ProcessResult",
    "Project",
    "Proposal",
    "PurchaseVote",
    "PurchaseVoteEvent",
    "Role",
    "Section",
    "Support",
    "SupportTally",
]
