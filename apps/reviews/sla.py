"""Service levels of cases: how many calendar days a case of a kind has, by its customer's risk rating.

Pure and light (no Django): the settings module reads ``CDD_CASE_SLA_DAYS`` through
``sla_days_setting``, and the case services compute a due date with ``sla_due_date`` when a case opens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta

UNRATED = "unrated"
SLA_RATINGS = ("low", "medium", "high", "prohibited", UNRATED)

# Calendar days from opening. Onboarding opens before the risk model has rated the customer, so its
# "unrated" figure is the one that applies at first; enhanced due diligence on a high-risk customer
# takes longer to evidence; a trigger review of a high-risk customer is the most urgent; a periodic
# review is due on its review date (these figures apply only to one opened without a date).
DEFAULT_SLA_DAYS: dict[str, dict[str, int]] = {
    "onboarding": {"low": 10, "medium": 10, "high": 20, "prohibited": 5, UNRATED: 10},
    "trigger": {"low": 30, "medium": 15, "high": 10, "prohibited": 5, UNRATED: 15},
    "periodic_review": {"low": 60, "medium": 45, "high": 30, "prohibited": 15, UNRATED: 30},
}


def sla_days_setting(raw: str) -> dict[str, dict[str, int]]:
    """Settings cast: the defaults, with a JSON object's ``{kind: {rating: days}}`` laid over them."""
    merged = {kind: dict(days) for kind, days in DEFAULT_SLA_DAYS.items()}
    if not raw.strip():
        return merged
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object {kind: {rating: days}}")
    for kind, days in value.items():
        if kind not in merged or not isinstance(days, dict):
            raise ValueError(f"unknown case kind {kind!r} (one of {', '.join(merged)}) or not an object of days")
        for rating, n in days.items():
            if rating not in SLA_RATINGS or not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{kind}.{rating}: a rating ({', '.join(SLA_RATINGS)}) and a whole number of days >= 1")
            merged[kind][rating] = n
    return merged


def sla_days(*, table: Mapping[str, Mapping[str, int]], kind: str, rating: str | None) -> int:
    """The days a case of ``kind`` has for a customer rated ``rating`` (unrated: the kind's unrated figure)."""
    days = table.get(kind) or DEFAULT_SLA_DAYS[kind]
    key = (rating or "").lower() or UNRATED
    return int(days.get(key) or days.get(UNRATED) or DEFAULT_SLA_DAYS[kind][UNRATED])


def sla_due_date(*, table: Mapping[str, Mapping[str, int]], kind: str, rating: str | None, opened: date) -> date:
    return opened + timedelta(days=sla_days(table=table, kind=kind, rating=rating))
