"""Score pairs of names (bench/eval/CONTRACT.md §3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.screening.batch import PAIR_SCHEMAS, pairs_stream
from apps.screening.management.commands.screen_file import count_data_lines, open_input
from apps.screening.management.jsonl import jsonl_write


class Command(BaseCommand):
    help = (
        "Score every pair of PAIRS.csv (id,schema,name1,name2; schema one of "
        f"{', '.join(PAIR_SCHEMAS)}; extra columns ignored) and write one JSON line per pair: "
        '{"id", "score": 0..1, "match": true|false}. match is score >= --threshold. A bad row gives a '
        'line {"id", "error": {line, message, fields}} and the rest goes on. Needs no lists and no AWS.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path, metavar="PAIRS.csv", help="CSV file of pairs (UTF-8, with header)")
        parser.add_argument(
            "--output", type=Path, default=None, metavar="OUT.jsonl", help="write the JSON lines here (default: stdout)"
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"match threshold 0..1 (default: CDD_SCREENING_THRESHOLD = {settings.CDD_SCREENING_THRESHOLD})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = settings.CDD_SCREENING_THRESHOLD if options["threshold"] is None else options["threshold"]
        if not 0.0 <= threshold <= 1.0:
            raise CommandError(f"--threshold must be between 0 and 1 (got {threshold}).")
        path: Path = options["input"]
        total = count_data_lines(path) if path.is_file() else 0
        errors = rows = 0
        for result in jsonl_write(
            self, path=path, output=options["output"], open_input=open_input, total=total, unit="pair",
            desc="pairs", no_progress=options["no_progress"],
            stream=lambda fh: pairs_stream(fh, threshold=threshold),
        ):
            rows += 1
            errors += "error" in result
        self.stderr.write(
            f"{rows:,} pairs, {errors:,} refused" + (f"; written to {options['output']}" if options["output"] else "")
        )
