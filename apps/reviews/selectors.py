"""Reads of cases: the work queue and a customer's cases (Query only)."""

from __future__ import annotations

from apps.customers.access import customer_ids_of_integration
from apps.reviews.models import Case


def case_queue(*, status: str, limit: int = 50, integration: str | None = None) -> list[Case]:
    """Cases in ``status``, most recently changed first; with ``integration``, only its own customers' cases."""
    cases = list(Case.by_status.query(status, scan_index_forward=False, limit=limit))
    if integration is None:
        return cases
    own = customer_ids_of_integration(customer_ids=[c.customer_id for c in cases], integration=integration)
    return [c for c in cases if c.customer_id in own]


def cases_for_customer(*, customer_id: str) -> list[Case]:
    return list(Case.by_customer.query(customer_id, scan_index_forward=False))
