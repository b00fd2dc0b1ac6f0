"""The management-information aggregates, kept up to date on write (docs/mi.md).

Table ``mi_aggregates`` — counters and gauges that the domain events add to (``services.mi_events_apply``),
so the MI page reads a handful of small items instead of the books.

| item | ``pk`` | ``sk`` | ``n`` |
|---|---|---|---|
| a day's counter (alerts raised, cases decided by kind and outcome, a latency bucket…) | ``day#<YYYY-MM>`` | ``<YYYY-MM-DD>#<metric>`` | what happened that day |
| a gauge (customers by rating, by CDD level, by status; open alerts by the day they were raised) | ``gauge`` | ``<gauge>#<key>`` | how many now |
| the marker of an applied event (idempotency; expires through ``expires_at``) | ``applied#<event id>`` | ``applied`` | 1 |

| question (who asks) | served by |
|---|---|
| the counters of a period (MI page, CSV/XLSX export) | Query ``pk = day#<month>`` with ``sk`` between ``<from>`` and ``<to>#~``, one per month of the period |
| the gauges (MI page, export) | Query ``pk = gauge`` |
| has this event been counted? (every apply) | the marker's put, conditional on ``attribute_not_exists`` in the counters' transaction |

Counters and gauges are changed only by ``ADD`` in a TransactWrite with the event's marker, so an event counts
once however often its outbox item runs. ``manage.py mi_rebuild`` (an offline Scan of the audit trail)
recomputes them for books that predate the aggregates.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from apps.core.dynamo import CddModel, TableMeta

GAUGE_PK = "gauge"
MARKER_PREFIX = "applied#"
MARKER_SK = "applied"


def day_pk(day: str) -> str:
    """The partition of a day's counters: its month (``day#2026-05``), so a period reads a few partitions."""
    return f"day#{day[:7]}"


class MiAggregate(CddModel):
    """One counter of one day, one gauge, or the marker of one applied event."""

    class Meta(TableMeta):
        name = "mi_aggregates"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    n = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # markers only
