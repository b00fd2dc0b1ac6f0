from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.documents.services import document_requests_remind, documents_expire


class Command(BaseCommand):
    help = (
        "Run the daily documents jobs now: mark expired documents (opening a trigger for each) and send the "
        "reminders due on open requests for information. Beat runs the same tasks daily; this is safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Pretend today is this ISO date (YYYY-MM-DD), e.g. to catch up.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as exc:
            raise CommandError(f"--today {options['today']!r} is not an ISO date (YYYY-MM-DD).") from exc
        expired = documents_expire(today=today, actor=Actor.system("documents_expire"))
        reminders = document_requests_remind(today=today, actor=Actor.system("documents_expire"))
        self.stdout.write(f"{expired} document(s) expired; reminders: {reminders}")
