"""The screening index of this process: built once (lazily, thread-safe) and reused.

Where the list entities come from is a setting, ``CDD_SCREENING_LIST_SOURCE``:

* ``snapshot`` (default): the snapshot bundled in the repository (``apps/screening/data/snapshot``).
  Needs nothing else: no AWS, no database. Used by ``screen_file`` on a fresh checkout. The built
  index is cached as a pickle in ``CDD_SCREENING_INDEX_CACHE_DIR`` (default ``.local/cache``),
  keyed by the checksum of the snapshot files and of the matcher's code and version, so the next
  process loads it in ~1 s instead of parsing and indexing (~8 s).
* ``active``: the active list versions in DynamoDB/S3 (``list_entities_active``), falling back
  to the snapshot for an official list that has no version loaded yet. The index is rebuilt when
  a list's active version changes (heads are re-read at most every
  ``CDD_SCREENING_HEADS_RECHECK_SECONDS``).
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from apps.screening.matching import ALGORITHM_VERSION, MatchIndex

logger = logging.getLogger(__name__)

LIST_SOURCES = ("snapshot", "active")


@dataclass(frozen=True, slots=True)
class ScreeningIndex:
    """A built index and what it was built from (recorded with every result)."""

    index: MatchIndex
    source: str  # "snapshot" | "active"
    versions: tuple[tuple[str, str], ...]  # (list key, version id or "snapshot")
    built_seconds: float


_lock = threading.Lock()
_current: dict[str, ScreeningIndex] = {}
_checked_at: dict[str, float] = {}


def _snapshot_key() -> str:
    """Checksum of the bundled snapshot files and of the matcher's code and version."""
    from apps.screening import matching
    from apps.screening.lists.snapshot import SNAPSHOT_DIR

    digest = hashlib.sha256(ALGORITHM_VERSION.encode())
    for path in sorted(SNAPSHOT_DIR.rglob("*.xz")):
        digest.update(path.relative_to(SNAPSHOT_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    for path in sorted(Path(matching.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _cache_signature(payload: bytes) -> bytes:
    """HMAC-SHA256 of a cache file's bytes under the installation's secret key (32 bytes)."""
    return hmac.new(settings.SECRET_KEY.encode(), payload, hashlib.sha256).digest()


def _snapshot_index() -> ScreeningIndex:
    from apps.screening.lists import SNAPSHOT_LISTS, snapshot_entities

    started = time.perf_counter()
    versions = tuple((key, "snapshot") for key in SNAPSHOT_LISTS)
    cache_dir = settings.CDD_SCREENING_INDEX_CACHE_DIR
    cache_file = Path(cache_dir) / f"screening-index-{_snapshot_key()}.pickle" if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        try:
            blob = cache_file.read_bytes()
            signature, payload = blob[:32], blob[32:]
            if not hmac.compare_digest(signature, _cache_signature(payload)):
                raise pickle.UnpicklingError("signature does not match (not written by this installation)")
            # Signed with the installation's secret key by the code below, so only our own bytes are unpickled.
            index = pickle.loads(payload)  # noqa: S301  # nosec B301
            if isinstance(index, MatchIndex):
                return ScreeningIndex(index, "snapshot", versions, time.perf_counter() - started)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            logger.warning("screening index cache %s unreadable (%s); rebuilding", cache_file, exc)
    index = MatchIndex.build(snapshot_entities())
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
            payload = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
            with open(tmp, "wb") as fh:
                fh.write(_cache_signature(payload) + payload)
            tmp.replace(cache_file)
        except OSError as exc:
            logger.warning("screening index cache %s not written (%s)", cache_file, exc)
    return ScreeningIndex(index, "snapshot", versions, time.perf_counter() - started)


def _active_versions() -> tuple[tuple[str, str], ...]:
    from apps.screening.lists import SNAPSHOT_LISTS
    from apps.screening.selectors.lists import list_heads_get, list_keys_known

    heads = list_heads_get()
    versions = []
    for key in list_keys_known():
        head = heads.get(key)
        if head is not None:
            versions.append((key, head.active_version_id))
        elif key in SNAPSHOT_LISTS:
            versions.append((key, "snapshot"))
    return tuple(versions)


def _active_index(versions: tuple[tuple[str, str], ...]) -> ScreeningIndex:
    from apps.screening.selectors.lists import list_entities_active

    started = time.perf_counter()
    index = MatchIndex.build(list_entities_active([key for key, _ in versions], snapshot_fallback=True))
    return ScreeningIndex(index=index, source="active", versions=versions, built_seconds=time.perf_counter() - started)


def screening_index_get(*, source: str | None = None, fresh: bool = False) -> ScreeningIndex:
    """The index for ``source`` (default: the ``CDD_SCREENING_LIST_SOURCE`` setting).

    ``fresh``: look at the active versions now rather than within the recheck interval (a delta
    re-screen must screen against the version that caused it).
    """
    return screening_index_load(source=source, fresh=fresh)[0]


def screening_index_load(*, source: str | None = None,
                         fresh: bool = False) -> tuple[ScreeningIndex, float | None]:
    """The index (as ``screening_index_get``) and the seconds this call spent getting a new one.

    The seconds are None when the index was ready (the usual case). They are set when this call built or
    loaded it (a process's first screening, or a list version changed), waiting for another thread's
    build included, so that a run's latency can be told apart from the index's loading.
    """
    source = source or settings.CDD_SCREENING_LIST_SOURCE
    if source not in LIST_SOURCES:
        raise ValueError(f"unknown list source {source!r}; expected one of {', '.join(LIST_SOURCES)}")
    current = _current.get(source)
    if current is not None and source == "snapshot":
        return current, None
    if (
        current is not None and not fresh
        and time.monotonic() - _checked_at.get(source, 0.0) < settings.CDD_SCREENING_HEADS_RECHECK_SECONDS
    ):
        return current, None
    seen, started = current, time.perf_counter()
    with _lock:
        current = _current.get(source)
        if source == "snapshot":
            if current is None:
                current = _current[source] = _snapshot_index()
                _freeze()
                logger.info("screening index built from the snapshot in %.1fs", current.built_seconds)
        else:
            versions = _active_versions()
            _checked_at[source] = time.monotonic()
            if current is None or current.versions != versions:
                current = _current[source] = _active_index(versions)
                _freeze()
                logger.info("screening index built from active lists %s in %.1fs", versions,
                            current.built_seconds)
    return current, (time.perf_counter() - started if current is not seen else None)


def screening_index_reset() -> None:
    """Forget the built indexes (tests; a worker after a list change is handled by versions)."""
    with _lock:
        _current.clear()
        _checked_at.clear()


def _freeze() -> None:
    # The index lives as long as the process: move it out of the collector's way, which
    # otherwise rescans its million objects and shows up as latency spikes.
    gc.collect()
    gc.freeze()
