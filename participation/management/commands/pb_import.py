from django.core.management.base import BaseCommand, CommandError

from participation.exceptions import ProcessError
from participation.models import Community
from participation.services.pabulib_import import process_import_pb


class Command(BaseCommand):
    help = "Replay a real election: import a pabulib .pb file as a counted process."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--community", required=True, help="slug of the community")
        parser.add_argument(
            "--rule", default="mes-add1", choices=["greedy", "mes", "mes-add1"]
        )
        parser.add_argument("--slug", default=None)

    def handle(self, *args, **options):
        try:
            community = Community.objects.get(slug=options["community"])
        except Community.DoesNotExist as error:
            raise CommandError(f"no community {options['community']!r}") from error
        try:
            process = process_import_pb(
                community=community,
                source=options["file"],
                rule=options["rule"],
                slug=options["slug"],
            )
        except (ProcessError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{process.title}: {process.projects.count()} projects, "
            f"{process.result.ballots_counted} ballots, "
            f"{len(process.result.winners)} winners "
            f"-> {process.get_absolute_url()}results/"
        )
