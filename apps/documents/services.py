"""Every write of the documents app: uploads, status changes, requests, expiry, requirements.

Each state change commits with its audit event in one DynamoDB transaction
(``audit_event_record``). Files reach S3 only after they passed every check, and a record is
written only after its file is in S3; when the record cannot be written, the object version the
attempt created is deleted again, so a failed upload leaves neither a record nor an object.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core import signing
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record, audit_read_record
from apps.core.dynamo import cancellation_codes, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    FourEyesViolation,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
    UnsupportedMedia,
    ValidationFailed,
)
from apps.core.outbox import outbox_done_write, outbox_item_new, outbox_put, outbox_send
from apps.core.roles import ANALYST
from apps.documents import checks, storage
from apps.documents.customers_port import (
    CustomerSummary,
    customer_get_summary,
    document_expired_followups,
    related_party_exists,
)
from apps.documents.letters import request_letter_text, text_pdf
from apps.documents.models import (
    CDD_LEVELS,
    CUSTOMER_TYPES,
    DOCUMENT_TYPES,
    EXPIRED,
    EXPIRY_BUCKETS,
    INFECTED,
    PENDING_SCAN,
    RECEIVED,
    REJECTED,
    REQUESTED,
    VERIFIED,
    WAIVED,
    WAIVER_ACTIVE,
    WAIVER_WITHDRAWN,
    Document,
    DocumentRequest,
    DocumentRequirement,
    DocumentTrigger,
    DocumentWaiver,
    FileVersion,
    expiry_bucket_for,
)
from apps.documents.scanning import (
    CLEAN,
    FAILED,
    PENDING,
    ScannerUnavailable,
    ScanVerdict,
    scanner_for,
    scanner_get,
)
from apps.documents.scanning import INFECTED as VERDICT_INFECTED
from apps.documents.selectors import requirements_applicable

logger = logging.getLogger(__name__)

UPLOAD_SALT = "apps.documents.upload"
MAX_REQUESTED_TYPES = 20
SPOOL_BYTES = 8 * 1024 * 1024


class DocumentRejected(DomainError):
    """A file failed a check that is not about its type or size (checksum, polyglot, PDF content, malware)."""

    status = 422
    code = "document_rejected"


class DocumentQuarantined(DomainError):
    """The document's file awaits its malware scan (``scan_pending``) or the scanner found malware (``malware_found``)."""

    status = 409
    code = "scan_pending"


class ScanNotFinished(Exception):
    """The asynchronous scanner has not reported on a file yet: the outbox item is retried."""


class FileMissing(DomainError):
    """A document record points at a file version that storage does not hold."""

    status = 409
    code = "file_missing"


def rejection_error(rejection: checks.Rejection) -> DomainError:
    """A check's rejection as the domain error the API maps to 413, 415 or 422."""
    cls: type[DomainError] = {413: PayloadTooLarge, 415: UnsupportedMedia}.get(rejection.status, DocumentRejected)
    return cls(rejection.reason, errors={"file": [rejection.reason]}, code=rejection.code)


# --- metadata ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentMeta:
    """What the uploader says about a document (the file's facts come from the checks)."""

    document_type: str
    issuing_country: str | None = None
    number: str | None = None
    issue_date: date | None = None
    expiry_date: date | None = None
    party_type: str = "customer"
    party_id: str | None = None


_COUNTRY = re.compile(r"^[A-Z]{2}$")


def meta_validate(*, meta: DocumentMeta, customer: CustomerSummary, today: date | None = None) -> None:
    """Field-level errors for metadata that cannot be right."""
    today = today or utcnow().date()
    errors: dict[str, list[str]] = {}
    if meta.document_type not in DOCUMENT_TYPES:
        errors["document_type"] = [f"Unknown document type {meta.document_type!r}; one of {', '.join(DOCUMENT_TYPES)}."]
    if meta.issuing_country is not None and not _COUNTRY.match(meta.issuing_country):
        errors["issuing_country"] = ["Use an ISO 3166-1 alpha-2 code in capitals, e.g. GB."]
    if meta.number is not None and not (1 <= len(meta.number) <= 64):
        errors["number"] = ["Between 1 and 64 characters."]
    if meta.issue_date is not None and meta.issue_date > today:
        errors["issue_date"] = ["The issue date is in the future."]
    if meta.issue_date and meta.expiry_date and meta.expiry_date < meta.issue_date:
        errors["expiry_date"] = ["The expiry date is before the issue date."]
    if meta.party_type not in ("customer", "related_party"):
        errors["party_type"] = ["Either 'customer' or 'related_party'."]
    elif meta.party_type == "related_party":
        if not meta.party_id:
            errors["party_id"] = ["Required when party_type is related_party."]
        elif not related_party_exists(customer_id=customer.customer_id, party_id=meta.party_id):
            errors["party_id"] = [f"{meta.party_id} is not a related party of customer {customer.customer_id}."]
    elif meta.party_id:
        errors["party_id"] = ["Only for party_type related_party."]
    if errors:
        raise ValidationFailed("The document's details are not valid: check " + ", ".join(sorted(errors)) + ".",
                               errors=errors)


def document_audit_view(document: Document) -> dict[str, Any]:
    """The fields an audit event compares (``number`` is masked by the audit service)."""
    return {
        "customer_id": document.customer_id, "party_type": document.party_type, "party_id": document.party_id,
        "document_type": document.document_type, "issuing_country": document.issuing_country,
        "number": document.number, "issue_date": document.issue_date, "expiry_date": document.expiry_date,
        "status": document.status, "status_reason": document.status_reason, "sha256": document.sha256,
        "size": document.size, "content_type": document.content_type, "s3_version_id": document.s3_version_id,
        "scan": document.scan, "links": document.links, "verified_by": document.verified_by,
    }


def document_quarantine_check(document: Document) -> None:
    """Refuse to hand out or rely on a file that is not scanned clean yet, or that holds malware."""
    if document.status == INFECTED or (document.scan or {}).get("verdict") == VERDICT_INFECTED:
        reason = (f"Document {document.document_id} was refused: the malware scanner found malware in its file "
                  "(it cannot be downloaded or used as evidence); ask the customer for a clean copy.")
        raise DocumentQuarantined(reason, errors={"status": ["refused: malware found"]}, code="malware_found")
    if document.status == PENDING_SCAN:
        reason = (f"Document {document.document_id} is awaiting its malware scan; it can be opened once the "
                  "scanner reports it clean (usually within minutes).")
        raise DocumentQuarantined(reason, errors={"status": ["The file is awaiting its malware scan."]},
                                  code="scan_pending")


