from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.reviews.pkyc import periodic_run


class Command(BaseCommand):
    help = (
        "Do beat's periodic-review work now: open a periodic review for every customer in a relationship whose "
        "review falls due within CDD_REVIEW_LEAD_DAYS, remind and escalate open reviews, end expired manual risk "
        "ratings. Safe to run again: each review opens once per due date, each reminder is given once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Run as of this day (YYYY-MM-DD; default: today), e.g. to catch up.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError(f"--today {options['today']!r} is not a date: give YYYY-MM-DD.") from None
        counts = periodic_run(today=today)
        self.stdout.write(
            f"{counts['opened']} periodic review(s) opened ({counts['already_open']} already open, "
            f"{counts['not_in_relationship']} customer(s) due but not in a relationship); {counts['reminded']} "
            f"reminder(s), {counts['escalated']} escalation(s); {counts['overrides_expired']} manual rating(s) ended."
        )
