from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.bootstrap import aws_resources_ensure
from apps.core.tables import tables_ensure


class Command(BaseCommand):
    help = (
        "Local stack and test runs only: create the KMS key, S3 buckets (versioned, KMS-encrypted, "
        "public access blocked, Object Lock on the audit bucket), SQS queues with dead-letter queues, "
        "and the DynamoDB tables. In AWS, Terraform owns these resources."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when CDD_ENV is an AWS environment.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CDD_ENV in ("dev", "staging", "prod") and not options["force"]:
            raise CommandError(f"CDD_ENV={settings.CDD_ENV}: resources there come from deploy/terraform. "
                               "Use --force only if you know why.")
        result = aws_resources_ensure()
        self.stdout.write(f"KMS key: {result['kms_key']}")
        for bucket in result["buckets"]:  # type: ignore[attr-defined]
            self.stdout.write(f"bucket:  {bucket}")
        for queue in result["queues"]:  # type: ignore[attr-defined]
            self.stdout.write(f"queue:   {queue}")
        reports = tables_ensure(create=True)
        created = sum(r.created for r in reports)
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} tables ready ({created} created)."))