def _expiry_index_set(document: Document) -> None:
    """Keep the sparse expiry index in step with status and expiry date."""
    if document.status in (RECEIVED, VERIFIED) and document.expiry_date:
        document.expiry_bucket = expiry_bucket_for(document.document_id)
        document.expiry_key = f"{document.expiry_date}#{document.document_id}"
    else:
        document.expiry_bucket = None
        document.expiry_key = None


def _document_get(*, customer_id: str, document_id: str) -> Document:
    try:
        return Document.get(customer_id, document_id, consistent_read=True)
    except Document.DoesNotExist as exc:
        raise NotFound(f"No document {document_id} for customer {customer_id}.") from exc


def _commit(*, entry: AuditEntry, writes: list[Callable[[TransactWrite], None]], what: str) -> None:
    """Run the writes with their audit event; a failed condition of ours becomes a 409."""
    try:
        audit_event_record(entry=entry, writes=writes)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if any(code == "ConditionalCheckFailed" for code in codes[: len(writes)]):
            raise Conflict(f"{what} changed while you were working on it; reload and try again.") from exc
        raise


# --- files ------------------------------------------------------------------------------------------


def file_accept(*, stream: IO[bytes], max_bytes: int, declared_size: int | None = None,
                declared_sha256: str | None = None) -> tuple[checks.FileFacts, ScanVerdict]:
    """Run every check and the malware scan; the facts and verdict of an accepted file."""
    size = stream.seek(0, 2)
    stream.seek(0)
    if size > max_bytes:  # before reading it into memory
        raise rejection_error(checks.Rejection("too_large", 413, f"The file is {size} bytes; the limit is {max_bytes} bytes."))
    try:
        facts = checks.file_check(stream=stream, max_bytes=max_bytes, allowed=settings.CDD_DOCUMENTS_ALLOWED_TYPES,
                                  declared_size=declared_size, declared_sha256=declared_sha256)
    except checks.Rejection as rejection:
        raise rejection_error(rejection) from None
    stream.seek(0)
    try:
        verdict = scanner_get().scan(stream.read())
    except ScannerUnavailable as exc:
        raise ServiceUnavailable(f"{exc} The file was not accepted; try again later.") from exc
    finally:
        stream.seek(0)
    if verdict.verdict == VERDICT_INFECTED:
        reason = f"The malware scanner found {verdict.signature}; the file was not stored."
        raise DocumentRejected(reason, errors={"file": [reason]}, code="malware")
    return facts, verdict


def _file_commit(*, customer_id: str, document_id: str, existing: Document | None, meta: DocumentMeta | None,
                 facts: checks.FileFacts, verdict: ScanVerdict, key: str, version_id: str | None,
                 filename: str | None, upload_id: str | None, actor: Actor) -> Document:
    """Write the record of a file now in S3 (new document, requested one fulfilled, or a replacement).

    A file the scanner checks asynchronously is handed to it first; its result arrives through the
    ``documents.scan_result`` outbox item recorded here.
    """
    if verdict.verdict == PENDING:
        scanner_for(verdict.engine).submit(key=key, version_id=version_id)
    now = utcnow()
    if existing is None:
        assert meta is not None
        document = Document(customer_id, document_id, created_at=now, versions=[])
        before = None
        action = "document.uploaded"
    else:
        document = existing
        before = document_audit_view(existing)
        action = "document.replaced" if existing.s3_key else "document.uploaded"
        if existing.s3_key and existing.sha256:
            document.versions = [*(existing.versions or []), FileVersion(
                s3_version_id=existing.s3_version_id, sha256=existing.sha256, size=existing.size or 0,
                content_type=existing.content_type or "", filename=existing.filename,
                uploaded_by=existing.uploaded_by, uploaded_at=existing.uploaded_at, status=existing.status)]
    if meta is not None:
        document.party_type = meta.party_type
        document.party_id = meta.party_id
        document.document_type = meta.document_type
        document.issuing_country = meta.issuing_country
        document.number = meta.number
        document.issue_date = meta.issue_date.isoformat() if meta.issue_date else None
        document.expiry_date = meta.expiry_date.isoformat() if meta.expiry_date else None
    pending = verdict.verdict == PENDING
    document.status = PENDING_SCAN if pending else RECEIVED
    document.status_reason = None
    document.s3_key = key
    document.s3_version_id = version_id
    document.sha256 = facts.sha256
    document.size = facts.size
    document.content_type = facts.content_type
    document.filename = filename
    document.scan = verdict.as_dict()
    document.links = list(facts.links) or None
    document.upload_id = upload_id
    document.uploaded_by = actor.key
    document.uploaded_at = now
    document.verified_by = None
    document.verified_at = None
    document.updated_at = now
    _expiry_index_set(document)
    followups = [outbox_item_new(topic="documents.scan_result", group_key=customer_id, payload={
        "customer_id": customer_id, "document_id": document_id, "s3_key": key, "s3_version_id": version_id,
        "engine": verdict.engine})] if pending else []
    _commit(
        entry=AuditEntry(actor=actor, action=action, object_type="document", object_id=document_id,
                         before=before, after=document_audit_view(document),
                         data={"customer_id": customer_id, "filename": filename, "upload_id": upload_id,
                               "followups": [f.outbox_id for f in followups]}),
        writes=[lambda tx: tx.save(document), *(outbox_put(f) for f in followups)],
        what=f"Document {document_id}",
    )
    outbox_send(followups)
    return document


def document_upload(*, customer_id: str, file: IO[bytes], filename: str | None, meta: DocumentMeta | None,
                    actor: Actor, document_id: str | None = None) -> Document:
    """Check a file sent through the API and store it as a new document, or as a new file of ``document_id``."""
    customer = customer_get_summary(customer_id=customer_id)
    existing = _document_get(customer_id=customer_id, document_id=document_id) if document_id else None
    if existing is None and meta is None:
        raise ValidationFailed("A new document needs its details.", errors={"document_type": ["This field is required."]})
    if meta is not None:
        meta_validate(meta=meta, customer=customer)
    facts, verdict = file_accept(stream=file, max_bytes=settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES)
    document_id = document_id or str(ULID())
    key = storage.document_key(customer_id=customer_id, document_id=document_id)
    version_id = storage.object_put(key=key, body=file, content_type=facts.content_type, sha256=facts.sha256)
    try:
        return _file_commit(customer_id=customer_id, document_id=document_id, existing=existing, meta=meta,
                            facts=facts, verdict=verdict, key=key, version_id=version_id, filename=filename,
                            upload_id=None, actor=actor)
    except BaseException:
        storage.object_version_delete(key=key, version_id=version_id)
        raise


