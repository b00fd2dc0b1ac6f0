"""Batch screening and pair scoring, exactly as bench/eval/CONTRACT.md defines them.

No Django here: ``screen_file`` / ``screen_pairs`` (management commands), the API and
``bench/screening.py`` all go through these functions. Input is validated row by row: a bad
row yields an error line naming the row and the problem, and the rest goes on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from multiprocessing import get_context
from typing import IO, Any

from apps.screening.lists.countries import country_code as country_name_code
from apps.screening.matching import ENTITY_TYPES, MatchIndex, Query, compare_names
from apps.screening.matching.normalize import parse_partial_date

INPUT_REQUIRED = ("id", "name")
INPUT_COLUMNS = ("id", "name", "entity_type", "date_of_birth", "nationality")
PAIR_COLUMNS = ("id", "schema", "name1", "name2")
PAIR_SCHEMAS = ("Person", "Company", "Organization", "LegalEntity", "Vessel", "Airplane")
MAX_NAME_LENGTH = 500


class BatchInputError(ValueError):
    """The file as a whole cannot be read (not CSV, missing header columns)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One input row that was refused, and why."""

    row_id: str | None
    line: int
    problems: dict[str, str]

    def as_output(self) -> dict[str, Any]:
        message = "; ".join(f"{field}: {problem}" for field, problem in self.problems.items())
        return {"id": self.row_id, "error": {"line": self.line, "message": message, "fields": self.problems}}


def clean_entity_type(value: str | None) -> str:
    """``person``/``organization``/``vessel``/``aircraft``/``unknown``; raises ValueError."""
    value = (value or "").strip().lower()
    if not value:
        return "unknown"
    if value not in ENTITY_TYPES:
        raise ValueError(f"must be one of {', '.join(ENTITY_TYPES)} (got {value!r})")
    return value


def clean_date_of_birth(value: str | None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, not in the future; raises ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    parsed = parse_partial_date(value)
    if parsed is None:
        raise ValueError(f"must be YYYY, YYYY-MM or YYYY-MM-DD (got {value!r})")
    year, month, day = parsed
    if day is not None and month is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError(f"is not a calendar date (got {value!r})") from None
    if not 1850 <= year <= datetime.now(tz=UTC).year:
        raise ValueError(f"year {year} is out of range")
    return value


def clean_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code (either case) or a country name -> upper-case code."""
    value = (value or "").strip()
    if not value:
        return None
    code = country_name_code(value)
    if code is None:
        raise ValueError(f"is not an ISO 3166-1 alpha-2 code or a known country name (got {value!r})")
    return code.upper()


def clean_name(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError("is required")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"is longer than {MAX_NAME_LENGTH} characters")
    return value


def query_from_row(row: dict[str, str | None], *, line: int) -> Query | RowError:
    """Validate one CSV row of the screening input into a :class:`Query`."""
    row_id = (row.get("id") or "").strip() or None
    problems: dict[str, str] = {}
    if row_id is None:
        problems["id"] = "is required"
    fields: dict[str, Any] = {}
    for field, cleaner in (
        ("name", clean_name),
        ("entity_type", clean_entity_type),
        ("date_of_birth", clean_date_of_birth),
        ("nationality", clean_country),
    ):
        try:
            fields[field] = cleaner(row.get(field))
        except ValueError as exc:
            problems[field] = str(exc)
    if None in row:  # csv.DictReader puts surplus cells under the key None
        problems["row"] = "has more cells than the header"
    if problems:
        return RowError(row_id=row_id, line=line, problems=problems)
    return Query(
        name=fields["name"],
        entity_type=fields["entity_type"],
        date_of_birth=fields["date_of_birth"],
        country=fields["nationality"],
    )


def _reader(stream: IO[str], required: Iterable[str]) -> csv.DictReader[str]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames
    if not header:
        raise BatchInputError("the file is empty: expected a CSV header line")
    missing = [c for c in required if c not in header]
    if missing:
        raise BatchInputError(
            f"the CSV header lacks column(s) {', '.join(missing)}; found: {', '.join(header)}. "
            f"Expected at least: {', '.join(required)}"
        )
    return reader


