"""Counting: from the ballots in the database to a stored, explained result.

Money goes to the rules in euro as exact fractions (cents / 100), so that the
Add1 completion raises every voter's share one euro at a time, as on pabulib.
"""

from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.money import format_money

from .. import market_votes
from ..models import Ballot, BallotItem, Process, ProcessResult, Project
from ..models.process import OutcomeRule, PurchaseVoteMode
from ..rules.election import Election
from ..rules.election import Project as RuleProject
from ..rules.explain import explain
from ..rules.pabulib import write_pb

CHART_ROW = 26
CHART_LABEL = 56
CHART_BAR = 250


def process_election(
    process: Process, *, market: bool = True
) -> tuple[Election, dict[str, Project]]:
    """The process's ballots as an anonymous election (approval of chosen projects).

    With ``Process.market_votes`` on, the distinct backers of the projects'
    campaigns are added as weighted approval ballots (``market_votes``); with
    ``Process.purchase_votes`` on, the buyers' purchase votes too, weighted as
    the mode says (``services.purchase_votes``). ``market=False`` leaves both
    out.
    """
    election, projects, _channels = _process_election(process, market=market)
    return election, projects


def _process_election(
    process: Process, *, market: bool = True
) -> tuple[Election, dict[str, Project], dict]:
    """:func:`process_election` plus what each channel brought to the count."""
    from ..selectors import purchase_vote_ballots

    projects = {
        p.code: p
        for p in process.projects.filter(
            feasibility=Project.Feasibility.FEASIBLE
        ).order_by("code")
    }
    by_ballot: dict[int, dict[str, int]] = {}
    for ballot_id, code, points in BallotItem.objects.filter(
        ballot__process=process, project__code__in=projects
    ).values_list("ballot_id", "project__code", "points"):
        by_ballot.setdefault(ballot_id, {})[code] = points
    weights = dict(Ballot.objects.filter(process=process).values_list("pk", "weight"))
    ballot_ids = sorted(by_ballot)
    approvals = [frozenset(by_ballot[b]) for b in ballot_ids]
    voter_weights = [weights[b] for b in ballot_ids]
    points = (
        [dict(by_ballot[b]) for b in ballot_ids]
        if process.ballot_kind == "cumulative"
        else None
    )
    channels = {
        "ballots": len(approvals),
        "market_ballots": 0,
        "purchase_ballots": 0,
        "purchase_buyers": 0,
        "purchase_orders": 0,
        "purchase_weight": 0,
    }
    if market and process.market_votes:
        # Each distinct backer: one approval of the projects they funded.
        for approved in market_votes.market_ballots(process):
            approved = frozenset(code for code in approved if code in projects)
            if approved:
                approvals.append(approved)
                voter_weights.append(process.market_vote_weight)
                channels["market_ballots"] += 1
                if points is not None:
                    points.append(dict.fromkeys(approved, 1))
    if market:
        purchases = purchase_vote_ballots(process, codes=projects)
        for ballot in purchases:
            approvals.append(ballot.approved)
            voter_weights.append(ballot.weight)
            if points is not None:
                points.append(dict.fromkeys(ballot.approved, 1))
        channels.update(
            purchase_ballots=len(purchases),
            purchase_buyers=len({b.buyer_id for b in purchases}),
            purchase_orders=sum(b.orders for b in purchases),
            purchase_weight=sum(b.weight for b in purchases),
        )
    election = Election(
        budget=Fraction(process.budget_cents, 100),
        projects=[
            RuleProject(id=code, cost=Fraction(p.cost_cents, 100), name=p.title)
            for code, p in projects.items()
        ],
        approvals=approvals,
        weights=voter_weights if any(w != 1 for w in voter_weights) else None,
        ballot_kind="cumulative" if process.ballot_kind == "cumulative" else "approval",
        points=points,
    )
    return election, projects, channels


def _cents(value) -> int | None:
    return None if value is None else round(Fraction(value) * 100)


def results_compute(*, process: Process) -> ProcessResult:
    """Count the ballots with the process's rule and store the explained outcome.

    Ballots, backers (market votes) and purchase votes go to the rule as one
    election with exact weights; ``ballots_counted`` is the ballots alone and
    the explanation says what the other channels brought.
    """
    election, projects, channels = _process_election(process)
    market_ballots = channels["market_ballots"]
    ballots = channels["ballots"]
    explanation = explain(election, process.outcome_rule)
    rows = [
        {
            "code": entry.project_id,
            "votes": int(entry.votes),
            "cost_cents": projects[entry.project_id].cost_cents,
            "selected": entry.selected,
            "position": entry.position,
            "stage": entry.stage,
            "round": entry.round,
            "payers": entry.payers,
            "max_payment_cents": _cents(entry.max_payment),
            "left_cents": _cents(entry.remaining_budget),
            "supporters_money_cents": _cents(entry.supporters_money),
        }
        for entry in explanation.projects
    ]
    rows.sort(
        key=lambda r: (not r["selected"], r["position"] or 0, -r["votes"], r["code"])
    )
    result, _created = ProcessResult.objects.update_or_create(
        process=process,
        defaults={
            "rule": process.outcome_rule,
            "winners": explanation.winners,
            "explanation": {
                "rows": rows,
                "share_cents": _cents(explanation.share),
                "increase": explanation.increase,
                "market_ballots": market_ballots,
                "market_vote_weight": process.market_vote_weight
                if market_ballots
                else 0,
                "purchase_votes": {
                    "mode": process.purchase_votes,
                    "ballots": channels["purchase_ballots"],
                    "buyers": channels["purchase_buyers"],
                    "orders": channels["purchase_orders"],
                    "total_weight": channels["purchase_weight"],
                    "weight": process.purchase_vote_weight,
                    "cap": process.purchase_votes_per_euro_cap,
                },
            },
            "ballots_counted": ballots,
        },
    )
    return result