# --- presigned uploads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadTicket:
    upload_id: str  # signed: names the customer, document, declared size and checksum, and who started it
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_bytes: int


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def document_upload_start(*, customer_id: str, meta: DocumentMeta | None, filename: str | None, size: int,
                          sha256: str, actor: Actor, document_id: str | None = None) -> UploadTicket:
    """A presigned POST for a large file; nothing is recorded until ``document_upload_complete`` checks it."""
    customer = customer_get_summary(customer_id=customer_id)
    if document_id:
        _document_get(customer_id=customer_id, document_id=document_id)
    elif meta is None:
        raise ValidationFailed("A new document needs its details.", errors={"document_type": ["This field is required."]})
    if meta is not None:
        meta_validate(meta=meta, customer=customer)
    sha256 = sha256.lower()
    if not _SHA256.match(sha256):
        raise ValidationFailed("The checksum is not valid.", errors={"sha256": ["64 hexadecimal characters (SHA-256)."]})
    limit = settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES
    if size <= 0:
        raise ValidationFailed("The size is not valid.", errors={"size": ["Must be at least 1 byte."]})
    if size > limit:
        raise PayloadTooLarge(f"The file is {size} bytes; the limit is {limit} bytes.",
                              errors={"size": [f"At most {limit} bytes."]}, code="too_large")
    nonce = str(ULID())
    key = storage.incoming_key(upload_id=nonce)
    post, expires_at = storage.upload_post(key=key, max_bytes=size)
    payload = {
        "n": nonce, "c": customer_id, "d": document_id or str(ULID()), "new": document_id is None,
        "s": size, "h": sha256, "f": filename, "by": actor.key,
        "m": None if meta is None else {
            "document_type": meta.document_type, "issuing_country": meta.issuing_country, "number": meta.number,
            "issue_date": meta.issue_date.isoformat() if meta.issue_date else None,
            "expiry_date": meta.expiry_date.isoformat() if meta.expiry_date else None,
            "party_type": meta.party_type, "party_id": meta.party_id,
        },
    }
    token = signing.dumps(payload, salt=UPLOAD_SALT, compress=True)
    return UploadTicket(upload_id=token, url=post["url"], fields=dict(post["fields"]), expires_at=expires_at,
                        max_bytes=size)


def _ticket_read(*, upload_id: str) -> dict[str, Any]:
    try:
        return dict(signing.loads(upload_id, salt=UPLOAD_SALT,
                                  max_age=settings.CDD_DOCUMENTS_URL_SECONDS + 3600))
    except signing.SignatureExpired as exc:
        raise ValidationFailed("This upload has expired; start a new one.",
                               errors={"upload_id": ["Expired."]}, code="upload_expired") from exc
    except signing.BadSignature as exc:
        raise ValidationFailed("This upload id is not one we issued.",
                               errors={"upload_id": ["Not valid."]}) from exc


def document_upload_complete(*, customer_id: str, upload_id: str, actor: Actor) -> Document:
    """Check what actually arrived at the presigned URL; only then record the document as received."""
    ticket = _ticket_read(upload_id=upload_id)
    if ticket["c"] != customer_id:
        raise ValidationFailed("This upload belongs to another customer.", errors={"upload_id": ["Other customer."]})
    if ticket["by"] != actor.key:
        raise Forbidden("Only whoever started an upload may complete it.")
    document_id = ticket["d"]
    existing: Document | None = None
    if not ticket["new"]:
        existing = _document_get(customer_id=customer_id, document_id=document_id)
    else:
        try:
            existing = Document.get(customer_id, document_id, consistent_read=True)
        except Document.DoesNotExist:
            existing = None
    if existing is not None and existing.upload_id == ticket["n"]:
        return existing  # completed before: answer the same
    if ticket["new"] and existing is not None:
        raise Conflict(f"Document {document_id} exists already.")
    incoming = storage.incoming_key(upload_id=ticket["n"])
    head = storage.object_head(key=incoming)
    if head is None:
        reason = "Nothing arrived at the upload URL; send the file there first, then complete the upload."
        raise DocumentRejected(reason, errors={"file": [reason]}, code="upload_missing")
    try:
        arrived = int(head["ContentLength"])
        if arrived > settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES:
            raise rejection_error(checks.Rejection("too_large", 413, f"The file is {arrived} bytes; the limit is "
                                                   f"{settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES} bytes."))
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            storage.object_read(key=incoming, out=spool)  # type: ignore[arg-type]
            facts, verdict = file_accept(stream=spool, max_bytes=settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES,  # type: ignore[arg-type]
                                         declared_size=int(ticket["s"]), declared_sha256=ticket["h"])
        meta = _meta_from_ticket(ticket["m"])
        if meta is not None:
            meta_validate(meta=meta, customer=customer_get_summary(customer_id=customer_id))
        key = storage.document_key(customer_id=customer_id, document_id=document_id)
        version_id = storage.object_copy(source_key=incoming, key=key, content_type=facts.content_type,
                                         sha256=facts.sha256)
        try:
            document = _file_commit(customer_id=customer_id, document_id=document_id, existing=existing, meta=meta,
                                    facts=facts, verdict=verdict, key=key, version_id=version_id,
                                    filename=ticket["f"], upload_id=ticket["n"], actor=actor)
        except BaseException:
            storage.object_version_delete(key=key, version_id=version_id)
            raise
    finally:
        storage.object_versions_purge(key=incoming)
    return document


def _meta_from_ticket(raw: dict[str, Any] | None) -> DocumentMeta | None:
    if raw is None:
        return None
    return DocumentMeta(
        document_type=raw["document_type"], issuing_country=raw["issuing_country"], number=raw["number"],
        issue_date=date.fromisoformat(raw["issue_date"]) if raw["issue_date"] else None,
        expiry_date=date.fromisoformat(raw["expiry_date"]) if raw["expiry_date"] else None,
        party_type=raw["party_type"], party_id=raw["party_id"],
    )


def documents_incoming_sweep(*, older_than: timedelta | None = None) -> int:
    """Delete presigned uploads nobody completed (offline housekeeping: lists the ``incoming/`` prefix)."""
    cutoff = utcnow() - (older_than or timedelta(seconds=settings.CDD_DOCUMENTS_URL_SECONDS + 3600))
    stale = {entry["Key"] for entry in storage.object_versions_list(prefix=storage.INCOMING_PREFIX)
             if entry["LastModified"] < cutoff}
    return sum(storage.object_versions_purge(key=key) for key in stale)


