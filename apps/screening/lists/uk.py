"""UK OFSI Consolidated List of Financial Sanctions Targets (ConList.xlsx or ConList.csv).

One row per name variation, grouped by ``Group ID``. The printed name is Name 1 .. Name 5
followed by Name 6 (the surname, or the whole name of an entity or ship).

Name kinds:

* ``Primary name`` → primary. Where a group has several different primary rows, the first is
  the primary name and the others strong aliases.
* ``Primary name variation`` → strong alias: OFSI uses it for other spellings and
  transliterations of the primary name itself (``MITHOO`` / ``MITHU``), which identify the
  person exactly as well as the primary name does. (Two groups have only variations; the first
  becomes the primary name.)
* ``AKA`` → strong alias, unless OFSI marks it ``Low quality``, then weak alias (the same
  distinction the UN makes, which OFSI copies for UN-derived entries).
* ``FKA`` → former name. ``Name Non-Latin Script`` → original script.

``Individual`` / ``Entity`` / ``Ship`` become person / organization / vessel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from apps.screening.lists.base import (
    ListParseError,
    NameSet,
    ParseResult,
    Source,
    add_identifier,
    add_unique,
    clean_text,
    country_codes,
    decode_text,
    parse_date,
    source_bytes,
    unknown_countries_warning,
)
from apps.screening.matching.types import Identifier, ListEntity, NameKind, Schema

_SCHEMAS: dict[str, Schema] = {"individual": "person", "entity": "organization", "ship": "vessel"}
_NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
REQUIRED_COLUMNS = ("Name 6", "Group Type", "Alias Type", "Group ID")
_NUMBERED = re.compile(r"\(\d+\)\s*")
_IMO = re.compile(r"\(IMO number\):\s*(\d{7})")
_FLAG = re.compile(r"\((?:Flag of ship|Previous flags)\):\s*([^()]+?)\s*(?=\(|$)")


def _numbered(value: str) -> list[str]:
    """``(1) Germany. (2) Morocco`` → ``["Germany", "Morocco"]``; a plain value → ``[value]``."""
    if not value:
        return []
    parts = _NUMBERED.split(value) if value.lstrip().startswith("(1)") else [value]
    out = []
    for part in parts:
        part = part.strip().rstrip(".").strip()
        if part and part != "-":
            out.append(part)
    return out


def _country_values(value: str) -> list[str]:
    # "Iraq (previous address)", "Russian Federation (as at November 2010)": drop the note.
    return [re.sub(r"\s*\((?!Democratic)[^)]*\)\s*$", "", v) for v in _numbered(value)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(data: bytes, file: str) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(data, file=file)
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise ListParseError(
            file=file,
            line=reader.line_num,
            problem=f"malformed CSV ({exc})",
            hint="the file is probably truncated; download it again",
        ) from exc


def _xlsx_rows(data: bytes, file: str) -> Iterator[tuple[int, list[str]]]:
    import openpyxl  # only needed for workbooks

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ListParseError(
            file=file,
            problem=f"not a readable Excel workbook ({exc})",
            hint="the download is truncated or not ConList.xlsx; download it again",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(v) for v in row]
    finally:
        workbook.close()


def _header(rows: Iterator[tuple[int, list[str]]], file: str) -> tuple[dict[str, int], str | None]:
    """Find the header row (the first one holding ``Group ID``); return it and the Last Updated date."""
    last_updated = None
    for number, row in rows:
        cells = [c.strip() for c in row]
        if cells and cells[0].lower() == "last updated" and len(cells) > 1:
            last_updated = parse_date(cells[1])
            continue
        if "Group ID" in cells or "Name 6" in cells:
            columns = {name: i for i, name in enumerate(cells) if name}
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise ListParseError(
                    file=file,
                    line=number,
                    problem=f"the header row lacks the column(s) {', '.join(missing)}",
                    hint="this is not the OFSI consolidated list layout this reader knows "
                    "(ConList.xlsx / ConList.csv, 2022 format)",
                )
            return columns, last_updated
        if number >= 5:
            break
    raise ListParseError(
        file=file,
        line=1,
        problem="no header row with 'Group ID' in the first 5 rows",
        hint="this is not the OFSI consolidated list (ConList.xlsx / ConList.csv, 2022 format)",
    )


class _Group:
    __slots__ = ("countries", "dobs", "ids", "listed", "nat", "other", "programs", "rows", "schema", "seen")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.rows: list[tuple[str, str, str, str]] = []  # (name, alias type, quality, non-latin)
        self.dobs: list[str] = []
        self.nat: list[str] = []
        self.countries: list[str] = []
        self.ids: list[Identifier] = []
        self.programs: list[str] = []
        self.listed: str | None = None
        self.other: str = ""
        self.seen: set[object] = set()


def _names(group: _Group) -> NameSet:
    names = NameSet()
    primaries = [n for n, t, _, _ in group.rows if t == "primary name" and n]
    if not primaries:
        primaries = [n for n, t, _, _ in group.rows if t == "primary name variation" and n][:1]
    if not primaries:
        primaries = [n for n, _, _, _ in group.rows if n][:1]
    if primaries:
        names.add(primaries[0], "primary")
    for name, alias_type, quality, non_latin in group.rows:
        kind: NameKind
        if alias_type == "fka":
            kind = "former"
        elif quality == "low quality":
            kind = "weak_alias"
        else:
            kind = "strong_alias"
        names.add(name, kind)
        names.add(non_latin, "original_script")
    return names


def parse_uk_ofsi(source: Source, *, list_key: str = "uk_ofsi", file_format: str | None = None) -> ParseResult:
    """Parse OFSI's consolidated list, as ConList.xlsx or ConList.csv (detected from the bytes)."""
    data, file = source_bytes(source)
    is_xlsx = file_format == "xlsx" or (file_format is None and data[:4] == b"PK\x03\x04")
    rows = _xlsx_rows(data, file) if is_xlsx else _csv_rows(data, file)
    columns, last_updated = _header(rows, file)
    return _parse_rows(rows, columns, file=file, list_key=list_key, last_updated=last_updated)


