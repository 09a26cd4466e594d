"""Reward tiers, stock-limited claims and fulfilment (filled by a later issue)."""
