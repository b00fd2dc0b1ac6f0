"""Screening of customers and their related parties: runs, alerts, and the analysts' work on them.

Three tables. The evidence of a hit (runs and alerts) is written only by the worker that screens
(table kind ``alerts``: the api, web and admin task roles may read it, not change it); what people
do with an alert lives in a domain table of its own.

``screening_runs`` (kind alerts) — one item per screening of one subject (a customer or one of its
related parties): the screened inputs, the list versions, the algorithm and threshold, the time
taken, every hit and what became of it.

| question | served by |
|---|---|
| a subject's run history, newest first (API, case page) | Query ``subject_key`` (``<customer_id>#<subject_id>``), ``scan_index_forward=False`` |
| one run (an alert's origin) | GetItem (``subject_key``, ``run_id``) |

``run_id`` is ``run_<outbox id>``: the screening request that caused it. A redelivered request
finds its run already there (conditional put) and changes nothing.

``screening_alerts`` (kind alerts) — one item per subject and list entity, ever: a re-screen that
hits the same entity updates it instead of adding a second. ``alert_id`` is derived from
(customer, subject, list, entity), so the same hit always lands on the same item.

| question | served by |
|---|---|
| one alert (alert page, API) | GetItem ``alert_id`` |
| a customer's alerts, its parties' included | Query ``AlertByCustomerIndex`` (``customer_id``, ``created_key``) |

``alert_states`` (domain) — the disposition state of each alert: open, proposed, needs information,
false positive, true match; the proposal and the decision; the false-positive memory (fingerprints
of both sides when it was confirmed).

| question | served by |
|---|---|
| an alert's state (with the alert: BatchGet) | GetItem ``alert_id`` |
| a customer's open alerts (case submission, work queue counts) | Query ``AlertStateByCustomerIndex`` (``customer_id``, ``status_key``) |
| the alert queue by status, newest change first (admin) | Query ``AlertStateByStatusIndex`` (``status``, ``updated_key``) |
| the alerts on a list entry that was delisted (delta re-screen) | Query ``AlertStateByEntityIndex`` (``entity_key``) |

``screening_subjects`` (kind alerts) — the book as the screening last saw it: one item per subject
(names, date of birth, nationalities, type), written by each run. The customer-side index that a
list change is screened against is built from it (``services/delta.py``).

| question | served by |
|---|---|
| every subject, and those changed since a point (book index build and refresh) | Query ``SubjectByUpdateIndex`` (``book`` = "book", ``updated_key`` > watermark) |
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta

# Alert states. The first three are open: they block the submission of the customer's cases.
OPEN, PROPOSED, NEEDS_INFORMATION = "open", "proposed", "needs_information"
FALSE_POSITIVE, TRUE_MATCH = "false_positive", "true_match"
ALERT_STATUSES = (OPEN, PROPOSED, NEEDS_INFORMATION, FALSE_POSITIVE, TRUE_MATCH)
OPEN_STATUSES = frozenset({OPEN, PROPOSED, NEEDS_INFORMATION})
OUTCOMES = (TRUE_MATCH, FALSE_POSITIVE, NEEDS_INFORMATION)
BOOK = "book"  # the one partition of the subjects' update index


class ScreeningRun(CddModel):
    class Meta(TableMeta):
        name = "screening_runs"
        kind = "alerts"

    subject_key = UnicodeAttribute(hash_key=True)  # "<customer_id>#<subject_id>"
    run_id = UnicodeAttribute(range_key=True)  # "run_<outbox id>"
    customer_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()  # "customer" or a party id
    subject_type = UnicodeAttribute()  # customer | related_party
    subject_name = UnicodeAttribute()
    trigger = UnicodeAttribute()  # created | changed | party_added | party_changed | on_demand | list_change
    inputs = JSONAttribute()  # the screened fields as they were
    list_source = UnicodeAttribute()
    list_versions = JSONAttribute()  # {list_key: version_id}
    algorithm = UnicodeAttribute()
    threshold = NumberAttribute()
    duration_ms = NumberAttribute()
    hits = JSONAttribute(default=list)  # [{alert_id, list, list_entity_id, name, score, outcome}]
    created_at = UTCDateTimeAttribute()


class AlertByCustomerIndex(GlobalSecondaryIndex["Alert"]):
    """Which alerts has this customer (and its parties), oldest first?"""

    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Alert(CddModel):
    """A hit at or above the threshold: one per subject and list entity."""

    class Meta(TableMeta):
        name = "screening_alerts"
        kind = "alerts"

    alert_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    subject_type = UnicodeAttribute()
    subject_name = UnicodeAttribute()
    subject_inputs = JSONAttribute()  # the subject's screened fields at the last run that hit
    list_key = UnicodeAttribute()
    list_entity_id = UnicodeAttribute()
    list_version_id = UnicodeAttribute()
    entity = JSONAttribute()  # the list entry as that version had it
    matched_name = UnicodeAttribute()
    score = NumberAttribute()
    explanation = JSONAttribute()
    algorithm = UnicodeAttribute()
    threshold = NumberAttribute()
    first_run_id = UnicodeAttribute()
    last_run_id = UnicodeAttribute()
    hit_in_last_run = BooleanAttribute(default=True)  # False: the subject's last run no longer hit this entity
    created_at = UTCDateTimeAttribute()
    created_key = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()

    by_customer = AlertByCustomerIndex()


class AlertStateByCustomerIndex(GlobalSecondaryIndex["AlertState"]):
    """Which of this customer's alerts are in a status? (``status_key`` begins with the status)"""

    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    status_key = UnicodeAttribute(range_key=True)  # "<status>#<alert_id>"


