"""Webhook tables: the endpoints integrations register and the deliveries of events to them.

``webhook_endpoints``: one item per registered endpoint (``WebhookEndpoint``). Access patterns:

| question | served by |
|---|---|
| one endpoint (API detail, admin page, each delivery attempt) | GetItem ``endpoint_id`` |
| an integration's endpoints (API list) | Query ``EndpointByIntegrationIndex`` (``integration``) |
| the active endpoints an event may go to (fan-out); every endpoint by status (admin list) | Query ``EndpointByStatusIndex`` (``status``) |

``webhook_deliveries``: one item per (event, endpoint) (``WebhookDelivery``), with every attempt. Access patterns:

| question | served by |
|---|---|
| one delivery (the worker's attempt, replay) | GetItem ``delivery_id`` (deterministic: event id + endpoint id) |
| an endpoint's deliveries, newest first (API, admin endpoint page) | Query ``DeliveryByEndpointIndex`` (``endpoint_id``) |
| deliveries whose next attempt is due (beat's sweep) | Query ``DeliveryDueIndex`` (``due_bucket`` = "due", ``due_key`` < now; sparse) |
| the dead letter (admin) | Query ``DeliveryDeadIndex`` (``dead_bucket`` = "dead"; sparse) |

Signing secrets are stored encrypted under the environment's KMS key (``secrets.py``), never in clear.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from apps.core.dynamo import CddModel, TableMeta

ACTIVE, DISABLED = "active", "disabled"
ENDPOINT_STATUSES = (ACTIVE, DISABLED)
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
DELIVERY_STATUSES = (PENDING, DELIVERED, DEAD)
DUE_BUCKET, DEAD_BUCKET = "due", "dead"


class EndpointByIntegrationIndex(GlobalSecondaryIndex["WebhookEndpoint"]):
    """Which endpoints has this integration registered, oldest first?"""

    class Meta:
        index_name = "by-integration"
        projection = AllProjection()

    integration = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class EndpointByStatusIndex(GlobalSecondaryIndex["WebhookEndpoint"]):
    """Which endpoints are active (the fan-out) or disabled (the admin list)?"""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class WebhookEndpoint(CddModel):
    """A URL an integration registered for some event types, with its signing secrets (encrypted)."""

    class Meta(TableMeta):
        name = "webhook_endpoints"

    endpoint_id = UnicodeAttribute(hash_key=True)  # whe_<ULID>
    integration = UnicodeAttribute()  # the service account of the key that registered it
    confined = BooleanAttribute(default=True)  # only events about its integration's own customers
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute, default=list)  # public event types (apps.core.events)
    description = UnicodeAttribute(default="")
    status = UnicodeAttribute(default=ACTIVE)
    # [{"id": n, "ciphertext": base64 KMS ciphertext, "created_at": iso, "expires_at": iso | None}], newest first
    secrets = JSONAttribute(default=list)
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_integration = EndpointByIntegrationIndex()
    by_status = EndpointByStatusIndex()


class DeliveryByEndpointIndex(GlobalSecondaryIndex["WebhookDelivery"]):
    """What was (or is being) delivered to this endpoint, newest first?"""

    class Meta:
        index_name = "by-endpoint"
        projection = AllProjection()

    endpoint_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class DeliveryDueIndex(GlobalSecondaryIndex["WebhookDelivery"]):
    """Which deliveries are due for an attempt? (beat's sweep; sparse: pending ones only)"""

    class Meta:
        index_name = "by-due"
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class DeliveryDeadIndex(GlobalSecondaryIndex["WebhookDelivery"]):
    """Which deliveries gave up (the dead letter), newest first? (sparse)"""

    class Meta:
        index_name = "by-dead"
        projection = AllProjection()

    dead_bucket = UnicodeAttribute(hash_key=True)
    dead_key = UnicodeAttribute(range_key=True)


class WebhookDelivery(CddModel):
    """One event to one endpoint: the exact body sent on every attempt, and each attempt's outcome."""

    class Meta(TableMeta):
        name = "webhook_deliveries"

    delivery_id = UnicodeAttribute(hash_key=True)  # whd_<sha256(event id, endpoint id)>: one per pair, ever
    endpoint_id = UnicodeAttribute()
    integration = UnicodeAttribute()
    event_id = UnicodeAttribute()  # the webhook-id header, the same on every attempt
    event_type = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    body = UnicodeAttribute()  # the JSON payload, fixed when the delivery is recorded
    status = UnicodeAttribute(default=PENDING)
    # [{"n", "at", "status_code", "latency_ms", "response_excerpt", "error", "address"}], oldest first
    attempts = JSONAttribute(default=list)
    attempt_count = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    dead_at = UTCDateTimeAttribute(null=True)
    # Why it died without a last attempt of its own (the endpoint was disabled or removed); None: attempts ran out.
    stopped_reason = UnicodeAttribute(null=True)
    replays = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    due_bucket = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    dead_bucket = UnicodeAttribute(null=True)
    dead_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_endpoint = DeliveryByEndpointIndex()
    by_due = DeliveryDueIndex()
    by_dead = DeliveryDeadIndex()
