"""Writes of the participation app, one module per concern, re-exported here."""

from .community import (
    membership_grant,
    membership_join,
    participant_create,
    voter_code_digest,
    voter_code_issue,
    voter_code_normalise,
    voter_code_redeem,
)
from .paper import (
    paper_batch_accept,
    paper_batch_differences,
    paper_batch_open,
    paper_entry_key,
    paper_entry_resolve,
)
from .process import process_advance, process_create, process_rules_update
from .proposals import (
    assembly_record,
    project_assess,
    project_create,
    proposal_create,
    support_close,
    support_tallies_record,
    support_tally_record,
    support_toggle,
)
from .purchase_votes import (
    purchase_vote_cast,
    purchase_vote_grant,
    purchase_vote_withdraw,
)
from .voting import ballot_cast, ballot_validate

__all__ = [
    "assembly_record",
    "ballot_cast",
    "ballot_validate",
    "membership_grant",
    "membership_join",
    "paper_batch_accept",
    "paper_batch_differences",
    "paper_batch_open",
    "paper_entry_key",
    "paper_entry_resolve",
    "participant_create",
    "process_advance",
    "process_create",
    "process_rules_update",
    "project_assess",
    "project_create",
    "proposal_create",
    "purchase_vote_cast",
    "purchase_vote_grant",
    "purchase_vote_withdraw",
    "support_close",
    "support_tallies_record",
    "support_tally_record",
    "support_toggle",
    "voter_code_digest",
    "voter_code_issue",
    "voter_code_normalise",
    "voter_code_redeem",
]
