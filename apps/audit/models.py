"""Audit events in DynamoDB: append-only, hash-chained per audited object, each event MACed.

Table ``audit_events``, one item per event: ``pk = "<object_type>#<object_id>"`` (the chain),
``sk = "E#<seq:012d>"``. Items are only ever added: each is put with ``attribute_not_exists``,
so two writers that read the same last seq cannot both commit (a chain never forks), and no
item is overwritten. The chain's last event is a consistent Query, descending, limit 1.

The first version of the trail also kept a head item (``sk = "HEAD"``) that every write
overwrote; it is no longer written or read (``LEGACY_HEAD_SK``), and one left in a table is
ignored.

Why one chain per object: writers only contend when they change the same object, which
the object's own version attribute already serialises; a single global chain would make
every writer in the bank contend on one item. Completeness across chains is anchored by
the checkpoints written to S3 with Object Lock every few minutes (``anchors.py``).

Access patterns (no scans):

| question | served by |
|---|---|
| an object's timeline (reviewer UI, API) | Query ``pk`` with ``sk`` begins_with ``E#`` |
| a chain's last event (the next seq) | the same Query, consistent, descending, limit 1 |
| what an actor did | Query ``AuditEventByActorIndex`` (``actor_key``, ``occurred_key``) |
| one action in a time range | Query ``AuditEventByActionIndex`` (``action``, ``occurred_key``) |
| everything of one day (exports, digest) | Query ``AuditEventByDayIndex`` (``day``, ``occurred_key``) |
| an event by id | Query ``AuditEventByIdIndex`` (``event_id``) |
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta

LEGACY_HEAD_SK = "HEAD"  # written by the first version only; never read
GENESIS_HASH = "0" * 64


class AuditEventByActorIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "by-actor"
        projection = AllProjection()

    actor_key = UnicodeAttribute(hash_key=True)
    occurred_key = UnicodeAttribute(range_key=True)


class AuditEventByActionIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "by-action"
        projection = AllProjection()

    action = UnicodeAttribute(hash_key=True)
    occurred_key = UnicodeAttribute(range_key=True)


class AuditEventByDayIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "by-day"
        projection = AllProjection()

    day = UnicodeAttribute(hash_key=True)
    occurred_key = UnicodeAttribute(range_key=True)


class AuditEventByIdIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "by-id"
        projection = AllProjection()

    event_id = UnicodeAttribute(hash_key=True)


class AuditEvent(CddModel):
    """One audit event."""

    class Meta(TableMeta):
        name = "audit_events"
        kind = "audit"  # append-only: no role may UpdateItem or DeleteItem (deploy/terraform)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    hash_version = UnicodeAttribute(null=True, attr_name="v")  # "v2"; absent on events of the first version
    event_id = UnicodeAttribute(null=True)
    seq = NumberAttribute(null=True)
    occurred_at = UTCDateTimeAttribute(null=True)
    occurred_key = UnicodeAttribute(null=True)  # ISO time + event id: sortable, unique
    day = UnicodeAttribute(null=True)
    actor_key = UnicodeAttribute(null=True)  # "<kind>:<id>"
    actor = JSONAttribute(null=True)  # {kind, id, name, roles}
    action = UnicodeAttribute(null=True)
    object_type = UnicodeAttribute(null=True)
    object_id = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    client_request_id = UnicodeAttribute(null=True)  # the id the client sent (v2)
    source_ip = UnicodeAttribute(null=True)
    changes = JSONAttribute(null=True)  # {"field": {"before": x, "after": y}}, sensitive values masked
    reason = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)  # extra context (e.g. list version, threshold)
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)
    mac = UnicodeAttribute(null=True)  # base64 HMAC-SHA-256 of the hash under the audit KMS key (v2)

    by_actor = AuditEventByActorIndex()
    by_action = AuditEventByActionIndex()
    by_day = AuditEventByDayIndex()
    by_id = AuditEventByIdIndex()