def _why(row: dict, currency: str) -> str:
    def money(key):
        return format_money(row[key] or 0, currency)

    stage, selected = row["stage"], row["selected"]
    if not row["votes"] and not selected:
        return _("Nobody voted for it.")
    if stage == "equal shares" and selected:
        return _(
            "Round %(round)s: its %(payers)s supporters paid its cost together, "
            "none more than %(price)s."
        ) % {
            "round": row["round"],
            "payers": row["payers"],
            "price": money("max_payment_cents"),
        }
    if stage == "equal shares":
        return _(
            "Its supporters had %(money)s left in total from their equal shares: "
            "not enough for its cost."
        ) % {"money": money("supporters_money_cents")}
    if stage == "greedy completion" and selected:
        return _("Added at the end: it fitted in the budget left over (%(left)s).") % {
            "left": money("left_cents")
        }
    if stage == "greedy completion":
        return _(
            "Its supporters could not pay for it (%(money)s left), and it did not "
            "fit in the budget left over (%(left)s)."
        ) % {"money": money("supporters_money_cents"), "left": money("left_cents")}
    if selected:
        return _(
            "Enough votes, and it fitted in the budget left at its turn (%(left)s)."
        ) % {"left": money("left_cents")}
    return _("It did not fit in the budget left at its turn (%(left)s).") % {
        "left": money("left_cents")
    }


RULE_EXPLANATIONS = {
    OutcomeRule.GREEDY: gettext_noop(
        "Projects are taken from the most voted down; one that no longer fits "
        "in what is left of the budget is skipped and the next one is tried."
    ),
    OutcomeRule.MES: gettext_noop(
        "Method of Equal Shares: the budget is split equally among the voters; "
        "a project is funded when its supporters can pay for it together from "
        "their shares, cheapest per supporter first. Groups of voters get a "
        "share of the budget in proportion to their size."
    ),
    OutcomeRule.MES_ADD1: gettext_noop(
        "Method of Equal Shares, then completed: shares are raised one euro at "
        "a time while the outcome stays within the budget, and what is left is "
        "filled with the most voted projects that still fit."
    ),
}


def _purchases_display(stored: dict | None) -> dict | None:
    """What purchase votes counted, as stored with the result (None if off)."""
    if not stored or stored.get("mode", "off") == "off":
        return None
    return {**stored, "label": PurchaseVoteMode(stored["mode"]).label}


def result_rows(process: Process, result: ProcessResult) -> dict:
    projects = {p.code: p for p in process.projects.all()}
    rows = []
    for row in result.explanation.get("rows", []):
        project = projects.get(row["code"])
        rows.append(
            {
                **row,
                "title": project.title if project else row["code"],
                "why": _why(row, process.currency),
            }
        )
    top = max((r["votes"] for r in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        width = round(CHART_BAR * row["votes"] / top)
        bars.append(
            {
                "y": index * CHART_ROW,
                "code": row["code"],
                "title": row["title"],
                "votes": row["votes"],
                "selected": row["selected"],
                "width": width,
                "text_x": CHART_LABEL + width + 6,
            }
        )
    return {
        "rows": rows,
        "winners_count": sum(r["selected"] for r in rows),
        "spent_cents": sum(r["cost_cents"] for r in rows if r["selected"]),
        "ballots": result.ballots_counted,
        "purchases": _purchases_display(result.explanation.get("purchase_votes")),
        "rule_label": OutcomeRule(result.rule).label,
        "rule_explanation": _(RULE_EXPLANATIONS[OutcomeRule(result.rule)]),
        "chart": {
            "bars": bars,
            "width": CHART_LABEL + CHART_BAR + 50,
            "height": max(len(bars) * CHART_ROW, CHART_ROW),
            "label_width": CHART_LABEL,
        },
    }


def process_to_pb(process: Process) -> str:
    """The process's anonymous ballots as a pabulib file (ids are project codes)."""
    election, _projects = process_election(process)
    return write_pb(
        election,
        meta={
            "description": process.title,
            "country": "Italia",
            "unit": process.community.name,
            "instance": process.slug,
            "currency": process.currency,
            "vote_type": "cumulative"
            if process.ballot_kind == "cumulative"
            else "approval",
            "rule": process.outcome_rule,
        },
    )
