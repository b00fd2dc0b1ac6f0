"""Reads of list versions: the active entities (for screening), a list's version history, a version's changes."""

from __future__ import annotations

import gzip
import json
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from apps.core.errors import NotFound
from apps.customers.countries import COUNTRIES
from apps.screening.lists import (
    LIST_SOURCES,
    SNAPSHOT_LISTS,
    ListDiff,
    entities_load_jsonl_gz,
    list_diff,
    snapshot_parse,
)
from apps.screening.matching.types import ListEntity
from apps.screening.models import ListHead, ListVersion
from apps.screening.services.lists import (
    entities_key,
    list_sources_configured,
    object_get,
    object_put,
    version_prefix,
)

_cache: dict[str, list[ListEntity]] = {}  # version id -> entities; versions never change
_cache_lists: dict[str, str] = {}  # version id -> list key
_lock = threading.Lock()


def list_keys_known() -> list[str]:
    return [*LIST_SOURCES, *list_sources_configured()]


def list_heads_get(list_keys: Iterable[str] | None = None) -> dict[str, ListHead]:
    """The head (active version pointer) of each list that has one."""
    keys = list(list_keys or list_keys_known())
    return {head.list_key: head for head in ListHead.batch_get(keys)}


def list_entities_active(
    list_keys: Iterable[str] | None = None, *, snapshot_fallback: bool = False
) -> list[ListEntity]:
    """Entities of the active version of each list; with ``snapshot_fallback``, the bundled
    snapshot for an official list that has no version loaded yet."""
    keys = list(list_keys or list_keys_known())
    heads = list_heads_get(keys)
    _evict_inactive({head.active_version_id for head in heads.values()}, heads_of=set(heads))
    entities: list[ListEntity] = []
    for key in keys:
        head = heads.get(key)
        if head is None:
            if snapshot_fallback and key in SNAPSHOT_LISTS:
                entities.extend(_cached(f"snapshot:{key}", key, partial(_snapshot_entities, key)))
            continue
        version_id = head.active_version_id
        entities.extend(_cached(version_id, key, partial(_version_entities, key, version_id)))
    return entities


def _snapshot_entities(list_key: str) -> list[ListEntity]:
    return snapshot_parse(list_key).entities


def list_version_entities(*, list_key: str, version_id: str) -> list[ListEntity]:
    """Every entity of one stored version (held, active or superseded), as it was parsed."""
    return _version_entities(list_key, version_id)


def _version_entities(list_key: str, version_id: str) -> list[ListEntity]:
    return entities_load_jsonl_gz(object_get(entities_key(list_key=list_key, version_id=version_id)))


def _evict_inactive(active_ids: set[str], *, heads_of: set[str]) -> None:
    """Forget versions that are no longer active, so a long-running worker does not grow."""
    with _lock:
        for cache_key in list(_cache):
            list_key = _cache_lists.get(cache_key)
            if list_key in heads_of and cache_key not in active_ids:
                del _cache[cache_key]
                _cache_lists.pop(cache_key, None)


def _cached(cache_key: str, list_key: str, load: Callable[[], list[ListEntity]]) -> list[ListEntity]:
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
    loaded = load()
    with _lock:
        _cache[cache_key] = loaded
        _cache_lists[cache_key] = list_key
    return loaded


def list_versions_recent(*, list_key: str, limit: int = 20, before: str | None = None) -> list[ListVersion]:
    """Versions of one list, newest first (with ``before``: those loaded before that version, for paging)."""
    condition = ListVersion.version_id < before if before else None
    return list(ListVersion.query(list_key, condition, scan_index_forward=False, limit=limit))


def list_version_diff(*, list_key: str, version_id: str) -> ListDiff:
    """Every entity key added, removed and changed by a version against the one it replaced
    (the input of delta re-screening). Empty for a refused version."""
    version = ListVersion.get(list_key, version_id)
    if not version.diff_key:
        return ListDiff()
    data = json.loads(gzip.decompress(object_get(version.diff_key)))
    return ListDiff(added=data["added"], removed=data["removed"], changed=data["changed"])


def list_version_get(*, list_key: str, version_id: str) -> ListVersion:
    """One version (GetItem), or a 404 naming it."""
    try:
        return ListVersion.get(list_key, version_id)
    except ListVersion.DoesNotExist as exc:
        raise NotFound(f"List {list_key} has no version {version_id}.",
                       errors={"version_id": ["no such version"]}) from exc


# --- a version's changes, entry by entry (the admin's diff page) ------------------------------------

CHANGES_FORMAT = 1
FIELD_LABELS = {
    "schema": "type", "names": "names", "birth_dates": "dates of birth", "nationalities": "nationalities",
    "countries": "countries", "identifiers": "identifiers", "programs": "programmes", "listed_on": "listed on",
    "remarks": "remarks",
}
NAME_KINDS = {"primary": "primary name", "strong_alias": "alias", "weak_alias": "weak alias",
              "original_script": "original script", "former": "former name"}
