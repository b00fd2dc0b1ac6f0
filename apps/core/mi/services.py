"""Writes of the management information: count each domain event once, and rebuild the aggregates offline.

``mi_events_apply`` is called by the ``events.publish`` outbox handler (``apps/core/events.py``) with the
events of one committed transaction. Each event is applied in a TransactWrite of its own: the put of its
marker (``applied#<event id>``, conditional on not existing) and an ``ADD`` per counter or gauge it
changes, so a redelivered or retried item counts nothing twice. Busy counters (every event of a day adds
to the same items) make concurrent transactions conflict: they are retried with jittered backoff.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.services import AuditEntry, audit_event_record, audit_read_record
from apps.core.dynamo import cancellation_codes, transact_write, utcnow
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.core.events import BY_SOURCE, events_for_entries
from apps.core.events import TOPIC as EVENTS_TOPIC
from apps.core.mi import metrics
from apps.core.mi.exports import mi_csv, mi_xlsx
from apps.core.mi.models import GAUGE_PK, MARKER_PREFIX, MARKER_SK, MiAggregate, day_pk
from apps.core.mi.selectors import Period, mi_report
from apps.core.outbox import outbox_pending
from apps.reviews.services import case_get
from apps.screening.selectors.alerts import alert_get

logger = logging.getLogger(__name__)

def _case_kind(event: Mapping[str, Any]) -> str | None:
    """A case event without its kind (recorded before events carried it): the case says."""
    case_id = (event.get("object") or {}).get("id")
    try:
        return case_get(case_id=str(case_id)).kind if case_id else None
    except NotFound:
        return None


def _alert_raised_on(event: Mapping[str, Any]) -> str | None:
    """The day an alert was raised (or last reopened), from the screening app, for a close without it."""
    alert_id = (event.get("object") or {}).get("id")
    try:
        view = alert_get(alert_id=str(alert_id)) if alert_id else None
    except NotFound:
        return None
    if view is None:
        return None
    reopened = (view.state.reopened or {}).get("at")
    return str(reopened)[:10] if reopened else view.alert.created_at.date().isoformat()


def event_deltas(event: Mapping[str, Any]) -> list[metrics.Delta]:
    return metrics.event_deltas(event, case_kind=_case_kind, alert_raised_on=_alert_raised_on)


def _item(day: str | None, name: str) -> MiAggregate:
    if day is None:
        return MiAggregate(GAUGE_PK, name)
    return MiAggregate(day_pk(day), f"{day}#{name}")


def _apply_one(event: Mapping[str, Any], changes: dict[tuple[str | None, str], int], now: datetime) -> bool:
    """Commit one event's marker with its changes; False when it had been applied already."""
    keep = timedelta(days=int(settings.CDD_MI_EVENT_MARKER_DAYS))
    marker = MiAggregate(f"{MARKER_PREFIX}{event['id']}", MARKER_SK, n=1, updated_at=now, expires_at=now + keep)

    def write(tx: TransactWrite) -> None:
        tx.save(marker, condition=MiAggregate.pk.does_not_exist())
        for (day, name), n in changes.items():
            tx.update(_item(day, name), actions=[MiAggregate.n.add(n), MiAggregate.updated_at.set(now)])

    try:
        transact_write([write], attempts=int(settings.CDD_MI_APPLY_ATTEMPTS))
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:  # the marker: counted by an earlier delivery
            return False
        raise
    return True


def mi_events_apply(*, events: Sequence[Mapping[str, Any]]) -> int:
    """Count each event once in the aggregates (idempotent per event id); returns how many were newly counted."""
    counted = 0
    for event in events:
        if not event.get("id"):
            continue
        changes = metrics.merged(event_deltas(event))
        if len(changes) > 99:  # a TransactWrite holds 100 items, the marker included
            raise ValueError(f"event {event['id']} changes {len(changes)} aggregates; at most 99 fit a transaction")
        if _apply_one(event, changes, utcnow()):
            counted += 1
    return counted


# --- rebuild (offline) -----------------------------------------------------------------------------------------

