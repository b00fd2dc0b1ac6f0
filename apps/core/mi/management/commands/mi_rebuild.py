"""Recompute the management-information aggregates from the audit trail (offline)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.errors import Conflict
from apps.core.mi.services import mi_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every management-information counter and gauge (docs/mi.md) from the audit trail and replace "
        "the stored ones: once after upgrading a book that predates the aggregates, or after restoring a table. "
        "Offline work: it Scans the audit_events and mi_aggregates tables. Refuses while domain events are still "
        "pending in the outbox (they would count twice): let the workers finish or run outbox_drain first. "
        "The rebuild is audited (mi.rebuilt); events applied later are counted on top as usual."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="compute and report; change nothing")
        parser.add_argument("--force", action="store_true",
                            help="rebuild even though domain events are pending (they may count twice)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = mi_rebuild(actor=Actor.system("mi_rebuild"), dry_run=options["dry_run"], force=options["force"],
                                progress=self.stdout.write)
        except Conflict as exc:
            raise CommandError(exc.message) from exc
        verb = "would replace" if options["dry_run"] else "replaced"
        self.stdout.write(f"{result['audit_events']} audit event(s) read; {verb} {result['replaced']} stored "
                          f"aggregate(s) with {result['aggregates']}.")
