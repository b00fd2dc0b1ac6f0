"""Shared pieces of the list parsers: the result type, the error, and value cleaners.

Pure Python, no Django. Parsers take file paths or the raw bytes of a file and return a
:class:`ParseResult` of :class:`~apps.screening.matching.types.ListEntity`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from apps.screening.lists.countries import country_code
from apps.screening.matching.types import Identifier, ListEntity, Name, NameKind

# A path, raw bytes, or ``(file name, bytes)`` so that messages can name the file.
Source = str | os.PathLike[str] | bytes | tuple[str, bytes]
OrphanKind = Literal["alias", "address", "comment", "row"]


class ListParseError(ValueError):
    """A list file that cannot be parsed; the message names the file, the line and the fix."""

    def __init__(self, *, file: str, problem: str, line: int | None = None, hint: str | None = None) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        self.hint = hint or "check that the file is complete and is the format this list expects"
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}. What to do: {self.hint}.")


@dataclass(frozen=True, slots=True)
class Orphan:
    """A row that refers to an entity absent from the primary file (reported, then skipped)."""

    file: str
    line: int
    source_id: str
    kind: OrphanKind


@dataclass(slots=True)
class ParseResult:
    """What a parser read from one list publication."""

    list_key: str
    entities: list[ListEntity]
    orphans: list[Orphan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Number of entities by schema (person, organization, vessel, aircraft)."""
        return dict(sorted(Counter(e.schema for e in self.entities).items()))

    def orphan_counts(self) -> dict[str, dict[str, int]]:
        """Orphan rows and distinct orphan ids, per file: ``{file: {"rows": n, "ids": m}}``."""
        rows: Counter[str] = Counter()
        ids: dict[str, set[str]] = {}
        for orphan in self.orphans:
            rows[orphan.file] += 1
            ids.setdefault(orphan.file, set()).add(orphan.source_id)
        return {f: {"rows": rows[f], "ids": len(ids[f])} for f in sorted(rows)}


def source_bytes(source: Source) -> tuple[bytes, str]:
    """The bytes of a source and a name to use in messages (the file name, or ``<bytes>``)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), "<bytes>"
    if isinstance(source, tuple):
        name, data = source
        return bytes(data), name
    path = Path(source)
    try:
        return path.read_bytes(), path.name
    except OSError as exc:
        raise ListParseError(
            file=str(path), problem=f"cannot read the file ({exc.strerror})", hint="check the path"
        ) from exc


def decode_text(data: bytes, *, file: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), falling back to Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # OFAC has published cp1252 files in the past; a wrong guess only garbles accents.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ListParseError(
                file=file, line=line, problem="the file is neither UTF-8 nor Windows-1252 text"
            ) from exc


# --- countries ---------------------------------------------------------------------------

_SEVERAL = re.compile(r"[.,;/]\s+|\s+and\s+")


def country_codes(values: Iterable[str | None], unknown: Counter[str] | None = None) -> list[str]:
    """Codes for several names, de-duplicated in order; unresolvable names are counted."""
    out: list[str] = []
    for value in values:
        if not value or not value.strip():
            continue
        code = country_code(value)
        if code is not None:
            if code not in out:
                out.append(code)
            continue
        # "Germany. Russia", "Estonia, Russia": several countries in one field.
        parts = [country_code(p) for p in _SEVERAL.split(value) if p.strip()]
        if len(parts) > 1 and all(parts):
            out.extend(c for c in parts if c and c not in out)
        elif unknown is not None:
            unknown[value.strip()] += 1
    return out


def unknown_countries_warning(list_key: str, unknown: Counter[str]) -> list[str]:
    if not unknown:
        return []
    sample = ", ".join(f"{name!r} x{n}" for name, n in unknown.most_common(8))
    return [f"{list_key}: {sum(unknown.values())} country values not recognised (ignored): {sample}"]


# --- dates -------------------------------------------------------------------------------

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}

# Year ranges longer than this are not expanded (the date is too vague to help).
MAX_YEAR_SPAN = 10


def iso_date(year: int | str, month: int | str | None = None, day: int | str | None = None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; zero or missing parts reduce the precision."""
    try:
        y = int(year)
        m = int(month) if month not in (None, "") else 0
        d = int(day) if day not in (None, "") else 0
    except (TypeError, ValueError):
        return None
    if not 1000 <= y <= 2100:
        return None
    if not 1 <= m <= 12:
        return f"{y:04d}"
    if not 1 <= d <= 31:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def year_span(start: str, end: str) -> list[str]:
    """All years from ``start`` to ``end`` (inclusive) if the span is short, else both ends."""
    a, b = int(start[:4]), int(end[:4])
    if a > b:
        a, b = b, a
    if b - a > MAX_YEAR_SPAN:
        return [start, end]
    return [str(y) for y in range(a, b + 1)]


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_TEXT_DATE = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?\s+(\d{4})$")


