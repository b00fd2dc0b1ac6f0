from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.audit.actors import Actor
from apps.reviews.services import cases_due_backfill


class Command(BaseCommand):
    help = (
        "Once, after upgrading: give every case opened before cases had due dates its due date (CDD_CASE_SLA_DAYS "
        "from its opening), so the work queue and 'my work' list it. Scans the cases table (offline work); each "
        "case is changed and audited once; safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = cases_due_backfill(actor=Actor.system("cases_due_backfill"))
        self.stdout.write(f"{counts['set']} case(s) given a due date; {counts['already']} had one; "
                          f"{counts['changed_meanwhile']} changed meanwhile (run again).")
