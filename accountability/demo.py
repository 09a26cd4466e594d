"""Demo data for profit reinvestment: one period declared, committed and
allocated, for ``demo.seed`` to call once the consortium and its process exist.
"""

import datetime

from django.db import transaction

from participation.models import Community, Process, Role, Section

from . import services
from .models import ResultsPeriod

DEMO_LABEL = "2025"
DEMO_SHARE_PERCENT = 40
# (revenue, costs) in cents, by position of the partner in name order.
DEMO_FIGURES = [
    (48_200_00, 39_750_40),
    (36_900_00, 30_120_15),
    (22_400_00, 19_980_00),
    (18_750_00, 16_300_25),
    (41_300_00, 33_410_60),
    (15_600_00, 12_880_00),
    (27_450_00, 25_990_90),
    (12_300_00, 13_050_00),
    (33_800_00, 27_640_35),
    (9_500_00, 8_720_00),
    (52_100_00, 44_380_75),
    (19_900_00, 16_210_10),
]


@transaction.atomic
def reinvestment_demo_seed(
    *, community: Community, process: Process | None = None, by=None
) -> ResultsPeriod:
    """Declare the 2025 figures of ``community``'s partners, commit 40 % of the
    profit and allocate it with ``process``'s outcome as it stands (its
    newest process and first enterprise manager unless given). Running it
    again returns the existing period and changes nothing."""
    existing = ResultsPeriod.objects.filter(community=community, label=DEMO_LABEL)
    if existing.exists():
        return existing.get()
    process = process or community.processes.order_by("-pk").first()
    by = by or community.memberships.filter(role=Role.MANAGER).first().user
    partners = Section.objects.filter(
        community=community, kind=Section.Kind.PARTNER
    ).order_by("name")
    figures = [
        {"section": section, "revenue_cents": revenue, "costs_cents": costs}
        for section, (revenue, costs) in zip(partners, DEMO_FIGURES, strict=False)
    ]
    period = services.period_declare(
        community=community,
        label=DEMO_LABEL,
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
        process=process,
        figures=figures,
        by=by,
        notes="Bilancio 2025 approvato dall'assemblea dei soci.",
    )
    period = services.period_commit(
        period=period, share_percent=DEMO_SHARE_PERCENT, by=by
    )
    proposal = services.period_allocation_propose(period=period)
    return services.period_allocate(
        period=period, fingerprint=proposal.fingerprint, by=by
    )
