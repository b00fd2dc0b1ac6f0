"""What each domain event adds to the management-information aggregates (pure: no I/O, no Django).

``event_deltas`` turns one event (``apps/core/events.py``) into the counter and gauge changes it
amounts to; the services write them, the rebuild sums them. The latency histogram has fixed buckets
(changing them would make old days unreadable), from which ``percentile`` reads p50 and p95.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Day counters (``<metric>`` or ``<metric>#<breakdown>``).
CUSTOMERS_CREATED = "customers_created"
ALERTS_RAISED = "alerts_raised"
ALERTS_REOPENED = "alerts_reopened"
ALERTS_PROPOSED = "alerts_proposed"
ALERTS_CLOSED = "alerts_closed"  # #false_positive | #true_match
CASES_OPENED = "cases_opened"  # #<kind>
CASES_SUBMITTED = "cases_submitted"  # #<kind>
CASES_RETURNED = "cases_returned"  # #<kind>
CASES_DECIDED = "cases_decided"  # #<kind>#<approved|rejected>
RATINGS_CHANGED = "ratings_changed"
SCREENING_RUNS = "screening_runs"
SCREENING_HITS = "screening_hits"
SCREENING_LATENCY = "screening_latency"  # #<bucket>
SCREENING_LATENCY_SUM = "screening_latency_ms_sum"
SCREENING_INDEX_LOADS = "screening_index_loads"  # runs that built or loaded the list index first
SCREENING_INDEX_LOAD_SUM = "screening_index_load_ms_sum"
DOCUMENTS_REQUESTED = "documents_requested"
DOCUMENTS_RECEIVED = "documents_received"
DOCUMENTS_EXPIRED = "documents_expired"

# Gauges (``<gauge>#<key>``).
CUSTOMERS_BY_RATING = "customers_rating"
CUSTOMERS_BY_LEVEL = "customers_level"
CUSTOMERS_BY_STATUS = "customers_status"
OPEN_ALERTS = "open_alerts"  # #<the day the alert was raised or reopened>

UNRATED = "unrated"
NO_LEVEL = "none"
CLOSED_OUTCOMES = ("false_positive", "true_match")

# Upper bounds (milliseconds) of the screening-latency buckets; the last bucket is everything slower.
LATENCY_BOUNDS_MS: tuple[int, ...] = (25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
OVERFLOW = "inf"


def latency_bucket(duration_ms: float) -> str:
    for bound in LATENCY_BOUNDS_MS:
        if duration_ms <= bound:
            return f"le{bound}"
    return OVERFLOW


def latency_bucket_keys() -> list[str]:
    return [*(f"le{b}" for b in LATENCY_BOUNDS_MS), OVERFLOW]


def percentile(histogram: Mapping[str, int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of a latency histogram, interpolated within its bucket (None when empty).

    A quantile that falls in the overflow bucket reads as the last bound: "at least 10 s".
    """
    total = sum(max(0, int(histogram.get(k, 0))) for k in latency_bucket_keys())
    if total <= 0:
        return None
    rank = q * total
    seen, lower = 0, 0.0
    for bound in LATENCY_BOUNDS_MS:
        count = max(0, int(histogram.get(f"le{bound}", 0)))
        if count and seen + count >= rank:
            return round(lower + (bound - lower) * (rank - seen) / count, 1)
        seen += count
        lower = float(bound)
    return float(LATENCY_BOUNDS_MS[-1])


@dataclass(frozen=True)
class Delta:
    """Add ``n`` to a day counter (``day`` set) or to a gauge (``day`` None)."""

    name: str
    n: int
    day: str | None = None


def to_value(values: Mapping[str, Any], name: str) -> Any:
    """What a field is after the event: a created object's value, or the ``to`` of a change."""
    value = values.get(name)
    return value.get("to") if isinstance(value, dict) else value


def from_value(values: Mapping[str, Any], name: str) -> Any:
    value = values.get(name)
    return value.get("from") if isinstance(value, dict) else None