def _audit_as_events(items: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """The domain events the audit trail's events amount to, oldest first, as the live path built them."""
    relevant = sorted((i for i in items if (i.action, i.object_type) in BY_SOURCE), key=lambda i: i.occurred_key or "")
    for item in relevant:
        changes = item.changes or {}
        before = {k: c.get("before") for k, c in changes.items()}
        after = {k: c.get("after") for k, c in changes.items()}
        actor = Actor(kind=(item.actor or {}).get("kind", "system"), id=str((item.actor or {}).get("id", "")),
                      name=str((item.actor or {}).get("name", "")))
        creates = item.action in ("customer.created", "case.opened", "alert.raised", "document_request.created")
        entry = AuditEntry(actor=actor, action=item.action, object_type=item.object_type, object_id=item.object_id,
                           before=None if creates else before, after=after, data=item.data or {})
        yield from events_for_entries([entry], now=item.occurred_at)


def mi_aggregates_compute(*, audit_items: Iterable[Any], progress: Callable[[int], None] | None = None,
                          ) -> dict[tuple[str | None, str], int]:
    """Every counter and gauge, summed from the audit trail's events (the rebuild's arithmetic)."""
    totals: dict[tuple[str | None, str], int] = {}
    raised_on: dict[str, str] = {}  # alert id -> the day it was last raised or reopened, replayed in order

    def remembered(event: Mapping[str, Any]) -> str | None:
        return raised_on.get(str((event.get("object") or {}).get("id")))

    for number, event in enumerate(_audit_as_events(audit_items), start=1):
        if event["type"] in ("screening.alert.raised", "alert.memory_revoked"):
            raised_on[str(event["object"]["id"])] = str((event.get("facts") or {}).get("raised_on")
                                                        or event["timestamp"][:10])
        for delta in metrics.event_deltas(event, case_kind=_case_kind, alert_raised_on=remembered):
            key = (delta.day, delta.name)
            totals[key] = totals.get(key, 0) + delta.n
        if progress and number % 1000 == 0:
            progress(number)
    return {k: v for k, v in totals.items() if v}


def events_pending() -> int:
    """How many ``events.publish`` items are still waiting for a worker (a rebuild would count them twice)."""
    return sum(1 for item in outbox_pending(older_than_seconds=0, limit=100000) if item.topic == EVENTS_TOPIC)


def mi_rebuild(*, actor: Actor, dry_run: bool = False, force: bool = False,
               progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Offline: recompute every aggregate from the audit trail (a Scan) and replace the stored ones, audited.

    Events still pending in the outbox are already in the audit trail: applied after the rebuild they would
    count twice, so the rebuild refuses while any are pending (``force`` to go on; drain them first).
    """
    say = progress or (lambda _message: None)
    pending = events_pending()
    if pending and not force and not dry_run:
        raise Conflict(f"{pending} domain event item(s) are still pending in the outbox; applied after the rebuild "
                       "they would be counted twice. Let the workers finish (or run outbox_drain), then rebuild.",
                       code="events_pending")
    say("reading the audit trail (a Scan)…")
    seen = 0

    def scanned() -> Iterable[Any]:
        nonlocal seen
        for item in AuditEvent.scan():
            seen += 1
            if seen % 5000 == 0:
                say(f"  {seen} audit events read")
            yield item

    totals = mi_aggregates_compute(audit_items=scanned(), progress=lambda n: say(f"  {n} domain events counted")
                                   if n % 5000 == 0 else None)
    say(f"{seen} audit events read; {len(totals)} counters and gauges computed")
    stale = [i for i in MiAggregate.scan() if not i.pk.startswith(MARKER_PREFIX)]
    result = {"audit_events": seen, "aggregates": len(totals), "replaced": len(stale)}
    if dry_run:
        return result
    now = utcnow()
    with MiAggregate.batch_write() as batch:
        for item in stale:
            batch.delete(item)
    with MiAggregate.batch_write() as batch:
        for (day, name), n in totals.items():
            item = _item(day, name)
            item.n, item.updated_at = n, now
            batch.save(item)
    audit_event_record(entry=AuditEntry(actor=actor, action="mi.rebuilt", object_type="mi", object_id="aggregates",
                                        reason="aggregates recomputed from the audit trail", data=result))
    say(f"replaced {len(stale)} stored aggregates with {len(totals)}")
    return result


# --- exports --------------------------------------------------------------------------------------------------

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def mi_export(*, period: Period, fmt: str, actor: Actor) -> tuple[bytes, str, str]:
    """The MI figures of ``period`` as CSV or XLSX, with the read audited (``mi.exported``) before they leave."""
    if fmt not in EXPORT_TYPES:
        raise ValidationFailed("Unknown export format.", errors={"format": ["csv or xlsx"]})
    report = mi_report(period=period)
    body = mi_csv(report) if fmt == "csv" else mi_xlsx(report)
    name = f"management-information-{period.start.isoformat()}-to-{period.end.isoformat()}.{fmt}"
    export_id = str(ULID())
    audit_read_record(actor=actor, action="mi.exported", object_type="mi_export", object_id=export_id,
                      data={"format": fmt, "from": period.start.isoformat(), "to": period.end.isoformat(),
                            "file_name": name, "sha256": hashlib.sha256(body).hexdigest()})
    return body, name, EXPORT_TYPES[fmt]
