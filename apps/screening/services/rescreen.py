"""Full re-screening of the book: every subject screened again (an algorithm, threshold or list set
changed, or an operator asks).

``book_rescreen_request`` reads the book (``screening_subjects``, through its update index: an
offline job, no Scan) and records one ordinary screening request per subject, in transactions of
``REQUESTS_PER_TRANSACTION`` with an audit event each (``screening.rescreen_chunk`` on the job's
chain: which subjects, how many so far). Request ids derive from the job id and the subject, so a
job that is run again with the same id — after a crash, or to resume — records nothing twice; the
requests go to the workers over SQS one by one, so any number of workers share the job, and a
killed worker's requests are re-sent by the outbox sweep.

Each job has a record (table ``rescreen_jobs``): who asked and why, subjects found, requests
recorded per chunk, and subjects screened (each request of the job is counted once, in the
transaction that marks it done: ``rescreen_job_screened``), shown by the admin's Re-screening page
and ``rescreen_book --watch``. A job starts from the CLI, from the admin (``rescreen_job_start``:
the recording itself runs on a worker, topic ``screening.rescreen_book``), or by itself when beat finds that the algorithm version, the threshold
or the set of lists differs from what the book was last fully screened under (``rescreen_config_check``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, save_write, transact_write, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.outbox import outbox_done_write, outbox_item_new, outbox_put, outbox_send
from apps.core.roles import ANALYST, SENIOR_REVIEWER
from apps.customers.services import screening_request_new
from apps.screening.dynamo_models import BOOK, RescreenJob, ScreeningSubject
from apps.screening.matching import ALGORITHM_VERSION

JOB, CONFIG, CONFIG_ID = "job", "config", "_config"
JOB_TOPIC = "screening.rescreen_book"

REQUESTS_PER_TRANSACTION = 90
BOOK_PAGE = 500  # subjects per Query page of the book


@dataclass
class RescreenProgress:
    job_id: str
    subjects: int = 0  # the job's subjects: distinct requests recorded by every run of it
    found: int = 0  # subjects this run went through (the ones an earlier run requested included)
    requested: int = 0  # requests this run recorded
    already: int = 0  # subjects this run found requested by an earlier run
    chunks: int = 0  # transactions this run committed


def _book(*, before: str | None) -> Iterator[ScreeningSubject]:
    """The subjects of the book last screened before the job started (its own runs move them past it)."""
    condition = ScreeningSubject.updated_key < before if before else None
    for row in ScreeningSubject.by_update.query(BOOK, condition, page_size=BOOK_PAGE):
        if not row.removed:
            yield row


def _request(job_id: str, row: ScreeningSubject) -> OutboxItem:
    digest = hashlib.sha256(row.subject_key.encode()).hexdigest()[:20]
    return screening_request_new(customer_id=row.customer_id, subject_id=row.subject_id, trigger="full_rescreen",
                                 outbox_id=f"ob_rs_{job_id}_{digest}", job_id=job_id)


def _exists(items: list[OutboxItem]) -> set[str]:
    return {i.outbox_id for i in OutboxItem.batch_get([i.outbox_id for i in items])}


def book_rescreen_request(*, actor: Actor, reason: str, job_id: str | None = None, trigger: str = "manual",
                          progress: Callable[[RescreenProgress], Any] | None = None) -> RescreenProgress:
    """Record a screening request for every subject of the book; resumable with the same ``job_id``.

    The book is read in the order of its subjects' last screening, up to the job's start: a subject
    screened after that (by this job, or because it changed) is not requested again — also not when
    a worker screens it while this walk is still paging, which would otherwise find it a second time
    at the end. The job's counts are added in each chunk's transaction, so a resumed run adds only
    what it recorded itself.
    """
    job = job_id or f"rs_{ULID()}"
    state = RescreenProgress(job_id=job)
    chunk: list[ScreeningSubject] = []
    record = _job_record(job_id=job, actor=actor, reason=reason, trigger=trigger)

    def flush() -> None:
        items = [_request(job, row) for row in chunk]
        known = _exists(items)
        new = [i for i in items if i.outbox_id not in known]
        state.already += len(items) - len(new)
        chunk.clear()
        if not new:
            return
        # Only the recording's own counts: the workers count what they screen on the counter shards.
        progress_actions: list[Action] = [RescreenJob.subjects.add(len(new)), RescreenJob.requested.add(len(new)),
                                          RescreenJob.chunks.add(1), RescreenJob.updated_at.set(utcnow())]
        try:
            audit_event_record(
                entry=AuditEntry(actor=actor, action="screening.rescreen_chunk", object_type="rescreen",
                                 object_id=job, reason=reason,
                                 data={"chunk": state.chunks + 1, "requests": [i.outbox_id for i in new],
                                       "subjects_so_far": state.found}),
                writes=[*(outbox_put(i) for i in new),
                        lambda tx: tx.update(record, actions=progress_actions)],
            )
        except TransactWriteError as exc:
            raise Conflict(f"Another run of re-screening job {job} recorded part of chunk {state.chunks + 1} "
                           f"meanwhile; run the job again with --job {job}: it resumes where it stopped.") from exc
        outbox_send(new)
        state.requested += len(new)
        state.chunks += 1
        if progress is not None:
            progress(state)

    for row in _book(before=record.created_at.isoformat() if record.created_at else None):
        state.found += 1
        chunk.append(row)
        if len(chunk) >= REQUESTS_PER_TRANSACTION:
            flush()
    if chunk:
        flush()
    now = utcnow()
    record.update(actions=[RescreenJob.status.set("screening"), RescreenJob.recorded_at.set(now),
                           RescreenJob.updated_at.set(now)])
    state.subjects = int(rescreen_job_get(job_id=job).subjects or 0)
    return state


def _job_record(*, job_id: str, actor: Actor, reason: str, trigger: str) -> RescreenJob:
    """The job's record (created on its first run, found again when it resumes)."""
    try:
        return RescreenJob.get(JOB, job_id, consistent_read=True)
    except RescreenJob.DoesNotExist:
        now = utcnow()
        record = RescreenJob(JOB, job_id, reason=reason, trigger=trigger, requested_by=actor.name,
                             status="recording", config=screening_config(), fingerprint=config_fingerprint(),
                             created_at=now, updated_at=now)
        record.save()
        return record


