"""Full re-screening of the book: every subject screened again (an algorithm, threshold or list set
changed, or an operator asks).

``book_rescreen_request`` reads the book (``screening_subjects``, through its update index: an
offline job, no Scan) and records one ordinary screening request per subject, in transactions of
``REQUESTS_PER_TRANSACTION`` with an audit event each (``screening.rescreen_chunk`` on the job's
chain: which subjects, how many so far). Request ids derive from the job id and the subject, so a
job that is run again with the same id — after a crash, or to resume — records nothing twice; the
requests go to the workers over SQS one by one, so any number of workers share the job, and a
killed worker's requests are re-sent by the outbox sweep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Conflict
from apps.core.outbox import outbox_put, outbox_send
from apps.customers.services import screening_request_new
from apps.screening.dynamo_models import BOOK, ScreeningSubject

REQUESTS_PER_TRANSACTION = 90


@dataclass
class RescreenProgress:
    job_id: str
    subjects: int = 0
    requested: int = 0
    already: int = 0
    chunks: int = 0


def _book() -> Iterator[ScreeningSubject]:
    for row in ScreeningSubject.by_update.query(BOOK):
        if not row.removed:
            yield row


def _request(job_id: str, row: ScreeningSubject) -> OutboxItem:
    digest = hashlib.sha256(row.subject_key.encode()).hexdigest()[:20]
    return screening_request_new(customer_id=row.customer_id, subject_id=row.subject_id, trigger="full_rescreen",
                                 outbox_id=f"ob_rs_{job_id}_{digest}", job_id=job_id)


def _exists(items: list[OutboxItem]) -> set[str]:
    return {i.outbox_id for i in OutboxItem.batch_get([i.outbox_id for i in items])}


def book_rescreen_request(*, actor: Actor, reason: str, job_id: str | None = None,
                          progress: Callable[[RescreenProgress], Any] | None = None) -> RescreenProgress:
    """Record a screening request for every subject of the book; resumable with the same ``job_id``."""
    job = job_id or f"rs_{ULID()}"
    state = RescreenProgress(job_id=job)
    chunk: list[ScreeningSubject] = []

    def flush() -> None:
        items = [_request(job, row) for row in chunk]
        known = _exists(items)
        new = [i for i in items if i.outbox_id not in known]
        state.already += len(items) - len(new)
        chunk.clear()
        if not new:
            return
        try:
            audit_event_record(
                entry=AuditEntry(actor=actor, action="screening.rescreen_chunk", object_type="rescreen",
                                 object_id=job, reason=reason,
                                 data={"chunk": state.chunks + 1, "requests": [i.outbox_id for i in new],
                                       "subjects_so_far": state.subjects}),
                writes=[outbox_put(i) for i in new],
            )
        except TransactWriteError as exc:
            raise Conflict(f"Another run of re-screening job {job} recorded part of chunk {state.chunks + 1} "
                           f"meanwhile; run the job again with --job {job}: it resumes where it stopped.") from exc
        outbox_send(new)
        state.requested += len(new)
        state.chunks += 1
        if progress is not None:
            progress(state)

    for row in _book():
        state.subjects += 1
        chunk.append(row)
        if len(chunk) >= REQUESTS_PER_TRANSACTION:
            flush()
    if chunk:
        flush()
    return state
