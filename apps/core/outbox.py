"""The outbox: work that a committed write implies, never lost and never done twice.

A service that writes something which needs follow-up work (screen this customer, open this
case) adds an ``OutboxItem`` to the **same DynamoDB transaction** (``outbox_put``). After the
commit it sends the item's id to a worker (``outbox_send``); if that send fails — the broker is
down, the process dies — the item is still pending in DynamoDB and beat's ``core.outbox_sweep``
sends it again after ``CDD_OUTBOX_REQUEUE_SECONDS``. The worker (``outbox_process``) calls the
topic's handler, which must be idempotent per item (conditional writes keyed by the item id), so a
redelivery or a re-queue never duplicates its effect; then the item is marked done.

Handlers are declared, not discovered: ``CDD_OUTBOX_HANDLERS`` maps each topic to the service
that does the work, and a system check (``apps/core/checks.py``) refuses to start when one does
not import. A handler that fails is retried with backoff; its attempts and last error stay on the
item, visible to operators and to the screens that depend on it (a case cannot be submitted while
its customer's screening is pending or failing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.core.dynamo import utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import NotFound

logger = logging.getLogger(__name__)

PENDING, DONE = "pending", "done"
PENDING_BUCKET = "pending"
Write = Callable[[TransactWrite], None]
Handler = Callable[..., dict[str, Any] | None]


class OutboxHandlerMissing(LookupError):
    """A topic without a configured handler: the item stays pending and says so."""


def outbox_item_new(*, topic: str, payload: dict[str, Any], group_key: str, outbox_id: str | None = None) -> OutboxItem:
    """A pending item (not yet written: put it in the caller's transaction with ``outbox_put``).

    ``outbox_id``: a deterministic id for work that a redelivered job must not record twice.
    """
    now = utcnow()
    outbox_id = outbox_id or f"ob_{ULID()}"
    return OutboxItem(outbox_id, topic=topic, payload=payload, group_key=group_key, status=PENDING,
                      created_at=now, created_key=f"{now.isoformat()}#{outbox_id}", updated_at=now,
                      pending_bucket=PENDING_BUCKET, pending_key=f"{now.isoformat()}#{outbox_id}")


def outbox_put(item: OutboxItem) -> Write:
    def write(tx: TransactWrite) -> None:
        tx.save(item, condition=OutboxItem.outbox_id.does_not_exist())

    return write


def outbox_done_write(item: OutboxItem, result: dict[str, Any] | None = None) -> Write:
    """Mark ``item`` done inside a handler's own transaction (only if it is still pending)."""
    now = utcnow()

    def write(tx: TransactWrite) -> None:
        tx.update(item, actions=_done_actions(now, result), condition=OutboxItem.status == PENDING)

    return write


def _done_actions(now: Any, result: dict[str, Any] | None) -> list[Any]:
    keep = timedelta(days=int(settings.CDD_OUTBOX_KEEP_DAYS))
    return [OutboxItem.status.set(DONE), OutboxItem.done_at.set(now), OutboxItem.updated_at.set(now),
            OutboxItem.result.set(result or {}), OutboxItem.last_error.remove(),
            OutboxItem.pending_bucket.remove(), OutboxItem.pending_key.remove(),
            OutboxItem.expires_at.set(now + keep)]


def outbox_queue(topic: str) -> str:
    return str(settings.CDD_OUTBOX_QUEUES.get(topic, "default"))


def outbox_send(items: Iterable[OutboxItem]) -> None:
    """Hand committed items to the workers. A failed send loses nothing: the sweep re-sends it."""
    from apps.core.tasks import outbox_process_task

    for item in items:
        try:
            outbox_process_task.apply_async(args=[item.outbox_id], queue=outbox_queue(item.topic))
        except Exception:
            logger.warning("outbox %s (%s): could not send it to a worker now; the sweep will", item.outbox_id,
                           item.topic, exc_info=True)


def outbox_get(*, outbox_id: str) -> OutboxItem:
    try:
        return OutboxItem.get(outbox_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        raise NotFound(f"No outbox item {outbox_id}.") from None


def outbox_handler(topic: str) -> Handler:
    path = settings.CDD_OUTBOX_HANDLERS.get(topic)
    if not path:
        raise OutboxHandlerMissing(f"No handler is configured for outbox topic {topic!r} (CDD_OUTBOX_HANDLERS).")
    handler: Handler = import_string(path)
    return handler


def outbox_process(*, outbox_id: str) -> str:
    """Do one item's work (idempotent); ``done``, ``already done``, or raises for a retry."""
    item = outbox_get(outbox_id=outbox_id)
    if item.status == DONE:
        return "already done"
    try:
        result = outbox_handler(item.topic)(item=item)
    except Exception as exc:
        _failure_record(item, exc)
        raise
    # A handler that marked the item done in its own transaction leaves nothing to do here.
    fresh = outbox_get(outbox_id=outbox_id)
    if fresh.status != DONE:
        try:
            fresh.update(actions=_done_actions(utcnow(), result), condition=OutboxItem.status == PENDING)
        except UpdateError:
            logger.info("outbox %s was marked done meanwhile", outbox_id)
    return "done"


def _failure_record(item: OutboxItem, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}"[:1000]
    logger.warning("outbox %s (%s) failed (attempt %s): %s", item.outbox_id, item.topic, int(item.attempts or 0) + 1,
                   message)
    try:
        item.update(actions=[OutboxItem.attempts.add(1), OutboxItem.last_error.set(message),
                             OutboxItem.updated_at.set(utcnow())], condition=OutboxItem.status == PENDING)
    except (UpdateError, PutError):
        logger.info("outbox %s: could not record the failure (done meanwhile?)", item.outbox_id)


def outbox_pending(*, older_than_seconds: float, limit: int = 1000) -> list[OutboxItem]:
    """Pending items written (or last re-sent) more than ``older_than_seconds`` ago, oldest first.

    ``older_than_seconds`` of 0 or less: every pending item, those the sweep has backed off included.
    """
    if older_than_seconds <= 0:
        return list(OutboxItem.by_pending.query(PENDING_BUCKET, limit=limit))
    cutoff = (utcnow() - timedelta(seconds=older_than_seconds)).isoformat()
    return list(OutboxItem.by_pending.query(PENDING_BUCKET, OutboxItem.pending_key < cutoff, limit=limit))


RESEND_BACKOFF_MAX_SECONDS = 3600.0


def outbox_sweep(*, older_than_seconds: float | None = None) -> int:
    """Send again every item still pending after the re-queue delay (beat runs this every minute).

    A re-sent item's place in the pending index moves forward, so a backlog that the workers are
    still working through is not re-sent on every sweep: the n-th re-send waits 2^(n-1) delays
    (capped at an hour) before the next may follow. Without that backoff, a backlog that takes
    longer than the delay to drain is re-sent again and again, and the copies crowd out new work.
    """
    delay = settings.CDD_OUTBOX_REQUEUE_SECONDS if older_than_seconds is None else older_than_seconds
    items = outbox_pending(older_than_seconds=delay)
    if items:
        logger.info("outbox sweep: re-sending %d pending item(s)", len(items))
    resent = []
    for item in items:
        resends = int(item.resends or 0) + 1
        wait = min(RESEND_BACKOFF_MAX_SECONDS, float(delay) * (2 ** (resends - 1) - 1))
        at = utcnow() + timedelta(seconds=wait)
        try:
            item.update(actions=[OutboxItem.pending_key.set(f"{at.isoformat()}#{item.outbox_id}"),
                                 OutboxItem.resends.set(resends)],
                        condition=OutboxItem.status == PENDING)
        except UpdateError:
            continue  # done meanwhile
        resent.append(item)
    outbox_send(resent)
    return len(resent)


def outbox_for_group(*, group_key: str, topic_prefix: str = "", pending_only: bool = True) -> list[OutboxItem]:
    """A customer's outbox items (pending ones by default), oldest first."""
    items = OutboxItem.by_group.query(group_key)
    return [i for i in items if i.topic.startswith(topic_prefix) and (not pending_only or i.status == PENDING)]


def outbox_drain(*, group_key: str | None = None, limit: int = 1000) -> dict[str, int]:
    """Process pending items here and now (all, or one customer's): the operator's and the tests' tool."""
    items = (outbox_for_group(group_key=group_key) if group_key else outbox_pending(older_than_seconds=0, limit=limit))
    counts = {"done": 0, "failed": 0}
    for item in items[:limit]:
        try:
            outbox_process(outbox_id=item.outbox_id)
            counts["done"] += 1
        except Exception:  # noqa: BLE001 - recorded on the item by outbox_process; go on with the others
            counts["failed"] += 1
    return counts
