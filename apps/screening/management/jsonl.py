"""What screen_file and screen_pairs share: CSV in, one JSON line per row out, bad rows on stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from tqdm import tqdm

from apps.screening.batch import BatchInputError


def jsonl_write(command: BaseCommand, *, path: Path, output: Path | None,
                stream: Callable[[IO[str]], Iterable[dict[str, Any]]], open_input: Callable[[Path], IO[str]],
                total: int, unit: str, desc: str, no_progress: bool) -> Iterator[dict[str, Any]]:
    """Write each result of ``stream(input)`` as a JSON line to ``output`` (stdout when None), name
    each refused row on stderr with a progress bar there, and yield the results for counting.
    Problems with the file itself become a ``CommandError`` saying what to do."""
    try:
        out: IO[str] | OutputWrapper = (
            open(output, "w", encoding="utf-8") if output else command.stdout  # noqa: SIM115 - closed below
        )
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror}; check the path.") from exc
    try:
        with open_input(path) as fh:
            bar = tqdm(stream(fh), total=total, unit=unit, file=sys.stderr, disable=no_progress or None, desc=desc)
            for result in bar:
                out.write(json.dumps(result, ensure_ascii=False) + "\n")  # OutputWrapper: no 2nd \n
                if "error" in result:
                    command.stderr.write(
                        f"row {result['id'] or '?'} (line {result['error']['line']}): {result['error']['message']}"
                    )
                yield result
    except BatchInputError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    except csv.Error as exc:
        raise CommandError(f"{path}: malformed CSV ({exc}); fix the file and retry.") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 CSV and retry."
        ) from exc
    finally:
        if out is not command.stdout:
            out.close()
