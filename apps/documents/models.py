"""Documents' metadata, the requirements matrix, requests for information and trigger events.

The files themselves live in S3 (``CDD_DOCUMENTS_BUCKET``: versioned, SSE-KMS, never public):
``customers/<customer_id>/documents/<document_id>`` for the current and previous versions of a
document (S3 object versions), ``customers/<customer_id>/requests/<request_id>.pdf`` for letters,
and ``incoming/<upload id>`` for presigned uploads not yet completed (a sweeper deletes stale ones).

Table ``documents`` -- one item per document of a customer (or of one of its related parties).

| question | served by |
|---|---|
| a customer's documents (API list, checklist gap, case page) | Query ``customer_id`` |
| one document (detail, status change, download link) | GetItem ``customer_id`` + ``document_id`` |
| documents that expire on or before a day (daily expiry job, "expiring soon") | Query ``DocumentByExpiryIndex`` per bucket, ``expiry_key <= day`` |

``expiry_bucket`` is sparse: it is set only while a document is ``received`` or ``verified``
and has an expiry date, and removed when it expires, is rejected, waived or replaced by a file
without a date -- so the index holds only documents that can still expire and the daily job
never reads the rest. The bucket is ``exp#<n>`` with ``n`` = a hash of the document id modulo
``EXPIRY_BUCKETS``, which spreads the writes over a few partitions; the job queries each.

Table ``document_requirements`` -- the matrix an analyst edits.

| question | served by |
|---|---|
| the rules for a customer type and CDD level (gap, API list) | Query ``rule_key = "<type>#<level>"`` |
| one rule | GetItem ``rule_key`` + ``requirement_key = "<jurisdiction>#<code>"`` |

Table ``document_requests`` -- requests for information sent to a customer.

| question | served by |
|---|---|
| a customer's requests | Query ``customer_id`` |
| one request (letter link) | GetItem ``customer_id`` + ``request_id`` |
| open requests due by a day (daily reminders) | Query ``DocumentRequestByDueIndex`` (``open_bucket = "open"``, ``due_key <= day``), sparse |

Table ``document_waivers`` -- an analyst's explicit waiver of one requirement of one customer's checklist.

| question | served by |
|---|---|
| a customer's waivers (checklist, case page, case submission) | Query ``customer_id`` |
| one waiver (record, withdraw) | GetItem ``customer_id`` + ``code`` (the requirement's code) |

One item per customer and requirement: a withdrawn waiver stays (``state = withdrawn``) until the
requirement is waived again; every waiver and withdrawal is also in the audit trail, on the waiver's
chain and on the customer's.

Table ``document_triggers`` -- events for the reviews app (a document expired: a review may be due).

| question | served by |
|---|---|
| open triggers, oldest first (reviews app picks them up) | Query ``DocumentTriggerByStateIndex`` (``state = "open"``) |
| one trigger (acknowledge it) | GetItem ``trigger_id`` |
"""

from __future__ import annotations

import zlib

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta

EXPIRY_BUCKETS = 4

REQUESTED = "requested"
PENDING_SCAN = "pending_scan"  # stored, awaiting the malware scanner's result: not evidence, not downloadable
RECEIVED = "received"
VERIFIED = "verified"
REJECTED = "rejected"
EXPIRED = "expired"
WAIVED = "waived"
INFECTED = "infected"  # the scanner found malware: kept (unreadable) for investigation, never downloadable
STATUSES = (REQUESTED, PENDING_SCAN, RECEIVED, VERIFIED, REJECTED, EXPIRED, WAIVED, INFECTED)

INDIVIDUAL = "individual"
LEGAL_ENTITY = "legal_entity"
CUSTOMER_TYPES = (INDIVIDUAL, LEGAL_ENTITY)
CDD_LEVELS = ("simplified", "standard", "enhanced")

