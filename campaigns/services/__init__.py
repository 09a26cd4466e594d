"""Writes of the campaigns app, one module per concern, re-exported here."""

from .campaigns import (
    campaign_create,
    campaign_initial,
    campaign_publish,
    project_is_winner,
    tier_create,
    update_post,
)
from .closing import campaign_close, campaign_sweep, campaigns_close_due, pledged_cents
from .match_rounds import (
    match_pool_funded_cents,
    match_round_close,
    match_round_create,
    match_round_preview,
)
from .pledges import (
    pledge_cancel,
    pledge_create,
    pledge_offline_record,
    pledge_payment_start,
    pledge_payment_sync,
    pledges_expire_stale,
)
from .receipts import receipt_render, receipts_render_pending

__all__ = [
    "campaign_close",
    "campaign_create",
    "campaign_initial",
    "campaign_publish",
    "campaign_sweep",
    "campaigns_close_due",
    "match_pool_funded_cents",
    "match_round_close",
    "match_round_create",
    "match_round_preview",
    "pledge_cancel",
    "pledge_create",
    "pledge_offline_record",
    "pledge_payment_start",
    "pledge_payment_sync",
    "pledged_cents",
    "pledges_expire_stale",
    "project_is_winner",
    "receipt_render",
    "receipts_render_pending",
    "tier_create",
    "update_post",
]
