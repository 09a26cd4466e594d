from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo data of both seed cases (idempotent)."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins:"))
        width = max(len(login.email) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login.email:<{width}}  {login.role} · {login.community}"
            )
        self.stdout.write(f"  password for all of them: {DEMO_PASSWORD}")
