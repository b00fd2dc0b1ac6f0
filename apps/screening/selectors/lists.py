"""Reads of list versions: the active entities (for screening) and a list's version history."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterable
from functools import partial

from apps.screening.lists import LIST_SOURCES, SNAPSHOT_LISTS, ListDiff, entities_load_jsonl_gz, snapshot_parse
from apps.screening.matching.types import ListEntity
from apps.screening.models import ListHead, ListVersion
from apps.screening.services.lists import entities_key, list_sources_configured, object_get

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


def list_versions_recent(*, list_key: str, limit: int = 20) -> list[ListVersion]:
    """Versions of one list, newest first."""
    return list(ListVersion.query(list_key, scan_index_forward=False, limit=limit))


def list_version_diff(*, list_key: str, version_id: str) -> ListDiff:
    """Every entity key added, removed and changed by a version against the one it replaced
    (the input of delta re-screening). Empty for a refused version."""
    version = ListVersion.get(list_key, version_id)
    if not version.diff_key:
        return ListDiff()
    data = json.loads(gzip.decompress(object_get(version.diff_key)))
    return ListDiff(added=data["added"], removed=data["removed"], changed=data["changed"])
