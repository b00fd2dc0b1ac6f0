"""The customer-side index: the matcher's own index over every customer and related party of the book.

A list change screens its few changed entries against the book through this index, never through a
read of every customer. It lives in the worker process and is kept three ways:

* **from the writes**: every screening run writes its subject's screened fields to table
  ``screening_subjects`` (``updated_key`` on a sparse index); ``book_index_get`` reads only the rows
  changed since its watermark (a Query) and applies each as a removal plus an addition
  (``MatchIndex.add``/``remove``, a fraction of a millisecond each);
* **persisted**: ``book_index_snapshot_save`` writes the index with its watermark to S3 (the lists
  bucket, ``book-index/<algorithm>/snapshot.pickle``, signed with the installation's key), hourly by
  beat and after every rebuild; a worker that starts loads it and applies only the changes since;
* **rebuilt offline**: ``book_index_rebuild`` reads the whole subject table once and builds the index
  from scratch (``manage.py book_index_build``) — when the matching algorithm changes (the snapshot key
  carries its version, so a new version finds no snapshot) or token rarity has drifted.

Changes are read back ``WATERMARK_OVERLAP`` before the watermark, because two workers' clocks and
commit order differ by a little; applying a change twice is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from apps.core import aws
from apps.core.dynamo import utcnow
from apps.screening.dynamo_models import BOOK, ScreeningSubject
from apps.screening.matching import ALGORITHM_VERSION, ListEntity, MatchIndex, Name
from apps.screening.services.lists import _put
from apps.screening.services.subjects import ENTITY_TYPE

logger = logging.getLogger(__name__)

WATERMARK_OVERLAP = timedelta(minutes=5)


@dataclass
class BookIndex:
    """The matcher's index over the book, which subject each entry is, and how far the changes were read."""

    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # subject key -> (customer id, subject id)
    watermark: str = ""
    index: MatchIndex | None = None
    algorithm: str = ALGORITHM_VERSION
    built_at: str = ""
    changes_applied: int = 0  # since the last full build
    source: str = "empty"  # built | snapshot
    recent: dict[str, str] = field(default_factory=dict)  # subject key -> updated_key applied, within the overlap


_book = BookIndex()
_book_lock = threading.Lock()


def subject_entity(row: ScreeningSubject) -> ListEntity:
    """A subject as the matcher indexes it (one 'entity' of the book)."""
    inputs = row.inputs or {}
    names = [Name(n, "primary") for n in dict.fromkeys(inputs.get("names") or []) if n]
    dob = inputs.get("date_of_birth")
    return ListEntity(list=BOOK, source_id=row.subject_key,
                      schema=ENTITY_TYPE.get(inputs.get("type") or "", "person"),  # type: ignore[arg-type]
                      names=names, birth_dates=[dob] if dob else [],
                      nationalities=list(inputs.get("nationalities") or []),
                      countries=list(inputs.get("countries") or []))


def snapshot_key() -> str:
    return f"book-index/{ALGORITHM_VERSION}/snapshot.pickle"


def _signature(payload: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), payload, hashlib.sha256).digest()


def book_index_rebuild(*, rows: Iterable[ScreeningSubject] | None = None,
                       progress: Callable[[int], None] | None = None) -> BookIndex:
    """Build the index from scratch over every subject (the offline job, or a worker with no snapshot)."""
    refs: dict[str, tuple[str, str]] = {}
    entities: list[ListEntity] = []
    stamps: dict[str, str] = {}
    watermark = ""
    for n, row in enumerate(rows if rows is not None else ScreeningSubject.by_update.query(BOOK), start=1):
        watermark = max(watermark, row.updated_key)
        stamps[row.subject_key] = row.updated_key
        if not row.removed:
            refs[row.subject_key] = (row.customer_id, row.subject_id)
            entities.append(subject_entity(row))
        if progress is not None and n % 10_000 == 0:
            progress(n)
    built = BookIndex(refs=refs, watermark=watermark, index=MatchIndex.build(entities),
                      built_at=utcnow().isoformat(), source="built")
    horizon = _since(watermark)
    built.recent = {key: stamp for key, stamp in stamps.items() if stamp > horizon}
    with _book_lock:
        _book.__dict__.update(built.__dict__)
    return built


def book_index_apply(book: BookIndex, rows: Iterable[ScreeningSubject]) -> int:
    """Apply changed subjects to the index: each is removed and, unless it is gone, added as it is now."""
    assert book.index is not None
    applied = 0
    for row in rows:
        if book.recent.get(row.subject_key, "") >= row.updated_key:
            continue  # read again in the overlap: already applied
        book.recent[row.subject_key] = row.updated_key
        book.index.remove(f"{BOOK}:{row.subject_key}")
        if row.removed:
            book.refs.pop(row.subject_key, None)
        else:
            book.index.add(subject_entity(row))
            book.refs[row.subject_key] = (row.customer_id, row.subject_id)
        book.watermark = max(book.watermark, row.updated_key)
        applied += 1
    book.changes_applied += applied
    horizon = _since(book.watermark)
    book.recent = {k: v for k, v in book.recent.items() if v > horizon}
    return applied


def _since(watermark: str) -> str:
    stamp = watermark.split("#", 1)[0]
    try:
        return (datetime.fromisoformat(stamp) - WATERMARK_OVERLAP).isoformat()
    except ValueError:
        return ""


def book_index_snapshot_save() -> dict[str, object]:
    """Persist the worker's index and its watermark to S3, so the next worker starts from it."""
    book = book_index_get()
    with _book_lock:
        payload = pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL)
    _put(snapshot_key(), _signature(payload) + payload, "application/octet-stream")
    logger.info("book index snapshot: %d subjects, %d bytes", len(book.refs), len(payload))
    return {"subjects": len(book.refs), "bytes": len(payload), "watermark": book.watermark, "key": snapshot_key()}


def _snapshot_load() -> BookIndex | None:
    client = aws.client("s3")
    try:
        blob = client.get_object(Bucket=settings.CDD_LISTS_BUCKET, Key=snapshot_key())["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    signature, payload = blob[:32], blob[32:]
    if not hmac.compare_digest(signature, _signature(payload)):
        logger.warning("book index snapshot %s is not signed by this installation; rebuilding", snapshot_key())
        return None
    try:
        # Signed with the installation's secret key by book_index_snapshot_save: only our own bytes are unpickled.
        book = pickle.loads(payload)  # noqa: S301  # nosec B301
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        logger.warning("book index snapshot unreadable (%s); rebuilding", exc)
        return None
    if not isinstance(book, BookIndex) or book.algorithm != ALGORITHM_VERSION:
        return None
    book.source = "snapshot"
    return book


def book_index_get() -> BookIndex:
    """The customer-side index, brought up to date with the subjects changed since it was last read."""
    with _book_lock:
        if _book.index is None:
            started = time.perf_counter()
            loaded = _snapshot_load()
            if loaded is not None:
                _book.__dict__.update(loaded.__dict__)
                logger.info("book index: snapshot of %d subjects loaded in %.1f s", len(_book.refs),
                            time.perf_counter() - started)
    if _book.index is None:
        book_index_rebuild()
    with _book_lock:
        since = _since(_book.watermark)
        condition = ScreeningSubject.updated_key > since if since else None
        changed = list(ScreeningSubject.by_update.query(BOOK, condition))
        if changed:
            book_index_apply(_book, changed)
        return _book


def book_index_reset() -> None:
    """Forget the worker's index (tests; a worker does this only by restarting)."""
    with _book_lock:
        _book.__dict__.update(BookIndex().__dict__)
