"""A bank's own watch list as a simple CSV (documented in docs/lists.md).

Header (order free, extra columns ignored; the first three are required)::

    id,name,entity_type,aliases,date_of_birth,nationality,country,notes

``aliases``, ``date_of_birth``, ``nationality`` and ``country`` may hold several values
separated by ``;``. ``entity_type`` is person, organization, vessel or aircraft.
"""

from __future__ import annotations

import csv
import io

from apps.screening.lists.base import (
    ListParseError,
    NameSet,
    ParseResult,
    Source,
    add_unique,
    country_code,
    decode_text,
    parse_date,
    source_bytes,
)
from apps.screening.matching.types import ListEntity, Schema

COLUMNS = ("id", "name", "entity_type", "aliases", "date_of_birth", "nationality", "country", "notes")
REQUIRED = ("id", "name", "entity_type")
_TYPES: dict[str, Schema] = {
    "person": "person",
    "individual": "person",
    "organization": "organization",
    "organisation": "organization",
    "entity": "organization",
    "company": "organization",
    "vessel": "vessel",
    "ship": "vessel",
    "aircraft": "aircraft",
}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _countries(row: dict[str, str], column: str, *, file: str, line: int) -> list[str]:
    codes: list[str] = []
    for value in _split(row.get(column)):
        code = country_code(value)
        if code is None:
            raise ListParseError(
                file=file,
                line=line,
                problem=f"{column} {value!r} is not a country this product knows",
                hint="use an ISO 3166-1 alpha-2 code (e.g. IR) or an English country name",
            )
        add_unique(codes, [code])
    return codes


def parse_internal_csv(source: Source, *, list_key: str) -> ParseResult:
    """Parse an internal watch-list CSV under ``list_key``; a bad row refuses the whole file."""
    data, file = source_bytes(source)
    reader = csv.DictReader(io.StringIO(decode_text(data, file=file)), strict=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ListParseError(
            file=file,
            line=1,
            problem=f"the header lacks the column(s) {', '.join(missing)}",
            hint=f"the first line must be the header {','.join(COLUMNS)}",
        )
    reader.fieldnames = header
    result = ParseResult(list_key=list_key, entities=[])
    seen: set[str] = set()
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise ListParseError(file=file, line=line, problem="the row has more fields than the header")
            entity_id, name = (row.get("id") or "").strip(), (row.get("name") or "").strip()
            if not any((v or "").strip() for v in row.values()):
                continue
            if not entity_id or not name:
                raise ListParseError(
                    file=file, line=line, problem="'id' and 'name' are required", hint="fill them in or remove the row"
                )
            if entity_id in seen:
                raise ListParseError(
                    file=file, line=line, problem=f"duplicate id {entity_id!r}", hint="ids must be unique in the file"
                )
            seen.add(entity_id)
            schema = _TYPES.get((row.get("entity_type") or "").strip().lower())
            if schema is None:
                raise ListParseError(
                    file=file,
                    line=line,
                    problem=f"entity_type {row.get('entity_type')!r} is not one of person, organization, vessel, aircraft",
                    hint="set entity_type on this row",
                )
            dates: list[str] = []
            for value in _split(row.get("date_of_birth")):
                date = parse_date(value)
                if date is None:
                    raise ListParseError(
                        file=file,
                        line=line,
                        problem=f"date_of_birth {value!r} is not a date",
                        hint="use YYYY, YYYY-MM or YYYY-MM-DD (several separated by ';')",
                    )
                add_unique(dates, [date])
            names = NameSet()
            names.add(name, "primary")
            for alias in _split(row.get("aliases")):
                names.add(alias, "strong_alias")
            result.entities.append(
                ListEntity(
                    list=list_key,
                    source_id=entity_id,
                    schema=schema,
                    names=names.to_list(),
                    birth_dates=dates if schema == "person" else [],
                    nationalities=_countries(row, "nationality", file=file, line=line),
                    countries=_countries(row, "country", file=file, line=line),
                    remarks=(row.get("notes") or "").strip() or None,
                )
            )
    except csv.Error as exc:
        raise ListParseError(file=file, line=reader.line_num, problem=f"malformed CSV ({exc})") from exc
    return result
