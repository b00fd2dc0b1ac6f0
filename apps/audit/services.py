"""Writing audit events: in the same DynamoDB transaction as the change they record.

``audit_event_record`` is the only write path for audit events; there is no update or
delete path in the code, and no item is ever overwritten: each event is a put conditioned on
its key not existing yet. A service passes its own writes as ``writes``: the change and its
event commit together or not at all.

Each event (hash version v2) carries the SHA-256 of its canonical content, which includes the
hash of the event before it, and a MAC of that hash under the audit KMS key (``keys.py``), so
whoever can write to the table but not call ``kms:GenerateMac`` cannot forge or re-chain it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.audit import keys
from apps.audit.actors import Actor
from apps.audit.models import GENESIS_HASH, AuditEvent
from apps.core.context import context_get
from apps.core.errors import Conflict
from apps.core.events import events_for_entries, events_outbox_item
from apps.core.outbox import outbox_put, outbox_send

logger = logging.getLogger(__name__)

HASH_VERSION = "v2"  # what new events are written with; v1 events (unkeyed) still verify as they are
HASH_VERSIONS = ("v1", "v2")
# Field names whose values never appear in clear in the trail.
SENSITIVE_FIELDS = frozenset(
    {"number", "document_number", "passport_number", "id_number", "identity_documents", "tax_id", "iban",
     "account_number", "national_id", "secret", "password", "api_key"}
)
# Compound names that end in one of these are sensitive too (``passport_document_number``).
SENSITIVE_SUFFIXES = (
    "document_number", "passport_number", "id_number", "tax_id", "iban", "account_number", "national_id",
    "card_number", "ssn", "secret", "password", "api_key",
)
# Writers that lose the race on a chain's next seq back off (exponential, full jitter, capped) and re-read
# it. Contention needs several writers on one object at once (objects' own versions serialise
# edits; reads such as downloads do not), so a dozen attempts are plenty (bench/audit_write.py).
MAX_ATTEMPTS = 12
RETRY_BACKOFF_SECONDS = 0.01
RETRY_BACKOFF_MAX_SECONDS = 0.5

Write = Callable[[TransactWrite], None]


@dataclass(frozen=True)
class AuditEntry:
    """What happened, before the trail gives it a place in its chain."""

    actor: Actor
    action: str  # namespaced: customer.created, alert.dispositioned, document.downloaded...
    object_type: str
    object_id: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = field(default=None)


def mask_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [mask_value(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    text = str(value)
    return "****" + text[-2:] if len(text) > 4 else "****"


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def field_is_sensitive(name: str) -> bool:
    """Whether a field's values are masked in the trail (``documentNumber``, ``tax-id``, ``id_number``...)."""
    normal = _CAMEL.sub("_", name).lower().replace("-", "_").replace(" ", "_")
    return normal in SENSITIVE_FIELDS or normal.endswith(tuple("_" + suffix for suffix in SENSITIVE_SUFFIXES))


