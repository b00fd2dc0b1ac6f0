"""Platform tables of the core app.

``diagnostics``: one item per diagnostic ping sent through the broker.
Access: GetItem by ping id (the API polls it). No other pattern.

``outbox``: follow-up work recorded in the transaction of the write that implies it (see
``OutboxItem``).
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta


class DiagnosticPing(CddModel):
    class Meta(TableMeta):
        name = "diagnostics"

    ping_id = UnicodeAttribute(hash_key=True)
    sent_at = UTCDateTimeAttribute()
    sent_by = UnicodeAttribute()
    executed_at = UTCDateTimeAttribute(null=True)
    worker = UnicodeAttribute(null=True)


class OutboxPendingIndex(GlobalSecondaryIndex["OutboxItem"]):
    """Which follow-up work is still pending, oldest first? (beat re-queues it; sparse)"""

    class Meta:
        index_name = "by-pending"
        projection = AllProjection()

    pending_bucket = UnicodeAttribute(hash_key=True)
    pending_key = UnicodeAttribute(range_key=True)


class OutboxByGroupIndex(GlobalSecondaryIndex["OutboxItem"]):
    """What follow-up work does this customer have (pending, failing or done)?"""

    class Meta:
        index_name = "by-group"
        projection = AllProjection()

    group_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class OutboxItem(CddModel):
    """Work that a committed write implies (screen this subject, open this case), written in the
    write's own transaction and consumed by a worker (``apps/core/outbox.py``).

    Table ``outbox``. Access patterns (no scans):

    | question | served by |
    |---|---|
    | one item (the worker that consumes it) | GetItem ``outbox_id`` |
    | pending items older than a few minutes (beat re-queues them) | Query ``OutboxPendingIndex`` (``pending_bucket`` = "pending", ``pending_key`` < cutoff) |
    | a customer's pending or failing work (case submission refuses while screening is pending) | Query ``OutboxByGroupIndex`` (``group_key`` = customer id) |

    ``pending_bucket``/``pending_key`` are removed when the item is done, so the pending index holds
    only what is left to do. Done items expire (``expires_at``) after ``CDD_OUTBOX_KEEP_DAYS``.
    """

    class Meta(TableMeta):
        name = "outbox"

    outbox_id = UnicodeAttribute(hash_key=True)  # ULID: sorts by time of the write
    topic = UnicodeAttribute()  # e.g. screening.subject, reviews.onboarding_case
    payload = JSONAttribute(default=dict)
    group_key = UnicodeAttribute()  # the customer the work is about
    status = UnicodeAttribute(default="pending")  # pending | done
    attempts = NumberAttribute(default=0)
    resends = NumberAttribute(null=True)  # times beat's sweep sent it again (each wait twice the last)
    last_error = UnicodeAttribute(null=True)
    result = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    done_at = UTCDateTimeAttribute(null=True)
    pending_bucket = UnicodeAttribute(null=True)
    pending_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_pending = OutboxPendingIndex()
    by_group = OutboxByGroupIndex()
