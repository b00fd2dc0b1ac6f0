"""Webhooks: endpoints (register, change, rotate the secret), the fan-out of events, and delivery.

Events reach this module from the outbox (``apps.core.events.events_publish_process``), after the
change that caused them committed. ``webhook_events_fanout`` records one delivery per (event,
endpoint) with a deterministic id and a conditional put, so a redelivered outbox item never
records one twice, then sends each to a worker. ``webhook_delivery_attempt`` takes a lease (a
conditional update: two workers never send one delivery at once), checks the target again, POSTs
the signed body and records the attempt; 2xx is delivered (once), anything else is tried again
after exponential backoff with full jitter, up to ``CDD_WEBHOOKS_MAX_ATTEMPTS``, then the delivery
is dead (the dead letter, replayed by an admin or the integration). Delivery is at least once:
receivers de-duplicate on ``webhook-id``, the event id, which every attempt and replay repeats.

Audited: every change of an endpoint (``webhook_endpoint.*``, never a secret), each delivery's end
(``webhook_delivery.delivered`` / ``.dead``) and every replay. The attempts in between are logged
on the delivery itself (status, latency, response excerpt, error), where the API and admin show them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite
from standardwebhooks import Webhook
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, save_write, utcnow
from apps.core.errors import Conflict, PreconditionFailed, ValidationFailed
from apps.core.events import PUBLIC_TYPES
from apps.core.webhooks import delivery as transport
from apps.core.webhooks.models import (
    ACTIVE,
    DEAD,
    DEAD_BUCKET,
    DELIVERED,
    DUE_BUCKET,
    ENDPOINT_STATUSES,
    PENDING,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.core.webhooks.secrets import secret_decrypt, secret_encrypt, secret_new
from apps.core.webhooks.selectors import (
    time_key,
    webhook_deliveries_due,
    webhook_delivery_get,
    webhook_endpoint_get,
    webhook_endpoints_by_status,
)
from apps.core.webhooks.targets import TargetRefused, target_check
from apps.customers.selectors import customers_get

logger = logging.getLogger(__name__)

SYSTEM = Actor.system("webhooks")
MAX_DESCRIPTION = 500
MAX_OVERLAP_HOURS = 7 * 24
MAX_KEPT_ATTEMPTS = 200  # a delivery replayed again and again keeps its latest attempts (item size)


# --- endpoints -------------------------------------------------------------------------------------------


def endpoint_as_dict(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What an endpoint is, as audited (never its secrets: only when each was made and stops being valid)."""
    return {"integration": endpoint.integration, "confined": bool(endpoint.confined), "url": endpoint.url,
            "events": list(endpoint.events or []), "description": endpoint.description or "",
            "status": endpoint.status,
            "signing_keys": [{"id": s["id"], "created_at": s["created_at"], "expires_at": s.get("expires_at")}
                             for s in endpoint.secrets or []]}


def _url_checked(url: str) -> str:
    try:
        target_check(url)
    except TargetRefused as exc:
        raise ValidationFailed("The webhook URL is refused.", errors={"url": [str(exc)]}) from None
    return url


def _events_checked(events: Any) -> list[str]:
    if not isinstance(events, (list, tuple)) or not events:
        raise ValidationFailed("Name the events to receive.", errors={"events": [
            "a non-empty list of event types; see GET /api/v1/webhooks/events"]})
    unknown = [str(e) for e in events if e not in PUBLIC_TYPES]
    if unknown:
        raise ValidationFailed("Unknown event types.", errors={"events": [
            f"'{name}' is not a public event type; see GET /api/v1/webhooks/events" for name in unknown]})
    return list(dict.fromkeys(str(e) for e in events))