DOCUMENT_TYPES: dict[str, str] = {
    "passport": "Passport",
    "national_id_card": "National identity card",
    "driving_licence": "Driving licence",
    "residence_permit": "Residence permit",
    "proof_of_address": "Proof of address (utility bill or bank statement, under 3 months old)",
    "certificate_of_incorporation": "Certificate of incorporation",
    "articles_of_association": "Articles of association",
    "register_of_shareholders": "Register of shareholders",
    "register_of_directors": "Register of directors",
    "register_of_psc": "Register of persons with significant control",
    "financial_statements": "Latest audited financial statements",
    "source_of_wealth": "Evidence of source of wealth",
    "source_of_funds": "Evidence of source of funds",
    "power_of_attorney": "Power of attorney",
    "other": "Other document",
}


def document_type_label(document_type: str) -> str:
    """What a person calls a document type (a code outside the catalogue: its words)."""
    return DOCUMENT_TYPES.get(document_type, document_type.replace("_", " "))


def expiry_bucket_for(document_id: str) -> str:
    return f"exp#{zlib.crc32(document_id.encode()) % EXPIRY_BUCKETS}"


class DocumentByExpiryIndex(GlobalSecondaryIndex["Document"]):
    """Which documents that can still expire do so on or before a given day?"""

    class Meta:
        index_name = "by-expiry"
        projection = AllProjection()

    expiry_bucket = UnicodeAttribute(hash_key=True)
    expiry_key = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<document_id>"


class FileVersion(MapAttribute[str, object]):
    """A file a document held before it was replaced (its S3 object version stays in the bucket)."""

    s3_version_id = UnicodeAttribute(null=True)
    sha256 = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    filename = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute(null=True)
    uploaded_at = UTCDateTimeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # the status the document had when this file was replaced


class Document(CddModel):
    class Meta(TableMeta):
        name = "documents"

    customer_id = UnicodeAttribute(hash_key=True)
    document_id = UnicodeAttribute(range_key=True)  # ULID: sorts by creation
    version = VersionAttribute()

    party_type = UnicodeAttribute(default="customer")  # customer | related_party
    party_id = UnicodeAttribute(null=True)  # the related party's id when party_type == related_party
    document_type = UnicodeAttribute()
    issuing_country = UnicodeAttribute(null=True)  # ISO 3166-1 alpha-2
    number = UnicodeAttribute(null=True)  # stored in clear; masked in listings and in the audit trail
    issue_date = UnicodeAttribute(null=True)  # ISO date
    expiry_date = UnicodeAttribute(null=True)  # ISO date
    status = UnicodeAttribute()
    status_reason = UnicodeAttribute(null=True)  # why rejected / waived / expired

    s3_key = UnicodeAttribute(null=True)
    s3_version_id = UnicodeAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    content_type = UnicodeAttribute(null=True)  # detected from the bytes, never taken from the client
    filename = UnicodeAttribute(null=True)  # as the uploader named it (display only)
    scan = JSONAttribute(null=True)  # {"engine", "verdict": clean|infected|no-scan|pending|failed, "signature"}
    links = JSONAttribute(null=True)  # web links (http/https/mailto URI actions) a PDF holds, for the reviewer
    upload_id = UnicodeAttribute(null=True)  # the presigned upload that produced the current file
    uploaded_by = UnicodeAttribute(null=True)  # actor key
    uploaded_at = UTCDateTimeAttribute(null=True)
    verified_by = UnicodeAttribute(null=True)
    verified_at = UTCDateTimeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)  # the request for information that asked for it
    versions = ListAttribute(of=FileVersion, default=list)  # earlier files, oldest first

    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    expiry_bucket = UnicodeAttribute(null=True)  # sparse, see the module docstring
    expiry_key = UnicodeAttribute(null=True)
    by_expiry = DocumentByExpiryIndex()