def _masked(name: str, value: Any) -> Any:
    if field_is_sensitive(name):
        return mask_value(value)
    if isinstance(value, dict):
        return {key: _masked(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(name, item) if not isinstance(item, dict) else _masked("", item) for item in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return [_jsonable(item) for item in sorted(value, key=str)] if isinstance(value, (set, frozenset)) else [
            _jsonable(item) for item in value
        ]
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def changes_compute(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """Field-level before/after of what differs, with sensitive values masked."""
    before = _jsonable(dict(before or {}))
    after = _jsonable(dict(after or {}))
    out: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            out[name] = {"before": _masked(name, old), "after": _masked(name, new)}
    return out


def canonical_content(event: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: every field a regulator reads, in a fixed form.

    ``v1`` (events without ``v``) as the first version wrote them; ``v2`` adds the client's request id.
    """
    version = event.get("v") or "v1"
    if version not in HASH_VERSIONS:
        raise ValueError(f"unknown hash version {version!r}")
    content = {
        "v": version,
        "chain": event["chain"],
        "seq": int(event["seq"]),
        "event_id": event["event_id"],
        "occurred_at": event["occurred_at"],
        "actor": event["actor"],
        "action": event["action"],
        "object_type": event["object_type"],
        "object_id": event["object_id"],
        "request_id": event.get("request_id"),
        "source_ip": event.get("source_ip"),
        "changes": event.get("changes") or {},
        "reason": event.get("reason"),
        "data": event.get("data") or {},
        "prev_hash": event["prev_hash"],
    }
    if version == "v2":
        content["client_request_id"] = event.get("client_request_id")
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_content(event)).hexdigest()


def event_mac(digest: str) -> str:
    """The audit key's MAC of an event's hash (a KMS GenerateMac call)."""
    return keys.mac_generate(domain=keys.EVENT, digest=digest)


def event_as_dict(item: AuditEvent) -> dict[str, Any]:
    """An event as exported and verified: the hashed content plus its hash and MAC."""
    assert item.occurred_at is not None
    return {
        "v": item.hash_version or "v1",
        "chain": item.pk,
        "seq": int(item.seq or 0),
        "event_id": item.event_id,
        "occurred_at": item.occurred_at.astimezone(UTC).isoformat(),
        "actor": item.actor,
        "action": item.action,
        "object_type": item.object_type,
        "object_id": item.object_id,
        "request_id": item.request_id,
        "client_request_id": item.client_request_id,
        "source_ip": item.source_ip,
        "changes": item.changes or {},
        "reason": item.reason,
        "data": item.data or {},
        "prev_hash": item.prev_hash,
        "hash": item.hash,
        "mac": item.mac,
    }


def chain_key(object_type: str, object_id: str) -> str:
    return f"{object_type}#{object_id}"


def _head_get(chain: str) -> AuditEvent | None:
    """The chain's last event (consistent), which the next one is appended to."""
    from apps.audit.selectors import audit_chain_last_get  # selectors import this module

    return audit_chain_last_get(chain=chain)


_local = threading.local()


def _connection() -> Connection:
    """A pynamodb connection per thread and endpoint: building a botocore client costs far more than a write."""
    key = (AuditEvent.Meta.region, AuditEvent.Meta.host)
    cache: dict[tuple[str, str | None], Connection] = getattr(_local, "connections", None) or {}
    _local.connections = cache
    if key not in cache:
        cache[key] = Connection(region=key[0], host=key[1])
    return cache[key]


def _items_before_next_put(tx: TransactWrite) -> int:
    """Where the next ``tx.save`` lands in the request pynamodb sends."""
    return len(tx._condition_check_items) + len(tx._delete_items) + len(tx._put_items)


def _cancelled_only_by_events(exc: TransactWriteError, event_indexes: set[int]) -> bool:
    """Whether the transaction failed only because another writer took one of the events' seqs."""
    reasons = exc.cancellation_reasons or []
    failed = {i: reason.code for i, reason in enumerate(reasons) if reason is not None and reason.code != "None"}
    return bool(failed) and all(
        i in event_indexes and code in ("ConditionalCheckFailed", "TransactionConflict") for i, code in failed.items())


def _event_build(entry: AuditEntry, head: AuditEvent | None, now: datetime) -> AuditEvent:
    """The event for ``entry`` after the chain's last event ``head``, hashed and MACed."""
    ctx = context_get()
    client_request_id = getattr(ctx, "client_request_id", None)
    chain = chain_key(entry.object_type, entry.object_id)
    changes = changes_compute(entry.before, entry.after)
    data = {key: _masked(key, value) for key, value in _jsonable(dict(entry.data or {})).items()}
    seq = (int(head.seq or 0) if head else 0) + 1
    prev_hash = head.hash if head and head.hash else GENESIS_HASH
    event_id = str(ULID())
    content = {
        "v": HASH_VERSION,
        "chain": chain,
        "seq": seq,
        "event_id": event_id,
        "occurred_at": now.isoformat(),
        "actor": entry.actor.as_dict(),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "request_id": ctx.request_id,
        "client_request_id": client_request_id,
        "source_ip": ctx.source_ip,
        "changes": changes,
        "reason": entry.reason,
        "data": data,
        "prev_hash": prev_hash,
    }
    digest = event_hash(content)
    return AuditEvent(
        chain,
        f"E#{seq:012d}",
        hash_version=HASH_VERSION,
        event_id=event_id,
        seq=seq,
        occurred_at=now,
        occurred_key=f"{now.isoformat()}#{event_id}",
        day=now.date().isoformat(),
        actor_key=entry.actor.key,
        actor=entry.actor.as_dict(),
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        request_id=ctx.request_id,
        client_request_id=client_request_id,
        source_ip=ctx.source_ip,
        changes=changes,
        reason=entry.reason,
        data=data,
        prev_hash=prev_hash,
        hash=digest,
        mac=event_mac(digest),
    )


def audit_event_record(*, entry: AuditEntry, writes: Iterable[Write] = (),
                       also: Iterable[AuditEntry] = ()) -> AuditEvent:
    """Append ``entry`` to its object's chain, committing ``writes`` in the same transaction.

    The change and its event succeed together or fail together. ``also`` appends further
    entries to other chains in the same transaction (an alert's decision on the alert and on its
    customer). A race with another writer on one of the chains (both read the same last seq; the
    put of the one that commits second finds its key taken) is retried; a failed condition on
    the caller's own writes raises ``TransactWriteError`` for the caller to map (e.g. to a 412).
    """
    writes = list(writes)
    entries = [entry, *also]
    chains = [chain_key(e.object_type, e.object_id) for e in entries]
    if len(set(chains)) != len(chains):
        raise ValueError(f"one event per chain and transaction: {chains}")
    for attempt in range(MAX_ATTEMPTS):
        now = datetime.now(tz=UTC)
        built = [_event_build(e, _head_get(chain), now) for e, chain in zip(entries, chains, strict=True)]
        event_indexes: set[int] = set()
        try:
            with TransactWrite(connection=_connection()) as tx:
                for write in writes:
                    write(tx)
                # pynamodb sends condition checks, deletes, puts, then updates: each event (a put) sits
                # after the caller's checks, deletes and puts, before the caller's updates.
                for event in built:
                    event_indexes.add(_items_before_next_put(tx))
                    tx.save(event, condition=AuditEvent.sk.does_not_exist())
                # The domain events these entries amount to (webhooks, MI) commit with them, or not at all.
                published = events_outbox_item(events_for_entries(entries, now=now))
                if published is not None:
                    outbox_put(published)(tx)
        except TransactWriteError as exc:
            if not event_indexes or not _cancelled_only_by_events(exc, event_indexes):
                raise
            if attempt + 1 >= MAX_ATTEMPTS:
                raise Conflict(f"The audit trail of {', '.join(chains)} is too busy; try again.") from exc
            logger.info("audit chain %s moved on; retrying", ", ".join(chains), extra={"attempt": attempt + 1})
            ceiling = min(RETRY_BACKOFF_MAX_SECONDS, RETRY_BACKOFF_SECONDS * 2**attempt)
            time.sleep(random.uniform(0, ceiling))  # noqa: S311 (jitter, not crypto)
            continue
        if published is not None:
            outbox_send([published])
        return built[0]
    raise Conflict(f"The audit trail of {', '.join(chains)} is too busy; try again.")  # pragma: no cover


def audit_read_record(*, actor: Actor, action: str, object_type: str, object_id: str,
                      data: Mapping[str, Any] | None = None) -> AuditEvent:
    """Record a read that matters (document download, export, full profile view)."""
    return audit_event_record(
        entry=AuditEntry(actor=actor, action=action, object_type=object_type, object_id=object_id, data=data)
    )
