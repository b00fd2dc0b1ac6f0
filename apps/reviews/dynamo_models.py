"""Tables of the risk model (the cases table is in ``models.py``).

Table ``risk_models`` — every version of the customer risk model, and a pointer to the active one.

| question (who asks) | served by |
|---|---|
| the active model (every assessment) | GetItem (``customer``, 0): the pointer, then GetItem of that version |
| every version, newest first (admin Risk model page) | Query ``model`` = ``customer``, descending |
| one version (draft editing, publishing, what-if) | GetItem (``customer``, version) |

Table ``risk_assessments`` — every assessment of a customer, and its current one.

| question | served by |
|---|---|
| a customer's assessments, newest first (API ``/risk``, case page, admin customer page) | Query ``customer_id`` with ``assessment_id`` begins_with ``ra_``, descending |
| a customer's current assessment (the next assessment compares with it) | GetItem (``customer_id``, ``current``) |
| the whole book's current inputs (what-if report, re-rating on a model change) | Query ``RiskCurrentByShardIndex`` per shard (``book_shard`` = ``book#0`` … ``book#15``) |

Table ``risk_overrides`` — manual overrides of a customer's rating (proposed, confirmed by a senior reviewer).

| question | served by |
|---|---|
| a customer's overrides, newest first (API, admin, every assessment) | Query ``customer_id``, descending |
| active overrides that have expired (beat) | Query ``RiskOverrideByExpiryIndex`` (``expiry_bucket`` = ``active``, ``expires_on`` < today) |
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta

MODEL_KEY = "customer"
POINTER_VERSION = 0
DRAFT, PUBLISHED, SUPERSEDED, DISCARDED = "draft", "published", "superseded", "discarded"
CURRENT = "current"
ASSESSMENT_PREFIX = "ra_"
BOOK_SHARDS = 16
PROPOSED, ACTIVE, REJECTED, EXPIRED, WITHDRAWN = "proposed", "active", "rejected", "expired", "withdrawn"


class RiskModelVersion(CddModel):
    """One version of the risk model (its definition is the JSON the scoring reads), or the pointer (version 0)."""

    class Meta(TableMeta):
        name = "risk_models"

    model = UnicodeAttribute(hash_key=True)
    model_version = NumberAttribute(range_key=True)
    status = UnicodeAttribute(null=True)  # draft | published | superseded | discarded (None on the pointer)
    definition = JSONAttribute(null=True)
    note = UnicodeAttribute(null=True)  # what changed and why, by its author
    created_by = UnicodeAttribute(null=True)
    created_by_name = UnicodeAttribute(null=True)
    edited_by = ListAttribute(of=UnicodeAttribute, default=list)  # everyone who changed the draft
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    published_by = UnicodeAttribute(null=True)
    published_by_name = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    whatif = JSONAttribute(null=True)  # the last what-if report against the active version
    active_version = NumberAttribute(null=True)  # on the pointer only
    lock = VersionAttribute()

    def as_dict(self) -> dict[str, Any]:
        return {"version": int(self.model_version), "status": self.status, "note": self.note,
                "created_by": self.created_by, "edited_by": list(self.edited_by or []),
                "published_by": self.published_by}


class RiskCurrentByShardIndex(GlobalSecondaryIndex["RiskAssessment"]):
    """Every customer's current risk inputs, spread over a fixed number of shards (the book, for batch work)."""

    class Meta:
        index_name = "by-book-shard"
        projection = AllProjection()

    book_shard = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)


class RiskAssessment(CddModel):
    """One assessment of a customer (``ra_<ulid>``), or its current one (``current``, a copy that the book index holds)."""

    class Meta(TableMeta):
        name = "risk_assessments"

    customer_id = UnicodeAttribute(hash_key=True)
    assessment_id = UnicodeAttribute(range_key=True)
    model_version = NumberAttribute()
    trigger = UnicodeAttribute()
    inputs = JSONAttribute()  # what the model read (RiskInputs), so the assessment can be replayed
    inputs_fingerprint = UnicodeAttribute()
    result = JSONAttribute()  # score, score_rating, rating, factors with their contributions, overrides applied
    score = NumberAttribute()
    model_rating = UnicodeAttribute()  # what the model says, before a manual override
    rating = UnicodeAttribute()  # what the customer carries
    cdd_level = UnicodeAttribute()
    next_review_date = UnicodeAttribute(null=True)
    previous_rating = UnicodeAttribute(null=True)
    manual_override = JSONAttribute(null=True)  # the confirmed override that set the rating, if any
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    current_id = UnicodeAttribute(null=True)  # on the current item: the assessment it copies
    book_shard = UnicodeAttribute(null=True)  # on the current item only (sparse book index)
    version = VersionAttribute()

    by_book_shard = RiskCurrentByShardIndex()

    def as_dict(self) -> dict[str, Any]:
        return {"assessment_id": self.current_id or self.assessment_id, "customer_id": self.customer_id,
                "model_version": int(self.model_version), "trigger": self.trigger, "score": float(self.score),
                "model_rating": self.model_rating, "rating": self.rating, "cdd_level": self.cdd_level,
                "next_review_date": self.next_review_date, "previous_rating": self.previous_rating,
                "manual_override": self.manual_override, "inputs": self.inputs, "result": self.result,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "created_by": self.created_by}


class RiskOverrideByExpiryIndex(GlobalSecondaryIndex["RiskOverride"]):
    """Which active overrides expire before a day? (sparse: active overrides only)"""

    class Meta:
        index_name = "by-expiry"
        projection = AllProjection()

    expiry_bucket = UnicodeAttribute(hash_key=True)
    expires_on = UnicodeAttribute(range_key=True)


class RiskOverride(CddModel):
    """A manual rating for a customer with its reason: proposed by an analyst, confirmed by a senior reviewer."""

    class Meta(TableMeta):
        name = "risk_overrides"

    customer_id = UnicodeAttribute(hash_key=True)
    override_id = UnicodeAttribute(range_key=True)  # "ro_<ulid>"
    status = UnicodeAttribute()  # proposed | active | rejected | expired | withdrawn
    rating = UnicodeAttribute()
    reason = UnicodeAttribute()
    expires_on = UnicodeAttribute()  # YYYY-MM-DD
    proposed_by = UnicodeAttribute()
    proposed_by_name = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_by_name = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    decided_at = UTCDateTimeAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)  # "active" while active (sparse index)
    version = VersionAttribute()

    by_expiry = RiskOverrideByExpiryIndex()

    def as_dict(self) -> dict[str, Any]:
        return {"override_id": self.override_id, "customer_id": self.customer_id, "status": self.status,
                "rating": self.rating, "reason": self.reason, "expires_on": self.expires_on,
                "proposed_by": self.proposed_by_name, "decided_by": self.decided_by_name,
                "decision_reason": self.decision_reason}
