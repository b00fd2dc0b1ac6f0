"""Diagnostic task: proves the path API -> SQS -> worker -> DynamoDB end to end."""

from __future__ import annotations

import socket

from celery import shared_task

from apps.core.diagnostics import diagnostic_ping_execute


@shared_task(name="core.diagnostic_ping", acks_late=True, max_retries=3, soft_time_limit=30, time_limit=60)
def diagnostic_ping(ping_id: str) -> str:
    diagnostic_ping_execute(ping_id=ping_id, worker=f"{socket.gethostname()}")
    return ping_id


@shared_task(name="core.outbox_process", bind=True, acks_late=True, max_retries=None, soft_time_limit=300,
             time_limit=360)
def outbox_process_task(self, outbox_id: str) -> str:  # type: ignore[no-untyped-def]
    """Do the work an outbox item records; retried with backoff until done (beat re-sends it too)."""
    from apps.core.errors import NotFound
    from apps.core.outbox import outbox_process

    try:
        return outbox_process(outbox_id=outbox_id)
    except NotFound:
        return "unknown item"  # never committed (its transaction failed): nothing to do
    except Exception as exc:
        delay = min(600, 5 * 2 ** min(self.request.retries, 7))
        raise self.retry(exc=exc, countdown=delay) from exc


@shared_task(name="core.outbox_sweep", acks_late=True, soft_time_limit=120, time_limit=180)
def outbox_sweep_task() -> int:
    """Re-send outbox items left pending (a send that failed, a worker that died)."""
    from apps.core.outbox import outbox_sweep

    return outbox_sweep()
