"""``manage.py audit_digest``: write a day's digest now (what the beat task does every hour)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.anchors import audit_digest_write
from apps.core.errors import ValidationFailed


class Command(BaseCommand):
    help = ("Write the digest of a finished UTC day (default: yesterday) to the audit bucket with Object Lock. "
            "Idempotent: an existing digest is kept and shown.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (UTC); default yesterday.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else (
                datetime.now(tz=UTC).date() - timedelta(days=1))
        except ValueError as exc:
            raise CommandError(f"--day {options['day']!r} is not a date; use YYYY-MM-DD.") from exc
        try:
            anchor = audit_digest_write(day=day)
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        state = "written" if anchor.created else "already there"
        self.stdout.write(self.style.SUCCESS(
            f"{anchor.key} {state}: {anchor.document['chain_count']} chains, {anchor.document['event_count']} "
            f"events, digest of digests {anchor.digest_of_digests}"))
