"""``manage.py customer_file_verify``: check a customer file offline, and name what does not match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.customer_file import FileReport, customer_file_verify, plural


class Command(BaseCommand):
    help = (
        "Check a customer file (the zip of manage.py customer_file_export or POST /api/v1/customers/{id}/file) "
        "offline, without the database: every file's SHA-256 and size against manifest.json, the manifest "
        "against manifest.sha256 (and --expect, the SHA-256 the bank's audit trail recorded), the audit events' "
        "hashes and hash chains recomputed from the lines in the bundle, and each case decision and alert "
        "disposition against the audit event that recorded it. Prints OK or every problem with the file it is "
        "in; exits 1 on any problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The customer file (a .zip).")
        parser.add_argument("--expect", metavar="SHA256",
                            help="The manifest's SHA-256 as the customer.file_exported event recorded it.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file; give the path of the customer file's zip.")
        report = customer_file_verify(path=path, expect_manifest_sha256=options["expect"])
        if options["json"]:
            self.stdout.write(json.dumps({
                "file": str(path), "ok": report.ok, "manifest_sha256": report.manifest_sha256,
                "files_checked": report.files_checked, "decisions_checked": report.decisions_checked,
                "audit_events": report.audit.events if report.audit else 0,
                "audit_chains": report.audit.chains if report.audit else 0,
                "problems": report.problems, "warnings": report.warnings}, indent=1))
        else:
            self._print(report)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) in {path.name}; see above. Do not rely on this "
                               "copy: ask the bank for the file again, or to confirm the manifest's SHA-256.")

    def _print(self, report: FileReport) -> None:
        manifest = report.manifest or {}
        customer = manifest.get("customer") or {}
        if customer:
            self.stdout.write(f"Customer file of {customer.get('name')} ({customer.get('customer_id')}), export "
                              f"{manifest.get('export_id')}, made {str(manifest.get('created_at'))[:19].replace('T', ' ')} UTC by "
                              f"{(manifest.get('created_by') or {}).get('name')}")
        if report.manifest_sha256:
            self.stdout.write(f"manifest.json SHA-256 {report.manifest_sha256}")
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(f"PROBLEM: {problem}"))
        audit = report.audit
        checked = (f"{plural(report.files_checked, 'file')} against the manifest, "
                   f"{plural(audit.events if audit else 0, 'audit event')} in {plural(audit.chains if audit else 0, 'chain')} "
                   f"recomputed, {plural(report.decisions_checked, 'decision')} against the trail")
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {checked}: everything matches."))
            self.stdout.write("The MACs of the audit events can only be checked by the bank (its audit key); ask it "
                              "to confirm the manifest's SHA-256 against the customer.file_exported event.")
        else:
            self.stdout.write(f"BROKEN: {checked}: {len(report.problems)} problem(s).")
