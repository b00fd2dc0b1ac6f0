"""``manage.py customer_file_export``: everything about one customer, for a regulator or internal audit."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.audit.customer_file import customer_file_export
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Export a customer's file for a regulator or internal audit: one zip with the full profile and its "
        "history, related parties and the ownership picture, every screening run with the list versions and "
        "algorithm that produced it, the alerts and their dispositions, the risk assessments with their factors "
        "(and the risk model versions used), the documents' metadata (--with-files: also the files that were "
        "scanned clean; others are listed with the reason), the cases and their decisions, and the audit events "
        "of every chain of the customer with their verification. manifest.json lists every file's size and "
        "SHA-256; manifest.sha256 is the manifest's own hash, also recorded in the audit trail "
        "(customer.file_exported). Stored in the exports bucket; --out also saves it locally. "
        "Check it offline with: manage.py customer_file_verify FILE.zip"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", help="The customer's id, e.g. cus_01J...")
        parser.add_argument("--with-files", action="store_true",
                            help="Include the documents' files (those scanned clean; the manifest says why others "
                                 "are not included).")
        parser.add_argument("--out", type=Path, metavar="PATH",
                            help="Also save the zip here (a file name, or a directory to save it in).")
        parser.add_argument("--actor", default=None,
                            help="Who runs the export, recorded in the trail (default: the OS user).")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["actor"] or getpass.getuser()
        actor = Actor(kind="system", id=f"customer_file_export:{name}",
                      name=f"manage.py customer_file_export ({name})", roles=("system",))
        try:
            exported = customer_file_export(customer_id=options["customer_id"], actor=actor,
                                            with_files=options["with_files"], progress=self.stdout.write)
        except DomainError as exc:
            raise CommandError(exc.text()) from exc
        saved: Path | None = None
        try:
            if options["out"]:
                saved = exported.save(options["out"])
                self.stdout.write(f"saved to {saved}")
        finally:
            exported.archive.close()
        contents = exported.manifest["contents"]
        self.stdout.write(f"manifest.json SHA-256 {exported.manifest_sha256}")
        self.stdout.write(self.style.SUCCESS(
            f"Customer file {exported.export_id} of {exported.customer_name}: {len(exported.manifest['files'])} "
            f"files, {contents.get('audit_events', 0)} audit events in {contents.get('audit_chains', 0)} chains. "
            "Check it with: manage.py customer_file_verify " + str(saved or exported.file_name)))
