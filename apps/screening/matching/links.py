"""Counterparts: the same party's entries on the other lists, and what an entry may borrow from them.

The same person is often listed by OFAC, the UN and the UK, each entry carrying what its list knows:
a UK entry may give no date of birth where OFAC's gives one. When an entry lacks a date of birth or
a nationality, the screening weighs the query's against its counterparts' (``cdd-name-match/2.1``),
and the explanation says where the value came from.

Counterparts are found at index build, over the entities of different lists only (a book of
customers, one list, links nothing), most explicit first; a counterpart is one hop away (what a
counterpart itself borrowed is not passed on):

1. **a list's own reference**: a UK OFSI entry derived from a UN listing cites it in its Other
   Information (``(UN Ref):QDi.028``, :data:`UN_REF`), which is the UN entry's REFERENCE_NUMBER;
2. **the same document number**: a passport or national identification number (6 or more letters
   and digits) carried by exactly one entity on each of the two lists, same entity type, and no
   conflicting date of birth or nationality;
3. only for a list the first two gave no counterpart on, **the same name**: persons with the same
   normalised full name (the same words in any order, titles aside, at least two name words, a
   primary name, a strong alias or the original-script name, never a weak alias or a former name),
   where that name is carried by exactly one entity on each list, is distinctive (the mean rarity
   of its words, :func:`~.features.distinctiveness`, at least :data:`NAME_LINK_MIN_DISTINCTIVENESS`:
   a common name such as Mohammed KHAN names many people) and the two entries' secondary data does
   not conflict (dates of birth more than a year apart, or nationalities with none in common).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .features import PreparedName, date_relation, distinctiveness
from .normalize import NORMAL, TITLE, parse_partial_date
from .types import ListEntity

# "(UN Ref):QDi.028" in a UK OFSI entry's Other Information (kept in ListEntity.remarks).
UN_REF = re.compile(r"\(UN Ref\):\s*([A-Z]{2}[a-z]\.\d{1,4})")
LINK_IDENTIFIER_KINDS = frozenset({"passport", "national_id"})
_IDENTIFIER_MIN_LENGTH = 6
_NON_ALNUM = re.compile(r"[^0-9A-Z]")
NAME_LINK_MIN_DISTINCTIVENESS = 0.5
NAME_LINK_KINDS = frozenset({"primary", "strong_alias", "original_script"})
LINKED_BY = {
    "un_ref": "UN reference",
    "identifier": "same document number",
    "name": "same name, one entry on each list",
}
LIST_LABELS = {"ofac_sdn": "OFAC SDN", "ofac_cons": "OFAC Consolidated", "un_sc": "UN", "uk_ofsi": "UK OFSI"}

Parsed = tuple[int, int | None, int | None]


def entry_label(entity: ListEntity) -> str:
    """``UN QDi.028``, ``OFAC SDN 24585``: how an explanation names a list entry."""
    return f"{LIST_LABELS.get(entity.list, entity.list)} {entity.source_id}"


@dataclass(slots=True)
class Borrowed:
    """What an entry lacking a date of birth or a nationality takes from its counterparts."""

    birth_dates: list[str] = field(default_factory=list)
    parsed: list[Parsed] = field(default_factory=list)
    dob_sources: list[str] = field(default_factory=list)  # parallel to ``parsed``: "UN QDi.028 (same party: ...)"
    nationalities: list[str] = field(default_factory=list)
    nationality_sources: dict[str, str] = field(default_factory=dict)  # code -> source


def _conflicts(a: ListEntity, b: ListEntity, dobs_a: list[Parsed], dobs_b: list[Parsed]) -> bool:
    if dobs_a and dobs_b and all(date_relation(x, y)[0] == "conflict" for x in dobs_a for y in dobs_b):
        return True
    return bool(a.nationalities and b.nationalities and not set(a.nationalities) & set(b.nationalities))


def _unique_pairs(carriers: dict[object, dict[str, set[int]]]) -> list[tuple[int, int]]:
    """Pairs of entities on different lists sharing a key that exactly one entity of each list carries."""
    out: list[tuple[int, int]] = []
    for per_list in carriers.values():
        if len(per_list) < 2 or any(len(v) != 1 for v in per_list.values()):
            continue
        ids = sorted(next(iter(v)) for v in per_list.values())
        out.extend((a, b) for n, a in enumerate(ids) for b in ids[n + 1 :])
    return out


def find_counterparts(
    entities: Sequence[ListEntity],
    dobs: Sequence[list[Parsed]],
    names: Sequence[PreparedName],
    name_entity: Sequence[int],
    name_kind: Sequence[str],
) -> dict[int, dict[int, str]]:
    """``{entity position: {counterpart position: how}}`` (``how``: a key of :data:`LINKED_BY`)."""
    if len({e.list for e in entities}) < 2:
        return {}
    explicit: dict[int, dict[int, str]] = defaultdict(dict)

    def link(a: int, b: int, how: str, into: dict[int, dict[int, str]]) -> None:
        into[a].setdefault(b, how)
        into[b].setdefault(a, how)

    # 1. a UK entry's UN reference
    by_source: dict[str, list[int]] = defaultdict(list)
    for e_idx, entity in enumerate(entities):
        by_source[entity.source_id].append(e_idx)
    for e_idx, entity in enumerate(entities):
        if entity.remarks and "UN Ref" in entity.remarks:
            for ref in UN_REF.findall(entity.remarks):
                targets = [t for t in by_source.get(ref, ()) if entities[t].list != entity.list]
                if len(targets) == 1:
                    link(e_idx, targets[0], "un_ref", explicit)
    # 2. the same passport or national id number
    id_carriers: dict[object, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for e_idx, entity in enumerate(entities):
        for ident in entity.identifiers:
            if ident.kind in LINK_IDENTIFIER_KINDS:
                value = _NON_ALNUM.sub("", ident.value.upper())
                if len(value) >= _IDENTIFIER_MIN_LENGTH:
                    id_carriers[(ident.kind, value)][entity.list].add(e_idx)
    for a, b in _unique_pairs(id_carriers):
        if entities[a].schema == entities[b].schema and not _conflicts(entities[a], entities[b], dobs[a], dobs[b]):
            link(a, b, "identifier", explicit)
    # 3. the same distinctive name, where no explicit link reaches that list
    name_carriers: dict[object, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for n_idx, prepared in enumerate(names):
        e_idx = name_entity[n_idx]
        if entities[e_idx].schema != "person" or name_kind[n_idx] not in NAME_LINK_KINDS:
            continue
        if sum(1 for k in prepared.kinds if k == NORMAL) < 2 or distinctiveness(prepared) < NAME_LINK_MIN_DISTINCTIVENESS:
            continue
        key = tuple(sorted(t for t, k in zip(prepared.tokens, prepared.kinds, strict=True) if k != TITLE))
        name_carriers[key][entities[e_idx].list].add(e_idx)
    by_name: dict[int, dict[int, str]] = defaultdict(dict)
    for a, b in _unique_pairs(name_carriers):
        if not _conflicts(entities[a], entities[b], dobs[a], dobs[b]):
            link(a, b, "name", by_name)
    out: dict[int, dict[int, str]] = {e: dict(links) for e, links in explicit.items()}
    for a, links in by_name.items():
        reached = {entities[t].list for t in explicit.get(a, {})}
        for b, how in links.items():
            if entities[b].list not in reached:
                out.setdefault(a, {}).setdefault(b, how)
    return out


def borrowed_values(
    entities: Sequence[ListEntity], dobs: Sequence[list[Parsed]], counterparts: dict[int, dict[int, str]]
) -> dict[int, Borrowed]:
    """For each linked entry lacking a date of birth or a nationality, its counterparts' own values."""
    out: dict[int, Borrowed] = {}
    for e_idx, links in counterparts.items():
        entity = entities[e_idx]
        need_dob, need_nat = not dobs[e_idx], not entity.nationalities
        if not (need_dob or need_nat):
            continue
        borrowed = Borrowed()
        for other, how in sorted(links.items(), key=lambda item: (entities[item[0]].list, item[0])):
            source = f"{entry_label(entities[other])} (same party: {LINKED_BY[how]})"
            if need_dob:
                for text, parsed in zip(entities[other].birth_dates, dobs_each(entities[other].birth_dates),
                                        strict=True):
                    if parsed is not None and parsed not in borrowed.parsed:
                        borrowed.birth_dates.append(text)
                        borrowed.parsed.append(parsed)
                        borrowed.dob_sources.append(source)
            if need_nat:
                for code in entities[other].nationalities:
                    if code not in borrowed.nationality_sources:
                        borrowed.nationalities.append(code)
                        borrowed.nationality_sources[code] = source
        if borrowed.parsed or borrowed.nationalities:
            out[e_idx] = borrowed
    return out


def dobs_each(values: list[str]) -> list[Parsed | None]:
    return [parse_partial_date(v) for v in values]
