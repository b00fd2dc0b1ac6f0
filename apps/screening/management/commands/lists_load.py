"""Load sanctions lists as new list versions: from the bundled snapshot, a folder, or the official URLs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.screening.lists import SNAPSHOT_LISTS, snapshot_files
from apps.screening.selectors.lists import list_heads_get
from apps.screening.services.lists import (
    list_files_fetch,
    list_source_for,
    list_sources_configured,
    list_version_load,
)


class Command(BaseCommand):
    help = (
        "Load lists as new list versions (parse, check against the active version, store in S3 and "
        "DynamoDB, activate). A file that does not parse, or whose entity count collapsed, is "
        "recorded as refused and the active version stays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list",
            dest="lists",
            action="append",
            metavar="KEY",
            help=f"list key, repeatable (default: every snapshot list: {', '.join(SNAPSHOT_LISTS)})",
        )
        origin = parser.add_mutually_exclusive_group(required=True)
        origin.add_argument("--from-snapshot", action="store_true", help="the snapshot bundled in the repository")
        origin.add_argument(
            "--dir",
            type=Path,
            metavar="PATH",
            help="a folder with one sub-folder per list key holding its files (e.g. PATH/ofac_sdn/sdn.csv)",
        )
        origin.add_argument("--fetch", action="store_true", help="download from the official URLs (or CDD_LISTS_URLS)")
        parser.add_argument(
            "--only-missing",
            action="store_true",
            help="load only lists that have no active version yet (how `make run` seeds the snapshot: a "
            "version loaded by hand stays active)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="accept a version even if it has far fewer entities than the active one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keys: list[str] = options["lists"] or list(SNAPSHOT_LISTS)
        known = set(SNAPSHOT_LISTS) | set(list_sources_configured())
        for key in keys:
            try:
                list_source_for(key)
            except DomainError as exc:
                raise CommandError(
                    f"{exc.message}. Use --list with one of: {', '.join(sorted(known))}; a list of your own (an "
                    "internal watch list, a FollowTheMoney file) is declared first in CDD_LISTS_EXTRA "
                    "(docs/lists.md, 'The internal watch-list CSV'), in this shell and in the stack's."
                ) from exc
            if options["from_snapshot"] and key not in SNAPSHOT_LISTS:
                raise CommandError(f"The snapshot has no list {key!r}; use --dir or --fetch for it.")
        if options["only_missing"]:
            heads = list_heads_get(keys)
            for key in [k for k in keys if k in heads]:
                head = heads[key]
                self.stdout.write(
                    f"{key}: kept active version {head.active_version_id} ({int(head.entity_count)} entities, "
                    f"activated {head.activated_at:%Y-%m-%d %H:%M} UTC); --only-missing loads only lists without one"
                )
            keys = [k for k in keys if k not in heads]
            if not keys:
                return
        actor = Actor.system("lists_load")
        failed = held = 0
        progress = tqdm(keys, desc="lists", unit="list", file=sys.stderr, disable=None)
        for key in progress:
            progress.set_postfix_str(key)
            try:
                files, source = self._files(key, options)
                outcome = list_version_load(
                    list_key=key, files=files, actor=actor, source=source, force=options["force"]
                )
            except DomainError as exc:
                failed += 1
                progress.write(f"{key}: failed: {exc.message}", file=sys.stderr)
                continue
            version = outcome.version
            if outcome.outcome == "refused":
                failed += 1
                progress.write(f"{key}: REFUSED version {version.version_id}: {version.message}", file=sys.stderr)
                continue
            if outcome.outcome == "held":
                held += 1
                progress.write(
                    f"{key}: HELD version {version.version_id}: {version.message} Activate it with "
                    f"`manage.py lists_activate --list {key} --list-version {version.version_id} --user <senior> "
                    "--reason ...`.", file=sys.stderr)
                continue
            if outcome.outcome == "unchanged":
                self.stdout.write(f"{key}: unchanged: the files are those of active version {version.version_id}")
                continue
            diff = version.diff or {}
            for name, counted in sorted((version.orphans or {}).items()):
                self.stdout.write(f"{key}: {name}: {counted['rows']:,} rows for {counted['ids']:,} entries the primary "
                                  "file lacks (skipped)")
            self.stdout.write(
                f"{key}: {outcome.outcome} version {version.version_id}: {int(version.entity_count)} entities "
                f"{version.counts}; +{diff.get('added', 0)} -{diff.get('removed', 0)} ~{diff.get('changed', 0)}"
            )
        if failed or held:
            raise CommandError(
                f"{failed} of {len(keys)} lists were not loaded" + (f" and {held} are held" if held else "")
                + " (see above); their active versions are unchanged."
            )

    def _files(self, key: str, options: dict[str, Any]) -> tuple[dict[str, bytes], Any]:
        if options["from_snapshot"]:
            return snapshot_files(key), "snapshot"
        if options["fetch"]:
            return list_files_fetch(list_key=key), "url"
        folder: Path = options["dir"] / key
        if not folder.is_dir():
            raise CommandError(f"{folder} does not exist; --dir needs one sub-folder per list key.")
        specs = list_source_for(key).files
        files: dict[str, bytes] = {}
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            name = next((f.name for f in specs if f.name.lower() == path.name.lower()), None)
            if name is None:
                # "UN_consolidated.xml", "ConList_2025-04-14.csv": the only file of that type.
                same_type = [f.name for f in specs if Path(f.name).suffix.lower() == path.suffix.lower()]
                name = same_type[0] if len(same_type) == 1 else None
            if name is not None and name not in files:
                files[name] = path.read_bytes()
        if not files:
            raise CommandError(f"{folder} holds none of the files of {key} ({', '.join(f.name for f in specs)}).")
        return files, "directory"
