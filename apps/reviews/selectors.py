"""Reads of cases: the work queue, "my work" and a customer's cases (Query only)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from apps.customers.access import customer_ids_of_integration
from apps.customers.models import Customer
from apps.customers.selectors import customers_get
from apps.reviews.models import APPROVED, OPEN, REJECTED, SUBMITTED, Case, CaseNote
from apps.reviews.sla import UNRATED
from apps.screening.selectors.alerts import alert_states_open_count

LIVE = (OPEN, SUBMITTED)


def case_queue(*, status: str, limit: int = 50, integration: str | None = None) -> list[Case]:
    """Cases in ``status``, most recently changed first; with ``integration``, only its own customers' cases."""
    cases = list(Case.by_status.query(status, scan_index_forward=False, limit=limit))
    if integration is None:
        return cases
    own = customer_ids_of_integration(customer_ids=[c.customer_id for c in cases], integration=integration)
    return [c for c in cases if c.customer_id in own]


def cases_for_customer(*, customer_id: str) -> list[Case]:
    return list(Case.by_customer.query(customer_id, scan_index_forward=False))


def case_notes_of(*, case: Case) -> list[dict[str, str]]:
    """A case's notes, oldest first: those kept on the case item (before ``case_notes``) and the table's."""
    stored = [note.as_dict() for note in CaseNote.query(case.case_id, consistent_read=True)]
    seen = {note["note_id"] for note in stored}
    legacy = [dict(note) for note in case.notes or [] if note.get("note_id") not in seen]
    return sorted([*legacy, *stored], key=lambda note: (str(note.get("at")), str(note.get("note_id"))))


@dataclass(frozen=True)
class QueueFilters:
    """What the web queue narrows to; None is "any"."""

    status: str = SUBMITTED
    kind: str | None = None
    risk: str | None = None  # a rating, or "unrated"
    alerts: bool | None = None  # with open alerts (True) or without (False)
    older_than_days: int | None = None  # opened at least this many days ago


@dataclass(frozen=True)
class QueueRow:
    case: Case
    customer: Customer | None
    open_alerts: int
    age_days: int
    days_left: int | None  # None: no due date, or the case is decided

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def _today() -> date:
    return datetime.now(tz=UTC).date()


def queue_row(case: Case, customer: Customer | None, *, today: date | None = None) -> QueueRow:
    today = today or _today()
    days_left = ((date.fromisoformat(case.due_date) - today).days
                 if case.due_date and case.status in LIVE else None)
    return QueueRow(case=case, customer=customer, open_alerts=alert_states_open_count(customer_id=case.customer_id),
                    age_days=(today - case.created_at.date()).days, days_left=days_left)


def _rows(cases: Iterable[Case], *, keep: QueueFilters | None, limit: int) -> list[QueueRow]:
    """Rows for ``cases`` in their order, with the customer-side filters, a page of customers at a time."""
    today = _today()
    rows: list[QueueRow] = []
    source: Iterator[Case] = iter(cases)
    while len(rows) < limit:
        page = list(islice(source, 50))
        if not page:
            break
        customers = customers_get(customer_ids=[c.customer_id for c in page])
        for case in page:
            customer = customers.get(case.customer_id)
            if keep is not None and keep.risk is not None:
                rating = (customer.risk_rating if customer is not None else None) or UNRATED
                if rating.lower() != keep.risk:
                    continue
            row = queue_row(case, customer, today=today)
            if keep is not None and keep.alerts is not None and bool(row.open_alerts) != keep.alerts:
                continue
            rows.append(row)
            if len(rows) == limit:
                break
    return rows


def case_work_queue(*, filters: QueueFilters, limit: int = 100) -> list[QueueRow]:
    """The web work queue: open or submitted cases soonest due first (decided ones most recent first), narrowed
    by kind and age in the Query's filter and by the customer's rating and open alerts on the rows read."""
    condition = None
    if filters.kind:
        condition = Case.kind == filters.kind
    if filters.older_than_days:
        opened_before = datetime.now(tz=UTC) - timedelta(days=filters.older_than_days)
        age = Case.created_at <= opened_before
        condition = age if condition is None else condition & age
    if filters.status in (APPROVED, REJECTED):
        cases = Case.by_status.query(filters.status, filter_condition=condition, scan_index_forward=False)
    else:
        cases = Case.by_status_due.query(filters.status, filter_condition=condition)
    return _rows(cases, keep=filters, limit=limit)


def cases_assigned_to(*, assignee: str, limit: int = 100) -> list[QueueRow]:
    """"My work": the cases assigned to ``assignee`` (an actor key), soonest due first."""
    return _rows(Case.by_assignee.query(assignee), keep=None, limit=limit)
