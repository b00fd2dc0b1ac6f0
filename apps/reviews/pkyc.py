"""Perpetual KYC: periodic reviews when they fall due, reminders and escalation, and trigger reviews.

* ``periodic_reviews_open`` (beat, several times a day): every customer in a relationship whose
  ``next_review_date`` falls within ``CDD_REVIEW_LEAD_DAYS`` gets a periodic-review case, found
  through the customers' by-next-review index (a Query, no Scan). The case id carries the due
  date, so a second run opens nothing new.
* ``periodic_reviews_chase``: an open periodic review gets a reminder ``CDD_REVIEW_REMINDER_DAYS``
  before its due date, and is escalated (a senior reviewer must decide it) once it is overdue by
  ``CDD_REVIEW_ESCALATE_AFTER_DAYS``. Each reminder and escalation is audited once.
* ``trigger_case_process`` (outbox ``reviews.trigger_case``): an event about a customer in a
  relationship (rating raised, true match confirmed, ownership changed, document expired, customer
  reactivated) opens a trigger review, or joins the customer's trigger review that is still open.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import save_write, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.customers.errors import CustomerNotFound
from apps.customers.models import REVIEW_BUCKET, Customer
from apps.customers.selectors import customer_get
from apps.customers.services import IN_RELATIONSHIP
from apps.reviews.models import OPEN, SUBMITTED, Case
from apps.reviews.services import case_get, case_open

logger = logging.getLogger(__name__)

TRIGGER_TITLES = {
    "risk.rating_raised": "risk rating raised",
    "screening.true_match_confirmed": "sanctions match confirmed",
    "screening.pep_match_confirmed": "PEP match confirmed",
    "ownership.changed": "ownership changed",
    "document.expired": "document expired",
    "customer.reactivated": "customer made active again",
}


def _today() -> date:
    return utcnow().date()


def periodic_case_id(customer_id: str, due: str) -> str:
    return f"periodic_review-{customer_id}-{due}"


def periodic_reviews_open(*, today: date | None = None, actor: Actor | None = None) -> dict[str, int]:
    """Open a periodic review for every customer in a relationship whose review falls due within the lead time."""
    today = today or _today()
    actor = actor or Actor.system("reviews.periodic")
    horizon = today + timedelta(days=int(settings.CDD_REVIEW_LEAD_DAYS))
    opened = existing = skipped = 0
    for customer in Customer.by_next_review.query(REVIEW_BUCKET, Customer.next_review_date <= horizon.isoformat()):
        if customer.status not in IN_RELATIONSHIP or not customer.next_review_date:
            skipped += 1
            continue
        case_id = periodic_case_id(customer.customer_id, customer.next_review_date)
        try:
            case_get(case_id=case_id)
        except Exception:  # noqa: BLE001 - NotFound: open it
            case_open(customer_id=customer.customer_id, kind="periodic_review", actor=actor, case_id=case_id,
                      title=f"Periodic review of {customer.legal_name}, due {customer.next_review_date}",
                      reason=f"review due on {customer.next_review_date} ({customer.risk_rating or 'unrated'})",
                      due_date=customer.next_review_date)
            opened += 1
        else:
            existing += 1
    return {"opened": opened, "already_open": existing, "not_in_relationship": skipped}


def _reminder_days() -> list[int]:
    return sorted({int(d) for d in settings.CDD_REVIEW_REMINDER_DAYS if str(d).strip()}, reverse=True)


def periodic_reviews_chase(*, today: date | None = None, actor: Actor | None = None) -> dict[str, int]:
    """Remind before the due date and escalate after it, once each, for open periodic reviews."""
    today = today or _today()
    actor = actor or Actor.system("reviews.periodic")
    counts = {"reminded": 0, "escalated": 0}
    for status in (OPEN, SUBMITTED):
        for case in Case.by_status.query(status, filter_condition=Case.kind == "periodic_review"):
            if not case.due_date:
                continue
            due = date.fromisoformat(case.due_date)
            days_left = (due - today).days
            fresh = case_get(case_id=case.case_id)
            if days_left < -int(settings.CDD_REVIEW_ESCALATE_AFTER_DAYS) and fresh.escalated_at is None:
                fresh.escalated_at, fresh.requires_senior = utcnow(), True
                _case_event(fresh, actor, "case.escalated",
                            f"The periodic review was due on {case.due_date} and is {-days_left} day(s) overdue: "
                            "escalated to the senior reviewers.", {"days_overdue": -days_left})
                counts["escalated"] += 1
                continue
            for days in _reminder_days():
                tag = f"{days}d"
                if 0 <= days_left <= days and tag not in (fresh.reminders_sent or []):
                    fresh.reminders_sent = [*(str(r) for r in fresh.reminders_sent or []), tag]  # type: ignore[assignment,list-item]
                    _case_event(fresh, actor, "case.reminder",
                                f"The periodic review is due on {case.due_date}, in {days_left} day(s).",
                                {"days_before_due": days})
                    counts["reminded"] += 1
                    break
    return counts


def _case_event(case: Case, actor: Actor, action: str, reason: str, data: dict[str, Any], *,
                strict: bool = False) -> None:
    """Save the case with its event; a concurrent change is left to the next run, or raised (``strict``)."""
    case.updated_at = utcnow()
    case.updated_key = case.updated_at.isoformat()
    try:
        audit_event_record(entry=AuditEntry(actor=actor, action=action, object_type="case", object_id=case.case_id,
                                            reason=reason, data={"customer_id": case.customer_id, **data}),
                           writes=[save_write(case)])
    except TransactWriteError:
        if strict:
            raise  # the outbox retries the item: the trigger is not lost
        logger.info("case %s changed meanwhile; the next run records %s", case.case_id, action)


def periodic_run(*, today: date | None = None) -> dict[str, int]:
    """Beat's periodic work: open due reviews, chase open ones, end expired overrides."""
    from apps.reviews.risk.services import risk_overrides_expire

    return {**periodic_reviews_open(today=today), **periodic_reviews_chase(today=today),
            "overrides_expired": risk_overrides_expire(today=today)}