_changes_cache: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()  # version id -> rows; versions never change
_CHANGES_CACHED = 4


def changes_key(*, list_key: str, version_id: str) -> str:
    return version_prefix(list_key=list_key, version_id=version_id) + "changes.json.gz"


def _country(code: str) -> str:
    return COUNTRIES.get(code, code)


def _values(entity: ListEntity, name: str) -> list[str]:
    """One field of an entity as the words a person reads (countries by name, names with their kind)."""
    if name == "names":
        return [f"{n.value} ({NAME_KINDS.get(n.kind, n.kind)})" for n in entity.names]
    if name in ("nationalities", "countries"):
        return [_country(c) for c in getattr(entity, name)]
    if name == "identifiers":
        return [f"{i.kind} {i.value}" + (f" ({_country(i.country)})" if i.country else "") for i in entity.identifiers]
    if name in ("birth_dates", "programs"):
        return list(getattr(entity, name))
    value = getattr(entity, name)
    return [str(value)] if value else []


def entity_field_changes(old: ListEntity, new: ListEntity) -> list[dict[str, Any]]:
    """Which fields differ between two versions of one entry: each with the values removed and added."""
    changes = []
    for name, label in FIELD_LABELS.items():
        before, after = _values(old, name), _values(new, name)
        if sorted(before) == sorted(after):
            continue
        changes.append({"field": label, "removed": [v for v in before if v not in after],
                        "added": [v for v in after if v not in before]})
    return changes


def _row(kind: str, entity: ListEntity, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": kind, "key": entity.key, "source_id": entity.source_id, "name": entity.primary_name,
            "schema": entity.schema, "names": [n.value for n in entity.names], "fields": fields or []}


def list_changes_compute(*, old: Iterable[ListEntity], new: Iterable[ListEntity],
                         diff: ListDiff | None = None) -> list[dict[str, Any]]:
    """Added, removed and changed entries with their names (and, when changed, which fields), by kind then name."""
    old_by = {e.key: e for e in old}
    new_by = {e.key: e for e in new}
    if diff is None:
        diff = list_diff(list(old_by.values()), list(new_by.values()))
    rows = [_row("added", new_by[k]) for k in diff.added if k in new_by]
    rows += [_row("removed", old_by[k]) for k in diff.removed if k in old_by]
    rows += [_row("changed", new_by[k], entity_field_changes(old_by[k], new_by[k]))
             for k in diff.changed if k in old_by and k in new_by]
    order = {"added": 0, "removed": 1, "changed": 2}
    rows.sort(key=lambda r: (order[r["kind"]], fold(r["name"]), r["key"]))
    return rows


def list_version_changes(*, version: ListVersion) -> list[dict[str, Any]]:
    """Every entry a version added, removed or changed against the version it replaced.

    Read from ``changes.json.gz`` next to the version's files; the first reader computes it from the two
    versions' normalised entities and the stored diff, and stores it (versions never change). Empty for a
    version that stored no entities (refused).
    """
    if not version.entities_key:
        return []
    with _lock:
        if version.version_id in _changes_cache:
            _changes_cache.move_to_end(version.version_id)
            return _changes_cache[version.version_id]
    key = changes_key(list_key=version.list_key, version_id=version.version_id)
    try:
        stored = json.loads(gzip.decompress(object_get(key)))
        rows = stored["rows"] if stored.get("format") == CHANGES_FORMAT else None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
            raise
        rows = None
    if rows is None:
        new = _version_entities(version.list_key, version.version_id)
        old = _version_entities(version.list_key, version.previous_version_id) if version.previous_version_id else []
        diff = list_version_diff(list_key=version.list_key, version_id=version.version_id) if version.diff_key else None
        rows = list_changes_compute(old=old, new=new, diff=diff)
        body = gzip.compress(json.dumps({"format": CHANGES_FORMAT, "rows": rows}, ensure_ascii=False,
                                        separators=(",", ":")).encode(), mtime=0)
        object_put(key, body, "application/gzip")
    with _lock:
        _changes_cache[version.version_id] = rows
        while len(_changes_cache) > _CHANGES_CACHED:
            _changes_cache.popitem(last=False)
    return rows


def fold(text: str) -> str:
    """Lower case without accents, for searching names as people type them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def list_changes_search(rows: list[dict[str, Any]], *, query: str = "", kind: str = "") -> list[dict[str, Any]]:
    """The rows of one kind (or all) whose names or list id contain every word of ``query``."""
    words = fold(query).split()
    return [r for r in rows if (not kind or r["kind"] == kind)
            and all(any(w in fold(n) for n in [*r["names"], r["source_id"]]) for w in words)]
