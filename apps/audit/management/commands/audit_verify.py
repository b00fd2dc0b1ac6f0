"""``manage.py audit_verify``: recompute the hash chains and name every break."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.audit.exports import export_verify
from apps.audit.verify import KINDS, Report, audit_trail_verify
from apps.core.errors import ValidationFailed


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since {value!r} is not a date; use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chains and report every event that was changed, removed, reordered "
        "or inserted (chain, seq, event id, what is wrong); compare each chain with its head and with the daily "
        "digests anchored in the Object Lock bucket. Exits 1 on any break. Without options every chain in the "
        "table is checked (a Scan: run it offline). With --file, verify an export without the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--since", metavar="DATE", help="Check every chain with an event on or after DATE "
                           "(YYYY-MM-DD, UTC), found through the by-day index, and the digests since DATE.")
        scope.add_argument("--object", metavar="TYPE:ID", help="Check one object's chain, e.g. customer:01J....")
        scope.add_argument("--file", metavar="EXPORT", type=Path, help="Verify an export offline: events.jsonl, "
                           "events.csv, or the directory holding them with manifest.json.")
        parser.add_argument("--manifest", type=Path, help="The export's manifest if not beside the file.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON on stdout.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["no_progress"]

        def progress(items: Any, **kwargs: Any) -> Any:
            return tqdm(items, file=sys.stderr, disable=quiet, leave=False, **kwargs)

        try:
            if options["file"]:
                path: Path = options["file"]
                if not path.exists():
                    raise CommandError(f"{path} does not exist; give the path of an export file or directory.")
                report = export_verify(path=path, manifest_path=options["manifest"])
                scope = f"export {path}"
            elif options["object"]:
                kind, sep, ident = options["object"].partition(":")
                if not sep or not kind or not ident:
                    raise CommandError("--object needs TYPE:ID, e.g. customer:01JD5XK8T9.")
                report = audit_trail_verify(chain=f"{kind}#{ident}", progress=progress)
                scope = f"object {options['object']}"
                if not report.events and report.ok:
                    raise CommandError(
                        f"No audit chain for {options['object']}: nothing was ever recorded for that object. Check "
                        "the type and the id (customer ids start with cus_, cases are onboarding-cus_…)."
                    )
            else:
                since = _day(options["since"]) if options["since"] else None
                report = audit_trail_verify(since=since, progress=progress)
                scope = f"since {since}" if since else "the whole table"
        except ValidationFailed as exc:
            raise CommandError(f"{exc.message} {exc.errors}") from exc
        self._print(report, scope, as_json=options["json"])
        if not report.ok:
            raise CommandError(f"{len(report.problems)} break(s) in the audit trail ({scope}); see above. "
                               "Treat it as an incident: keep the table and the export as they are.")

    def _print(self, report: Report, scope: str, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"scope": scope, "ok": report.ok, "chains": report.chains,
                                          "events": report.events, "anchors": report.anchors,
                                          "problems": [p.as_dict() for p in report.problems],
                                          "warnings": report.warnings}, indent=1))
            return
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for kind in KINDS:
            for problem in (p for p in report.problems if p.kind == kind):
                self.stdout.write(self.style.ERROR(str(problem)))
        summary = f"{report.events} events in {report.chains} chains, {report.anchors} digests ({scope})"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {summary}: every chain intact."))
        else:
            self.stdout.write(f"BROKEN: {summary}: {len(report.problems)} problem(s).")
