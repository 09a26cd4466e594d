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

- ``shop_sales:<community pk>`` (SHOP_SALES): the community's part of each
  paid order (credited by the shop, kind ``sale``); a credit balance is sales
  money the platform holds for the community.
- ``external:profits:<community pk>`` (EXTERNAL): profit made outside the
  shop (wholesale, markets, services) and held in the enterprise's own bank
  account; it enters the books only when a share of it is committed.
- ``reinvestment_pool:<community pk>`` (REINVESTMENT_POOL): profit committed
  to the winning projects and not yet allocated (a credit balance).

Kinds posted here: ``expense`` (source ``expense:<pk>``), ``grant``
(source ``grant:<pk>``), ``reinvestment_commit`` (source
``results_period:<pk>``: debit ``shop_sales`` up to what it holds and
``external:profits`` for the rest, credit the pool) and ``reinvestment``
(source ``results_period:<pk>``: debit the pool, credit each project fund).
Kinds read as money in: see ``SOURCES``.
"""

from django.utils.translation import gettext_lazy as _

EXPENSE = "expense"
GRANT = "grant"
SWEEP = "campaign_sweep"
MATCH = "match"
SALE = "sale"
REINVESTMENT = "reinvestment"
REINVESTMENT_COMMIT = "reinvestment_commit"
PERIOD_SOURCE = "results_period"

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


def shop_sales_code(community_id: int) -> str:
    # The shop's own name for it (marketplace.services.sales_account_code);
    # written out here because accountability does not import the shop.
    return f"shop_sales:{community_id}"


def profits_code(community_id: int) -> str:
    return f"external:profits:{community_id}"


def pool_code(community_id: int) -> str:
    return f"reinvestment_pool:{community_id}"