# --- malware scan results --------------------------------------------------------------------------

SCAN_ACTOR = "documents.scan"


def document_scan_record(*, customer_id: str, document_id: str, s3_version_id: str | None, verdict: ScanVerdict,
                         item: OutboxItem | None = None, document: Document | None = None) -> Document | None:
    """Record the scanner's verdict on a pending file: clean -> received, malware -> infected, failed -> rejected.

    Only the file the scan was for moves on (a replacement uploaded meanwhile waits for its own);
    the outbox item, when given, is marked done in the same transaction (its version condition guards a
    concurrent change of ``document``, when the caller has read it already). None when nothing was due.
    """
    document = document or _document_get(customer_id=customer_id, document_id=document_id)
    if document.status != PENDING_SCAN or document.s3_version_id != s3_version_id:
        return None
    before = document_audit_view(document)
    if verdict.verdict == CLEAN:
        document.status, document.status_reason, action = RECEIVED, None, "document.scan_clean"
    elif verdict.verdict == VERDICT_INFECTED:
        document.status, action = INFECTED, "document.scan_infected"
        document.status_reason = (f"Refused: the malware scanner ({verdict.engine}) found malware "
                                  f"({verdict.signature or 'threats found'}). The file is kept in quarantine "
                                  "and cannot be downloaded; ask the customer for a clean copy.")
    else:
        document.status, action = REJECTED, "document.scan_failed"
        document.status_reason = (f"The malware scan could not complete ({verdict.signature or verdict.verdict}); "
                                  "the file is not used. Upload it again, or a copy in another format.")
    document.scan = verdict.as_dict()
    document.updated_at = utcnow()
    _expiry_index_set(document)
    writes: list[Callable[[TransactWrite], None]] = [lambda tx: tx.save(document)]
    if item is not None:
        writes.append(outbox_done_write(item, {"status": document.status}))
    _commit(
        entry=AuditEntry(actor=Actor.system(SCAN_ACTOR), action=action, object_type="document",
                         object_id=document_id, before=before, after=document_audit_view(document),
                         reason=document.status_reason, data={"customer_id": customer_id,
                                                              "s3_version_id": s3_version_id}),
        writes=writes,
        what=f"Document {document_id}",
    )
    return document


def document_scan_result_process(*, item: OutboxItem) -> dict[str, Any] | None:
    """Outbox handler (``documents.scan_result``): read the scanner's result of one stored file and record it.

    Raises ``ScanNotFinished`` while the scanner has not reported (the item is retried with backoff
    and re-sent by the sweep); after ``CDD_DOCUMENTS_SCAN_TIMEOUT_SECONDS`` the file is refused as
    not scanned, so a document never waits forever and is never let through unscanned.
    """
    payload = item.payload
    try:
        document = _document_get(customer_id=payload["customer_id"], document_id=payload["document_id"])
    except NotFound:
        return {"outcome": "document gone"}
    if document.status != PENDING_SCAN or document.s3_version_id != payload["s3_version_id"]:
        return {"outcome": "nothing due"}
    verdict = scanner_for(payload["engine"]).result(key=payload["s3_key"], version_id=payload["s3_version_id"])
    if verdict is None:
        waited = utcnow() - item.created_at
        limit = timedelta(seconds=int(settings.CDD_DOCUMENTS_SCAN_TIMEOUT_SECONDS))
        if waited < limit:
            raise ScanNotFinished(f"The malware scanner ({payload['engine']}) has not reported on document "
                                  f"{payload['document_id']} yet (waiting {int(waited.total_seconds())} s).")
        verdict = ScanVerdict(engine=payload["engine"], verdict=FAILED,
                              signature=f"no result within {int(limit.total_seconds())} s")
    recorded = document_scan_record(customer_id=payload["customer_id"], document_id=payload["document_id"],
                                    s3_version_id=payload["s3_version_id"], verdict=verdict, item=item,
                                    document=document)
    return {"status": recorded.status if recorded else "nothing due"}


# --- status changes ---------------------------------------------------------------------------------


def _status_change(*, customer_id: str, document_id: str, status: str, allowed_from: tuple[str, ...], action: str,
                   actor: Actor, reason: str | None, expected_version: int | None,
                   mutate: Callable[[Document], None] | None = None) -> Document:
    document = _document_get(customer_id=customer_id, document_id=document_id)
    if expected_version is not None and document.version != expected_version:
        raise PreconditionFailed(f"Document {document_id} is at version {document.version}, not {expected_version}; "
                                 "reload it and try again.")
    if document.status not in allowed_from:
        raise Conflict(f"Document {document_id} is {document.status}; only a document that is "
                       f"{' or '.join(allowed_from)} can become {status}.", code="invalid_status")
    before = document_audit_view(document)
    now = utcnow()
    document.status = status
    document.status_reason = reason
    document.updated_at = now
    if mutate:
        mutate(document)
    _expiry_index_set(document)
    _commit(
        entry=AuditEntry(actor=actor, action=action, object_type="document", object_id=document_id, before=before,
                         after=document_audit_view(document), reason=reason, data={"customer_id": customer_id}),
        writes=[lambda tx: tx.save(document)],
        what=f"Document {document_id}",
    )
    return document