def trigger_case_process(*, item: OutboxItem) -> dict[str, Any]:
    """Open a trigger review for the event (or add the event to the customer's open trigger review)."""
    payload = item.payload or {}
    customer_id, event = str(payload["customer_id"]), str(payload.get("event") or "event")
    reason = str(payload.get("reason") or TRIGGER_TITLES.get(event, event))
    try:
        customer = customer_get(customer_id=customer_id, consistent=True)
    except CustomerNotFound:
        return {"skipped": "the customer no longer exists"}
    if customer.status not in IN_RELATIONSHIP:
        return {"skipped": f"the customer is {customer.status}: its onboarding case covers the event"}
    trigger = {"event": event, "reason": reason, "at": utcnow().isoformat(), "ref": item.outbox_id,
               **{k: str(v) for k, v in payload.items() if k not in ("customer_id", "event", "reason")}}
    actor = Actor.system("reviews.trigger")
    cases = [c for c in Case.by_customer.query(customer_id, scan_index_forward=False) if c.kind == "trigger"]
    for case in cases:  # a redelivery of an event already added to a case that has been decided since
        if case.status not in (OPEN, SUBMITTED) and any(t.get("ref") == item.outbox_id for t in case.triggers or []):
            return {"case_id": case.case_id, "joined": True, "replayed": True}
    for case in cases:
        if case.status in (OPEN, SUBMITTED):
            fresh = case_get(case_id=case.case_id)
            if any(t.get("ref") == item.outbox_id for t in fresh.triggers or []):
                return {"case_id": fresh.case_id, "joined": True, "replayed": True}
            fresh.triggers = [*(fresh.triggers or []), trigger]
            _case_event(fresh, actor, "case.trigger_added", reason, {"event": event, "outbox_id": item.outbox_id},
                        strict=True)
            return {"case_id": fresh.case_id, "joined": True}
    case = case_open(customer_id=customer_id, kind="trigger", actor=actor, case_id=f"trigger-{item.outbox_id}",
                     title=f"Trigger review of {customer.legal_name}: {TRIGGER_TITLES.get(event, event)}",
                     reason=reason, triggers=[trigger])
    return {"case_id": case.case_id, "joined": False}
