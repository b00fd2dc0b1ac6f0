from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.tables import tables_ensure


class Command(BaseCommand):
    help = (
        "Create (idempotently) and check every DynamoDB table the code declares: keys, indexes, "
        "on-demand billing, KMS encryption and point-in-time recovery where the endpoint supports them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only check; create nothing. Exit 1 on any problem.")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = tables_ensure(create=not options["check"])
        failed = False
        for report in reports:
            state = "created" if report.created else ("PROBLEM" if report.problems else "ok")
            self.stdout.write(f"{report.table:<45} {state}")
            for problem in report.problems:
                failed = True
                self.stdout.write(self.style.ERROR(f"    - {problem}"))
            for note in report.notes:
                self.stdout.write(f"    · {note}")
        if failed:
            raise CommandError("Some tables do not match the code; see above. Tables are never altered "
                               "automatically: apply the change through Terraform, then re-run with --check.")
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} tables ready."))