def _reason_required(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationFailed("Give a reason.", errors={"reason": ["Required: say why, in a few words."]})
    return reason


def document_verify(*, customer_id: str, document_id: str, actor: Actor, expected_version: int | None = None,
                    today: date | None = None) -> Document:
    """Mark a received document as verified evidence (not if it has already expired)."""
    today = today or utcnow().date()
    document = _document_get(customer_id=customer_id, document_id=document_id)
    document_quarantine_check(document)
    if actor.is_actor(document.uploaded_by):
        raise FourEyesViolation("You uploaded this file; another analyst must verify it (four-eyes).",
                                errors={"document": ["verified by someone other than its uploader"]})
    if document.expiry_date and date.fromisoformat(document.expiry_date) < today:
        reason = f"The document expired on {document.expiry_date}; ask for a current one."
        raise DocumentRejected(reason, errors={"expiry_date": [reason]}, code="document_expired")

    def stamp(doc: Document) -> None:
        doc.verified_by = actor.key
        doc.verified_at = utcnow()

    return _status_change(customer_id=customer_id, document_id=document_id, status=VERIFIED, allowed_from=(RECEIVED,),
                          action="document.verified", actor=actor, reason=None, expected_version=expected_version,
                          mutate=stamp)


def document_reject(*, customer_id: str, document_id: str, reason: str | None, actor: Actor,
                    expected_version: int | None = None) -> Document:
    """Reject a received (or verified) document, saying why."""
    return _status_change(customer_id=customer_id, document_id=document_id, status=REJECTED,
                          allowed_from=(PENDING_SCAN, RECEIVED, VERIFIED), action="document.rejected", actor=actor,
                          reason=_reason_required(reason), expected_version=expected_version)


def document_waive(*, customer_id: str, document_id: str, reason: str | None, actor: Actor,
                   expected_version: int | None = None) -> Document:
    """Waive a document (it counts as satisfied on the checklist), saying why."""
    return _status_change(customer_id=customer_id, document_id=document_id, status=WAIVED,
                          allowed_from=(REQUESTED, RECEIVED, REJECTED, EXPIRED), action="document.waived",
                          actor=actor, reason=_reason_required(reason), expected_version=expected_version)


# --- waivers of a requirement -----------------------------------------------------------------------


def waiver_view(waiver: DocumentWaiver) -> dict[str, Any]:
    return {"customer_id": waiver.customer_id, "code": waiver.code, "label": waiver.label, "state": waiver.state,
            "reason": waiver.reason, "waived_by": waiver.waived_by,
            "waived_at": waiver.waived_at.isoformat() if waiver.waived_at else None,
            "withdrawn_by": waiver.withdrawn_by, "withdrawn_reason": waiver.withdrawn_reason}


def _waiver_write(*, waiver: DocumentWaiver, action: str, actor: Actor, before: dict[str, Any] | None,
                  reason: str) -> None:
    """The waiver and its event, on the waiver's chain and on the customer's (whose timeline shows it)."""
    data = {"customer_id": waiver.customer_id, "code": waiver.code, "label": waiver.label}
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action=action, object_type="document_waiver",
                             object_id=f"{waiver.customer_id}.{waiver.code}", before=before,
                             after=waiver_view(waiver), reason=reason, data=data),
            writes=[lambda tx: tx.save(waiver)],
            also=[AuditEntry(actor=actor, action=action, object_type="customer", object_id=waiver.customer_id,
                             reason=reason, data=data)],
        )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            raise Conflict(f"The waiver of {waiver.label.lower()} changed while you were working on it; reload "
                           "and try again.") from exc
        raise


def requirement_waive(*, customer_id: str, code: str, reason: str | None, actor: Actor) -> DocumentWaiver:
    """Waive one requirement of a customer's checklist, saying why: it counts as satisfied until withdrawn.

    Analyst work. No second person approves the waiver itself: the case it lets through is decided
    by a reviewer who did not prepare it (four-eyes in the reviews app), and that reviewer sees each
    waiver -- who, when, why -- on the checklist of the case they decide.
    """
    if ANALYST not in actor.roles:
        raise Forbidden("Only analysts waive document requirements.")
    reason = _reason_required(reason)
    if len(reason) > 2000:
        raise ValidationFailed("The reason is too long.", errors={"reason": ["At most 2000 characters."]})
    customer = customer_get_summary(customer_id=customer_id)
    rules = {rule.code: rule for rule in requirements_applicable(customer=customer)}
    if code not in rules:
        raise ValidationFailed(f"{code!r} is not a requirement of this customer's checklist.",
                               errors={"code": [f"One of {', '.join(sorted(rules)) or 'none'}."]})
    try:
        waiver = DocumentWaiver.get(customer_id, code, consistent_read=True)
    except DocumentWaiver.DoesNotExist:
        waiver = DocumentWaiver(customer_id, code)
        before = None
    else:
        if waiver.state == WAIVER_ACTIVE:
            raise Conflict(f"{waiver.label} is waived already (by {waiver.waived_by_name}); withdraw that waiver "
                           "first to record another.", code="already_waived")
        before = waiver_view(waiver)
    waiver.label = rules[code].label
    waiver.state = WAIVER_ACTIVE
    waiver.reason = reason
    waiver.waived_by = actor.key
    waiver.waived_by_name = actor.name
    waiver.waived_at = utcnow()
    waiver.withdrawn_by = waiver.withdrawn_by_name = waiver.withdrawn_at = waiver.withdrawn_reason = None
    _waiver_write(waiver=waiver, action="document_requirement.waived", actor=actor, before=before, reason=reason)
    return waiver


def requirement_waiver_withdraw(*, customer_id: str, code: str, reason: str | None, actor: Actor) -> DocumentWaiver:
    """Withdraw a waiver, saying why: the requirement needs its evidence again."""
    if ANALYST not in actor.roles:
        raise Forbidden("Only analysts withdraw waivers.")
    reason = _reason_required(reason)
    try:
        waiver = DocumentWaiver.get(customer_id, code, consistent_read=True)
    except DocumentWaiver.DoesNotExist as exc:
        raise NotFound(f"No waiver of {code} for customer {customer_id}.") from exc
    if waiver.state != WAIVER_ACTIVE:
        raise Conflict(f"The waiver of {waiver.label.lower()} was withdrawn already.", code="invalid_status")
    before = waiver_view(waiver)
    waiver.state = WAIVER_WITHDRAWN
    waiver.withdrawn_by = actor.key
    waiver.withdrawn_by_name = actor.name
    waiver.withdrawn_at = utcnow()
    waiver.withdrawn_reason = reason
    _waiver_write(waiver=waiver, action="document_requirement.waiver_withdrawn", actor=actor, before=before,
                  reason=reason)
    return waiver


def document_download_link(*, customer_id: str, document_id: str, actor: Actor) -> tuple[str, datetime]:
    """A presigned URL for the document's current file; the download is audited before the URL is given."""
    return _file_link(customer_id=customer_id, document_id=document_id, actor=actor, inline=False)


PREVIEWABLE = {checks.PDF: "pdf", "image/jpeg": "image", "image/png": "image"}


def document_preview_link(*, customer_id: str, document_id: str, actor: Actor) -> tuple[str, datetime]:
    """A presigned URL showing the current file in the browser (inline); audited like a download."""
    return _file_link(customer_id=customer_id, document_id=document_id, actor=actor, inline=True)


