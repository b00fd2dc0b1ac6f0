"""Screen a CSV file of names against the lists (bench/eval/CONTRACT.md §1-§2)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.screening.batch import screen_stream
from apps.screening.index_provider import LIST_SOURCES, screening_index_get
from apps.screening.management.jsonl import jsonl_write
from apps.screening.matching import ALGORITHM_VERSION


def count_data_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def open_input(path: Path) -> IO[str]:
    if not path.is_file():
        raise CommandError(
            f"{path}: no such file. Give the path of a UTF-8 CSV file with the header "
            "id,name,entity_type,date_of_birth,nationality."
        )
    return open(path, encoding="utf-8-sig", newline="")


class Command(BaseCommand):
    help = (
        "Screen every row of INPUT.csv (id,name[,entity_type,date_of_birth,nationality]; extra columns "
        "ignored) against the sanctions lists and write one JSON line per row: "
        '{"id", "decision": "alert"|"clear", "hits": [{list, list_entity_id, name, score, explanation}]}, '
        'hits sorted by score. A bad row gives a line {"id", "error": {line, message, fields}} and the '
        "rest goes on. Lists: --lists snapshot (default from CDD_SCREENING_LIST_SOURCE, itself 'snapshot' "
        "by default) uses the snapshot bundled in the repository and needs no AWS; --lists active uses the "
        "active list versions in DynamoDB/S3 (falling back to the snapshot for a list never loaded)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path, metavar="INPUT.csv", help="CSV file to screen (UTF-8, with header)")
        parser.add_argument(
            "--output", type=Path, default=None, metavar="OUT.jsonl", help="write the JSON lines here (default: stdout)"
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"alert threshold 0..1 (default: CDD_SCREENING_THRESHOLD = {settings.CDD_SCREENING_THRESHOLD})",
        )
        parser.add_argument(
            "--lists",
            choices=LIST_SOURCES,
            default=None,
            help=f"list source (default: CDD_SCREENING_LIST_SOURCE = {settings.CDD_SCREENING_LIST_SOURCE})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes screening in parallel, sharing one index (default: %(default)s)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = settings.CDD_SCREENING_THRESHOLD if options["threshold"] is None else options["threshold"]
        if not 0.0 <= threshold <= 1.0:
            raise CommandError(f"--threshold must be between 0 and 1 (got {threshold}).")
        path: Path = options["input"]
        open_input(path).close()  # a wrong path fails now, not after building the index
        total = count_data_lines(path)
        started = time.perf_counter()
        current = screening_index_get(source=options["lists"])
        self.stderr.write(
            f"index: {len(current.index):,} entities from {current.source} lists "
            f"({', '.join(f'{k}={v}' for k, v in current.versions)}), {ALGORITHM_VERSION}, "
            f"threshold {threshold}, ready in {time.perf_counter() - started:.1f}s"
        )
        counts = {"alert": 0, "clear": 0, "error": 0}
        screening_started = time.perf_counter()
        workers = max(1, options["workers"])
        for result in jsonl_write(
            self, path=path, output=options["output"], open_input=open_input, total=total, unit="row",
            desc="screening", no_progress=options["no_progress"],
            stream=lambda fh: screen_stream(fh, index=current.index, threshold=threshold, workers=workers),
        ):
            counts["error" if "error" in result else result["decision"]] += 1
        done, seconds = sum(counts.values()), time.perf_counter() - screening_started
        self.stderr.write(
            f"{done:,} rows: {counts['alert']:,} alert, {counts['clear']:,} clear, {counts['error']:,} refused "
            f"in {seconds:.1f}s ({done / max(seconds, 1e-9):,.0f} rows/s)"
            + (f"; written to {options['output']}" if options["output"] else "")
        )
