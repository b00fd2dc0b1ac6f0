"""Anchors of the trail in the audit bucket, under S3 Object Lock (WORM): checkpoints and daily digests.

**Checkpoints**, every few minutes (``CDD_AUDIT_ANCHOR_MINUTES``): every chain the trail has ever
had, with its last seq, hash and event id, carried over from the checkpoint before and updated
with the events since it (by-day index, with an overlap for transactions that commit a moment
after reading the clock and for index lag; nothing is scanned). Each names the digest of the one
before and is MACed with the audit key. Keys sort newest first (an inverted timestamp), so the
latest two are one ListObjectsV2. So a chain deleted, truncated, rewritten or backdated after a
checkpoint differs from it, and a checkpoint that drops a chain or moves one back differs from
the one before.

**Daily digests**, as before: for a UTC day, the digest lists every chain that changed that day with its last seq, last
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

from apps.audit import keys
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_day_events, audit_events_in_range, days_between
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


# --- checkpoints, every few minutes ------------------------------------------------------------------

CHECKPOINT_FORMAT = "cdd-audit-checkpoint/1"
# Events are dated when their transaction reads the clock and become visible in the by-day index a
# moment after they commit: each checkpoint re-reads this much before the previous one's watermark.
CHECKPOINT_OVERLAP = timedelta(minutes=10)
_INVERT = 10**13  # milliseconds: keys sort newest first until the year 2286


@dataclass(frozen=True)
class Checkpoint:
    key: str
    version_id: str | None
    document: dict[str, Any]
    created: bool = False

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.document["at"])

    @property
    def chains(self) -> dict[str, dict[str, Any]]:
        return {entry["chain"]: entry for entry in self.document.get("chains", [])}


def checkpoint_prefix() -> str:
    return f"anchors/{AuditEvent.Meta.table_name}/checkpoints/"


def checkpoint_key(at: datetime) -> str:
    millis = int(at.timestamp() * 1000)
    return f"{checkpoint_prefix()}{_INVERT - millis:013d}-{at.astimezone(UTC):%Y%m%dT%H%M%S}Z.json"


def checkpoint_digest(document: dict[str, Any]) -> str:
    """SHA-256 of a checkpoint's canonical JSON without its digest and MAC."""
    return hashlib.sha256(_canonical({k: v for k, v in document.items() if k not in ("digest", "mac")})).hexdigest()


def checkpoint_document_check(document: dict[str, Any], *, verify_mac: bool = True) -> list[str]:
    """What is wrong with one checkpoint on its own: its digest, its MAC (KMS), its format."""
    problems = []
    if document.get("format") != CHECKPOINT_FORMAT:
        problems.append(f"it is not a checkpoint ({document.get('format')!r})")
    digest = checkpoint_digest(document)
    if digest != document.get("digest"):
        problems.append("its content does not match its digest: it was edited")
    elif verify_mac and not keys.mac_verify(domain=keys.CHECKPOINT, digest=digest, mac=document.get("mac")):
        problems.append("its MAC does not verify with the audit key: it was not written by the trail")
    return problems


def checkpoints_compare(newer: Checkpoint, older: Checkpoint) -> list[tuple[str, str]]:
    """(chain, what) for every way ``newer`` forgets or moves back what ``older`` anchored."""
    out = []
    known = newer.chains
    for chain, entry in older.chains.items():
        now = known.get(chain)
        if now is None:
            out.append((chain, f"the checkpoint of {newer.document['at']} drops this chain, which the one of "
                               f"{older.document['at']} anchored at seq {entry['last_seq']}"))
        elif int(now["last_seq"]) < int(entry["last_seq"]) or (
                int(now["last_seq"]) == int(entry["last_seq"]) and now["last_hash"] != entry["last_hash"]):
            out.append((chain, f"the checkpoint of {newer.document['at']} moves this chain back to seq "
                               f"{now['last_seq']} from seq {entry['last_seq']} ({older.document['at']})"))
    return out


