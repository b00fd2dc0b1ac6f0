"""Cases: the unit of analyst work and four-eyes review.

Table ``cases``. Access patterns (no scans):

| question | served by |
|---|---|
| a case by id (case page, API) | GetItem ``case_id`` |
| the work queue: cases in a status, most recently changed first (web UI, API) | Query ``CaseByStatusIndex`` (``status``, ``updated_key``) |
| a customer's cases (customer page, "is an onboarding case open?") | Query ``CaseByCustomerIndex`` (``customer_id``, ``created_key``) |

The onboarding case of a customer has the id ``onboarding-<customer_id>``, so opening it twice
(a retried create, a re-run seam) is a conditional put that finds it already there. A periodic
review is ``periodic_review-<customer_id>-<due date>`` (beat opens it once per due date); a trigger
case is ``trigger-<outbox id>`` and later events join the customer's open trigger case.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta

KINDS = ("onboarding", "periodic_review", "trigger")
OPEN, SUBMITTED, APPROVED, REJECTED = "open", "submitted", "approved", "rejected"
STATUSES = (OPEN, SUBMITTED, APPROVED, REJECTED)


class CaseByStatusIndex(GlobalSecondaryIndex["Case"]):
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class CaseByCustomerIndex(GlobalSecondaryIndex["Case"]):
    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Case(CddModel):
    class Meta(TableMeta):
        name = "cases"

    case_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    title = UnicodeAttribute()
    requires_senior = BooleanAttribute(default=False)
    opened_by = UnicodeAttribute()  # actor key
    opened_reason = UnicodeAttribute(null=True)
    submitted_by = UnicodeAttribute(null=True)  # actor key of the analyst who submitted
    submitted_by_name = UnicodeAttribute(null=True)
    submission_summary = UnicodeAttribute(null=True)
    submitted_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_by_name = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)  # approved | rejected | returned
    rationale = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    due_date = UnicodeAttribute(null=True)  # YYYY-MM-DD: when a periodic review falls due
    reminders_sent = ListAttribute(of=UnicodeAttribute, default=list)  # "14d", "3d": reminders already given
    escalated_at = UTCDateTimeAttribute(null=True)  # overdue: escalated to the senior reviewers
    triggers = JSONAttribute(default=list)  # trigger cases: [{event, reason, at, ref}] that opened or joined it
    # everyone who submitted or returned it, every submission kept: [{by, name, did, at}] (four-eyes)
    participants = JSONAttribute(default=list)
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_key = UnicodeAttribute()
    version = VersionAttribute()

    by_status = CaseByStatusIndex()
    by_customer = CaseByCustomerIndex()

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id, "customer_id": self.customer_id, "kind": self.kind, "status": self.status,
            "title": self.title, "requires_senior": self.requires_senior, "submitted_by": self.submitted_by,
            "submission_summary": self.submission_summary, "decided_by": self.decided_by,
            "decision": self.decision, "rationale": self.rationale, "due_date": self.due_date,
            "escalated": self.escalated_at is not None, "triggers": [t.get("event") for t in self.triggers or []],
        }
