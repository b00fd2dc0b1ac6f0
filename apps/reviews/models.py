"""Cases: the unit of analyst work and four-eyes review.

Table ``cases``. Access patterns (no scans):

| question | served by |
|---|---|
| a case by id (case page, API) | GetItem ``case_id`` |
| the work queue: cases in a status, most recently changed first (web UI, API) | Query ``CaseByStatusIndex`` (``status``, ``updated_key``) |
| a customer's cases (customer page, "is an onboarding case open?") | Query ``CaseByCustomerIndex`` (``customer_id``, ``created_key``) |
| the web work queue of open or submitted cases, soonest due first, with its filters | Query ``CaseByStatusDueIndex`` (``status``, ``due_key``), kind and age as filter expressions |
| "my work": the cases assigned to a user, soonest due first | Query ``CaseByAssigneeIndex`` (``assignee``, ``due_key``); sparse: unassigned cases are absent |

``due_key`` is ``<due date>#<case id>``: every case gets its due date when it opens (the SLA of its
kind and its customer's rating, ``CDD_CASE_SLA_DAYS``; a periodic review is due on its review date).
Cases opened before due dates existed get theirs on their next change, or from ``manage.py
cases_due_backfill`` (an offline Scan). ``assignee`` is set while someone works the case and removed
when it is unassigned, submitted or decided, so the assignee index holds only live work.

Notes live in their own table, ``case_notes`` (``CaseNote``: Query ``case_id``, oldest first), so that
however many a long review collects, the case's item (and its four index copies) stays far below
DynamoDB's 400 KB per item; they are appended, never edited, each also an audit event on the case's
chain. Cases from before the table keep their first notes in the case's ``notes`` attribute, read
together with the table's (``case_notes_of``).

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
KIND_LABELS = {"onboarding": "Onboarding due diligence", "periodic_review": "Periodic review",
               "trigger": "Trigger review"}
OPEN, SUBMITTED, APPROVED, REJECTED = "open", "submitted", "approved", "rejected"
STATUSES = (OPEN, SUBMITTED, APPROVED, REJECTED)


class CaseByStatusIndex(GlobalSecondaryIndex["Case"]):
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class CaseByStatusDueIndex(GlobalSecondaryIndex["Case"]):
    """Which cases are in this status, soonest due first?"""

    class Meta:
        index_name = "by-status-due"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class CaseByAssigneeIndex(GlobalSecondaryIndex["Case"]):
    """Which cases is this person working, soonest due first?"""

    class Meta:
        index_name = "by-assignee"
        projection = AllProjection()

    assignee = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


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
    due_date = UnicodeAttribute(null=True)  # YYYY-MM-DD: when the case is due (SLA; a periodic review: its date)
    due_key = UnicodeAttribute(null=True)  # "<due_date>#<case_id>" (the due-date indexes)
    assignee = UnicodeAttribute(null=True)  # actor key of who works it now (sparse assignee index)
    assignee_name = UnicodeAttribute(null=True)
    assigned_at = UTCDateTimeAttribute(null=True)
    notes = JSONAttribute(default=list)  # legacy: notes written before ``case_notes`` ([{note_id, by, name, at, text}])
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
    by_status_due = CaseByStatusDueIndex()
    by_assignee = CaseByAssigneeIndex()
    by_customer = CaseByCustomerIndex()

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id, "customer_id": self.customer_id, "kind": self.kind, "status": self.status,
            "title": self.title, "requires_senior": self.requires_senior, "submitted_by": self.submitted_by,
            "submission_summary": self.submission_summary, "decided_by": self.decided_by,
            "decision": self.decision, "rationale": self.rationale, "due_date": self.due_date,
            "escalated": self.escalated_at is not None, "assignee": self.assignee_name, "triggers": [t.get("event") for t in self.triggers or []],
        }


class CaseNote(CddModel):
    """A note on a case: appended, never edited (table ``case_notes``; Query ``case_id``, oldest first)."""

    class Meta(TableMeta):
        name = "case_notes"

    case_id = UnicodeAttribute(hash_key=True)
    note_id = UnicodeAttribute(range_key=True)  # "note_<ulid>": sorts by time
    customer_id = UnicodeAttribute()
    by = UnicodeAttribute()  # actor key
    name = UnicodeAttribute()  # the author's name then
    at = UnicodeAttribute()  # ISO time
    text = UnicodeAttribute()

    def as_dict(self) -> dict[str, Any]:
        return {"note_id": self.note_id, "by": self.by, "name": self.name, "at": self.at, "text": self.text}
