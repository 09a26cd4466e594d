"""The ledger accounts and transaction kinds this app reads and writes.

Accounts (codes):
- ``project_fund:<project pk>`` (PROJECT_FUND): what a project holds, as a
  credit (negative) balance; written by campaigns (sweeps), the shop (sales,
  reinvestment) and here (grants in, expenses out).
- ``expenses:<community pk>`` (EXPENSES): money paid out to suppliers for the
  community's projects. Paying an expense debits the fund (it holds less) and
  credits this account: its credit balance is what left the platform.
- ``external:grant:<community pk>`` (EXTERNAL): public budget from outside
  (municipality, school); a grant debits it and credits the project fund.

Kinds posted here: ``expense`` (source ``expense:<pk>``) and ``grant``
(source ``grant:<pk>``). Kinds read as money in: see ``SOURCES``.
"""

from django.utils.translation import gettext_lazy as _

EXPENSE = "expense"
GRANT = "grant"
SWEEP = "campaign_sweep"
MATCH = "match"
SALE = "sale"
REINVESTMENT = "reinvestment"

# Where money in a project fund came from, in the order the pages show it.
# Sweeps carry pledges and match funds together; the selectors split them.
SOURCES = {
    "pledges": _("Pledges"),
    "match": _("Match funds"),
    "sale": _("Shop sales"),
    "reinvestment": _("Profit reinvestment"),
    "grant": _("Public budget"),
    "other": _("Other"),
}
KIND_TO_SOURCE = {
    SWEEP: "pledges",
    SALE: "sale",
    REINVESTMENT: "reinvestment",
    GRANT: "grant",
}


def fund_code(project_id: int) -> str:
    return f"project_fund:{project_id}"


def project_id_from_fund(code: str) -> int | None:
    prefix, _sep, rest = code.partition(":")
    if prefix != "project_fund" or not rest.isdigit():
        return None
    return int(rest)


def expenses_code(community_id: int) -> str:
    return f"expenses:{community_id}"


def grant_code(community_id: int) -> str:
    return f"external:grant:{community_id}"
