"""Reads of cases: the work queue and a customer's cases (Query only)."""

from __future__ import annotations

from apps.reviews.models import Case


def case_queue(*, status: str, limit: int = 50) -> list[Case]:
    """Cases in ``status``, most recently changed first."""
    return list(Case.by_status.query(status, scan_index_forward=False, limit=limit))


def cases_for_customer(*, customer_id: str) -> list[Case]:
    return list(Case.by_customer.query(customer_id, scan_index_forward=False))
