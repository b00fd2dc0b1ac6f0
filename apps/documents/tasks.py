"""Background work of the documents app (queue ``documents``); scheduled daily by beat (cdd/settings/base.py)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from apps.documents.services import document_requests_remind, documents_expire, documents_incoming_sweep


@shared_task(name="documents.expire", acks_late=True, max_retries=3, soft_time_limit=600, time_limit=900,
             queue="documents")
def documents_expire_task(today: str | None = None) -> int:
    """Mark documents past their expiry date as expired and open a trigger for each (idempotent)."""
    expired = documents_expire(today=date.fromisoformat(today) if today else None)
    documents_incoming_sweep()  # housekeeping: presigned uploads nobody completed
    return expired


@shared_task(name="documents.request_reminders", acks_late=True, max_retries=3, soft_time_limit=600,
             time_limit=900, queue="documents")
def document_requests_remind_task(today: str | None = None) -> dict[str, int]:
    """Send the reminders due before requests' due dates; close requests with nothing outstanding (idempotent)."""
    return document_requests_remind(today=date.fromisoformat(today) if today else None)