COUNT_SHARDS = 8


def _count_kind(job_id: str) -> str:
    return f"count#{job_id}"


def _screened(job: RescreenJob) -> RescreenJob:
    """The job with its screened count: the record's own (jobs before counter shards) plus its shards'."""
    shards = RescreenJob.query(_count_kind(job.job_id), consistent_read=True)
    job.screened = int(job.screened or 0) + sum(int(shard.screened or 0) for shard in shards)
    return job


def rescreen_job_get(*, job_id: str) -> RescreenJob:
    try:
        return _screened(RescreenJob.get(JOB, job_id, consistent_read=True))
    except RescreenJob.DoesNotExist:
        raise NotFound(f"No re-screening job {job_id}.") from None


def rescreen_jobs(*, limit: int = 50) -> list[RescreenJob]:
    """The jobs, newest first (one Query, and one per job for its counter shards)."""
    return [_screened(job) for job in RescreenJob.query(JOB, scan_index_forward=False, limit=limit)]


def rescreen_job_screened(*, job_id: str, item: OutboxItem, result: dict[str, Any]) -> bool:
    """Count a job's request as screened and mark it done, in one transaction; False if counted before.

    The screening run commits first with its request still pending; this transaction then adds one to a
    counter shard of the job and marks the request done on condition that it is still pending. A worker
    killed between the two leaves the request pending: the outbox sends it again, its handler finds the
    run recorded and counts it here — so every request is counted exactly once, and a job's count
    reaches its subjects (``rescreen_book --watch`` waits for that). The count is spread over
    ``COUNT_SHARDS`` items so that workers screening the same job rarely touch the same item at once
    (conflicts are retried by ``transact_write``).
    """
    digest = int(hashlib.sha256(item.outbox_id.encode()).hexdigest(), 16)
    shard = RescreenJob(_count_kind(job_id), f"s{digest % COUNT_SHARDS:02d}")

    def count(tx: Any) -> None:
        tx.update(shard, actions=[RescreenJob.screened.add(1), RescreenJob.updated_at.set(utcnow())])

    try:
        transact_write([count, outbox_done_write(item, result)])
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):  # the request: done (and counted) by another delivery
            return False
        raise
    return True


