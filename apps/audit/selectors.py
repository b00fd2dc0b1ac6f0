"""Reading the audit trail: Query on the table's key or one of its indexes, never Scan.

Every list is paginated: a page carries an opaque ``next_cursor`` (the DynamoDB
``LastEvaluatedKey``, base64url JSON) that the next call passes back. A cursor only
fits the query that produced it; another one is refused with a 400 naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from apps.audit.models import AuditEvent
from apps.audit.services import chain_key
from apps.core.errors import NotFound, ValidationFailed

DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_cursor: str | None


def _cursor_encode(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode().rstrip("=")


def _cursor_decode(cursor: str | None, *, expect: dict[str, str]) -> dict[str, Any] | None:
    """The ``LastEvaluatedKey`` in ``cursor``, checked to belong to this query (``expect``: attr -> value)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    valid = isinstance(key, dict) and all(
        isinstance(v, dict) and len(v) == 1 and isinstance(next(iter(v.values())), str) for v in key.values()
    )
    if not valid or not isinstance(key, dict) or {"pk", "sk"} - set(key):
        raise ValidationFailed("The cursor is not one this API returned.",
                               errors={"cursor": ["Not a valid cursor; pass next_cursor from the previous page."]})
    for name, value in expect.items():
        if key.get(name, {}).get("S") != value:
            raise ValidationFailed("The cursor belongs to another query.",
                                   errors={"cursor": ["This cursor was returned for another query; start again "
                                                      "without a cursor."]})
    return key


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed("The page size is out of range.", errors={"limit": [f"Must be 1 to {MAX_PAGE}."]})
    return limit


def time_key(moment: datetime) -> str:
    """The prefix of ``occurred_key`` for a moment (events sort by it)."""
    if moment.tzinfo is None:
        raise ValidationFailed("Times need a time zone.", errors={"since": ["Give a UTC offset, e.g. 'Z'."]})
    return moment.astimezone(UTC).isoformat()


def _time_condition(since: datetime | None, until: datetime | None) -> Condition | None:
    """``since <= occurred < until`` on ``occurred_key`` (``<iso time>#<event id>``)."""
    if since and until and until <= since:
        raise ValidationFailed("The time range is empty.", errors={"until": ["Must be after since."]})
    if since and until:
        # The upper bound is inclusive, but every key at ``until`` carries a "#id" suffix and sorts after it.
        return AuditEvent.occurred_key.between(time_key(since), time_key(until))
    if since:
        return AuditEvent.occurred_key >= time_key(since)
    if until:
        return AuditEvent.occurred_key < time_key(until)
    return None


def _page(results: Any) -> EventPage:
    events = list(results)
    return EventPage(events=events, next_cursor=_cursor_encode(results.last_evaluated_key if events else None))


def audit_timeline_list(*, object_type: str, object_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE,
                        newest_first: bool = False) -> EventPage:
    """An object's timeline (its chain), oldest first unless ``newest_first``."""
    chain = chain_key(object_type, object_id)
    results = AuditEvent.query(
        chain, AuditEvent.sk.startswith("E#"), limit=_limit(limit), scan_index_forward=not newest_first,
        last_evaluated_key=_cursor_decode(cursor, expect={"pk": chain}),
    )
    return _page(results)


def audit_events_by_actor(*, actor_key: str, since: datetime | None = None, until: datetime | None = None,
                          cursor: str | None = None, limit: int = DEFAULT_PAGE,
                          newest_first: bool = False) -> EventPage:
    """What one actor (``user:<id>``, ``api_key:<prefix>``, ``system:<job>``) did, in a time range."""
    results = AuditEvent.by_actor.query(
        actor_key, _time_condition(since, until), limit=_limit(limit), scan_index_forward=not newest_first,
        last_evaluated_key=_cursor_decode(cursor, expect={"actor_key": actor_key}),
    )
    return _page(results)


def audit_events_by_action(*, action: str, since: datetime | None = None, until: datetime | None = None,
                           cursor: str | None = None, limit: int = DEFAULT_PAGE,
                           newest_first: bool = False) -> EventPage:
    """Every event of one action (``case.approved``...) in a time range."""
    results = AuditEvent.by_action.query(
        action, _time_condition(since, until), limit=_limit(limit), scan_index_forward=not newest_first,
        last_evaluated_key=_cursor_decode(cursor, expect={"action": action}),
    )
    return _page(results)


def audit_events_of_day(*, day: date, cursor: str | None = None, limit: int = DEFAULT_PAGE) -> EventPage:
    """One page of the events of a UTC day, in time order."""
    results = AuditEvent.by_day.query(
        day.isoformat(), limit=_limit(limit), last_evaluated_key=_cursor_decode(cursor, expect={"day": day.isoformat()})
    )
    return _page(results)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def audit_events_in_range(*, since: datetime, until: datetime) -> Iterator[AuditEvent]:
    """Every event with ``since <= occurred < until``, day by day through the by-day index (exports, checks)."""
    condition = _time_condition(since, until)
    last_day = (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    for day in days_between(since.astimezone(UTC).date(), last_day):
        yield from AuditEvent.by_day.query(day.isoformat(), condition, page_size=500)


def audit_day_events(*, day: date) -> Iterator[AuditEvent]:
    """Every event of one UTC day (the daily digest)."""
    yield from AuditEvent.by_day.query(day.isoformat(), page_size=500)


def audit_chain_events(*, chain: str, consistent: bool = True) -> list[AuditEvent]:
    """Every event item stored under a chain, in key order (what the verifier recomputes)."""
    return list(AuditEvent.query(chain, AuditEvent.sk.startswith("E#"), consistent_read=consistent, page_size=500))


def audit_chain_last_get(*, chain: str) -> AuditEvent | None:
    """A chain's last event (consistent read), or None if it has none."""
    for item in AuditEvent.query(chain, AuditEvent.sk.startswith("E#"), consistent_read=True,
                                 scan_index_forward=False, limit=1):
        return item
    return None


def audit_event_get(*, event_id: str) -> AuditEvent:
    """One event by its id (by-id index)."""
    for event in AuditEvent.by_id.query(event_id, limit=1):
        return event
    raise NotFound(f"No audit event {event_id}.")
