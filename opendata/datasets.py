"""The open datasets: their columns and the rows they hold, read-only.

Privacy rule: only communities with ``Community.is_public``; never a person.
No names, e-mails, addresses, tax codes, user ids, pseudonyms, backer names,
sponsors, free-text memos or descriptions: people appear only as counts.
Each dataset names its columns explicitly (``values()``), so a field added to
a model later is not exported by accident.

Every ``rows`` function streams (``iterator()``) in a fixed number of queries,
whatever the number of rows.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import CharField, Count, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, MatchRound
from campaigns.services.pledges import COUNTING
from participation.models import Community, Process, ProcessResult, Project
from participation.models.process import Phase
from payments.models import Account, Entry, LedgerTransaction

CHUNK = 2000

INT, TEXT, BOOL, DATE, DATETIME = "integer", "text", "boolean", "date", "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    nullable: bool = False  # the value may be missing (None, an empty CSV cell)


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Community | None], Iterator[dict]]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def public_communities(community: Community | None = None):
    """The communities an export may read: public ones, or the one asked for."""
    communities = Community.objects.filter(is_public=True)
    if community is not None:
        communities = communities.filter(pk=community.pk)
    return communities


def _published(community):
    """Processes shown to the public: of a public community, past the draft."""
    return Process.objects.filter(community__in=public_communities(community)).exclude(
        phase=Phase.DRAFT
    )


# --- processes -------------------------------------------------------------------

PROCESS_COLUMNS = (
    Column("community", TEXT, _("Slug of the community")),
    Column("process", TEXT, _("Slug of the process within its community")),
    Column("title", TEXT, _("Title of the process")),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("budget_cents", INT, _("Budget, in cents")),
    Column(
        "phase", TEXT, _("Current phase: proposals, support, codesign, vote, results")
    ),
    Column("ballot_kind", TEXT, _("Ballot: approval, cumulative or knapsack")),
    Column("outcome_rule", TEXT, _("Outcome rule: greedy, mes or mes-add1")),
    Column(
        "proposals_starts_on",
        DATE,
        _("Proposal phase from (empty if off)"),
        nullable=True,
    ),
    Column("proposals_ends_on", DATE, _("Proposal phase until"), nullable=True),
    Column(
        "support_starts_on", DATE, _("Support phase from (empty if off)"), nullable=True
    ),
    Column("support_ends_on", DATE, _("Support phase until"), nullable=True),
    Column(
        "codesign_starts_on",
        DATE,
        _("Co-design phase from (empty if off)"),
        nullable=True,
    ),
    Column("codesign_ends_on", DATE, _("Co-design phase until"), nullable=True),
    Column("vote_starts_on", DATE, _("Vote from"), nullable=True),
    Column("vote_ends_on", DATE, _("Vote until"), nullable=True),
    Column("results_on", DATE, _("Results published on"), nullable=True),
    Column(
        "ballots_counted",
        INT,
        _("Ballots counted (empty before the results)"),
        nullable=True,
    ),
)


def process_rows(community: Community | None = None) -> Iterator[dict]:
    dates = [c.name for c in PROCESS_COLUMNS if c.type == DATE]
    rows = (
        _published(community)
        .order_by("community__slug", "slug")
        .values(
            "community__slug",
            "slug",
            "title",
            "currency",
            "budget_cents",
            "phase",
            "ballot_kind",
            "outcome_rule",
            "proposals_enabled",
            "support_enabled",
            "codesign_enabled",
            "result__ballots_counted",
            *dates,
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        out = {
            "community": row["community__slug"],
            "process": row["slug"],
            "title": row["title"],
            "currency": row["currency"],
            "budget_cents": row["budget_cents"],
            "phase": row["phase"],
            "ballot_kind": row["ballot_kind"],
            "outcome_rule": row["outcome_rule"],
        }
        for name in dates:
            phase = name.split("_", 1)[0]
            enabled = row.get(f"{phase}_enabled", True)
            out[name] = row[name] if enabled else None
        out["ballots_counted"] = (
            row["result__ballots_counted"] if row["phase"] == Phase.RESULTS else None
        )
        yield out


# --- projects --------------------------------------------------------------------

PROJECT_COLUMNS = (
    Column("community", TEXT, _("Slug of the community")),
    Column("process", TEXT, _("Slug of the process")),
    Column("code", TEXT, _("Code of the project within its process")),
    Column("title", TEXT, _("Title of the project")),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("cost_cents", INT, _("Cost, in cents")),
    Column("feasibility", TEXT, _("Feasibility: pending, feasible, not_feasible")),
    Column(
        "selected", BOOL, _("Won the vote (empty before the results)"), nullable=True
    ),
)


def project_rows(community: Community | None = None) -> Iterator[dict]:
    rows = (
        Project.objects.filter(process__in=_published(community))
        .order_by("process__community__slug", "process__slug", "code")
        .values(
            "process__community__slug",
            "process__slug",
            "process__phase",
            "process__currency",
            "process__result__winners",
            "code",
            "title",
            "cost_cents",
            "feasibility",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        winners = row["process__result__winners"]
        published = row["process__phase"] == Phase.RESULTS and winners is not None
        yield {
            "community": row["process__community__slug"],
            "process": row["process__slug"],
            "code": row["code"],
            "title": row["title"],
            "currency": row["process__currency"],
            "cost_cents": row["cost_cents"],
            "feasibility": row["feasibility"],
            "selected": (row["code"] in winners) if published else None,
        }


# --- results ---------------------------------------------------------------------

RESULT_COLUMNS = (
    Column("community", TEXT, _("Slug of the community")),
    Column("process", TEXT, _("Slug of the process")),
    Column("rule", TEXT, _("Outcome rule used for the count")),
    Column("ballots_counted", INT, _("Ballots counted in the process")),
    Column("code", TEXT, _("Code of the project")),
    Column("title", TEXT, _("Title of the project")),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("cost_cents", INT, _("Cost of the project, in cents"), nullable=True),
    Column(
        "votes",
        INT,
        _("Votes (approvals or points) the project received"),
        nullable=True,
    ),
    Column("selected", BOOL, _("Won: funded by the outcome rule")),
    Column(
        "position",
        INT,
        _("Order in which the rule selected it (empty if lost)"),
        nullable=True,
    ),
    Column("stage", TEXT, _("Stage of the rule that decided it")),
)


def result_rows(community: Community | None = None) -> Iterator[dict]:
    """One row per project of each published result, in the published order.

    Titles come from a second query over the same processes, read in step
    (both ordered by process), so neither query is repeated per process.
    """
    processes = _published(community).filter(phase=Phase.RESULTS)
    results = (
        ProcessResult.objects.filter(process__in=processes)
        .order_by("process_id")
        .values(
            "process_id",
            "process__community__slug",
            "process__slug",
            "process__currency",
            "rule",
            "ballots_counted",
            "explanation",
        )
        .iterator(chunk_size=CHUNK)
    )
    titles = (
        Project.objects.filter(process__in=processes, process__result__isnull=False)
        .order_by("process_id", "code")
        .values_list("process_id", "code", "title")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(titles, None)
    for result in results:
        by_code = {}
        while pending is not None and pending[0] <= result["process_id"]:
            if pending[0] == result["process_id"]:
                by_code[pending[1]] = pending[2]
            pending = next(titles, None)
        for row in (result["explanation"] or {}).get("rows", []):
            yield {
                "community": result["process__community__slug"],
                "process": result["process__slug"],
                "rule": result["rule"],
                "ballots_counted": result["ballots_counted"],
                "code": row["code"],
                "title": by_code.get(row["code"], ""),
                "currency": result["process__currency"],
                "cost_cents": row.get("cost_cents"),
                "votes": row.get("votes"),
                "selected": bool(row.get("selected")),
                "position": row.get("position"),
                "stage": row.get("stage") or "",
            }


# --- campaigns -------------------------------------------------------------------

CAMPAIGN_COLUMNS = (
    Column("community", TEXT, _("Slug of the community")),
    Column("campaign", TEXT, _("Slug of the campaign")),
    Column("title", TEXT, _("Title of the campaign")),
    Column("process", TEXT, _("Slug of the process the project won")),
    Column("project", TEXT, _("Code of the project it funds")),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("goal_cents", INT, _("Goal, in cents")),
    Column(
        "stretch_goal_cents",
        INT,
        _("Optimum goal, in cents (may be empty)"),
        nullable=True,
    ),
    Column("funding_model", TEXT, _("all_or_nothing or keep_it_all")),
    Column("status", TEXT, _("live, charging, succeeded, failed or ended")),
    Column("starts_at", DATETIME, _("Opens (UTC)")),
    Column("deadline", DATETIME, _("Deadline (UTC)")),
    Column("closed_at", DATETIME, _("Closed (UTC, empty while open)"), nullable=True),
    Column("pledged_cents", INT, _("Pledges that count (saved, paid, being paid)")),
    Column("paid_cents", INT, _("Pledges paid, in cents")),
    Column("backers", INT, _("Distinct backers (a count, never who)")),
    Column("pledges", INT, _("Pledges that count")),
)


def _campaign_totals():
    """``campaigns.selectors.campaign_totals`` as annotations (one query for all)."""
    counting = Q(pledges__status__in=COUNTING)
    no_account = Q(pledges__backer__isnull=True)
    no_email = Q(pledges__backer_email="")
    return {
        "pledged_cents": Sum("pledges__amount_cents", filter=counting),
        "paid_cents": Sum("pledges__amount_cents", filter=Q(pledges__status="paid")),
        "with_account": Count("pledges__backer", filter=counting, distinct=True),
        "by_email": Count(
            Lower("pledges__backer_email"),
            filter=counting & no_account & ~no_email,
            distinct=True,
        ),
        "nameless": Count("pledges", filter=counting & no_account & no_email),
        "pledge_count": Count("pledges", filter=counting),
    }


def _public_campaigns(community):
    return Campaign.objects.filter(community__in=public_communities(community)).exclude(
        status=Campaign.Status.DRAFT
    )


def campaign_rows(community: Community | None = None) -> Iterator[dict]:
    rows = (
        _public_campaigns(community)
        .order_by("community__slug", "slug")
        .values(
            "community__slug",
            "slug",
            "title",
            "project__process__slug",
            "project__code",
            "currency",
            "goal_cents",
            "stretch_goal_cents",
            "funding_model",
            "status",
            "starts_at",
            "deadline",
            "closed_at",
        )
        .annotate(**_campaign_totals())
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield {
            "community": row["community__slug"],
            "campaign": row["slug"],
            "title": row["title"],
            "process": row["project__process__slug"],
            "project": row["project__code"],
            "currency": row["currency"],
            "goal_cents": row["goal_cents"],
            "stretch_goal_cents": row["stretch_goal_cents"],
            "funding_model": row["funding_model"],
            "status": row["status"],
            "starts_at": row["starts_at"],
            "deadline": row["deadline"],
            "closed_at": row["closed_at"],
            "pledged_cents": row["pledged_cents"] or 0,
            "paid_cents": row["paid_cents"] or 0,
            "backers": row["with_account"] + row["by_email"] + row["nameless"],
            "pledges": row["pledge_count"],
        }


# --- match rounds ----------------------------------------------------------------

MATCH_COLUMNS = (
    Column("community", TEXT, _("Slug of the community")),
    Column("round", INT, _("Number of the match round")),
    Column("title", TEXT, _("Title of the round")),
    Column("mode", TEXT, _("ratio or quadratic")),
    Column("factor_percent", INT, _("Match factor in percent (ratio mode)")),
    Column(
        "cap_per_pledge_cents",
        INT,
        _("Cap per pledge, in cents (may be empty)"),
        nullable=True,
    ),
    Column(
        "cap_per_campaign_cents",
        INT,
        _("Cap per campaign, in cents (may be empty)"),
        nullable=True,
    ),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("pool_cents", INT, _("Pool, in cents")),
    Column("status", TEXT, _("open or closed (allocated)")),
    Column("closed_at", DATETIME, _("Allocated (UTC)"), nullable=True),
    Column(
        "campaign",
        TEXT,
        _("Slug of a campaign that received an allocation"),
        nullable=True,
    ),
    Column(
        "backers", INT, _("Distinct backers counted for that campaign"), nullable=True
    ),
    Column(
        "pledged_cents",
        INT,
        _("Pledges counted for that campaign, in cents"),
        nullable=True,
    ),
    Column(
        "allocated_cents",
        INT,
        _("What the round gave that campaign, in cents"),
        nullable=True,
    ),
    Column("capped", BOOL, _("The allocation hit a cap"), nullable=True),
)


def match_rows(community: Community | None = None) -> Iterator[dict]:
    """One row per allocation; a round without allocations yet is one row with
    the allocation columns empty. The sponsor is not exported (it may be a
    person)."""
    rows = (
        MatchRound.objects.filter(community__in=public_communities(community))
        .order_by(
            "community__slug", "pk", "-allocations__amount_cents", "allocations__pk"
        )
        .values(
            "community__slug",
            "pk",
            "title",
            "mode",
            "factor_percent",
            "cap_per_pledge_cents",
            "cap_per_campaign_cents",
            "currency",
            "pool_cents",
            "status",
            "closed_at",
            "allocations__campaign__slug",
            "allocations__backers",
            "allocations__pledged_cents",
            "allocations__amount_cents",
            "allocations__capped",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield {
            "community": row["community__slug"],
            "round": row["pk"],
            "title": row["title"],
            "mode": row["mode"],
            "factor_percent": row["factor_percent"],
            "cap_per_pledge_cents": row["cap_per_pledge_cents"],
            "cap_per_campaign_cents": row["cap_per_campaign_cents"],
            "currency": row["currency"],
            "pool_cents": row["pool_cents"],
            "status": row["status"],
            "closed_at": row["closed_at"],
            "campaign": row["allocations__campaign__slug"],
            "backers": row["allocations__backers"],
            "pledged_cents": row["allocations__pledged_cents"],
            "allocated_cents": row["allocations__amount_cents"],
            "capped": row["allocations__capped"],
        }


# --- ledger ----------------------------------------------------------------------

LEDGER_COLUMNS = (
    Column("transaction", INT, _("Number of the ledger transaction")),
    Column("kind", TEXT, _("What moved the money: charge, offline, refund, match...")),
    Column("source_type", TEXT, _("Kind of event that posted it")),
    Column("created_at", DATETIME, _("Posted (UTC)")),
    Column("currency", TEXT, _("Currency of the amounts (ISO 4217)")),
    Column("account", TEXT, _("Account code, e.g. campaign:12 (redacted if unsafe)")),
    Column("account_kind", TEXT, _("Kind of account")),
    Column(
        "amount_cents",
        INT,
        _("Amount in cents: positive is a debit, negative a credit"),
    ),
)

# Segments an exported account code may carry after its kind: numbers (ids of
# campaigns, projects, rounds), payment methods, processors and currencies.
_SAFE_SEGMENT = re.compile(r"[0-9]+|shop|stripe|cash|bank|market|eur|usd|gbp|chf")
_SAFE_KINDS = set(Account.Kind.values) - {Account.Kind.EXTERNAL}
# The one external account named by code only: a community's public grants.
_SAFE_EXTERNAL = re.compile(r"external:grant:[0-9]+")


def public_account_code(code: str) -> str:
    """The account code if it can only name an account, never a person;
    otherwise ``<kind>:redacted`` (an external account may be named after a
    sponsor, and codes are free text for other apps)."""
    prefix, _sep, rest = code.partition(":")
    segments = rest.split(":") if rest else []
    if prefix in _SAFE_KINDS and all(_SAFE_SEGMENT.fullmatch(s) for s in segments):
        return code
    if _SAFE_EXTERNAL.fullmatch(code):
        return code
    kind = prefix if prefix in Account.Kind.values else Account.Kind.EXTERNAL
    return f"{kind}:redacted"


def _account_codes(prefix: str, queryset):
    return queryset.annotate(
        account_code=Concat(
            Value(f"{prefix}:"), Cast("pk", CharField()), output_field=CharField()
        )
    ).values("account_code")


def _community_accounts(communities):
    """Accounts of these communities' campaigns, project funds and match pools,
    and their own shop sales, expenses and grant accounts."""
    campaigns = Campaign.objects.filter(community__in=communities)
    projects = Project.objects.filter(process__community__in=communities)
    rounds = MatchRound.objects.filter(community__in=communities)
    return Account.objects.filter(
        Q(code__in=_account_codes("campaign", campaigns))
        | Q(code__in=_account_codes("project_fund", projects))
        | Q(code__in=_account_codes("match_pool", rounds))
        | Q(code__in=_account_codes("shop_sales", communities))
        | Q(code__in=_account_codes("expenses", communities))
        | Q(code__in=_account_codes("external:grant", communities))
    ).values("pk")


def ledger_rows(community: Community | None = None) -> Iterator[dict]:
    """Every entry of the transactions that move money of a public community
    (its campaigns, project funds, match pools, shop sales, expenses, grants)
    and of no private community's. The memo and the source id are left out:
    they are free text and references to payments."""
    private = Community.objects.filter(is_public=False)
    transactions = LedgerTransaction.objects.filter(
        entries__account__in=_community_accounts(public_communities(community))
    ).exclude(entries__account__in=_community_accounts(private))
    rows = (
        Entry.objects.filter(transaction__in=Subquery(transactions.values("pk")))
        .order_by("transaction_id", "pk")
        .values(
            "transaction_id",
            "transaction__kind",
            "transaction__source_type",
            "transaction__created_at",
            "transaction__currency",
            "account__code",
            "account__kind",
            "amount_cents",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        kind = row["account__kind"]
        yield {
            "transaction": row["transaction_id"],
            "kind": row["transaction__kind"],
            "source_type": row["transaction__source_type"],
            "created_at": row["transaction__created_at"],
            "currency": row["transaction__currency"],
            "account": public_account_code(row["account__code"]),
            "account_kind": kind if kind in Account.Kind.values else "external",
            "amount_cents": row["amount_cents"],
        }


DATASETS: dict[str, Dataset] = {
    d.slug: d
    for d in (
        Dataset(
            "processes",
            _("Processes"),
            _("Participatory budgeting processes: budget, phases and dates, rules."),
            PROCESS_COLUMNS,
            process_rows,
        ),
        Dataset(
            "projects",
            _("Projects"),
            _("The projects of each process: cost, feasibility, whether they won."),
            PROJECT_COLUMNS,
            project_rows,
        ),
        Dataset(
            "results",
            _("Results"),
            _("The published count of each process, one row per project."),
            RESULT_COLUMNS,
            result_rows,
        ),
        Dataset(
            "campaigns",
            _("Campaigns"),
            _("Crowdfunding campaigns of winning projects, with their totals."),
            CAMPAIGN_COLUMNS,
            campaign_rows,
        ),
        Dataset(
            "match-rounds",
            _("Match rounds"),
            _("Sponsors' match-funding pools and what each campaign received."),
            MATCH_COLUMNS,
            match_rows,
        ),
        Dataset(
            "ledger",
            _("Ledger"),
            _(
                "Every entry of the double-entry ledger that moved a public "
                "community's money: each transaction's entries sum to zero."
            ),
            LEDGER_COLUMNS,
            ledger_rows,
        ),
    )
}
