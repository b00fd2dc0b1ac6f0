"""Normalised entities as JSON: one object per entity, JSON lines (gzip) per list version.

The stored form is what :func:`entity_to_dict` returns; :func:`entity_hash` is a stable digest of
it (names, dates, countries and identifiers in a canonical order), so that a reordered but
otherwise identical entry does not count as changed between two versions.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from apps.screening.matching.types import Identifier, ListEntity, Name

FORMAT_VERSION = 1


def entity_to_dict(entity: ListEntity) -> dict[str, Any]:
    return {
        "list": entity.list,
        "source_id": entity.source_id,
        "schema": entity.schema,
        "names": [[n.value, n.kind] for n in entity.names],
        "birth_dates": list(entity.birth_dates),
        "nationalities": list(entity.nationalities),
        "countries": list(entity.countries),
        "identifiers": [[i.kind, i.value, i.country] for i in entity.identifiers],
        "programs": list(entity.programs),
        "listed_on": entity.listed_on,
        "remarks": entity.remarks,
    }


def entity_from_dict(data: dict[str, Any]) -> ListEntity:
    return ListEntity(
        list=data["list"],
        source_id=data["source_id"],
        schema=data["schema"],
        names=[Name(value, kind) for value, kind in data["names"]],
        birth_dates=list(data.get("birth_dates", [])),
        nationalities=list(data.get("nationalities", [])),
        countries=list(data.get("countries", [])),
        identifiers=[Identifier(kind, value, country) for kind, value, country in data.get("identifiers", [])],
        programs=list(data.get("programs", [])),
        listed_on=data.get("listed_on"),
        remarks=data.get("remarks"),
    )


def entity_hash(entity: ListEntity) -> str:
    """sha256 (hex, 32 chars) of the entity's content, independent of the order of its values."""
    data = entity_to_dict(entity)
    for key in ("names", "birth_dates", "nationalities", "countries", "programs"):
        data[key] = sorted(data[key])
    data["identifiers"] = sorted(data["identifiers"], key=lambda i: (i[0], i[1], i[2] or ""))
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def entities_dump_jsonl_gz(entities: Iterable[ListEntity]) -> bytes:
    """Entities as gzip-compressed JSON lines (deterministic bytes for the same input)."""
    lines = "".join(json.dumps(entity_to_dict(e), ensure_ascii=False, separators=(",", ":")) + "\n" for e in entities)
    return gzip.compress(lines.encode("utf-8"), compresslevel=6, mtime=0)


def entities_load_jsonl_gz(data: bytes) -> list[ListEntity]:
    """The inverse of :func:`entities_dump_jsonl_gz`."""
    text = gzip.decompress(data).decode("utf-8")
    return [entity_from_dict(json.loads(line)) for line in text.splitlines() if line]
