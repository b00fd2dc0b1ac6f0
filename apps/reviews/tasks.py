"""Background work of the reviews app (queue ``default``), scheduled by beat (cdd/settings/base.py)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from apps.reviews.pkyc import periodic_run


@shared_task(name="reviews.periodic", acks_late=True, max_retries=3, soft_time_limit=900, time_limit=1200,
             queue="default")
def periodic_task(today: str | None = None) -> dict[str, int]:
    """Open due periodic reviews, remind and escalate, end expired risk overrides (idempotent)."""
    return periodic_run(today=date.fromisoformat(today) if today else None)
