"""FollowTheMoney JSON lines, the format OpenSanctions publishes (``entities.ftm.json``,
``targets.nested.json``): PEP data or any other source, under a configurable list key.

Each line is one entity ``{"id", "schema", "properties": {...}}``; it is read with
followthemoney's ``EntityProxy.from_dict``. Persons, legal entities (Organization, Company,
PublicBody, LegalEntity), Vessels and Airplanes are kept; other schemata (Sanction, Address,
Ownership...) and entities marked ``"target": false`` are counted and skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from apps.screening.lists.base import (
    ListParseError,
    NameSet,
    ParseResult,
    Source,
    add_identifier,
    add_unique,
    country_codes,
    decode_text,
    parse_date,
    source_bytes,
    unknown_countries_warning,
)
from apps.screening.matching.types import Identifier, ListEntity, Schema

_NAME_PROPS = (
    ("name", "strong_alias"),
    ("alias", "strong_alias"),
    ("weakAlias", "weak_alias"),
    ("previousName", "former"),
)
_ID_PROPS = {
    "passportNumber": "passport",
    "idNumber": "id_number",
    "taxNumber": "tax_id",
    "innCode": "tax_id",
    "vatCode": "tax_id",
    "registrationNumber": "registration",
    "ogrnCode": "registration",
    "leiCode": "lei",
    "swiftBic": "swift_bic",
    "imoNumber": "imo",
    "mmsi": "mmsi",
    "callSign": "call_sign",
    "serialNumber": "aircraft_msn",
}
_NATIONALITY_PROPS = ("nationality", "citizenship")
_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry", "flag", "pastFlags")


def _schema_of(proxy: Any) -> Schema | None:
    schema = proxy.schema
    if schema.is_a("Person"):
        return "person"
    if schema.is_a("Vessel"):
        return "vessel"
    if schema.is_a("Airplane"):
        return "aircraft"
    if schema.is_a("LegalEntity"):
        return "organization"
    return None


def _string_props(props: Any) -> dict[str, list[str]]:
    """Properties with plain string values (nested entities, in ``targets.nested.json``, dropped)."""
    if not isinstance(props, dict):
        return {}
    return {key: [v for v in values if isinstance(v, str)] for key, values in props.items() if isinstance(values, list)}


def parse_ftm(source: Source, *, list_key: str) -> ParseResult:
    """Parse FollowTheMoney JSON lines into list entities under ``list_key``."""
    from followthemoney.exc import InvalidData
    from followthemoney.proxy import EntityProxy

    data, file = source_bytes(source)
    text = decode_text(data, file=file)
    result = ParseResult(list_key=list_key, entities=[])
    skipped: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListParseError(
                file=file,
                line=number,
                problem=f"not valid JSON ({exc.msg} at column {exc.colno})",
                hint="the file must hold one FollowTheMoney entity as a JSON object per line; "
                "the download may be truncated",
            ) from exc
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("schema"):
            raise ListParseError(
                file=file,
                line=number,
                problem="the line is not an entity with an 'id' and a 'schema'",
                hint="the file must hold one FollowTheMoney entity as a JSON object per line",
            )
        if raw.get("target") is False:
            skipped["non-target"] += 1
            continue
        try:
            proxy = EntityProxy.from_dict(
                {"id": raw["id"], "schema": raw["schema"], "properties": _string_props(raw.get("properties"))}
            )
        except InvalidData as exc:
            skipped[f"schema {raw['schema']!r} ({exc})"] += 1
            continue
        schema = _schema_of(proxy)
        if schema is None:
            skipped[f"schema {proxy.schema.name}"] += 1
            continue
        entity_id = str(proxy.id)
        if entity_id in seen:
            result.warnings.append(f"{file}, line {number}: duplicate entity id {entity_id} ignored")
            continue
        seen.add(entity_id)
        names = NameSet()
        for prop, kind in _NAME_PROPS:
            for i, value in enumerate(proxy.get(prop, quiet=True)):
                names.add(value, "primary" if prop == "name" and i == 0 else kind)  # type: ignore[arg-type]
        if not len(names) and schema == "person":
            parts = [*proxy.get("firstName", quiet=True)[:1], *proxy.get("lastName", quiet=True)[:1]]
            names.add(" ".join(parts), "primary")
        if not len(names):
            result.warnings.append(f"{file}, line {number}: entity {entity_id} has no name and was skipped")
            continue
        identifiers: list[Identifier] = []
        for prop, kind in _ID_PROPS.items():
            for value in proxy.get(prop, quiet=True):
                add_identifier(identifiers, Identifier(kind, value.strip()))
        birth_dates: list[str] = []
        if schema == "person":
            add_unique(birth_dates, [parse_date(d[:10]) for d in proxy.get("birthDate", quiet=True)])
        listed = proxy.get("createdAt", quiet=True)[:1] or ([raw["first_seen"]] if raw.get("first_seen") else [])
        programs: list[str] = []
        add_unique(programs, proxy.get("program", quiet=True))
        add_unique(programs, proxy.get("programId", quiet=True))
        add_unique(programs, proxy.get("topics", quiet=True))
        notes = [*proxy.get("notes", quiet=True), *proxy.get("summary", quiet=True)]
        result.entities.append(
            ListEntity(
                list=list_key,
                source_id=entity_id,
                schema=schema,
                names=names.to_list(),
                birth_dates=birth_dates,
                nationalities=country_codes([v for p in _NATIONALITY_PROPS for v in proxy.get(p, quiet=True)], unknown),
                countries=country_codes([v for p in _COUNTRY_PROPS for v in proxy.get(p, quiet=True)], unknown),
                identifiers=identifiers,
                programs=programs,
                listed_on=parse_date(str(listed[0])[:10]) if listed else None,
                remarks=" ".join(notes) or None,
            )
        )
    if skipped:
        detail = ", ".join(f"{reason} x{n}" for reason, n in skipped.most_common(6))
        result.warnings.append(f"{file}: {sum(skipped.values())} entities skipped: {detail}")
    result.warnings.extend(unknown_countries_warning(list_key, unknown))
    if not result.entities:
        raise ListParseError(
            file=file,
            problem="no person, organization, vessel or aircraft entity found",
            hint="check that this is a FollowTheMoney entities file",
        )
    return result