def _checkpoint_read(s3: Any, key: str, version_id: str | None = None) -> Checkpoint:
    params = {"Bucket": settings.CDD_AUDIT_BUCKET, "Key": key} | ({"VersionId": version_id} if version_id else {})
    response = s3.get_object(**params)
    return Checkpoint(key=key, version_id=response.get("VersionId"), document=json.loads(response["Body"].read()))


def audit_checkpoints_latest(*, count: int = 2) -> list[Checkpoint]:
    """The latest ``count`` checkpoints, newest first (none if the trail has no checkpoint yet)."""
    s3 = aws.client("s3")
    listing = s3.list_objects_v2(Bucket=settings.CDD_AUDIT_BUCKET, Prefix=checkpoint_prefix(), MaxKeys=count)
    return [_checkpoint_read(s3, item["Key"]) for item in listing.get("Contents", [])]


def _entry_update(chains: dict[str, dict[str, Any]], event: AuditEvent) -> None:
    seq = int(event.seq or 0)
    entry = chains.get(event.pk)
    if entry is None or seq > int(entry["last_seq"]):
        chains[event.pk] = {"chain": event.pk, "last_seq": seq, "last_hash": event.hash,
                            "last_event_id": event.event_id}


def audit_checkpoint_compute(*, now: datetime, previous: Checkpoint | None) -> dict[str, Any]:
    """The next checkpoint (not yet written): the previous one's chains plus the events since."""
    chains = {name: dict(entry) for name, entry in (previous.chains if previous else {}).items()}
    if previous is not None:
        events = audit_events_in_range(since=previous.at - CHECKPOINT_OVERLAP, until=now + CHECKPOINT_OVERLAP)
        for event in events:
            _entry_update(chains, event)
    else:
        # The first checkpoint of a trail: every day back to the configured start.
        first = now.date() - timedelta(days=settings.CDD_AUDIT_ANCHOR_BOOTSTRAP_DAYS)
        for day in days_between(first, now.date()):
            for event in audit_day_events(day=day):
                _entry_update(chains, event)
    entries = sorted(chains.values(), key=lambda e: e["chain"])
    retain_until = now + timedelta(days=settings.CDD_AUDIT_ANCHOR_RETENTION_DAYS)
    document: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "table": AuditEvent.Meta.table_name,
        "at": now.isoformat(),
        "keyed_since": previous.document.get("keyed_since") if previous else now.isoformat(),
        "previous": {"key": previous.key, "version_id": previous.version_id,
                     "digest": previous.document.get("digest")} if previous else None,
        "chains": entries,
        "chain_count": len(entries),
        "event_count": sum(int(e["last_seq"]) for e in entries),
        "mac_key_id": settings.CDD_AUDIT_MAC_KEY_ID,
        "retain_until": retain_until.isoformat(),
    }
    document["digest"] = checkpoint_digest(document)
    document["mac"] = keys.mac_generate(domain=keys.CHECKPOINT, digest=document["digest"])
    return document


def audit_checkpoint_write(*, now: datetime | None = None, min_interval: timedelta | None = None) -> Checkpoint:
    """Anchor every chain in a new checkpoint under Object Lock; within ``min_interval`` of the last, keep it."""
    now = now or datetime.now(tz=UTC)
    latest = audit_checkpoints_latest(count=1)
    previous = latest[0] if latest else None
    if previous is not None and min_interval is not None and now - previous.at < min_interval:
        return previous  # a task delivered twice, or run by hand just after beat
    document = audit_checkpoint_compute(now=now, previous=previous)
    key = checkpoint_key(now)
    response = aws.client("s3").put_object(
        Bucket=settings.CDD_AUDIT_BUCKET, Key=key, Body=json.dumps(document, indent=1, sort_keys=True).encode(),
        ContentType="application/json", ChecksumAlgorithm="SHA256", IfNoneMatch="*",
        ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=datetime.fromisoformat(document["retain_until"]),
    )
    logger.info("audit checkpoint written", extra={"key": key, "chains": document["chain_count"]})
    return Checkpoint(key=key, version_id=response.get("VersionId"), document=document, created=True)
