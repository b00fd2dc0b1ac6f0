"""OFAC legacy delimited files: the SDN list (sdn.csv, alt.csv, add.csv, sdn_comments.csv) and
the consolidated non-SDN list (cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv).

The format has no header row, ``-0-`` for an empty field and a trailing ``0x1A`` byte.
Primary rows: ent_num, name, type, programs, title, call sign, vessel type, tonnage, GRT,
vessel flag, vessel owner, remarks. Alias rows: ent_num, alt_num, alt_type, alt_name,
alt_remarks. Address rows: ent_num, add_num, address, city/state/postcode, country, remarks.
Comment rows: ent_num, the continuation of the primary row's remarks.

Names are kept as OFAC prints them (``LAST, First Middle`` for individuals); the matcher deals
with the order. The legacy format carries OFAC's "weak" aliases only in the remarks, as
``a.k.a. 'NAME'`` in single quotes, so those become ``weak_alias``; alt.csv ``aka`` and ``nka``
are strong aliases and ``fka`` former names.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from apps.screening.lists.base import (
    ListParseError,
    NameSet,
    Orphan,
    ParseResult,
    Source,
    add_identifier,
    add_unique,
    clean_text,
    country_code,
    country_codes,
    decode_text,
    parse_date_expression,
    source_bytes,
    unknown_countries_warning,
)
from apps.screening.matching.types import Identifier, ListEntity, Schema

_TYPES: dict[str, Schema] = {
    "individual": "person",
    "": "organization",
    "entity": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}

# Remark labels that carry an identifier, longest first so that "National ID No." wins over
# shorter prefixes. The kind is a small controlled vocabulary the matcher and UI can rely on.
_ID_LABELS: list[tuple[str, str]] = sorted(
    [
        ("Passport", "passport"),
        ("Diplomatic Passport", "passport"),
        ("National ID No.", "national_id"),
        ("Identification Number", "id_number"),
        ("Cedula No.", "national_id"),
        ("D.N.I.", "national_id"),
        ("C.U.R.P.", "national_id"),
        ("SSN", "ssn"),
        ("Tax ID No.", "tax_id"),
        ("R.F.C.", "tax_id"),
        ("NIT #", "tax_id"),
        ("RUC #", "tax_id"),
        ("V.A.T. Number", "tax_id"),
        ("Registration Number", "registration"),
        ("Registration ID", "registration"),
        ("Business Registration Number", "registration"),
        ("Commercial Registry Number", "registration"),
        ("Company Number", "registration"),
        ("Chamber of Commerce Number", "registration"),
        ("Economic Register Number", "registration"),
        ("Government Gazette Number", "registration"),
        ("Unified Social Credit Code", "registration"),
        ("Legal Entity Number", "lei"),
        ("D-U-N-S Number", "duns"),
        ("SWIFT/BIC", "swift_bic"),
        ("MMSI", "mmsi"),
        ("Aircraft Manufacturer's Serial Number (MSN)", "aircraft_msn"),
        ("Aircraft Tail Number", "aircraft_tail"),
        ("Other Vessel Call Sign", "call_sign"),
        ("Driver's License No.", "drivers_license"),
    ],
    key=lambda item: -len(item[0]),
)
_ID_KINDS = dict(_ID_LABELS)
_ID_LABEL = re.compile(r"^(" + "|".join(re.escape(label) for label, _ in _ID_LABELS) + r")\s+(.+)$")
_COUNTRY_LABEL = re.compile(
    r"^(nationality of registration|nationality:?|citizen|former vessel flag|other vessel flag)\s+(.+)$",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"^(?:possibly|probably|reportedly)\s+", re.IGNORECASE)
_IMO = re.compile(r"\bIMO\s*(\d{7})\b")
_QUOTED_NAME = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.+)'$")
_TRAILING_COUNTRY = re.compile(r"^(?P<value>.*?)\s*\((?P<country>[^()]+)\)(?P<rest>.*)$")


@dataclass(slots=True)
class _Row:
    line: int
    fields: list[str]


def _read_rows(data: bytes, *, file: str, width: int, min_width: int | None = None) -> list[_Row]:
    """Rows of a legacy OFAC file, each padded to ``width``; a malformed row raises."""
    text = decode_text(data.rstrip(b"\x1a\r\n\t "), file=file)
    if not text.strip():
        raise ListParseError(file=file, problem="the file is empty", hint="download it again")
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) < (min_width or width) or len(fields) > width:
                raise ListParseError(
                    file=file,
                    line=reader.line_num,
                    problem=f"expected {width} comma-separated fields, found {len(fields)}",
                    hint="the file is truncated or not in OFAC's legacy CSV format; "
                    "download it again from the official URL",
                )
            if not fields[0].strip().isdigit():
                raise ListParseError(
                    file=file,
                    line=reader.line_num,
                    problem=f"the first field should be OFAC's numeric entry id, found {fields[0][:40]!r}",
                    hint="this does not look like an OFAC legacy CSV file (it must have no header row)",
                )
            rows.append(_Row(reader.line_num, fields + [""] * (width - len(fields))))
    except csv.Error as exc:
        raise ListParseError(
            file=file,
            line=reader.line_num,
            problem=f"malformed CSV ({exc})",
            hint="the file is probably truncated (an unclosed quote); download it again",
        ) from exc
    return rows


def _programs(value: str) -> list[str]:
    text = clean_text(value)
    return [p.strip() for p in text.strip("[]").split("] [") if p.strip()] if text else []


class _Remarks:
    """What the remarks of one entry say about it, parsed segment by segment."""

    def __init__(self, text: str, *, schema: Schema, unknown: Counter[str]) -> None:
        self.birth_dates: list[str] = []
        self.nationalities: list[str] = []
        self.countries: list[str] = []
        self.identifiers: list[Identifier] = []
        self.weak_aliases: list[str] = []
        self.former_names: list[str] = []
        self.strong_aliases: list[str] = []
        for raw in text.split(";"):
            segment = raw.strip()
            if segment.endswith("."):
                segment = segment[:-1]
            if segment.startswith("alt. "):
                segment = segment[5:].lstrip()
            if segment:
                self._segment(segment, schema=schema, unknown=unknown)

    def _segment(self, seg: str, *, schema: Schema, unknown: Counter[str]) -> None:
        if seg.startswith(("a.k.a. ", "f.k.a. ", "n.k.a. ")):
            if m := _QUOTED_NAME.match(seg):
                kind, name = m.group(1), m.group(2)
                target = {"a.k.a.": self.weak_aliases, "f.k.a.": self.former_names}.get(kind, self.strong_aliases)
                target.append(name)
            return
        if seg.startswith("DOB "):
            if schema == "person":
                add_unique(self.birth_dates, parse_date_expression(seg[4:]))
            return
        if m := _COUNTRY_LABEL.match(seg):
            value = _HEDGE.sub("", m.group(2))
            if m.group(1).lower().startswith(("nationality of registration", "former", "other")):
                add_unique(self.countries, country_codes([value], unknown))
            else:
                add_unique(self.nationalities, country_codes([value], unknown))
            return
        if "IMO" in seg and (m := _IMO.search(seg)) and "IMO" in seg.split()[:4]:
            add_identifier(self.identifiers, Identifier("imo", m.group(1)))
            return
        if m := _ID_LABEL.match(seg):
            self._identifier(_ID_KINDS[m.group(1)], m.group(2))

    def _identifier(self, kind: str, rest: str) -> None:
        value, country = rest.strip(), None
        if m := _TRAILING_COUNTRY.match(rest):
            code = country_code(m.group("country"))
            if code:
                value, country = m.group("value").strip(), code
        # Trailing "issued 01 Jan 2010", "expires ..." etc. are not part of the number.
        value = re.split(r"\s+(?:issued|expires|valid)\b", value, maxsplit=1)[0].strip()
        if value:
            add_identifier(self.identifiers, Identifier(kind, value, country))


def parse_ofac(
    *,
    primary: Source,
    aliases: Source | None = None,
    addresses: Source | None = None,
    comments: Source | None = None,
    list_key: str = "ofac_sdn",
) -> ParseResult:
    """Parse OFAC legacy CSV files (SDN or consolidated) into list entities."""
    primary_data, primary_name = source_bytes(primary)
    unknown: Counter[str] = Counter()
    result = ParseResult(list_key=list_key, entities=[])

    rows = _read_rows(primary_data, file=primary_name, width=12)
    by_id: dict[str, list[str]] = {}
    order: list[str] = []
    for row in rows:
        ent_num = row.fields[0].strip()
        if ent_num in by_id:
            result.warnings.append(f"{primary_name}, line {row.line}: duplicate entry {ent_num} ignored")
            continue
        type_text = clean_text(row.fields[2]).lower()
        if type_text not in _TYPES:
            raise ListParseError(
                file=primary_name,
                line=row.line,
                problem=f"unknown entry type {row.fields[2]!r}",
                hint="expected individual, vessel, aircraft or -0- (entity); "
                "check that this is the primary file (sdn.csv / cons_prim.csv)",
            )
        by_id[ent_num] = row.fields
        order.append(ent_num)

    remarks: dict[str, str] = {k: clean_text(v[11]) for k, v in by_id.items()}
    if comments is not None:
        data, name = source_bytes(comments)
        for row in _read_rows(data, file=name, width=2):
            ent_num = row.fields[0].strip()
            if ent_num not in by_id:
                result.orphans.append(Orphan(name, row.line, ent_num, "comment"))
                continue
            # The comment continues the remarks mid-word: join without a separator.
            remarks[ent_num] = remarks[ent_num] + " ".join(row.fields[1].split())

    alias_rows: dict[str, list[tuple[str, str]]] = {}
    if aliases is not None:
        data, name = source_bytes(aliases)
        for row in _read_rows(data, file=name, width=5, min_width=4):
            ent_num = row.fields[0].strip()
            if ent_num not in by_id:
                result.orphans.append(Orphan(name, row.line, ent_num, "alias"))
                continue
            alias_rows.setdefault(ent_num, []).append((clean_text(row.fields[2]).lower(), clean_text(row.fields[3])))

    address_countries: dict[str, list[str]] = {}
    if addresses is not None:
        data, name = source_bytes(addresses)
        for row in _read_rows(data, file=name, width=6, min_width=5):
            ent_num = row.fields[0].strip()
            if ent_num not in by_id:
                result.orphans.append(Orphan(name, row.line, ent_num, "address"))
                continue
            add_unique(
                address_countries.setdefault(ent_num, []),
                country_codes([clean_text(row.fields[4])], unknown),
            )

    for ent_num in order:
        fields = by_id[ent_num]
        schema = _TYPES[clean_text(fields[2]).lower()]
        names = NameSet()
        names.add(fields[1], "primary")
        for alt_type, alt_name in alias_rows.get(ent_num, []):
            names.add(alt_name, "former" if alt_type == "fka" else "strong_alias")
        remark = remarks[ent_num]
        parsed = _Remarks(remark, schema=schema, unknown=unknown)
        for value in parsed.strong_aliases:
            names.add(value, "strong_alias")
        for value in parsed.former_names:
            names.add(value, "former")
        for value in parsed.weak_aliases:
            names.add(value, "weak_alias")
        if not len(names):
            result.warnings.append(f"{list_key}: entry {ent_num} has no name and was skipped")
            continue
        countries = list(address_countries.get(ent_num, []))
        add_unique(countries, country_codes([clean_text(fields[9])], unknown))  # vessel flag
        add_unique(countries, parsed.countries)
        identifiers = list(parsed.identifiers)
        if call_sign := clean_text(fields[5]):
            add_identifier(identifiers, Identifier("call_sign", call_sign))
        result.entities.append(
            ListEntity(
                list=list_key,
                source_id=ent_num,
                schema=schema,
                names=names.to_list(),
                birth_dates=parsed.birth_dates,
                nationalities=parsed.nationalities,
                countries=countries,
                identifiers=identifiers,
                programs=_programs(fields[3]),
                listed_on=None,  # the legacy format has no listing date
                remarks=remark or None,
            )
        )
    result.warnings.extend(unknown_countries_warning(list_key, unknown))
    if result.orphans:
        for file, c in result.orphan_counts().items():
            result.warnings.append(
                f"{file}: {c['rows']} rows for {c['ids']} entries that are not in {primary_name} were skipped"
            )
    return result


def parse_ofac_sdn(
    *,
    sdn: Source,
    alt: Source | None = None,
    add: Source | None = None,
    comments: Source | None = None,
    list_key: str = "ofac_sdn",
) -> ParseResult:
    """OFAC SDN list from sdn.csv with its alt.csv, add.csv and sdn_comments.csv."""
    return parse_ofac(primary=sdn, aliases=alt, addresses=add, comments=comments, list_key=list_key)


def parse_ofac_cons(
    *,
    prim: Source,
    alt: Source | None = None,
    add: Source | None = None,
    comments: Source | None = None,
    list_key: str = "ofac_cons",
) -> ParseResult:
    """OFAC consolidated (non-SDN) list from cons_prim.csv with cons_alt/add/comments.csv."""
    return parse_ofac(primary=prim, aliases=alt, addresses=add, comments=comments, list_key=list_key)
