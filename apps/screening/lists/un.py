"""UN Security Council consolidated list (XML, https://scsanctions.un.org/resources/xml/en/consolidated.xml).

``INDIVIDUAL`` and ``ENTITY`` records. The primary name joins FIRST_NAME .. FOURTH_NAME in that
order (as the UN prints it). Individual aliases of QUALITY ``Good`` are strong aliases and
``Low`` weak ones; entity aliases are ``a.k.a.`` (strong) or ``f.k.a.`` (former). The
NAME_ORIGINAL_SCRIPT becomes an ``original_script`` name. The id is REFERENCE_NUMBER.
"""

from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from apps.screening.lists.base import (
    MONTHS,
    ListParseError,
    NameSet,
    ParseResult,
    Source,
    add_identifier,
    add_unique,
    clean_text,
    country_code,
    country_codes,
    iso_date,
    parse_date,
    source_bytes,
    unknown_countries_warning,
    year_span,
)
from apps.screening.matching.types import Identifier, ListEntity, Schema

_ALIAS_KINDS = {"good": "strong_alias", "a.k.a.": "strong_alias", "low": "weak_alias", "f.k.a.": "former"}
_DOC_KINDS = {"passport": "passport", "national identification number": "national_id"}


def _text(el: Element | None, tag: str) -> str:
    child = el.find(tag) if el is not None else None
    return clean_text(child.text) if child is not None else ""


def _values(el: Element, tag: str) -> list[str]:
    return [clean_text(v.text) for v in el.findall(f"{tag}/VALUE") if clean_text(v.text)]


def _birth_dates(record: Element) -> list[str]:
    dates: list[str] = []
    for dob in record.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        kind = _text(dob, "TYPE_OF_DATE").upper()
        if date := _text(dob, "DATE"):
            add_unique(dates, [parse_date(date)])
        elif (year := _text(dob, "YEAR")) and (iso := iso_date(year)):
            # <YEAR>1958</YEAR><NOTE>Sep.</NOTE>: the note sometimes carries the month.
            month = MONTHS.get(_text(dob, "NOTE").rstrip(".").lower())
            add_unique(dates, [iso_date(year, month) if month else iso])
        elif kind == "BETWEEN" or _text(dob, "FROM_YEAR"):
            start, end = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
            if iso_date(start) and iso_date(end):
                add_unique(dates, year_span(start, end))
            else:
                add_unique(dates, [iso_date(start) if start else None, iso_date(end) if end else None])
        elif note := _text(dob, "NOTE"):
            # <NOTE>August 1961</NOTE> with no DATE or YEAR.
            add_unique(dates, [parse_date(note)])
    return dates


def _record(record: Element, *, schema: Schema, list_key: str, unknown: Counter[str]) -> ListEntity | None:
    ref = _text(record, "REFERENCE_NUMBER")
    if not ref:
        return None
    prefix = "INDIVIDUAL" if schema == "person" else "ENTITY"
    names = NameSet()
    parts = [_text(record, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    primary = " ".join(p for p in parts if p)
    names.add(primary, "primary")
    if schema == "organization" and " ; " in primary:
        # "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES BUSINESS COMPANY (GLBC)"
        for part in primary.split(";"):
            names.add(part, "strong_alias")
    for alias in record.findall(f"{prefix}_ALIAS"):
        value = _text(alias, "ALIAS_NAME")
        kind = _ALIAS_KINDS.get(_text(alias, "QUALITY").lower(), "strong_alias")
        names.add(value, kind)  # type: ignore[arg-type]
    for script_name in record.findall("NAME_ORIGINAL_SCRIPT"):
        names.add(script_name.text, "original_script")
    if not len(names):
        return None

    nationalities = country_codes(_values(record, "NATIONALITY"), unknown)
    countries: list[str] = []
    for address in record.findall(f"{prefix}_ADDRESS"):
        add_unique(countries, country_codes([_text(address, "COUNTRY")], unknown))
    identifiers: list[Identifier] = []
    for doc in record.findall("INDIVIDUAL_DOCUMENT"):
        number = _text(doc, "NUMBER")
        if not number:
            continue
        doc_type = _text(doc, "TYPE_OF_DOCUMENT").lower()
        kind = _DOC_KINDS.get(doc_type, "passport" if "pas" in doc_type else "id_number")
        issuer = country_code(_text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE"))
        add_identifier(identifiers, Identifier(kind, number, issuer))
    remarks = " ".join(c for c in (_text(record, "COMMENTS1"), *_values(record, "DESIGNATION")) if c)
    programs = [p for p in [_text(record, "UN_LIST_TYPE")] if p]
    return ListEntity(
        list=list_key,
        source_id=ref,
        schema=schema,
        names=names.to_list(),
        birth_dates=_birth_dates(record) if schema == "person" else [],
        nationalities=nationalities,
        countries=countries,
        identifiers=identifiers,
        programs=programs,
        listed_on=parse_date(_text(record, "LISTED_ON")),
        remarks=remarks or None,
    )


def parse_un_sc(source: Source, *, list_key: str = "un_sc") -> ParseResult:
    """Parse the UN Security Council consolidated list XML."""
    data, file = source_bytes(source)
    try:
        root = ElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise ListParseError(
            file=file,
            problem=f"the XML uses a forbidden construct ({type(exc).__name__})",
            hint="the official file has no DTD or entities; download it again",
        ) from exc
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise ListParseError(
            file=file,
            line=line,
            problem=f"invalid XML at column {column} ({exc.msg if hasattr(exc, 'msg') else exc})",
            hint="the file is truncated or corrupt; download it again from the official URL",
        ) from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListParseError(
            file=file,
            line=1,
            problem=f"the root element is <{root.tag}>, expected <CONSOLIDATED_LIST>",
            hint="this is not the UN Security Council consolidated list XML",
        )
    unknown: Counter[str] = Counter()
    result = ParseResult(list_key=list_key, entities=[])
    seen: set[str] = set()
    for path, schema in (("INDIVIDUALS/INDIVIDUAL", "person"), ("ENTITIES/ENTITY", "organization")):
        for record in root.findall(path):
            entity = _record(record, schema=schema, list_key=list_key, unknown=unknown)  # type: ignore[arg-type]
            if entity is None:
                result.warnings.append(
                    f"{file}: a record (DATAID {_text(record, 'DATAID') or '?'}) has no "
                    "REFERENCE_NUMBER or no name and was skipped"
                )
                continue
            if entity.source_id in seen:
                result.warnings.append(f"{file}: duplicate REFERENCE_NUMBER {entity.source_id} ignored")
                continue
            seen.add(entity.source_id)
            result.entities.append(entity)
    if not result.entities:
        raise ListParseError(
            file=file,
            problem="no INDIVIDUAL or ENTITY records found",
            hint="check that this is the UN consolidated list and that it is complete",
        )
    result.warnings.extend(unknown_countries_warning(list_key, unknown))
    return result