def _file_link(*, customer_id: str, document_id: str, actor: Actor, inline: bool) -> tuple[str, datetime]:
    """The presigned link of a download (attachment) or a preview (inline), audited before it is given."""
    document = _document_get(customer_id=customer_id, document_id=document_id)
    if not document.s3_key:
        raise Conflict(f"Document {document_id} has no file yet (it is {document.status}).", code="no_file")
    document_quarantine_check(document)
    if inline and document.content_type not in PREVIEWABLE:
        raise UnsupportedMedia(f"A {document.content_type} file cannot be shown in the browser; download it.",
                               code="no_preview")
    # A link to a version that is not there would fail in the user's browser after the read was audited.
    if storage.object_head(key=document.s3_key, version_id=document.s3_version_id) is None:
        logger.error("document %s: stored file %s version %s is missing", document_id, document.s3_key,
                     document.s3_version_id)
        raise FileMissing(
            f"The file of document {document_id} is missing from storage (version {document.s3_version_id}); "
            f"nothing was {'shown' if inline else 'downloaded'}. Tell a platform admin: the document record and "
            "its file disagree.")
    audit_read_record(actor=actor, action="document.previewed" if inline else "document.downloaded",
                      object_type="document", object_id=document_id,
                      data={"customer_id": customer_id, "s3_version_id": document.s3_version_id,
                            "sha256": document.sha256, "expires_in": settings.CDD_DOCUMENTS_URL_SECONDS})
    return storage.download_url(key=document.s3_key, version_id=document.s3_version_id,
                                filename=document.filename or f"{document.document_type}-{document_id}",
                                content_type=document.content_type or "application/octet-stream", inline=inline)


# --- expiry and triggers ----------------------------------------------------------------------------


def documents_expire(*, today: date | None = None, actor: Actor | None = None) -> int:
    """Mark every received/verified document whose expiry date has passed as expired; open a trigger for each."""
    today = today or utcnow().date()
    actor = actor or Actor.system("documents.expire")
    expired = 0
    for bucket in range(EXPIRY_BUCKETS):
        for hit in Document.by_expiry.query(f"exp#{bucket}", Document.expiry_key < today.isoformat()):
            try:
                if document_expire(customer_id=hit.customer_id, document_id=hit.document_id, today=today, actor=actor):
                    expired += 1
            except (Conflict, NotFound) as exc:  # changed meanwhile: the next run sees it again if still due
                logger.info("document %s not expired this run: %s", hit.document_id, exc)
    return expired


def document_expire(*, customer_id: str, document_id: str, today: date, actor: Actor) -> bool:
    """Expire one document if it is still due (safe to run twice); False when there was nothing to do."""
    document = _document_get(customer_id=customer_id, document_id=document_id)
    if document.status not in (RECEIVED, VERIFIED) or not document.expiry_date or \
            date.fromisoformat(document.expiry_date) >= today:
        return False
    before = document_audit_view(document)
    now = utcnow()
    document.status = EXPIRED
    document.status_reason = f"Expired on {document.expiry_date}."
    document.updated_at = now
    _expiry_index_set(document)
    trigger_id = f"document.expired#{document_id}#{document.expiry_date}"
    trigger = DocumentTrigger(trigger_id, kind="document.expired", customer_id=customer_id, document_id=document_id,
                              document_type=document.document_type, state="open",
                              created_key=f"{now.isoformat()}#{trigger_id}", created_at=now)
    followups = document_expired_followups(customer_id=customer_id, document_id=document_id,
                                           document_type=document.document_type, expiry_date=document.expiry_date)
    _commit(
        entry=AuditEntry(actor=actor, action="document.expired", object_type="document", object_id=document_id,
                         before=before, after=document_audit_view(document), reason=document.status_reason,
                         data={"customer_id": customer_id, "trigger_id": trigger_id,
                               "followups": [f.outbox_id for f in followups]}),
        writes=[lambda tx: tx.save(document), lambda tx: tx.save(trigger), *(outbox_put(f) for f in followups)],
        what=f"Document {document_id}",
    )
    outbox_send(followups)
    return True


def document_trigger_acknowledge(*, trigger_id: str, actor: Actor) -> DocumentTrigger:
    """The reviews app took a trigger on (opened a case for it); it leaves the open queue."""
    try:
        trigger = DocumentTrigger.get(trigger_id, consistent_read=True)
    except DocumentTrigger.DoesNotExist as exc:
        raise NotFound(f"No trigger {trigger_id}.") from exc
    if trigger.state != "open":
        return trigger
    trigger.state = "acknowledged"
    trigger.acknowledged_by = actor.key
    trigger.acknowledged_at = utcnow()
    _commit(
        entry=AuditEntry(actor=actor, action="document_trigger.acknowledged", object_type="document_trigger",
                         object_id=trigger_id, before={"state": "open"}, after={"state": "acknowledged"}),
        writes=[lambda tx: tx.save(trigger)],
        what=f"Trigger {trigger_id}",
    )
    return trigger


# --- requests for information -----------------------------------------------------------------------


def document_request_create(*, customer_id: str, document_types: list[str], due_date: date, actor: Actor,
                            note: str | None = None, today: date | None = None) -> DocumentRequest:
    """Ask a customer for documents by a date: a `requested` document per type, and a letter (text and PDF)."""
    today = today or utcnow().date()
    customer = customer_get_summary(customer_id=customer_id)
    errors: dict[str, list[str]] = {}
    unknown = [code for code in document_types if code not in DOCUMENT_TYPES]
    if not document_types:
        errors["document_types"] = ["Name at least one document type."]
    elif unknown:
        errors["document_types"] = [f"Unknown document type(s): {', '.join(unknown)}."]
    elif len(document_types) > MAX_REQUESTED_TYPES:
        errors["document_types"] = [f"At most {MAX_REQUESTED_TYPES} per request."]
    if due_date <= today:
        errors["due_date"] = ["The due date must be after today."]
    if note is not None and len(note) > 2000:
        errors["note"] = ["At most 2000 characters."]
    if errors:
        raise ValidationFailed("The request is not valid: check " + ", ".join(sorted(errors)) + ".", errors=errors)
    document_types = list(dict.fromkeys(document_types))
    request_id = str(ULID())
    now = utcnow()
    text = request_letter_text(customer_name=customer.name, document_types=document_types, due_date=due_date,
                               reference=request_id, note=note, today=today)
    key = storage.letter_key(customer_id=customer_id, request_id=request_id)
    pdf = text_pdf(text=text, title=f"Request for documents {request_id}")
    version_id = storage.object_put(key=key, body=pdf, content_type=checks.PDF)
    documents = [
        Document(customer_id, str(ULID()), document_type=code, status=REQUESTED, request_id=request_id,
                 party_type="customer", created_at=now, updated_at=now, versions=[])
        for code in document_types
    ]
    request = DocumentRequest(
        customer_id, request_id, document_types=document_types, document_ids=[d.document_id for d in documents],
        due_date=due_date.isoformat(), note=note, status="open", letter_text=text, letter_s3_key=key,
        letter_s3_version_id=version_id, reminders=[], created_by=actor.key, created_at=now,
        open_bucket="open", due_key=f"{due_date.isoformat()}#{request_id}",
    )
    writes: list[Callable[[TransactWrite], None]] = [lambda tx: tx.save(request)]
    writes += [lambda tx, d=d: tx.save(d) for d in documents]  # type: ignore[misc]
    try:
        _commit(
            entry=AuditEntry(actor=actor, action="document_request.created", object_type="document_request",
                             object_id=request_id, after={"customer_id": customer_id, "document_types": document_types,
                                                          "due_date": due_date.isoformat(), "status": "open"},
                             data={"document_ids": request.document_ids}),
            writes=writes,
            what=f"Request {request_id}",
        )
    except BaseException:
        storage.object_version_delete(key=key, version_id=version_id)
        raise
    return request


