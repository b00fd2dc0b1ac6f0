"""``manage.py audit_export``: a time range or an object's history for a regulator."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.audit.exports import audit_export_create
from apps.core.errors import ValidationFailed


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date or time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Export the audit trail for a regulator: a time range (--since/--until) or one object's history "
        "(--object TYPE:ID) as events.jsonl and events.csv with the chain data (seq, prev_hash, hash, canonical "
        "content) and manifest.json (checksums, chain summaries, daily anchors). Written to the exports bucket; "
        "--out also saves a copy locally. The export is itself audited (audit.exported). "
        "Check it with: manage.py audit_verify --file DIR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Start (inclusive), YYYY-MM-DD or ISO time; UTC unless an offset.")
        parser.add_argument("--until", help="End (exclusive), YYYY-MM-DD or ISO time; UTC unless an offset.")
        parser.add_argument("--object", metavar="TYPE:ID", help="One object's whole history, e.g. customer:01J...")
        parser.add_argument("--out", type=Path, help="Directory to save the three files in (created).")
        parser.add_argument("--actor", default=None,
                            help="Who runs the export, recorded in the trail (default: the OS user).")

    def handle(self, *args: Any, **options: Any) -> None:
        object_type = object_id = None
        if options["object"]:
            object_type, sep, object_id = options["object"].partition(":")
            if not sep or not object_type or not object_id:
                raise CommandError("--object needs TYPE:ID, e.g. customer:01JD5XK8T9.")
        since = _moment(options["since"]) if options["since"] else None
        until = _moment(options["until"]) if options["until"] else None
        name = options["actor"] or getpass.getuser()
        actor = Actor(kind="system", id=f"audit_export:{name}", name=f"manage.py audit_export ({name})",
                      roles=("system",))
        try:
            export = audit_export_create(actor=actor, since=since, until=until, object_type=object_type,
                                         object_id=object_id)
        except ValidationFailed as exc:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {fields}".strip()) from exc
        if options["out"]:
            out: Path = options["out"]
            out.mkdir(parents=True, exist_ok=True)
            for file_name, body in export.files.items():
                (out / file_name).write_bytes(body)
            self.stdout.write(f"Saved to {out}/ ({', '.join(export.files)})")
        for key in export.keys.values():
            self.stdout.write(f"s3://{export.bucket}/{key}")
        self.stdout.write(self.style.SUCCESS(
            f"Export {export.export_id}: {export.manifest['event_count']} events in "
            f"{len(export.manifest['chains'])} chains, {len(export.manifest['anchors'])} digests."))
