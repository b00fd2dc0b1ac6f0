"""``manage.py name_index_rebuild``: (re)build the name-token index behind customer search from the records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.customers.name_index import RebuildReport, name_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the name-token index (table customer_name_tokens) that customer search reads: for every customer "
        "and each of its related parties, derive the keys of their names and external reference, and put, change "
        "or delete index items until the index holds exactly those. Keys of customers or parties that no longer "
        "exist are removed. Safe to run again and alongside live writes. Without --customer it Scans the customers "
        "and the index tables: run it offline (after a restore, or to fill the index for data written before it "
        "existed). The services keep the index up to date on every write."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", action="append", metavar="CUSTOMER_ID", dest="customers",
                            help="Rebuild only this customer's keys (repeatable); no Scan.")
        parser.add_argument("--every", type=int, default=100, metavar="N",
                            help="Print progress every N customers (default 100).")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(report: RebuildReport) -> None:
            self.stdout.write(f"  {report.customers} customers, {report.parties} related parties, "
                              f"{report.written} index items written")

        scope = "the given customers" if options["customers"] else "every customer (Scan)"
        self.stdout.write(f"Rebuilding the name-token index for {scope}...")
        report = name_index_rebuild(customer_ids=options["customers"], progress=progress,
                                    every=max(1, options["every"]))
        audit_event_record(entry=AuditEntry(
            actor=Actor.system("name_index_rebuild"), action="customers.name_index_rebuilt", object_type="table",
            object_id="customer_name_tokens",
            data={"customers": report.customers, "related_parties": report.parties, "written": report.written,
                  "scope": options["customers"] or "all"}))
        self.stdout.write(self.style.SUCCESS(
            f"Done: {report.customers} customers and {report.parties} related parties checked, "
            f"{report.written} index items written."))
