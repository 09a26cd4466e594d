"""The PDF statement of a results period (documents.pdf renders it).

Rendered on request from the stored rows and the ledger: an allocated period
never changes, so the same statement comes out every time (only the list of
expenses paid since grows).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from documents.pdf import render_pdf
from participation.services.results import RULE_EXPLANATIONS

from . import selectors
from .models import ResultsPeriod

TEMPLATE = "documents/period_statement.html"
STYLESHEETS = ("css/receipt.css",)


def period_statement_context(period: ResultsPeriod) -> dict:
    statement = selectors.period_statement(period)
    community = period.community
    return {
        "receipt": {"kind": "statement", "issued_on": timezone.localdate()},
        "organisation": {
            "name": community.name,
            "legal_name": community.name,
            "tax_code": "",
            "address": getattr(community, "place", "") or "",
            "nonprofit": False,
        },
        "period": period,
        "statement": statement,
        "rule": period.process.get_outcome_rule_display(),
        "rule_explanation": _(RULE_EXPLANATIONS.get(period.process.outcome_rule, "")),
    }


def period_statement_pdf(period: ResultsPeriod) -> bytes:
    return render_pdf(
        TEMPLATE, period_statement_context(period), stylesheets=STYLESHEETS
    )