def _description_checked(description: Any) -> str:
    text = str(description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed("The description is too long.", errors={"description": [
            f"at most {MAX_DESCRIPTION} characters"]})
    return text


def _secret_entry(*, endpoint_id: str, number: int, now: datetime) -> tuple[dict[str, Any], str]:
    secret = secret_new()
    entry = {"id": number, "ciphertext": secret_encrypt(endpoint_id=endpoint_id, secret=secret),
             "created_at": now.isoformat(), "expires_at": None}
    return entry, secret


def _commit(*, endpoint: WebhookEndpoint, action: str, actor: Actor, before: dict[str, Any] | None,
            condition: Any = None, reason: str | None = None) -> None:
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action=action, object_type="webhook_endpoint",
                             object_id=endpoint.endpoint_id, before=before, after=endpoint_as_dict(endpoint),
                             reason=reason, data={"integration": endpoint.integration}),
            writes=[save_write(endpoint, condition)],
        )
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise Conflict("The endpoint changed meanwhile; read it again and retry.") from exc
        raise


def webhook_endpoint_create(*, actor: Actor, integration: str, confined: bool, url: str, events: Any,
                            description: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for an integration; returns it and its signing secret (shown this once)."""
    errors: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for name, check, value in (("url", _url_checked, url), ("events", _events_checked, events),
                               ("description", _description_checked, description)):
        try:
            checked[name] = check(value)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed("The webhook endpoint is not valid.", errors=errors)
    now = utcnow()
    endpoint_id = f"whe_{ULID()}"
    entry, secret = _secret_entry(endpoint_id=endpoint_id, number=1, now=now)
    endpoint = WebhookEndpoint(endpoint_id, integration=integration, confined=confined, url=checked["url"],
                               events=checked["events"], description=checked["description"], status=ACTIVE,
                               secrets=[entry], created_at=now, created_key=f"{time_key(now)}#{endpoint_id}",
                               created_by=actor.key, updated_at=now)
    _commit(endpoint=endpoint, action="webhook_endpoint.created", actor=actor, before=None,
            condition=WebhookEndpoint.endpoint_id.does_not_exist())
    return endpoint, secret


def webhook_endpoint_update(*, endpoint_id: str, actor: Actor, changes: Mapping[str, Any],
                            integration: str | None = None, expected_version: int | None = None) -> WebhookEndpoint:
    """Change an endpoint's url, events, description or status (active / disabled)."""
    endpoint = webhook_endpoint_get(endpoint_id=endpoint_id, integration=integration)
    if expected_version is not None and expected_version != endpoint.version:
        raise PreconditionFailed(f"The endpoint is at version {endpoint.version}, not {expected_version}; "
                                 "read it again.")
    unknown = sorted(set(changes) - {"url", "events", "description", "status"})
    if unknown:
        raise ValidationFailed("Unknown fields.", errors={n: ["not a field of a webhook endpoint"] for n in unknown})
    before = endpoint_as_dict(endpoint)
    errors: dict[str, list[str]] = {}
    for name, check in (("url", _url_checked), ("events", _events_checked), ("description", _description_checked)):
        if name in changes:
            try:
                setattr(endpoint, name, check(changes[name]))
            except ValidationFailed as exc:
                errors.update(exc.errors)
    if "status" in changes:
        if changes["status"] not in ENDPOINT_STATUSES:
            errors["status"] = [f"one of: {', '.join(ENDPOINT_STATUSES)}"]
        else:
            endpoint.status = str(changes["status"])
    if errors:
        raise ValidationFailed("The change is not valid.", errors=errors)
    if endpoint_as_dict(endpoint) == before:
        return endpoint
    endpoint.updated_at = utcnow()
    action = "webhook_endpoint.updated"
    if before["status"] != endpoint.status:
        action = "webhook_endpoint.enabled" if endpoint.status == ACTIVE else "webhook_endpoint.disabled"
    _commit(endpoint=endpoint, action=action, actor=actor, before=before)
    return endpoint


def webhook_endpoint_secret_rotate(*, endpoint_id: str, actor: Actor, overlap_hours: Any = None,
                                   integration: str | None = None) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (returned once); the current one stays valid ``overlap_hours`` (both sign meanwhile)."""
    hours = settings.CDD_WEBHOOKS_ROTATION_OVERLAP_HOURS if overlap_hours is None else overlap_hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= MAX_OVERLAP_HOURS:
        raise ValidationFailed("The overlap is not valid.", errors={"overlap_hours": [
            f"a whole number of hours from 0 to {MAX_OVERLAP_HOURS}"]})
    endpoint = webhook_endpoint_get(endpoint_id=endpoint_id, integration=integration)
    before = endpoint_as_dict(endpoint)
    now = utcnow()
    until = (now + timedelta(hours=hours)).isoformat()
    kept = []
    for old in _valid_secrets(endpoint, now):
        expires = old.get("expires_at")
        old = {**old, "expires_at": min(expires, until) if expires else until}
        if hours > 0:
            kept.append(old)
    number = max((int(s["id"]) for s in endpoint.secrets or []), default=0) + 1
    entry, secret = _secret_entry(endpoint_id=endpoint.endpoint_id, number=number, now=now)
    endpoint.secrets = [entry, *kept]
    endpoint.updated_at = now
    _commit(endpoint=endpoint, action="webhook_endpoint.secret_rotated", actor=actor, before=before,
            reason=f"the previous secret stays valid for {hours} h" if hours else "the previous secret ends now")
    return endpoint, secret


def _valid_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[dict[str, Any]]:
    return [s for s in endpoint.secrets or []
            if not s.get("expires_at") or datetime.fromisoformat(s["expires_at"]) > now]


def endpoint_signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the newest, and the previous one during a rotation's overlap."""
    return [secret_decrypt(endpoint_id=endpoint.endpoint_id, ciphertext=s["ciphertext"])
            for s in _valid_secrets(endpoint, now)]


# --- fan-out ------------------------------------------------------------------------------------------------


def delivery_id_for(*, event_id: str, endpoint_id: str) -> str:
    return "whd_" + hashlib.sha256(f"{event_id}|{endpoint_id}".encode()).hexdigest()[:40]


def delivery_body(event: Mapping[str, Any]) -> str:
    """The JSON sent for an event: ids and what changed, never personal data (apps.core.events)."""
    data = {"id": event["id"], "version": event.get("version", 1), "customer_id": event.get("customer_id"),
            "object": event.get("object") or {}, "changed": list(event.get("changed") or []),
            "values": event.get("values") or {}, "ids": event.get("ids") or {}}
    return json.dumps({"type": event["type"], "timestamp": event.get("timestamp"), "data": data},
                      separators=(",", ":"), sort_keys=True)


def _deliveries_send(delivery_ids: list[str], *, countdown: float = 0) -> None:
    """Hand deliveries to the workers; a failed send loses nothing (the sweep finds them due)."""
    from apps.core.webhooks.tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        try:
            webhook_deliver_task.apply_async(args=[delivery_id], queue="events", countdown=max(0.0, countdown))
        except Exception:
            logger.warning("webhook delivery %s: could not send it to a worker now; the sweep will", delivery_id,
                           exc_info=True)


def webhook_events_fanout(*, events: list[Mapping[str, Any]]) -> int:
    """Record one delivery per public event and subscribed active endpoint (never twice), and send them."""
    public = [e for e in events if e.get("type") in PUBLIC_TYPES and e.get("id")]
    if not public:
        return 0
    endpoints = webhook_endpoints_by_status(status=ACTIVE)
    if not endpoints:
        return 0
    owners: dict[str, str] = {}
    if any(e.confined for e in endpoints):
        customer_ids = [str(e["customer_id"]) for e in public if e.get("customer_id")]
        owners = {cid: str(c.integration) for cid, c in customers_get(customer_ids=customer_ids).items()}
    now = utcnow()
    recorded = []
    for event in public:
        for endpoint in endpoints:
            if event["type"] not in (endpoint.events or []):
                continue
            if endpoint.confined and owners.get(str(event.get("customer_id") or "")) != endpoint.integration:
                continue  # a confined integration hears only about its own customers
            delivery_id = delivery_id_for(event_id=str(event["id"]), endpoint_id=endpoint.endpoint_id)
            delivery = WebhookDelivery(
                delivery_id, endpoint_id=endpoint.endpoint_id, integration=endpoint.integration,
                event_id=str(event["id"]), event_type=str(event["type"]), customer_id=event.get("customer_id"),
                body=delivery_body(event), status=PENDING, attempts=[], attempt_count=0, next_attempt_at=now,
                created_at=now, created_key=f"{time_key(now)}#{delivery_id}", updated_at=now,
                due_bucket=DUE_BUCKET, due_key=f"{time_key(now)}#{delivery_id}")
            try:
                delivery.save(condition=WebhookDelivery.delivery_id.does_not_exist())
            except PutError as exc:
                if "ConditionalCheckFailed" not in str(exc.cause_response_code or exc):
                    raise
                continue  # recorded by an earlier run of this outbox item
            recorded.append(delivery_id)
    _deliveries_send(recorded)
    return len(recorded)


# --- delivery -----------------------------------------------------------------------------------------------


def backoff_seconds(attempt: int) -> float:
    """Full jitter: uniform between 0 and min(max, base * 2^(attempt-1))."""
    ceiling = min(float(settings.CDD_WEBHOOKS_BACKOFF_MAX_SECONDS),
                  float(settings.CDD_WEBHOOKS_BACKOFF_BASE_SECONDS) * 2 ** max(0, attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 (jitter, not crypto)


def _signed_headers(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    moment = now.replace(microsecond=0)
    signatures = [Webhook(secret).sign(msg_id=delivery.event_id, timestamp=moment, data=delivery.body)
                  for secret in endpoint_signing_secrets(endpoint, now=now)]
    return {"webhook-id": delivery.event_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": " ".join(signatures)}


def _lease_take(delivery: WebhookDelivery, now: datetime) -> str | None:
    token = str(ULID())
    until = now + timedelta(seconds=int(settings.CDD_WEBHOOKS_LEASE_SECONDS))
    try:
        delivery.update(
            actions=[WebhookDelivery.lease_owner.set(token), WebhookDelivery.lease_until.set(until),
                     WebhookDelivery.due_key.set(f"{time_key(until)}#{delivery.delivery_id}")],
            condition=(WebhookDelivery.status == PENDING)
            & (WebhookDelivery.lease_until.does_not_exist() | (WebhookDelivery.lease_until < now)))
    except UpdateError:
        return None
    return token


STOPPED_DISABLED = "the endpoint was disabled"
STOPPED_REMOVED = "the endpoint was removed"


def _attempt(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> transport.AttemptResult:
    try:
        target = target_check(endpoint.url)
    except TargetRefused as exc:
        return transport.AttemptResult(None, 0, "", f"target refused, nothing sent: {exc}", None)
    headers = _signed_headers(endpoint=endpoint, delivery=delivery, now=now)
    return transport.post(target=target, body=delivery.body.encode(), headers=headers)


def webhook_delivery_attempt(*, delivery_id: str) -> str:
    """Make the delivery's next attempt if it is due and no other worker holds it; what happened, in a word."""
    try:
        delivery = WebhookDelivery.get(delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        return "unknown"
    now = utcnow()
    if delivery.status != PENDING:
        return f"already {delivery.status}"
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + timedelta(seconds=1):
        return "not due"
    token = _lease_take(delivery, now)
    if token is None:
        return "leased"
    try:
        endpoint: WebhookEndpoint | None = WebhookEndpoint.get(delivery.endpoint_id, consistent_read=True)
    except WebhookEndpoint.DoesNotExist:
        endpoint = None
    if endpoint is None or endpoint.status != ACTIVE:
        # Nothing is sent, so no attempt is counted: the delivery stops, with the reason recorded instead.
        return _stop(delivery, token, STOPPED_REMOVED if endpoint is None else STOPPED_DISABLED)
    result = _attempt(delivery, endpoint, now)
    done = utcnow()
    count = int(delivery.attempt_count or 0) + 1
    record = {"n": len(delivery.attempts or []) + 1, "at": done.isoformat(), "status_code": result.status_code,
              "latency_ms": result.latency_ms, "response_excerpt": result.response_excerpt, "error": result.error,
              "address": result.address}
    attempts = [*(delivery.attempts or []), record][-MAX_KEPT_ATTEMPTS:]
    common = [WebhookDelivery.attempts.set(attempts), WebhookDelivery.attempt_count.set(count),
              WebhookDelivery.updated_at.set(done), WebhookDelivery.lease_owner.remove(),
              WebhookDelivery.lease_until.remove()]
    held = (WebhookDelivery.status == PENDING) & (WebhookDelivery.lease_owner == token)
    if result.delivered:
        keep = timedelta(days=int(settings.CDD_WEBHOOKS_KEEP_DAYS))
        actions = [*common, WebhookDelivery.status.set(DELIVERED), WebhookDelivery.delivered_at.set(done),
                   WebhookDelivery.next_attempt_at.remove(), WebhookDelivery.due_bucket.remove(),
                   WebhookDelivery.due_key.remove(), WebhookDelivery.expires_at.set(done + keep)]
        return _finish(delivery, actions, held, "webhook_delivery.delivered", record, "delivered")
    if count >= int(settings.CDD_WEBHOOKS_MAX_ATTEMPTS):
        actions = [*common, *_dead_actions(delivery_id, done)]
        return _finish(delivery, actions, held, "webhook_delivery.dead", record, "dead")
    delay = backoff_seconds(count)
    at = done + timedelta(seconds=delay)
    try:
        delivery.update(actions=[*common, WebhookDelivery.next_attempt_at.set(at),
                                 WebhookDelivery.due_key.set(f"{time_key(at)}#{delivery_id}")], condition=held)
    except UpdateError:
        logger.warning("webhook delivery %s: lease lost before the attempt was recorded", delivery_id)
        return "lease lost"
    if delay <= float(settings.CDD_WEBHOOKS_COUNTDOWN_MAX_SECONDS):
        _deliveries_send([delivery_id], countdown=delay)  # longer waits: beat's sweep finds it due
    return "retry"


def _dead_actions(delivery_id: str, done: datetime) -> list[Any]:
    return [WebhookDelivery.status.set(DEAD), WebhookDelivery.dead_at.set(done),
            WebhookDelivery.next_attempt_at.remove(), WebhookDelivery.due_bucket.remove(),
            WebhookDelivery.due_key.remove(), WebhookDelivery.dead_bucket.set(DEAD_BUCKET),
            WebhookDelivery.dead_key.set(f"{time_key(done)}#{delivery_id}")]


def _stop(delivery: WebhookDelivery, token: str, reason: str) -> str:
    """The delivery dies without an attempt (its endpoint is disabled or gone): the reason, not an attempt."""
    done = utcnow()
    actions = [WebhookDelivery.updated_at.set(done), WebhookDelivery.lease_owner.remove(),
               WebhookDelivery.lease_until.remove(), WebhookDelivery.stopped_reason.set(reason),
               *_dead_actions(delivery.delivery_id, done)]
    held = (WebhookDelivery.status == PENDING) & (WebhookDelivery.lease_owner == token)
    record = {"n": len(delivery.attempts or []), "status_code": None, "error": None}
    return _finish(delivery, actions, held, "webhook_delivery.dead", record, "dead", stopped=reason)


def _finish(delivery: WebhookDelivery, actions: list[Any], condition: Any, action: str, record: dict[str, Any],
            outcome: str, stopped: str | None = None) -> str:
    def write(tx: TransactWrite) -> None:
        tx.update(delivery, actions=actions, condition=condition)

    try:
        audit_event_record(
            entry=AuditEntry(actor=SYSTEM, action=action, object_type="webhook_delivery",
                             object_id=delivery.delivery_id,
                             before={"status": PENDING}, after={"status": outcome},
                             data={"endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
                                   "event_type": delivery.event_type, "integration": delivery.integration,
                                   "attempts": int(record["n"]), "status_code": record["status_code"],
                                   "error": record["error"],
                                   **({"stopped": stopped} if stopped else {})}),
            writes=[write])
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            logger.warning("webhook delivery %s: lease lost before the outcome was recorded", delivery.delivery_id)
            return "lease lost"
        raise
    return outcome


def webhook_delivery_replay(*, delivery_id: str, actor: Actor, integration: str | None = None) -> WebhookDelivery:
    """Send a dead delivery again from a fresh set of attempts (its history kept); audited."""
    delivery = webhook_delivery_get(delivery_id=delivery_id, integration=integration)
    if delivery.status != DEAD:
        raise Conflict(f"Only a dead delivery is replayed; this one is {delivery.status}.",
                       errors={"status": [f"is {delivery.status}, not dead"]})
    endpoint = webhook_endpoint_get(endpoint_id=delivery.endpoint_id)
    if endpoint.status != ACTIVE:
        raise Conflict("The endpoint is disabled; enable it first, then replay.")
    now = utcnow()
    actions: list[Any] = [WebhookDelivery.status.set(PENDING), WebhookDelivery.attempt_count.set(0),
               WebhookDelivery.replays.add(1), WebhookDelivery.next_attempt_at.set(now),
               WebhookDelivery.updated_at.set(now), WebhookDelivery.due_bucket.set(DUE_BUCKET),
               WebhookDelivery.due_key.set(f"{time_key(now)}#{delivery_id}"), WebhookDelivery.dead_at.remove(),
               WebhookDelivery.dead_bucket.remove(), WebhookDelivery.dead_key.remove(),
               WebhookDelivery.stopped_reason.remove()]

    def write(tx: TransactWrite) -> None:
        tx.update(delivery, actions=actions, condition=WebhookDelivery.status == DEAD)

    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="webhook_delivery.replayed", object_type="webhook_delivery",
                             object_id=delivery_id, before={"status": DEAD}, after={"status": PENDING},
                             data={"endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
                                   "event_type": delivery.event_type, "integration": delivery.integration,
                                   "replays": int(delivery.replays or 0) + 1}),
            writes=[write])
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise Conflict("The delivery was replayed meanwhile.") from exc
        raise
    _deliveries_send([delivery_id])
    return webhook_delivery_get(delivery_id=delivery_id)


def webhook_deliveries_sweep(*, limit: int = 500) -> int:
    """Send again every delivery due now (a lost message, a long backoff, a worker that died holding a lease).

    Each one's place in the due index moves ``CDD_WEBHOOKS_REQUEUE_SECONDS`` on, so a backlog the
    workers are still working through is re-sent once per delay, not once per sweep.
    """
    now = utcnow()
    later = time_key(now + timedelta(seconds=int(settings.CDD_WEBHOOKS_REQUEUE_SECONDS)))
    sent = []
    for delivery_id in webhook_deliveries_due(now=now, limit=limit):
        try:
            WebhookDelivery(delivery_id).update(actions=[WebhookDelivery.due_key.set(f"{later}#{delivery_id}")],
                                                condition=WebhookDelivery.status == PENDING)
        except UpdateError:
            continue
        sent.append(delivery_id)
    if sent:
        logger.info("webhook sweep: re-sending %d due deliveries", len(sent))
    _deliveries_send(sent)
    return len(sent)


def webhook_deliveries_drain(*, rounds: int = 50, limit: int = 500) -> dict[str, int]:
    """Attempt every due delivery here and now, again while some stay due (the operators' and tests' tool)."""
    counts: dict[str, int] = {}
    for _ in range(rounds):
        due = webhook_deliveries_due(now=utcnow(), limit=limit)
        if not due:
            break
        for delivery_id in due:
            outcome = webhook_delivery_attempt(delivery_id=delivery_id)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
