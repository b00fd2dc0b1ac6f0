"""Diagnostic task: proves the path API -> SQS -> worker -> DynamoDB end to end."""

from __future__ import annotations

import socket

from celery import shared_task

from apps.core.diagnostics import diagnostic_ping_execute


@shared_task(name="core.diagnostic_ping", acks_late=True, max_retries=3, soft_time_limit=30, time_limit=60)
def diagnostic_ping(ping_id: str) -> str:
    diagnostic_ping_execute(ping_id=ping_id, worker=f"{socket.gethostname()}")
    return ping_id
