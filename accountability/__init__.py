"""Milestones, expenses, profit reinvestment and transparency (a later issue)."""