def document_request_letter_link(*, customer_id: str, request_id: str, actor: Actor) -> tuple[str, datetime]:
    """A presigned link to the letter's PDF (audited like any document download)."""
    try:
        request = DocumentRequest.get(customer_id, request_id, consistent_read=True)
    except DocumentRequest.DoesNotExist as exc:
        raise NotFound(f"No request {request_id} for customer {customer_id}.") from exc
    audit_read_record(actor=actor, action="document_request.letter_downloaded", object_type="document_request",
                      object_id=request_id, data={"customer_id": customer_id})
    return storage.download_url(key=request.letter_s3_key, version_id=request.letter_s3_version_id,
                                filename=f"request-{request_id}.pdf", content_type=checks.PDF)


def reminder_days() -> list[int]:
    return sorted({int(day) for day in settings.CDD_DOCUMENTS_REMINDER_DAYS}, reverse=True)


def document_request_remind(*, customer_id: str, request_id: str, today: date, actor: Actor) -> str | None:
    """Send the reminder due today for one open request, or close it if nothing is outstanding.

    Returns ``"reminded"``, ``"fulfilled"`` or None (nothing to do). Safe to run twice: a
    reminder is recorded on the request with a version check, so it is sent once.
    """
    try:
        request = DocumentRequest.get(customer_id, request_id, consistent_read=True)
    except DocumentRequest.DoesNotExist:
        return None
    if request.status != "open":
        return None
    outstanding = []
    for document_id in request.document_ids:
        try:
            document = Document.get(customer_id, document_id, consistent_read=True)
        except Document.DoesNotExist:
            continue
        if document.status in (REQUESTED, REJECTED, INFECTED):
            outstanding.append(document.document_type)
    if not outstanding:
        request.status = "fulfilled"
        request.open_bucket = None
        request.due_key = None
        _commit(entry=AuditEntry(actor=actor, action="document_request.fulfilled", object_type="document_request",
                                 object_id=request_id, before={"status": "open"}, after={"status": "fulfilled"}),
                writes=[lambda tx: tx.save(request)], what=f"Request {request_id}")
        return "fulfilled"
    due = date.fromisoformat(request.due_date)
    days_left = (due - today).days
    sent = {entry["days_before"] for entry in (request.reminders or [])}
    due_now = [days for days in reminder_days() if days_left <= days and days not in sent]
    if not due_now or days_left < 0:
        return None
    closest = min(due_now)
    customer = customer_get_summary(customer_id=customer_id)
    text = request_letter_text(customer_name=customer.name, document_types=outstanding, due_date=due,
                               reference=request_id, reminder_days=max(days_left, 0), today=today)
    request.reminders = [*(request.reminders or []), *[
        {"days_before": days, "sent_at": utcnow().isoformat(), "outstanding": outstanding,
         "letter_text": text if days == closest else None} for days in due_now]]
    _commit(entry=AuditEntry(actor=actor, action="document_request.reminder_sent", object_type="document_request",
                             object_id=request_id, data={"customer_id": customer_id, "days_before": closest,
                                                         "outstanding": outstanding}),
            writes=[lambda tx: tx.save(request)], what=f"Request {request_id}")
    logger.info("reminder for request %s sent", request_id, extra={"customer_id": customer_id, "days": closest})
    return "reminded"


def document_requests_remind(*, today: date | None = None, actor: Actor | None = None) -> dict[str, int]:
    """The daily job: every open request due within the longest reminder window gets what it is due."""
    today = today or utcnow().date()
    actor = actor or Actor.system("documents.request_reminders")
    horizon = today + timedelta(days=max(reminder_days(), default=0))
    counts = {"reminded": 0, "fulfilled": 0}
    for hit in DocumentRequest.by_due.query("open", DocumentRequest.due_key <= f"{horizon.isoformat()}#~"):
        try:
            outcome = document_request_remind(customer_id=hit.customer_id, request_id=hit.request_id, today=today,
                                              actor=actor)
        except Conflict as exc:
            logger.info("request %s not reminded this run: %s", hit.request_id, exc)
            continue
        if outcome:
            counts[outcome] += 1
    return counts


# --- requirements matrix ----------------------------------------------------------------------------


def requirement_id_for(*, customer_type: str, cdd_level: str, jurisdiction: str, code: str) -> str:
    return f"{customer_type}.{cdd_level}.{jurisdiction}.{code}"


def requirement_id_parse(requirement_id: str) -> tuple[str, str]:
    """``(rule_key, requirement_key)`` of a requirement id; NotFound if it cannot be one."""
    parts = requirement_id.split(".", 3)
    if len(parts) != 4:
        raise NotFound(f"No requirement {requirement_id}; ids look like individual.standard.*.identity.")
    customer_type, cdd_level, jurisdiction, code = parts
    return f"{customer_type}#{cdd_level}", f"{jurisdiction}#{code}"


def requirement_view(requirement: DocumentRequirement) -> dict[str, Any]:
    return {"customer_type": requirement.customer_type, "cdd_level": requirement.cdd_level,
            "jurisdiction": requirement.jurisdiction, "code": requirement.code, "label": requirement.label,
            "any_of": list(requirement.any_of or [])}


_CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class RequirementSpec:
    customer_type: str
    cdd_level: str
    jurisdiction: str  # ISO alpha-2 or "*"
    code: str
    label: str
    any_of: list[str] = field(default_factory=list)


def requirement_validate(spec: RequirementSpec) -> RequirementSpec:
    errors: dict[str, list[str]] = {}
    if spec.customer_type not in CUSTOMER_TYPES:
        errors["customer_type"] = [f"One of {', '.join(CUSTOMER_TYPES)}."]
    if spec.cdd_level not in CDD_LEVELS:
        errors["cdd_level"] = [f"One of {', '.join(CDD_LEVELS)}."]
    jurisdiction = spec.jurisdiction.upper() if spec.jurisdiction != "*" else "*"
    if jurisdiction != "*" and not _COUNTRY.match(jurisdiction):
        errors["jurisdiction"] = ["An ISO 3166-1 alpha-2 code, or * for every jurisdiction."]
    if not _CODE.match(spec.code):
        errors["code"] = ["Lower-case letters, digits and underscores, starting with a letter."]
    if not spec.label.strip():
        errors["label"] = ["Required."]
    unknown = [t for t in spec.any_of if t not in DOCUMENT_TYPES]
    if not spec.any_of:
        errors["any_of"] = ["Name at least one document type."]
    elif unknown:
        errors["any_of"] = [f"Unknown document type(s): {', '.join(unknown)}."]
    if errors:
        raise ValidationFailed("The requirement is not valid: check " + ", ".join(sorted(errors)) + ".", errors=errors)
    return replace(spec, jurisdiction=jurisdiction, any_of=list(dict.fromkeys(spec.any_of)))


def requirement_put(*, spec: RequirementSpec, actor: Actor, expected_version: int | None = None) -> DocumentRequirement:
    """Create or change one line of the requirements matrix."""
    spec = requirement_validate(spec)
    rule_key, requirement_key = f"{spec.customer_type}#{spec.cdd_level}", f"{spec.jurisdiction}#{spec.code}"
    requirement_id = requirement_id_for(customer_type=spec.customer_type, cdd_level=spec.cdd_level,
                                        jurisdiction=spec.jurisdiction, code=spec.code)
    try:
        requirement = DocumentRequirement.get(rule_key, requirement_key, consistent_read=True)
        before: dict[str, Any] | None = requirement_view(requirement)
        if expected_version is not None and requirement.version != expected_version:
            raise PreconditionFailed(f"Requirement {requirement_id} is at version {requirement.version}, "
                                     f"not {expected_version}; reload it.")
        action = "document_requirement.updated"
    except DocumentRequirement.DoesNotExist:
        requirement = DocumentRequirement(rule_key, requirement_key)
        before = None
        action = "document_requirement.created"
    requirement.customer_type = spec.customer_type
    requirement.cdd_level = spec.cdd_level
    requirement.jurisdiction = spec.jurisdiction
    requirement.code = spec.code
    requirement.label = spec.label.strip()
    requirement.any_of = spec.any_of
    requirement.updated_by = actor.key
    requirement.updated_at = utcnow()
    _commit(entry=AuditEntry(actor=actor, action=action, object_type="document_requirement", object_id=requirement_id,
                             before=before, after=requirement_view(requirement)),
            writes=[lambda tx: tx.save(requirement)], what=f"Requirement {requirement_id}")
    return requirement


def requirement_delete(*, requirement_id: str, actor: Actor) -> None:
    """Remove one line of the matrix (its history stays in the audit trail)."""
    rule_key, requirement_key = requirement_id_parse(requirement_id)
    try:
        requirement = DocumentRequirement.get(rule_key, requirement_key, consistent_read=True)
    except DocumentRequirement.DoesNotExist as exc:
        raise NotFound(f"No requirement {requirement_id}.") from exc
    _commit(entry=AuditEntry(actor=actor, action="document_requirement.deleted", object_type="document_requirement",
                             object_id=requirement_id, before=requirement_view(requirement), after=None),
            writes=[lambda tx: tx.delete(requirement)], what=f"Requirement {requirement_id}")


_IDENTITY = ["passport", "national_id_card", "driving_licence", "residence_permit"]
DEFAULT_REQUIREMENTS: list[RequirementSpec] = [
    *[RequirementSpec("individual", level, "*", "identity", "Proof of identity", _IDENTITY)
      for level in CDD_LEVELS],
    *[RequirementSpec("individual", level, "*", "address", "Proof of address", ["proof_of_address"])
      for level in ("standard", "enhanced")],
    RequirementSpec("individual", "enhanced", "*", "source_of_wealth", "Source of wealth", ["source_of_wealth"]),
    RequirementSpec("individual", "enhanced", "*", "source_of_funds", "Source of funds", ["source_of_funds"]),
    *[RequirementSpec("legal_entity", level, "*", "incorporation", "Certificate of incorporation",
                      ["certificate_of_incorporation"]) for level in CDD_LEVELS],
    *[RequirementSpec("legal_entity", level, "*", "constitution", "Articles of association",
                      ["articles_of_association"]) for level in ("standard", "enhanced")],
    *[RequirementSpec("legal_entity", level, "*", "ownership", "Register of shareholders",
                      ["register_of_shareholders"]) for level in ("standard", "enhanced")],
    *[RequirementSpec("legal_entity", level, "*", "directors", "Register of directors",
                      ["register_of_directors"]) for level in ("standard", "enhanced")],
    # In the UK the PSC register is the statutory record of beneficial ownership: it replaces the share register.
    *[RequirementSpec("legal_entity", level, "GB", "ownership", "Register of persons with significant control",
                      ["register_of_psc"]) for level in ("standard", "enhanced")],
    RequirementSpec("legal_entity", "enhanced", "*", "financials", "Audited financial statements",
                    ["financial_statements"]),
    RequirementSpec("legal_entity", "enhanced", "*", "source_of_funds", "Source of funds", ["source_of_funds"]),
]


def requirements_default_load(*, actor: Actor) -> int:
    """Load the default matrix; lines that exist (possibly edited by an analyst) are kept. Returns how many were added."""
    added = 0
    for spec in DEFAULT_REQUIREMENTS:
        rule_key, requirement_key = f"{spec.customer_type}#{spec.cdd_level}", f"{spec.jurisdiction}#{spec.code}"
        try:
            DocumentRequirement.get(rule_key, requirement_key, consistent_read=True)
            continue
        except DocumentRequirement.DoesNotExist:
            pass
        requirement_put(spec=spec, actor=actor)
        added += 1
    return added
