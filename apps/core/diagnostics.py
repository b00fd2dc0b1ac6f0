"""Diagnostic pings: sent by the API, executed by a worker from SQS (both audited)."""

from __future__ import annotations

from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import utcnow
from apps.core.dynamo_models import DiagnosticPing
from apps.core.errors import NotFound


def diagnostic_ping_send(*, actor: Actor) -> DiagnosticPing:
    """Record a ping and queue it for a worker."""
    from apps.core.tasks import diagnostic_ping

    ping = DiagnosticPing(str(ULID()), sent_at=utcnow(), sent_by=actor.key)
    audit_event_record(
        entry=AuditEntry(actor=actor, action="diagnostic.ping_sent", object_type="diagnostic",
                         object_id=ping.ping_id),
        writes=[lambda tx: tx.save(ping, condition=DiagnosticPing.ping_id.does_not_exist())],
    )
    diagnostic_ping.delay(ping.ping_id)
    return ping


def diagnostic_ping_execute(*, ping_id: str, worker: str) -> None:
    """Mark a ping executed (idempotent: a second run changes nothing)."""
    ping = diagnostic_ping_get(ping_id=ping_id)
    if ping.executed_at is not None:
        return
    audit_event_record(
        entry=AuditEntry(actor=Actor.system("worker"), action="diagnostic.ping_executed",
                         object_type="diagnostic", object_id=ping_id, after={"worker": worker}),
        writes=[lambda tx: tx.update(ping, actions=[DiagnosticPing.executed_at.set(utcnow()),
                                                    DiagnosticPing.worker.set(worker)],
                                     condition=DiagnosticPing.executed_at.does_not_exist())],
    )


def diagnostic_ping_get(*, ping_id: str) -> DiagnosticPing:
    try:
        return DiagnosticPing.get(ping_id, consistent_read=True)
    except DiagnosticPing.DoesNotExist:
        raise NotFound(f"No diagnostic ping {ping_id}.") from None
