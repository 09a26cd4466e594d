"""Crowdfunding campaigns born from winning projects (filled by a later issue)."""
