"""Oscar's partner admin, unchanged (the fork is for the stock record)."""

from oscar.apps.partner.admin import *  # noqa: F403
