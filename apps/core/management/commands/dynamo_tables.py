from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.tables import tables_ensure, terraform_tables


class Command(BaseCommand):
    help = (
        "Create (idempotently) and check every DynamoDB table the code declares: keys, indexes, "
        "on-demand billing, KMS encryption and point-in-time recovery where the endpoint supports them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only check; create nothing. Exit 1 on any problem.")
        parser.add_argument("--terraform-json", metavar="PATH",
                            help="Write the tables as Terraform declares them (deploy/terraform/modules/data/"
                                 "tables.json) and exit; touches no AWS.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["terraform_json"]:
            import json

            with open(options["terraform_json"], "w", encoding="utf-8") as out:
                json.dump(terraform_tables(), out, indent=2, sort_keys=True)
                out.write("\n")
            self.stdout.write(f"wrote {options['terraform_json']}")
            return
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
