"""``manage.py pb_outcome FILE.pb --rule greedy|mes|mes-add1 [--json]``."""

import json

from django.core.management.base import BaseCommand, CommandError

from participation.rules import RULES, PabulibError, parse_pb, winners
from participation.rules.pabulib import format_number


class Command(BaseCommand):
    help = (
        "Compute the winners of a participatory-budgeting election stored in a "
        "pabulib .pb file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .pb file")
        parser.add_argument(
            "--rule", required=True, choices=list(RULES), help="the outcome rule"
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='print only {"winners": [project ids in selection order]}',
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            election = parse_pb(path)
        except PabulibError as error:
            raise CommandError(f"{path}: {error}") from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        chosen = winners(election, options["rule"])
        if options["json"]:
            self.stdout.write(json.dumps({"winners": chosen}))
            return
        projects = {p.id: p for p in election.projects}
        width = max((len(pid) for pid in chosen), default=0)
        cost_width = max(
            (len(format_number(projects[pid].cost)) for pid in chosen), default=0
        )
        for pid in chosen:
            project = projects[pid]
            cost = format_number(project.cost)
            self.stdout.write(
                f"{pid:<{width}}  {cost:>{cost_width}}  {project.name}".rstrip()
            )
        total = election.total_cost(chosen)
        self.stdout.write(
            f"{len(chosen)} projects, total cost {format_number(total)} "
            f"of budget {format_number(election.budget)}"
        )
