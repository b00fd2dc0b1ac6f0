"""Score pairs of names (shared/data/eval/CONTRACT.md §3)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from apps.screening.batch import PAIR_SCHEMAS, BatchInputError, pairs_stream
from apps.screening.management.commands.screen_file import count_data_lines, open_input


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
        try:
            out: IO[str] | OutputWrapper = (
                open(options["output"], "w", encoding="utf-8")  # noqa: SIM115 - closed below
                if options["output"]
                else self.stdout
            )
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror}; check the path.") from exc
        errors = rows = 0
        try:
            with open_input(path) as fh:
                bar = tqdm(
                    pairs_stream(fh, threshold=threshold),
                    total=total,
                    unit="pair",
                    file=sys.stderr,
                    disable=options["no_progress"] or None,
                    desc="pairs",
                )
                for result in bar:
                    rows += 1
                    out.write(json.dumps(result, ensure_ascii=False) + "\n")  # OutputWrapper: no 2nd \n
                    if "error" in result:
                        errors += 1
                        self.stderr.write(
                            f"row {result['id'] or '?'} (line {result['error']['line']}): {result['error']['message']}"
                        )
        except BatchInputError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        except csv.Error as exc:
            raise CommandError(f"{path}: malformed CSV ({exc}); fix the file and retry.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 CSV and retry."
            ) from exc
        finally:
            if out is not self.stdout:
                out.close()
        self.stderr.write(
            f"{rows:,} pairs, {errors:,} refused" + (f"; written to {options['output']}" if options["output"] else "")
        )