class DocumentRequirement(CddModel):
    """One line of the matrix: customers of this type and level (in this jurisdiction, or ``*``) need one of ``any_of``."""

    class Meta(TableMeta):
        name = "document_requirements"

    rule_key = UnicodeAttribute(hash_key=True)  # "<customer_type>#<cdd_level>"
    requirement_key = UnicodeAttribute(range_key=True)  # "<jurisdiction or *>#<code>"
    version = VersionAttribute()
    customer_type = UnicodeAttribute()
    cdd_level = UnicodeAttribute()
    jurisdiction = UnicodeAttribute()  # ISO 3166-1 alpha-2 or "*"
    code = UnicodeAttribute()  # e.g. "identity"; a jurisdiction's rule overrides the "*" rule of the same code
    label = UnicodeAttribute()
    any_of = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]  # document types, any one of which satisfies it
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)


class DocumentRequestByDueIndex(GlobalSecondaryIndex["DocumentRequest"]):
    """Which open requests fall due on or before a given day?"""

    class Meta:
        index_name = "by-due"
        projection = AllProjection()

    open_bucket = UnicodeAttribute(hash_key=True)  # "open" while open; removed when closed
    due_key = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<request_id>"


class DocumentRequest(CddModel):
    """A request for information: the documents asked of a customer, by when, and the reminders sent."""

    class Meta(TableMeta):
        name = "document_requests"

    customer_id = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute(range_key=True)
    version = VersionAttribute()
    document_types = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]
    document_ids = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]  # the `requested` documents it opened
    due_date = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")  # open | fulfilled
    letter_text = UnicodeAttribute()
    letter_s3_key = UnicodeAttribute()
    letter_s3_version_id = UnicodeAttribute(null=True)
    reminders = JSONAttribute(default=list)  # [{"days_before": 7, "sent_at": iso, "outstanding": [...]}]
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    open_bucket = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    by_due = DocumentRequestByDueIndex()


class DocumentTriggerByStateIndex(GlobalSecondaryIndex["DocumentTrigger"]):
    """Which triggers has nobody picked up yet, oldest first?"""

    class Meta:
        index_name = "by-state"
        projection = AllProjection()

    state = UnicodeAttribute(hash_key=True)  # open | acknowledged
    created_key = UnicodeAttribute(range_key=True)  # "<iso time>#<trigger_id>"


class DocumentTrigger(CddModel):
    """Something that happened to a document and may need a case (the reviews app's seam)."""

    class Meta(TableMeta):
        name = "document_triggers"

    trigger_id = UnicodeAttribute(hash_key=True)  # "document.expired#<document_id>#<expiry date>": idempotent
    version = VersionAttribute()
    kind = UnicodeAttribute()  # document.expired
    customer_id = UnicodeAttribute()
    document_id = UnicodeAttribute()
    document_type = UnicodeAttribute()
    state = UnicodeAttribute(default="open")
    created_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    acknowledged_by = UnicodeAttribute(null=True)
    acknowledged_at = UTCDateTimeAttribute(null=True)
    by_state = DocumentTriggerByStateIndex()


WAIVER_ACTIVE = "active"
WAIVER_WITHDRAWN = "withdrawn"


class DocumentWaiver(CddModel):
    """An analyst's explicit decision that a customer need not provide one requirement's evidence, and why."""

    class Meta(TableMeta):
        name = "document_waivers"

    customer_id = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)  # the requirement's code, e.g. "address"
    version = VersionAttribute()
    label = UnicodeAttribute()  # the requirement's label when it was waived
    state = UnicodeAttribute(default=WAIVER_ACTIVE)  # active | withdrawn
    reason = UnicodeAttribute()
    waived_by = UnicodeAttribute()  # actor key
    waived_by_name = UnicodeAttribute()
    waived_at = UTCDateTimeAttribute()
    withdrawn_by = UnicodeAttribute(null=True)
    withdrawn_by_name = UnicodeAttribute(null=True)
    withdrawn_at = UTCDateTimeAttribute(null=True)
    withdrawn_reason = UnicodeAttribute(null=True)