def rescreen_job_start(*, actor: Actor, reason: str, trigger: str = "manual") -> OutboxItem:
    """Start a full re-screening on a worker (the admin's button; beat's configuration check), audited."""
    if actor.kind == "user" and SENIOR_REVIEWER not in actor.roles and ANALYST not in actor.roles:
        raise Forbidden("Only analysts and senior reviewers start a full re-screening.")
    if not reason.strip():
        raise ValidationFailed("Say why the book is screened again.", errors={"reason": ["required"]})
    item, entry = _job_started(actor=actor, reason=reason.strip(), trigger=trigger)
    audit_event_record(entry=entry, writes=[outbox_put(item)])
    outbox_send([item])
    return item


def _job_started(*, actor: Actor, reason: str, trigger: str) -> tuple[OutboxItem, AuditEntry]:
    """A new job's outbox item (a worker records its requests) and the audit entry that starts it."""
    job_id = f"rs_{ULID()}"
    item = outbox_item_new(topic=JOB_TOPIC, group_key=f"rescreen#{job_id}",
                           payload={"job_id": job_id, "reason": reason, "trigger": trigger, "actor": actor.name})
    entry = AuditEntry(actor=actor, action="screening.rescreen_started", object_type="rescreen", object_id=job_id,
                       reason=reason, data={"trigger": trigger, "config": screening_config()})
    return item, entry


def rescreen_job_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of ``screening.rescreen_book``: record the job's requests (resumes where it stopped)."""
    payload = item.payload or {}
    state = book_rescreen_request(actor=Actor.system(f"rescreen ({payload.get('actor')})"),
                                  reason=str(payload["reason"]), job_id=str(payload["job_id"]),
                                  trigger=str(payload.get("trigger") or "manual"))
    return {"job_id": state.job_id, "subjects": state.subjects, "requested": state.requested,
            "already": state.already}


def screening_config() -> dict[str, Any]:
    """What a full screening of the book depends on: the algorithm, the threshold, the set of lists."""
    from apps.screening.lists import SNAPSHOT_LISTS

    lists = sorted({*SNAPSHOT_LISTS, *(settings.CDD_LISTS_EXTRA or {})})
    return {"algorithm": ALGORITHM_VERSION, "threshold": float(settings.CDD_SCREENING_THRESHOLD), "lists": lists}


def config_fingerprint() -> str:
    config = screening_config()
    return hashlib.sha256(repr(sorted(config.items())).encode()).hexdigest()[:16]


def rescreen_config_check() -> str | None:
    """Start a full re-screening when the configuration differs from the one last recorded (beat); the job id."""
    fingerprint = config_fingerprint()
    try:
        known = RescreenJob.get(CONFIG, CONFIG_ID, consistent_read=True)
    except RescreenJob.DoesNotExist:
        known = None
    if known is not None and known.fingerprint == fingerprint:
        return None
    previous = dict(known.config or {}) if known is not None else None
    now = utcnow()
    record = RescreenJob(CONFIG, CONFIG_ID, config=screening_config(), fingerprint=fingerprint, updated_at=now)
    condition = (RescreenJob.fingerprint == known.fingerprint) if known is not None \
        else RescreenJob.job_id.does_not_exist()
    actor = Actor.system("screening.config_check")
    entry = AuditEntry(actor=actor, action="screening.config_recorded", object_type="rescreen", object_id=CONFIG_ID,
                       before=previous, after=dict(record.config or {}))
    if previous is None:  # the first configuration: the book was screened under it as it was written
        writes, started, item = [save_write(record, condition)], [], None
    else:
        # The job that screens the book under the new configuration commits with the record of it: a beat
        # stopped in between must not leave the configuration recorded and the book never screened under it.
        changed = sorted(k for k in record.config if record.config.get(k) != previous.get(k))
        item, start = _job_started(actor=actor, trigger="configuration_changed",
                                   reason=f"the screening configuration changed ({', '.join(changed)}): "
                                          f"{previous} -> {record.config}")
        writes, started = [save_write(record, condition), outbox_put(item)], [start]
    try:
        audit_event_record(entry=entry, writes=writes, also=started)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            return None  # another beat (or a second run) recorded it first
        raise
    if item is None:
        return None
    outbox_send([item])
    return str((item.payload or {})["job_id"])
