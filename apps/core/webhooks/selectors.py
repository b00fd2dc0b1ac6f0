"""Reads of webhook endpoints and deliveries: GetItem and Query only (access patterns in models.py)."""

from __future__ import annotations

from datetime import datetime

from apps.core.errors import NotFound
from apps.core.events import BY_NAME, PUBLIC_TYPES, EventType
from apps.core.webhooks.models import (
    ACTIVE,
    DEAD_BUCKET,
    DELIVERED,
    DISABLED,
    DUE_BUCKET,
    PENDING,
    WebhookDelivery,
    WebhookEndpoint,
)


def time_key(moment: datetime) -> str:
    """A fixed-width UTC time that sorts as text (isoformat drops zero microseconds, which would not)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def webhook_event_catalogue() -> list[EventType]:
    """The public event types, in catalogue order (internal ones are never delivered)."""
    return [BY_NAME[name] for name in PUBLIC_TYPES]


def webhook_endpoint_get(*, endpoint_id: str, integration: str | None = None) -> WebhookEndpoint:
    """One endpoint; 404 also when it belongs to another integration than ``integration`` (when given)."""
    try:
        endpoint = WebhookEndpoint.get(endpoint_id, consistent_read=True)
    except WebhookEndpoint.DoesNotExist:
        endpoint = None
    if endpoint is None or (integration is not None and endpoint.integration != integration):
        raise NotFound(f"No webhook endpoint {endpoint_id}; check the id.")
    return endpoint


def webhook_endpoints_of_integration(*, integration: str) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.by_integration.query(integration))


def webhook_endpoints_by_status(*, status: str) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.by_status.query(status))


def webhook_endpoints_all() -> list[WebhookEndpoint]:
    """Every endpoint (the admin's list; a platform admin's API list), oldest first."""
    found = [*webhook_endpoints_by_status(status=ACTIVE), *webhook_endpoints_by_status(status=DISABLED)]
    return sorted(found, key=lambda e: e.created_key)


def webhook_delivery_get(*, delivery_id: str, integration: str | None = None) -> WebhookDelivery:
    try:
        delivery = WebhookDelivery.get(delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        delivery = None
    if delivery is None or (integration is not None and delivery.integration != integration):
        raise NotFound(f"No webhook delivery {delivery_id}; check the id.")
    return delivery


def webhook_deliveries_of_endpoint(*, endpoint_id: str, limit: int = 50) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    return list(WebhookDelivery.by_endpoint.query(endpoint_id, scan_index_forward=False, limit=limit))


def webhook_delivery_counts(*, endpoint_id: str, window: int = 500) -> dict[str, int]:
    """How the endpoint's latest ``window`` deliveries stand (pending, delivered, dead)."""
    counts = {PENDING: 0, DELIVERED: 0, "dead": 0}
    for delivery in webhook_deliveries_of_endpoint(endpoint_id=endpoint_id, limit=window):
        counts[delivery.status] = counts.get(delivery.status, 0) + 1
    return counts


def webhook_deliveries_dead(*, limit: int = 200) -> list[WebhookDelivery]:
    """The dead letter, newest first."""
    return list(WebhookDelivery.by_dead.query(DEAD_BUCKET, scan_index_forward=False, limit=limit))


def webhook_deliveries_due(*, now: datetime, limit: int = 500) -> list[str]:
    """Ids of the pending deliveries whose next attempt (or expired lease) is due at ``now``, oldest first."""
    found = WebhookDelivery.by_due.query(DUE_BUCKET, WebhookDelivery.due_key < time_key(now) + "~", limit=limit)
    return [item.delivery_id for item in found]
