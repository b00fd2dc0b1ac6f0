"""Run pending follow-up work (outbox items) here and now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.outbox import outbox_drain, outbox_pending


class Command(BaseCommand):
    help = (
        "Process pending outbox items (screening requests, onboarding cases…) in this process, as a worker "
        "would: all of them, or one customer's. For operators when the workers are down or backed up; the "
        "items are idempotent, so running them while workers also do is safe. Failures stay on the item "
        "(attempts, last error) and are retried."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", metavar="ID", help="only this customer's items")
        parser.add_argument("--limit", type=int, default=1000, help="at most this many items (default 1000)")
        parser.add_argument("--list", action="store_true", help="only list what is pending; run nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for item in outbox_pending(older_than_seconds=0, limit=options["limit"]):
                error = f" — attempt {int(item.attempts or 0)}: {item.last_error}" if item.attempts else ""
                self.stdout.write(f"{item.outbox_id} {item.topic} {item.group_key} since {item.created_at:%Y-%m-%d %H:%M}"
                                  f"{error}")
            return
        # Work can imply more work (a screening asks for a risk assessment): drain until a round does nothing.
        counts = {"done": 0, "failed": 0}
        for _ in range(10):
            round_counts = outbox_drain(group_key=options["customer"], limit=options["limit"])
            counts = {k: counts[k] + round_counts[k] for k in counts}
            if not round_counts["done"]:
                break
        self.stdout.write(f"done {counts['done']}, failed {counts['failed']} (failures are kept on the item and "
                          "retried; see --list)")
