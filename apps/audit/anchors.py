"""Daily digests of every chain, written once to the audit bucket with S3 Object Lock (WORM).

For a UTC day, the digest lists every chain that changed that day with its last seq, last
hash and last event id as of the end of the day and how many events it gained, each entry
with its own SHA-256, plus a digest of those digests and the digest of the day before (so
anchors form a chain of their own). It is written once (``If-None-Match: *``) under
``anchors/<table>/<day>.json`` with COMPLIANCE-mode retention: nobody, root included, can
shorten the retention or delete the object until it ends.

Finding the chains of a day is a Query on the by-day index; nothing is scanned.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_day_events
from apps.core import aws
from apps.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

DIGEST_FORMAT = "cdd-audit-digest/1"
# A transaction that read the clock just before midnight may commit a moment after it: the digest
# waits this long after the day ends so that no event of the day lands after its anchor.
DIGEST_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class Anchor:
    day: date
    key: str
    version_id: str | None
    document: dict[str, Any]
    created: bool  # False when the digest was already there (the task ran twice)

    @property
    def digest_of_digests(self) -> str:
        return str(self.document["digest_of_digests"])


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_digest(entry: dict[str, Any]) -> str:
    """SHA-256 of one chain's entry (chain, last_seq, last_hash, last_event_id, count)."""
    fields = {name: entry[name] for name in ("chain", "last_seq", "last_hash", "last_event_id", "count")}
    return hashlib.sha256(_canonical(fields)).hexdigest()


def digest_of_digests(entries: list[dict[str, Any]]) -> str:
    """SHA-256 over the entries' digests, in chain order, one per line."""
    lines = "\n".join(entry["digest"] for entry in sorted(entries, key=lambda e: e["chain"]))
    return hashlib.sha256(lines.encode()).hexdigest()


def anchor_key(day: date) -> str:
    return f"anchors/{AuditEvent.Meta.table_name}/{day.isoformat()}.json"


def anchor_document_check(document: dict[str, Any]) -> list[str]:
    """What is inconsistent inside a digest document (nothing, for one this code wrote)."""
    problems = []
    for entry in document.get("chains", []):
        if entry_digest(entry) != entry.get("digest"):
            problems.append(f"the entry of chain {entry.get('chain')} does not match its digest")
    if digest_of_digests(document.get("chains", [])) != document.get("digest_of_digests"):
        problems.append("the digest of digests does not match the entries")
    return problems


def audit_anchor_get(*, day: date) -> Anchor | None:
    """The digest of ``day`` from the audit bucket, or None if none was written."""
    s3 = aws.client("s3")
    try:
        response = s3.get_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=anchor_key(day))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return Anchor(day=day, key=anchor_key(day), version_id=response.get("VersionId"),
                  document=json.loads(response["Body"].read()), created=False)


def audit_digest_compute(*, day: date) -> dict[str, Any]:
    """The digest document of ``day`` from the by-day index (not yet written)."""
    chains: dict[str, dict[str, Any]] = {}
    for event in audit_day_events(day=day):
        seq = int(event.seq or 0)
        entry = chains.setdefault(event.pk, {"chain": event.pk, "last_seq": 0, "last_hash": None,
                                             "last_event_id": None, "count": 0})
        entry["count"] += 1
        if seq > entry["last_seq"]:
            entry.update(last_seq=seq, last_hash=event.hash, last_event_id=event.event_id)
    entries = sorted(chains.values(), key=lambda e: e["chain"])
    for entry in entries:
        entry["digest"] = entry_digest(entry)
    previous = audit_anchor_get(day=day - timedelta(days=1))
    return {
        "format": DIGEST_FORMAT,
        "table": AuditEvent.Meta.table_name,
        "day": day.isoformat(),
        "chains": entries,
        "chain_count": len(entries),
        "event_count": sum(e["count"] for e in entries),
        "digest_of_digests": digest_of_digests(entries),
        "previous_day_digest": previous.digest_of_digests if previous else None,
    }


def audit_digest_write(*, day: date, now: datetime | None = None) -> Anchor:
    """Write the digest of a finished UTC day to the audit bucket under Object Lock; idempotent."""
    now = now or datetime.now(tz=UTC)
    if now < datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) + DIGEST_GRACE:
        raise ValidationFailed(f"{day} is not over yet; its digest is written {DIGEST_GRACE} after the day ends.",
                               errors={"day": ["Must be a finished day (UTC)."]})
    existing = audit_anchor_get(day=day)
    if existing is not None:
        return existing
    document = audit_digest_compute(day=day)
    document["generated_at"] = datetime.now(tz=UTC).isoformat()
    retain_until = datetime.now(tz=UTC) + timedelta(days=settings.CDD_AUDIT_ANCHOR_RETENTION_DAYS)
    document["retain_until"] = retain_until.isoformat()
    body = json.dumps(document, indent=1, sort_keys=True).encode()
    s3 = aws.client("s3")
    try:
        response = s3.put_object(
            Bucket=settings.CDD_AUDIT_BUCKET, Key=anchor_key(day), Body=body, ContentType="application/json",
            ChecksumAlgorithm="SHA256", IfNoneMatch="*",
            ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=retain_until,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
            again = audit_anchor_get(day=day)  # another run wrote it in between
            if again is not None:
                return again
        raise
    logger.info("audit digest written", extra={"day": day.isoformat(), "chains": document["chain_count"]})
    return Anchor(day=day, key=anchor_key(day), version_id=response.get("VersionId"), document=document,
                  created=True)