def screen_result(row_id: str, index: MatchIndex, query: Query, *, threshold: float) -> dict[str, Any]:
    """One output line of CONTRACT.md §2 for a valid query."""
    result = index.screen(query, threshold=threshold, limit=None)
    return {"id": row_id, "decision": result.decision, "hits": [h.as_contract() for h in result.hits]}


def _numbered_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str | None], str | None]]:
    """(line, row, problem) for each CSV row; ``problem`` is set for a duplicate id."""
    reader = _reader(stream, INPUT_REQUIRED)
    seen: set[str] = set()
    for row in reader:
        row_id = (row.get("id") or "").strip()
        problem = None
        if row_id and row_id in seen:
            problem = "is a duplicate"
        seen.add(row_id)
        yield reader.line_num, row, problem


def _screen_row(
    index: MatchIndex, line: int, row: dict[str, str | None], problem: str | None, threshold: float
) -> dict[str, Any]:
    if problem is not None:
        return RowError(row_id=(row.get("id") or "").strip(), line=line, problems={"id": problem}).as_output()
    query = query_from_row(row, line=line)
    if isinstance(query, RowError):
        return query.as_output()
    return screen_result((row.get("id") or "").strip(), index, query, threshold=threshold)


_FORKED: dict[str, Any] = {}  # the index handed to forked workers (copy-on-write, never pickled)


def _screen_chunk(chunk: list[tuple[int, dict[str, str | None], str | None]]) -> list[dict[str, Any]]:
    index, threshold = _FORKED["index"], _FORKED["threshold"]
    return [_screen_row(index, line, row, problem, threshold) for line, row, problem in chunk]


def screen_stream(
    stream: IO[str], *, index: MatchIndex, threshold: float, workers: int = 1, chunk_size: int = 200
) -> Iterator[dict[str, Any]]:
    """Screen a CSV stream (CONTRACT.md §1) and yield one output dict per row (§2), in input order.

    ``workers`` > 1 screens in forked processes that share the built index (Linux/macOS).
    """
    rows = _numbered_rows(stream)
    if workers <= 1:
        for line, row, problem in rows:
            yield _screen_row(index, line, row, problem, threshold)
        return
    first = list(islice(rows, chunk_size))  # reads the header now: BatchInputError before forking
    chunks = iter(lambda: list(islice(rows, chunk_size)), [])
    _FORKED.update(index=index, threshold=threshold)
    try:
        with get_context("fork").Pool(workers) as pool:
            for results in pool.imap(_screen_chunk, _chain_first(first, chunks)):
                yield from results
    finally:
        _FORKED.clear()


def _chain_first(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    if first:
        yield first
    yield from rest


def pair_from_row(row: dict[str, str | None], *, line: int) -> tuple[str, str, str, str] | RowError:
    """Validate one CSV row of the pair input: (id, schema, name1, name2)."""
    row_id = (row.get("id") or "").strip() or None
    problems: dict[str, str] = {}
    if row_id is None:
        problems["id"] = "is required"
    schema = (row.get("schema") or "").strip()
    if schema not in PAIR_SCHEMAS:
        problems["schema"] = f"must be one of {', '.join(PAIR_SCHEMAS)} (got {schema!r})"
    names = {}
    for field in ("name1", "name2"):
        try:
            names[field] = clean_name(row.get(field))
        except ValueError as exc:
            problems[field] = str(exc)
    if problems:
        return RowError(row_id=row_id, line=line, problems=problems)
    return row_id or "", schema, names["name1"], names["name2"]


def pair_result(
    row_id: str, schema: str, name1: str, name2: str, *, threshold: float, explain: bool = False
) -> dict[str, Any]:
    """One output line of CONTRACT.md §3."""
    score, explanation = compare_names(name1, name2, schema=schema)
    out: dict[str, Any] = {"id": row_id, "score": score, "match": score >= threshold}
    if explain:
        out["explanation"] = explanation
    return out


def pairs_stream(stream: IO[str], *, threshold: float) -> Iterator[dict[str, Any]]:
    """Score a pairs CSV stream (CONTRACT.md §3) and yield one output dict per row."""
    reader = _reader(stream, PAIR_COLUMNS)
    for row in reader:
        pair = pair_from_row(row, line=reader.line_num)
        if isinstance(pair, RowError):
            yield pair.as_output()
            continue
        row_id, schema, name1, name2 = pair
        yield pair_result(row_id, schema, name1, name2, threshold=threshold)
