"""Webhook tasks: one delivery attempt, and beat's sweep of the deliveries that are due."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="webhooks.deliver", acks_late=True, max_retries=3, default_retry_delay=30, soft_time_limit=60,
             time_limit=90)
def webhook_deliver_task(delivery_id: str) -> str:
    """Attempt one delivery (idempotent: a lease and the delivery's status make a second run a no-op)."""
    from apps.core.webhooks.services import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", acks_late=True, soft_time_limit=120, time_limit=180)
def webhook_sweep_task() -> int:
    """Re-send the deliveries whose next attempt is due (long backoffs, lost messages, dead workers)."""
    from apps.core.webhooks.services import webhook_deliveries_sweep

    return webhook_deliveries_sweep()