def _parse_rows(
    rows: Iterable[tuple[int, list[str]]],
    columns: dict[str, int],
    *,
    file: str,
    list_key: str,
    last_updated: str | None,
) -> ParseResult:
    width = max(columns.values()) + 1
    col = columns
    name_idx = [columns[c] for c in _NAME_COLUMNS if c in columns]

    def get(row: list[str], name: str) -> str:
        i = col.get(name)
        return clean_text(row[i]) if i is not None else ""

    unknown: Counter[str] = Counter()
    groups: dict[str, _Group] = {}
    result = ParseResult(list_key=list_key, entities=[])
    data_rows = 0
    for number, row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) < width:
            raise ListParseError(
                file=file,
                line=number,
                problem=f"the row has {len(row)} columns, the header has {width}",
                hint="the file is truncated or was edited; download it again",
            )
        data_rows += 1
        group_id = get(row, "Group ID")
        group_type = get(row, "Group Type").lower()
        if not group_id or group_type not in _SCHEMAS:
            raise ListParseError(
                file=file,
                line=number,
                problem=f"missing Group ID or unknown Group Type {get(row, 'Group Type')!r}",
                hint="Group Type must be Individual, Entity or Ship",
            )
        group = groups.get(group_id)
        if group is None:
            group = groups[group_id] = _Group(_SCHEMAS[group_type])
        name = " ".join(part for i in name_idx if (part := clean_text(row[i])))
        group.rows.append(
            (
                name,
                get(row, "Alias Type").lower(),
                get(row, "Alias Quality").lower(),
                get(row, "Name Non-Latin Script"),
            )
        )
        if group.schema == "person" and (dob := get(row, "DOB")) and dob not in group.seen:
            group.seen.add(dob)
            add_unique(group.dobs, [parse_date(dob)])
        # Rows of a group repeat most values; parse each distinct raw value once.
        for column, target in (("Nationality", group.nat), ("Country", group.countries)):
            raw = get(row, column)
            if raw and raw not in group.seen:
                group.seen.add(raw)
                add_unique(target, country_codes(_country_values(raw), unknown))
        for column, kind in (("Passport Number", "passport"), ("National Identification Number", "national_id")):
            raw = get(row, column)
            if raw and (column, raw) not in group.seen:
                group.seen.add((column, raw))
                for number_text in _numbered(raw):
                    add_identifier(group.ids, Identifier(kind, number_text))
        if (regime := get(row, "Regime")) and regime not in group.programs:
            group.programs.append(regime)
        if group.listed is None:
            group.listed = parse_date(get(row, "Listed On"))
        if not group.other:
            group.other = get(row, "Other Information")

    if not groups:
        raise ListParseError(file=file, problem="the file has a header but no data rows", hint="download it again")

    for group_id, group in groups.items():
        names = _names(group)
        if not len(names):
            result.warnings.append(f"{file}: group {group_id} has no name and was skipped")
            continue
        countries = list(group.countries)
        if group.schema == "vessel":
            for imo in _IMO.findall(group.other):
                add_identifier(group.ids, Identifier("imo", imo))
            add_unique(countries, country_codes(_FLAG.findall(group.other), unknown))
        result.entities.append(
            ListEntity(
                list=list_key,
                source_id=group_id,
                schema=group.schema,
                names=names.to_list(),
                birth_dates=group.dobs,
                nationalities=group.nat,
                countries=countries,
                identifiers=group.ids,
                programs=[p for p in group.programs if p],
                listed_on=group.listed,
                remarks=group.other or None,
            )
        )
    result.warnings.extend(unknown_countries_warning(list_key, unknown))
    if last_updated:
        result.warnings.append(f"{file}: Last Updated {last_updated} ({data_rows} name rows)")
    return result