def parse_date(text: str | None) -> str | None:
    """Parse one date in the forms the lists use (``01 Jan 1960``, ``00/00/1961``, ``1960-01``...)."""
    if not text:
        return None
    value = text.strip().strip(".").strip()
    if m := _ISO.match(value):
        return iso_date(m.group(1), m.group(2), m.group(3))
    if m := _DMY.match(value):
        return iso_date(m.group(3), m.group(2), m.group(1))
    if m := _MY.match(value):
        return iso_date(m.group(2), m.group(1))
    if m := _TEXT_DATE.match(value):
        month = MONTHS.get(m.group(2).lower())
        if month is None:
            return None
        return iso_date(m.group(3), month, m.group(1))
    return None


def parse_date_expression(text: str | None) -> list[str]:
    """Dates in an expression: a date, ``circa`` a date, or a range ``A to B`` / ``A-B``."""
    if not text:
        return []
    value = re.sub(r"^(?:circa|approximately|approx\.?|c\.|about)\s+", "", text.strip(), flags=re.I)
    parts = re.split(r"\s+to\s+|\s*-\s*(?=\d{4}$)|\s+and\s+", value)
    if len(parts) == 2:
        start, end = parse_date(parts[0]), parse_date(parts[1])
        if start and end:
            if start[:4] == end[:4]:
                # Same year: keep the precision both ends share.
                common = start if start == end else (start[:7] if start[:7] == end[:7] else start[:4])
                return [common]
            return year_span(start, end)
        return [d for d in (start, end) if d]
    date = parse_date(value)
    return [date] if date else []


# --- building entities -------------------------------------------------------------------


def clean_text(value: str | None) -> str:
    """Collapse whitespace; OFAC's ``-0-`` placeholder becomes the empty string."""
    if not value:
        return ""
    text = value.strip()
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = " ".join(text.split())
    return "" if text == "-0-" else text


class NameSet:
    """Names of one entity, de-duplicated (case-insensitively) keeping the strongest kind."""

    _RANK: dict[NameKind, int] = {
        "primary": 0,
        "strong_alias": 1,
        "original_script": 2,
        "former": 3,
        "weak_alias": 4,
    }

    def __init__(self) -> None:
        self._names: dict[str, Name] = {}

    def add(self, value: str | None, kind: NameKind) -> None:
        text = clean_text(value)
        if not text:
            return
        key = text.casefold()
        existing = self._names.get(key)
        if existing is None or self._RANK[kind] < self._RANK[existing.kind]:
            self._names[key] = Name(text, kind) if existing is None else Name(existing.value, kind)

    def __len__(self) -> int:
        return len(self._names)

    def to_list(self) -> list[Name]:
        return sorted(self._names.values(), key=lambda n: self._RANK[n.kind])


def add_unique(target: list[str], values: Iterable[str | None]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


def add_identifier(target: list[Identifier], ident: Identifier) -> None:
    if ident.value and ident not in target:
        target.append(ident)