class AlertStateByStatusIndex(GlobalSecondaryIndex["AlertState"]):
    """The alert queue: alerts in a status, most recently changed first."""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class AlertStateByEntityIndex(GlobalSecondaryIndex["AlertState"]):
    """Which alerts name this list entry? (a delisted entry's alerts are marked)"""

    class Meta:
        index_name = "by-entity"
        projection = AllProjection()

    entity_key = UnicodeAttribute(hash_key=True)  # "<list_key>:<list_entity_id>"


class AlertState(CddModel):
    """Where an alert stands: its status, the pending proposal, the decision, the false-positive memory."""

    class Meta(TableMeta):
        name = "alert_states"

    alert_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    subject_name = UnicodeAttribute()
    list_key = UnicodeAttribute()
    list_entity_id = UnicodeAttribute()
    score = NumberAttribute()
    status = UnicodeAttribute()
    status_key = UnicodeAttribute()
    proposal = JSONAttribute(null=True)  # {outcome, rationale, by, by_name, at}
    decision = JSONAttribute(null=True)  # {outcome, rationale, by, by_name, at, proposal_by}
    memory = JSONAttribute(null=True)  # {subject_fingerprint, entity_fingerprint, subject, entity, at, by}
    reopened = JSONAttribute(null=True)  # {at, reason, changes}
    delisted = JSONAttribute(null=True)  # {list_version_id, at}: the entry left the list
    entity_key = UnicodeAttribute(null=True)  # "<list_key>:<list_entity_id>"
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_key = UnicodeAttribute()
    version = VersionAttribute()

    by_customer = AlertStateByCustomerIndex()
    by_status = AlertStateByStatusIndex()
    by_entity = AlertStateByEntityIndex()

    def status_set(self, status: str, now: Any) -> None:
        self.status = status
        self.status_key = f"{status}#{self.alert_id}"
        self.updated_at = now
        self.updated_key = f"{now.isoformat()}#{self.alert_id}"

    def as_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "status": self.status, "proposal": self.proposal,
                "decision": self.decision, "memory": bool(self.memory), "reopened": self.reopened}


class SubjectByUpdateIndex(GlobalSecondaryIndex["ScreeningSubject"]):
    """The whole book in order of change (one partition: the book index reads it once, then only what changed)."""

    class Meta:
        index_name = "by-update"
        projection = AllProjection()

    book = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class ScreeningSubject(CddModel):
    """A subject's screened fields as its latest run read them (``removed``: the party is gone)."""

    class Meta(TableMeta):
        name = "screening_subjects"
        kind = "alerts"

    subject_key = UnicodeAttribute(hash_key=True)  # "<customer_id>#<subject_id>"
    customer_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    name = UnicodeAttribute()
    inputs = JSONAttribute()
    removed = BooleanAttribute(default=False)
    book = UnicodeAttribute(default=BOOK)
    updated_key = UnicodeAttribute()  # "<iso time>#<subject_key>"

    by_update = SubjectByUpdateIndex()


class RescreenJob(CddModel):
    """A full re-screening of the book: who asked and why, and how far it is (``job_id`` ``_config``: the
    screening configuration the book was last fully screened under).

    | question | served by |
    |---|---|
    | the jobs, newest first (admin Re-screening page) | Query ``kind`` = ``job``, descending ``job_id`` (ULIDs) |
    | one job (its page, the CLI's ``--watch``) | GetItem (``job``, ``job_id``) |
    | the configuration last screened (beat's check) | GetItem (``config``, ``_config``) |
    | how many of a job's requests are screened | Query ``kind`` = ``count#<job_id>`` (its counter shards) |
    """

    class Meta(TableMeta):
        name = "rescreen_jobs"

    kind = UnicodeAttribute(hash_key=True)  # "job" | "config" | "count#<job_id>"
    job_id = UnicodeAttribute(range_key=True)  # "rs_<ulid>", "_config", or a counter shard "s00".."s07"
    reason = UnicodeAttribute(null=True)
    trigger = UnicodeAttribute(null=True)  # manual | configuration_changed
    requested_by = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # recording | screening | done
    subjects = NumberAttribute(default=0)  # subjects of the book found so far
    requested = NumberAttribute(default=0)  # screening requests recorded
    screened = NumberAttribute(default=0)  # requests screened (on a counter shard; jobs before shards: here)
    chunks = NumberAttribute(default=0)
    config = JSONAttribute(null=True)  # algorithm, threshold, lists
    fingerprint = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    recorded_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
