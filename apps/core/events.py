"""Domain events: what integrations hear about (webhooks) and what management information counts.

Every change of state already writes an audit event in the transaction that makes it
(``apps.audit.services.audit_event_record``). The audit service asks this module, by an explicit
call, which of those entries are domain events (``events_for_entries``) and puts one outbox item
(topic ``events.publish``) holding them **in the same transaction**: an event exists exactly when
its change committed, and a rolled-back change sends nothing. The outbox worker then hands the
events to their two consumers, each idempotent per event id (``events_publish_process``):

* ``apps.core.mi.services.mi_events_apply`` keeps the management-information aggregates;
* ``apps.core.webhooks.services.webhook_events_fanout`` records one delivery per subscribed
  endpoint and sends it.

The catalogue below is the public contract (docs/webhooks.md lists it): each event type has a
version, the audit actions that produce it and on which object. An event carries ids and *what*
changed — field names, and the values of the non-personal fields in ``VALUE_FIELDS`` (statuses,
ratings, CDD levels) — never names, dates of birth, addresses or document numbers; an
integration that needs them reads the customer through the API, where its key's confinement and
scopes apply. Internal events (``public=False``) feed the MI only and are never delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ulid import ULID

if TYPE_CHECKING:  # pragma: no cover
    from apps.audit.services import AuditEntry
    from apps.core.dynamo_models import OutboxItem

TOPIC = "events.publish"


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    description: str
    sources: tuple[tuple[str, str], ...]  # (audit action, object type) pairs that produce it
    public: bool = True  # delivered by webhooks; internal types feed the MI only
    only_if_changed: tuple[str, ...] = ()  # emitted only when one of these fields changed


CATALOGUE: tuple[EventType, ...] = (
    EventType("customer.created", 1, "A customer was onboarded.", (("customer.created", "customer"),)),
    EventType("customer.changed", 1, "A customer's profile, status or related parties changed.",
              (("customer.updated", "customer"), ("customer.activated", "customer"),
               ("customer.rejected", "customer"), ("customer.match_confirmed", "customer"),
               ("related_party.added", "customer"), ("related_party.updated", "customer"),
               ("related_party.removed", "customer"))),
    EventType("screening.alert.raised", 1, "Screening raised (or re-opened) an alert on a customer or party.",
              (("alert.raised", "alert"), ("alert.reopened", "alert"))),
    EventType("screening.alert.disposed", 1, "A reviewer confirmed an alert's disposition (false positive or "
              "true match).", (("alert.disposition_confirmed", "alert"),)),
    EventType("risk.rating_changed", 1, "A customer's risk rating or CDD level changed.",
              (("customer.risk_rated", "customer"),), only_if_changed=("risk_rating", "cdd_level")),
    EventType("case.opened", 1, "A case (onboarding, periodic or trigger review) was opened.",
              (("case.opened", "case"),)),
    EventType("case.submitted", 1, "An analyst submitted a case for decision.", (("case.submitted", "case"),)),
    EventType("case.decided", 1, "A reviewer approved or rejected a case.",
              (("case.approved", "case"), ("case.rejected", "case"))),
    EventType("document.requested", 1, "Documents were requested from a customer.",
              (("document_request.created", "document_request"),)),
    EventType("document.received", 1, "A document arrived and passed the malware scan.",
              (("document.scan_clean", "document"),)),
    EventType("document.expired", 1, "A document passed its expiry date.", (("document.expired", "document"),)),
    # Internal: management information only.
    EventType("screening.completed", 1, "A screening run finished (volume and latency).",
              (("screening.completed", "customer"),), public=False),
    EventType("alert.disposition_proposed", 1, "An analyst proposed an alert's disposition.",
              (("alert.disposition_proposed", "alert"),), public=False),
    EventType("case.returned", 1, "A reviewer returned a case to its analyst.", (("case.returned", "case"),),
              public=False),
    EventType("alert.memory_revoked", 1, "A senior reviewer revoked a false positive's memory: the alert is open "
              "again (open-alert counts).", (("alert.memory_revoked", "alert"),), public=False),
)
BY_SOURCE: dict[tuple[str, str], EventType] = {src: t for t in CATALOGUE for src in t.sources}
BY_NAME: dict[str, EventType] = {t.name: t for t in CATALOGUE}
PUBLIC_TYPES: tuple[str, ...] = tuple(t.name for t in CATALOGUE if t.public)

# Fields whose values an event may carry: states and classifications, never personal data.
VALUE_FIELDS = frozenset({
    "status", "risk_rating", "cdd_level", "kind", "customer_type", "entity_type", "decision", "disposition",
    "document_type", "requirement", "next_review_date", "due_date", "requires_senior", "list", "score",
    "outcome", "algorithm",
})
# ``data`` keys copied as they are: ids and the few non-personal facts the consumers count by.
DATA_KEYS = frozenset({"list", "duration_ms", "hits", "raised", "reopened", "updated", "suppressed", "fields",
                       "disposition", "kind", "trigger", "raised_on", "index_loaded", "index_load_ms"})


def _customer_of(entry: AuditEntry, entries: Iterable[AuditEntry]) -> str | None:
    if entry.object_type == "customer":
        return entry.object_id
    found = (entry.data or {}).get("customer_id")
    if found:
        return str(found)
    for other in entries:  # the same transaction's entry on the customer's chain
        if other.object_type == "customer":
            return other.object_id
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _event_body(entry: AuditEntry, kind: EventType, entries: list[AuditEntry], now: datetime) -> dict[str, Any]:
    before, after = dict(entry.before or {}), dict(entry.after or {})
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    values: dict[str, Any] = {}
    for name in sorted(VALUE_FIELDS & (set(before) | set(after))):
        if entry.before is None:
            values[name] = _plain(after.get(name))
        elif before.get(name) != after.get(name):
            values[name] = {"from": _plain(before.get(name)), "to": _plain(after.get(name))}
    data = dict(entry.data or {})
    ids = {k: str(v) for k, v in data.items() if k.endswith("_id") and isinstance(v, (str, int)) and v}
    facts = {k: data[k] for k in sorted(DATA_KEYS & set(data)) if isinstance(data[k], (str, int, float, bool, list))}
    return {
        "id": f"evt_{ULID()}",
        "type": kind.name,
        "version": kind.version,
        "timestamp": now.isoformat(),
        "action": entry.action,
        "customer_id": _customer_of(entry, entries),
        "object": {"type": entry.object_type, "id": entry.object_id},
        "changed": changed if entry.before is not None else [],
        "values": values,
        "ids": ids,
        "facts": facts,
        "actor_kind": entry.actor.kind,
    }


def events_for_entries(entries: list[AuditEntry], *, now: datetime) -> list[dict[str, Any]]:
    """The domain events a transaction's audit entries amount to (one per catalogued entry)."""
    out = []
    for entry in entries:
        kind = BY_SOURCE.get((entry.action, entry.object_type))
        if kind is None:
            continue
        if kind.only_if_changed:
            before, after = dict(entry.before or {}), dict(entry.after or {})
            if not any(before.get(f) != after.get(f) for f in kind.only_if_changed):
                continue
        out.append(_event_body(entry, kind, entries, now))
    return out


def events_outbox_item(events: list[dict[str, Any]]) -> OutboxItem | None:
    """The outbox item that carries ``events`` (None when there are none): put it in the same transaction."""
    from apps.core.outbox import outbox_item_new

    if not events:
        return None
    # Their own group per customer: a customer's due-diligence work (``outbox_for_group(customer)``) is what
    # screens and cases wait on; its events are not, and they spread over the index instead of one hot key.
    customer = next((e["customer_id"] for e in events if e.get("customer_id")), None)
    return outbox_item_new(topic=TOPIC, payload={"events": events}, group_key=events_group(customer))


def events_group(customer_id: str | None) -> str:
    """The outbox group of a customer's events (``events#-`` for events about no customer)."""
    return f"events#{customer_id or '-'}"


def events_publish_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler: hand the committed events to their consumers (each idempotent per event id)."""
    from apps.core.mi.services import mi_events_apply
    from apps.core.webhooks.services import webhook_events_fanout

    events: list[Mapping[str, Any]] = list((item.payload or {}).get("events") or [])
    counted = mi_events_apply(events=events)
    deliveries = webhook_events_fanout(events=events)
    return {"events": len(events), "counted": counted, "deliveries": deliveries}