def _changed(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    return isinstance(value, dict) and value.get("from") != value.get("to")


def _move(gauge: str, values: Mapping[str, Any], name: str, empty: str) -> list[Delta]:
    if not _changed(values, name):
        return []
    before, after = from_value(values, name) or empty, to_value(values, name) or empty
    return [Delta(f"{gauge}#{before}", -1), Delta(f"{gauge}#{after}", 1)]


# Facts the services cannot find in the event itself: a case's kind, an alert's raise day (looked up by the caller).
Lookup = Callable[[Mapping[str, Any]], str | None]


def event_deltas(event: Mapping[str, Any], *, case_kind: Lookup, alert_raised_on: Lookup) -> list[Delta]:
    """The counter and gauge changes one event amounts to (an event of no interest: none)."""
    kind = str(event.get("type") or "")
    day = str(event.get("timestamp") or "")[:10]
    values: Mapping[str, Any] = event.get("values") or {}
    facts: Mapping[str, Any] = event.get("facts") or {}
    out: list[Delta] = []
    if kind == "customer.created":
        out += [Delta(CUSTOMERS_CREATED, 1, day),
                Delta(f"{CUSTOMERS_BY_RATING}#{to_value(values, 'risk_rating') or UNRATED}", 1),
                Delta(f"{CUSTOMERS_BY_LEVEL}#{to_value(values, 'cdd_level') or NO_LEVEL}", 1),
                Delta(f"{CUSTOMERS_BY_STATUS}#{to_value(values, 'status') or 'unknown'}", 1)]
    elif kind in ("customer.changed", "risk.rating_changed"):
        out += _move(CUSTOMERS_BY_RATING, values, "risk_rating", UNRATED)
        out += _move(CUSTOMERS_BY_LEVEL, values, "cdd_level", NO_LEVEL)
        out += _move(CUSTOMERS_BY_STATUS, values, "status", "unknown")
        if kind == "risk.rating_changed" and _changed(values, "risk_rating"):
            out.append(Delta(RATINGS_CHANGED, 1, day))
    elif kind in ("screening.alert.raised", "alert.memory_revoked"):
        raised_on = str(facts.get("raised_on") or day)
        reopened = event.get("action") != "alert.raised"
        out += [Delta(ALERTS_REOPENED if reopened else ALERTS_RAISED, 1, day), Delta(f"{OPEN_ALERTS}#{raised_on}", 1)]
    elif kind == "screening.alert.disposed":
        outcome = to_value(values, "status")
        if outcome in CLOSED_OUTCOMES and from_value(values, "status") not in CLOSED_OUTCOMES:
            raised_on = str(facts.get("raised_on") or alert_raised_on(event) or day)
            out += [Delta(f"{ALERTS_CLOSED}#{outcome}", 1, day), Delta(f"{OPEN_ALERTS}#{raised_on}", -1)]
    elif kind == "alert.disposition_proposed":
        out.append(Delta(ALERTS_PROPOSED, 1, day))
    elif kind.startswith("case."):
        case = str(facts.get("kind") or to_value(values, "kind") or case_kind(event) or "unknown")
        if kind == "case.opened":
            out.append(Delta(f"{CASES_OPENED}#{case}", 1, day))
        elif kind == "case.submitted":
            out.append(Delta(f"{CASES_SUBMITTED}#{case}", 1, day))
        elif kind == "case.returned":
            out.append(Delta(f"{CASES_RETURNED}#{case}", 1, day))
        elif kind == "case.decided":
            outcome = to_value(values, "status") or str(event.get("action", "")).removeprefix("case.")
            out.append(Delta(f"{CASES_DECIDED}#{case}#{outcome}", 1, day))
    elif kind == "screening.completed":
        hits = facts.get("hits")
        if not isinstance(hits, (int, float)):  # runs recorded before the count was: every hit had an outcome
            hits = sum(int(facts.get(k) or 0) for k in ("raised", "updated", "reopened", "suppressed"))
        out += [Delta(SCREENING_RUNS, 1, day), Delta(SCREENING_HITS, int(hits), day)]
        duration = facts.get("duration_ms")
        if isinstance(duration, (int, float)) and not isinstance(duration, bool):
            # The latency is the matcher's: a run that first built or loaded the list index (seconds, once per
            # worker and list version) has that time taken out and is counted apart, with its own total.
            load = facts.get("index_load_ms")
            if facts.get("index_loaded") is True and isinstance(load, (int, float)) and not isinstance(load, bool):
                load = min(float(load), float(duration))
                out += [Delta(SCREENING_INDEX_LOADS, 1, day), Delta(SCREENING_INDEX_LOAD_SUM, round(load), day)]
                duration = float(duration) - load
            out += [Delta(f"{SCREENING_LATENCY}#{latency_bucket(float(duration))}", 1, day),
                    Delta(SCREENING_LATENCY_SUM, round(float(duration)), day)]
    elif kind == "document.requested":
        out.append(Delta(DOCUMENTS_REQUESTED, 1, day))
    elif kind == "document.received":
        out.append(Delta(DOCUMENTS_RECEIVED, 1, day))
    elif kind == "document.expired":
        out.append(Delta(DOCUMENTS_EXPIRED, 1, day))
    return [d for d in out if d.n]


def merged(deltas: list[Delta]) -> dict[tuple[str | None, str], int]:
    """Deltas summed per item (a transaction may touch an item once), zero sums dropped."""
    out: dict[tuple[str | None, str], int] = {}
    for d in deltas:
        out[(d.day, d.name)] = out.get((d.day, d.name), 0) + d.n
    return {k: v for k, v in out.items() if v}
