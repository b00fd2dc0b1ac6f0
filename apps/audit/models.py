"""Audit events in DynamoDB: append-only and hash-chained per audited object.

Table ``audit_events``. Item kinds share it:

* event: ``pk = "<object_type>#<object_id>"`` (the chain), ``sk = "E#<seq:012d>"``.
* chain head: same ``pk``, ``sk = "HEAD"``; holds the chain's last seq and hash, and is
  updated in the same transaction as each event with a condition on the seq it read,
  so two writers can never fork a chain.

Why one chain per object: writers only contend when they change the same object, which
the object's own version attribute already serialises; a single global chain would make
every writer in the bank contend on one item. Completeness across chains is anchored by
the daily digest of every chain head written to S3 with Object Lock.

Access patterns (no scans):

| question | served by |
|---|---|
| an object's timeline (reviewer UI, API) | Query ``pk`` with ``sk`` begins_with ``E#`` |
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

HEAD_SK = "HEAD"
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
    """One audit event, or (``sk == "HEAD"``) the head of an object's chain."""

    class Meta(TableMeta):
        name = "audit_events"
        kind = "audit"  # append-only: no role may UpdateItem or DeleteItem (deploy/terraform)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    # event fields (absent on the head item)
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
    source_ip = UnicodeAttribute(null=True)
    changes = JSONAttribute(null=True)  # {"field": {"before": x, "after": y}}, sensitive values masked
    reason = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)  # extra context (e.g. list version, threshold)
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)

    # head fields
    last_seq = NumberAttribute(null=True)
    last_hash = UnicodeAttribute(null=True)
    last_event_id = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    by_actor = AuditEventByActorIndex()
    by_action = AuditEventByActionIndex()
    by_day = AuditEventByDayIndex()
    by_id = AuditEventByIdIndex()
