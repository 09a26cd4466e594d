"""Counting: from the ballots in the database to a stored, explained result.

Money goes to the rules in euro as exact fractions (cents / 100), so that the
Add1 completion raises every voter's share one euro at a time, as on pabulib.
"""

from collections import Counter
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.money import format_money

from ..rules.election import Election, Project as RuleProject
from ..rules.greedy import greedy
from ..rules.mes import run_mes, run_mes_add1
from ..rules.pabulib import write_pb
from ..models import Ballot, BallotItem, Process, ProcessResult, Project
from ..models.process import OutcomeRule

CHART_ROW = 24
CHART_LABEL = 48
CHART_BAR = 420


def process_election(process: Process) -> tuple[Election, dict[str, Project]]:
    """The process's ballots as an anonymous election (approval of chosen projects)."""
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
    election = Election(
        budget=Fraction(process.budget_cents, 100),
        projects=[
            RuleProject(id=code, cost=Fraction(p.cost_cents, 100), name=p.title)
            for code, p in projects.items()
        ],
        approvals=[frozenset(by_ballot[b]) for b in ballot_ids],
        weights=[weights[b] for b in ballot_ids]
        if any(weights[b] != 1 for b in ballot_ids)
        else None,
        ballot_kind="cumulative" if process.ballot_kind == "cumulative" else "approval",
        points=[dict(by_ballot[b]) for b in ballot_ids]
        if process.ballot_kind == "cumulative"
        else None,
    )
    return election, projects


def _greedy_reasons(
    election, votes, selected_order, start_selected=()
) -> dict[str, dict]:
    """Replay greedy over what was not selected to say how much budget was left."""
    chosen = set(start_selected)
    remaining = Fraction(election.budget) - sum(
        (p.cost for p in election.projects if p.id in chosen), Fraction(0)
    )
    reasons = {}
    costs = {p.id: Fraction(p.cost) for p in election.projects}
    for pid in selected_order:
        if pid in chosen:
            continue
        chosen.add(pid)
        remaining -= costs[pid]
    # Every project not selected is explained against what was left at the end,
    # which is what it would have had to fit in.
    for pid, cost in costs.items():
        if pid not in chosen:
            if not votes.get(pid):
                reasons[pid] = {"key": "no_votes"}
            else:
                reasons[pid] = {
                    "key": "did_not_fit",
                    "left_cents": int(remaining * 100),
                }
    return reasons


def results_compute(*, process: Process) -> ProcessResult:
    """Count the ballots with the process's rule and store the explained outcome."""
    election, projects = process_election(process)
    weights = election.weights or [1] * len(election.approvals)
    votes: Counter = Counter()
    for ballot, weight in zip(election.approvals, weights, strict=True):
        for pid in ballot:
            votes[pid] += weight
    rule = process.outcome_rule
    rows_extra: dict[str, dict] = {}
    if rule == OutcomeRule.GREEDY:
        winners = greedy(election)
        reasons = _greedy_reasons(election, votes, winners)
        for pid in winners:
            rows_extra[pid] = {"key": "greedy_selected"}
    else:
        if rule == OutcomeRule.MES:
            outcome, filled = run_mes(election), []
        else:
            add1 = run_mes_add1(election)
            outcome, filled = add1.mes, add1.filled
        winners = outcome.winners + filled
        for pid in outcome.free:
            rows_extra[pid] = {"key": "free"}
        for round_ in outcome.rounds:
            rows_extra[round_.project_id] = {
                "key": "mes_paid",
                "payers": round_.payers,
                "price_cents": round(round_.price * 100),
            }
        for pid in filled:
            rows_extra[pid] = {"key": "filled"}
        reasons = _greedy_reasons(election, votes, winners)
        for pid, reason in reasons.items():
            if reason["key"] == "did_not_fit" and rule != OutcomeRule.MES_ADD1:
                reason["key"] = "mes_unaffordable"
    rows_extra.update(reasons)
    order = {pid: i for i, pid in enumerate(winners)}
    rows = [
        {
            "code": code,
            "votes": votes.get(code, 0),
            "cost_cents": project.cost_cents,
            "selected": code in order,
            "order": order.get(code),
            **{f"why_{k}": v for k, v in rows_extra.get(code, {}).items()},
        }
        for code, project in projects.items()
    ]
    rows.sort(
        key=lambda r: (
            not r["selected"],
            r["order"] if r["selected"] else 0,
            -r["votes"],
            r["code"],
        )
    )
    result, _created = ProcessResult.objects.update_or_create(
        process=process,
        defaults={
            "rule": rule,
            "winners": winners,
            "explanation": {"rows": rows},
            "ballots_counted": len(election.approvals),
        },
    )
    return result


def _why(row: dict, currency: str) -> str:
    key = row.get("why_key")
    if key == "mes_paid":
        return _(
            "Its %(payers)s supporters paid its whole cost from their equal shares, "
            "at most %(price)s each."
        ) % {
            "payers": row["why_payers"],
            "price": format_money(row["why_price_cents"], currency),
        }
    if key == "filled":
        return _("Added at the end: it still fitted in the budget left over.")
    if key == "greedy_selected":
        return _("Enough votes, and it fitted in the budget left at its turn.")
    if key == "free":
        return _("It costs nothing and has supporters.")
    if key == "did_not_fit":
        return _("It did not fit in the budget left (%(left)s).") % {
            "left": format_money(row["why_left_cents"], currency)
        }
    if key == "mes_unaffordable":
        return _("Its supporters' equal shares were not enough to pay for it.")
    if key == "no_votes":
        return _("Nobody voted for it.")
    return ""


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
        "rule_label": OutcomeRule(result.rule).label,
        "rule_explanation": _(RULE_EXPLANATIONS[OutcomeRule(result.rule)]),
        "chart": {
            "bars": bars,
            "width": CHART_LABEL + CHART_BAR + 60,
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
