"""Reads of screening results: a customer's alerts, one alert, a subject's runs, what blocks a case."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.core.errors import NotFound
from apps.core.outbox import outbox_for_group
from apps.screening.dynamo_models import OPEN_STATUSES, Alert, AlertState, ScreeningRun

SCREENING_TOPIC_PREFIX = "screening."


@dataclass(frozen=True)
class AlertView:
    """An alert (the evidence, written by the worker) with its state (what people did with it)."""

    alert: Alert
    state: AlertState

    @property
    def alert_id(self) -> str:
        return self.alert.alert_id

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def is_open(self) -> bool:
        return self.state.status in OPEN_STATUSES


def alert_get(*, alert_id: str) -> AlertView:
    try:
        alert = Alert.get(alert_id, consistent_read=True)
        state = AlertState.get(alert_id, consistent_read=True)
    except (Alert.DoesNotExist, AlertState.DoesNotExist):
        raise NotFound(f"No alert {alert_id}; check the id.") from None
    return AlertView(alert, state)


def alerts_of_customer(*, customer_id: str, status: str | None = None) -> list[AlertView]:
    """The customer's and its parties' alerts, oldest first (optionally in one status)."""
    if status:
        states = list(AlertState.by_customer.query(customer_id, AlertState.status_key.startswith(f"{status}#")))
    else:
        states = list(AlertState.by_customer.query(customer_id))
    if not states:
        return []
    alerts = {a.alert_id: a for a in Alert.batch_get([s.alert_id for s in states])}
    views = [AlertView(alerts[s.alert_id], s) for s in states if s.alert_id in alerts]
    return sorted(views, key=lambda v: v.alert.created_key)


def alerts_open_of_customer(*, customer_id: str) -> list[AlertView]:
    return [v for v in alerts_of_customer(customer_id=customer_id) if v.is_open]


def alert_states_open_count(*, customer_id: str) -> int:
    """How many of the customer's alerts are open (work queue counts; one Query of states, no alert reads)."""
    return sum(1 for state in AlertState.by_customer.query(customer_id) if state.status in OPEN_STATUSES)


def alert_queue(*, status: str, limit: int = 100) -> list[AlertState]:
    """The alert queue: alerts in ``status``, most recently changed first (admin)."""
    return list(AlertState.by_status.query(status, scan_index_forward=False, limit=limit))


def screening_runs_of_subject(*, customer_id: str, subject_id: str, limit: int = 50) -> list[ScreeningRun]:
    """A subject's runs, newest first."""
    return list(ScreeningRun.query(f"{customer_id}#{subject_id}", scan_index_forward=False, limit=limit))


@dataclass
class ScreeningBlockers:
    """What stops a customer's case from going forward: open alerts, screening not yet done or failing."""

    open_alerts: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.open_alerts or self.pending or self.failing)

    def message(self) -> str:
        parts = []
        if self.open_alerts:
            parts.append(f"{len(self.open_alerts)} open alert(s) to disposition: {', '.join(self.open_alerts)}")
        if self.pending:
            parts.append(f"{len(self.pending)} screening request(s) still running")
        if self.failing:
            parts.append(f"{len(self.failing)} screening request(s) failing (retried; see the case page)")
        return "; ".join(parts)


def screening_blockers(*, customer_id: str) -> ScreeningBlockers:
    blockers = ScreeningBlockers(open_alerts=[v.alert_id for v in alerts_open_of_customer(customer_id=customer_id)])
    for item in outbox_for_group(group_key=customer_id, topic_prefix=SCREENING_TOPIC_PREFIX):
        (blockers.failing if item.attempts else blockers.pending).append(item.outbox_id)
    return blockers
