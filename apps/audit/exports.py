"""Exports of the trail for a regulator, and their offline verification.

An export is three files written together under ``audit-exports/<export id>/`` in the
exports bucket:

* ``events.jsonl``  one event per line: every hashed field plus ``hash`` (JSON is lossless,
  so the hash is recomputed from the line itself);
* ``events.csv``    the same events as columns for spreadsheets, plus ``canonical``: the exact
  bytes that were hashed (a CSV cell cannot tell ``null`` from ``""``); the readable columns
  are checked against it;
* ``manifest.json`` the criteria, who exported and when, SHA-256 of both files, a summary of
  every chain in the export (first/last seq, count, first prev_hash, last hash) and the daily
  anchors that cover it (S3 key, version id, digest of digests, and their entries for the
  chains in the export) so the events can be matched against the WORM digests.

Each export is audited (``audit.exported``). ``manage.py audit_verify --file`` checks an
export without the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.anchors import audit_anchor_get
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_chain_events, audit_events_in_range, days_between
from apps.audit.services import HASH_VERSION, audit_read_record, canonical_content, chain_key, event_as_dict
from apps.audit.verify import AnchorEntry, Problem, Report, canonical_row_check, chain_verify
from apps.core import aws
from apps.core.errors import ValidationFailed

EXPORT_FORMAT = "cdd-audit-export/1"
CSV_COLUMNS = ["v", "chain", "seq", "event_id", "occurred_at", "actor", "action", "object_type", "object_id",
               "request_id", "client_request_id", "source_ip", "changes", "reason", "data", "prev_hash", "hash",
               "mac", "canonical"]
JSONL_NAME, CSV_NAME, MANIFEST_NAME = "events.jsonl", "events.csv", "manifest.json"


@dataclass(frozen=True)
class Export:
    export_id: str
    bucket: str
    keys: dict[str, str]  # file name -> S3 key
    manifest: dict[str, Any]
    files: dict[str, bytes]

    def urls(self, *, expires: int) -> dict[str, str]:
        s3 = aws.client("s3")
        return {name: s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                ExpiresIn=expires) for name, key in self.keys.items()}


def _criteria(*, since: datetime | None, until: datetime | None, object_type: str | None,
              object_id: str | None, max_days: int | None) -> dict[str, Any]:
    by_object = bool(object_type or object_id)
    by_time = bool(since or until)
    if by_object == by_time:
        raise ValidationFailed("Export either a time range or one object's history.",
                               errors={"__all__": ["Give since and until, or object_type and object_id."]})
    if by_object:
        missing = {name: ["Required with " + other + "."] for name, value, other in
                   (("object_type", object_type, "object_id"), ("object_id", object_id, "object_type")) if not value}
        if missing:
            raise ValidationFailed("The object is incomplete.", errors=missing)
        return {"object_type": object_type, "object_id": object_id}
    if not since or not until:
        raise ValidationFailed("The time range is incomplete.",
                               errors={"since" if not since else "until": ["Required for a time-range export."]})
    if since.tzinfo is None or until.tzinfo is None:
        raise ValidationFailed("Times need a time zone.", errors={"since": ["Give a UTC offset, e.g. 'Z'."]})
    if until <= since:
        raise ValidationFailed("The time range is empty.", errors={"until": ["Must be after since."]})
    if max_days is not None and until - since > timedelta(days=max_days):
        raise ValidationFailed("The time range is too long for one export.",
                               errors={"until": [f"At most {max_days} days after since; split the range."]})
    return {"since": since.astimezone(UTC).isoformat(), "until": until.astimezone(UTC).isoformat()}


def audit_export_events(*, criteria: dict[str, Any]) -> list[AuditEvent]:
    """The events an export holds: an object's whole chain, or a time range in time order."""
    if "object_type" in criteria:
        return audit_chain_events(chain=chain_key(criteria["object_type"], criteria["object_id"]))
    return list(audit_events_in_range(since=datetime.fromisoformat(criteria["since"]),
                                      until=datetime.fromisoformat(criteria["until"])))


def _csv_row(event: dict[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    for name in CSV_COLUMNS[:-1]:
        value = event.get(name)
        if isinstance(value, (dict, list)):
            row[name] = json.dumps(value, sort_keys=True, ensure_ascii=False)
        else:
            row[name] = "" if value is None else str(value)
    row["canonical"] = canonical_content(event).decode()
    return row


def export_files_render(events: list[dict[str, Any]]) -> dict[str, bytes]:
    jsonl = "".join(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n" for event in events).encode()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow(_csv_row(event))
    return {JSONL_NAME: jsonl, CSV_NAME: text.getvalue().encode()}


def _chain_summaries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chains: dict[str, dict[str, Any]] = {}
    for event in events:
        entry = chains.get(event["chain"])
        if entry is None:
            entry = chains[event["chain"]] = {"chain": event["chain"], "first_seq": event["seq"], "last_seq": 0,
                                              "count": 0, "first_prev_hash": event["prev_hash"], "last_hash": None}
        entry["count"] += 1
        if event["seq"] < entry["first_seq"]:
            entry.update(first_seq=event["seq"], first_prev_hash=event["prev_hash"])
        if event["seq"] > entry["last_seq"]:
            entry.update(last_seq=event["seq"], last_hash=event["hash"])
    return sorted(chains.values(), key=lambda e: e["chain"])


def _anchors_for(events: list[dict[str, Any]], criteria: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    today = datetime.now(tz=UTC).date()
    if "since" in criteria:
        first = datetime.fromisoformat(criteria["since"]).date()
        last = (datetime.fromisoformat(criteria["until"]) - timedelta(microseconds=1)).date()
        days = days_between(first, min(last, today - timedelta(days=1))) if first < today else []
    else:
        days = sorted({date.fromisoformat(e["occurred_at"][:10]) for e in events if e["occurred_at"][:10]
                       < today.isoformat()})
    chains = {e["chain"] for e in events}
    anchors, missing = [], []
    for day in days:
        anchor = audit_anchor_get(day=day)
        if anchor is None:
            missing.append(day.isoformat())
            continue
        anchors.append({
            "day": day.isoformat(), "bucket": settings.CDD_AUDIT_BUCKET, "key": anchor.key,
            "version_id": anchor.version_id, "digest_of_digests": anchor.document["digest_of_digests"],
            "previous_day_digest": anchor.document.get("previous_day_digest"),
            "retain_until": anchor.document.get("retain_until"),
            "chains": [entry for entry in anchor.document.get("chains", []) if entry["chain"] in chains],
        })
    return anchors, missing


def export_render(*, export_id: str, actor: Actor, criteria: dict[str, Any],
                  events: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the three files of an export (events.jsonl, events.csv, manifest.json) of ``events``.

    ``events`` as ``event_as_dict`` gives them; ``criteria`` with ``object_type`` means whole chains (every
    event from seq 1), which the verifier then checks as such. The customer file embeds one as ``audit/``.
    """
    files = export_files_render(events)
    anchors, missing = _anchors_for(events, criteria)
    manifest = {
        "format": EXPORT_FORMAT,
        "export_id": export_id,
        "created_at": datetime.now(tz=UTC).isoformat(),
        "created_by": actor.as_dict(),
        "criteria": criteria,
        "table": AuditEvent.Meta.table_name,
        "hash": {"algorithm": "sha256", "version": HASH_VERSION,
                 "content": "JSON of the event's fields (chain, seq, event_id, occurred_at, actor, action, "
                            "object_type, object_id, request_id, source_ip, changes, reason, data, prev_hash, "
                            "v, and for v2 client_request_id) with sorted keys, separators ',' and ':', UTF-8; "
                            "prev_hash of seq 1 is 64 zeros",
                 "mac": "v2 events: mac = base64 KMS HMAC_SHA_256 of 'cdd-audit-event/v2:<hash>' under key "
                        f"{settings.CDD_AUDIT_MAC_KEY_ID}; checkable only by the bank (kms:VerifyMac), not offline"},
        "files": {name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body), "events": len(events)}
                  for name, body in files.items()},
        "event_count": len(events),
        "chains": _chain_summaries(events),
        "anchors": anchors,
        "anchors_missing": missing,
    }
    files[MANIFEST_NAME] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    return manifest, files


def audit_export_create(*, actor: Actor, since: datetime | None = None, until: datetime | None = None,
                        object_type: str | None = None, object_id: str | None = None,
                        max_days: int | None = None) -> Export:
    """Export a time range or an object's history (JSONL, CSV, manifest) to the exports bucket; audited."""
    criteria = _criteria(since=since, until=until, object_type=object_type, object_id=object_id, max_days=max_days)
    export_id = str(ULID())
    events = [event_as_dict(item) for item in audit_export_events(criteria=criteria)]
    manifest, files = export_render(export_id=export_id, actor=actor, criteria=criteria, events=events)
    checksums = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    bucket = settings.CDD_EXPORTS_BUCKET
    prefix = f"audit-exports/{export_id}"
    keys = {name: f"{prefix}/{name}" for name in files}
    s3 = aws.client("s3")
    content_types = {JSONL_NAME: "application/x-ndjson", CSV_NAME: "text/csv", MANIFEST_NAME: "application/json"}
    for name, body in files.items():
        s3.put_object(Bucket=bucket, Key=keys[name], Body=body, ContentType=content_types[name])
    record_on = (criteria["object_type"], criteria["object_id"]) if "object_type" in criteria else (
        "audit_export", export_id)
    try:
        audit_read_record(actor=actor, action="audit.exported", object_type=record_on[0], object_id=record_on[1],
                          data={"export_id": export_id, "criteria": criteria, "event_count": len(events),
                                "bucket": bucket, "prefix": prefix,
                                "sha256": checksums})
    except Exception:
        # No export leaves without its audit event.
        for key in keys.values():
            s3.delete_object(Bucket=bucket, Key=key)
        raise
    return Export(export_id=export_id, bucket=bucket, keys=keys, manifest=manifest, files=files)


# --- offline verification --------------------------------------------------------------------------

def _read_events(path: Path, report: Report) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    content = json.loads(row.get("canonical") or "")
                except ValueError:
                    report.problems.append(Problem(kind="changed", chain=row.get("chain") or "?",
                                                   message=f"line {line}: the canonical column is not valid JSON"))
                    continue
                content["hash"] = row.get("hash")
                content["mac"] = row.get("mac") or None
                for column in canonical_row_check(row, content):
                    report.problems.append(Problem(
                        kind="changed", chain=str(content.get("chain")), seq=content.get("seq"),
                        event_id=content.get("event_id"),
                        message=f"line {line}: column {column} was edited: it differs from the hashed content"))
                events.append(content)
        return events
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                event = json.loads(text)
            except ValueError:
                report.problems.append(Problem(kind="changed", chain="?", message=f"line {line} is not valid JSON"))
                continue
            if not isinstance(event, dict):
                report.problems.append(Problem(kind="changed", chain="?", message=f"line {line} is not an event"))
                continue
            events.append(event)
    return events


def export_files_in(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in (path / JSONL_NAME, path / CSV_NAME) if p.exists()]
    return [path]


def export_verify(*, path: Path, manifest_path: Path | None = None) -> Report:
    """Check an export file (or a directory holding one) against its hashes and its manifest, offline."""
    report = Report()
    files = export_files_in(path)
    if not files:
        raise ValidationFailed(f"No export file at {path}.", errors={"file": ["Give events.jsonl, events.csv "
                                                                               "or their directory."]})
    manifest_path = manifest_path or files[0].parent / MANIFEST_NAME
    manifest: dict[str, Any] | None = None
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    else:
        report.warnings.append(f"No {MANIFEST_NAME} beside the export: events are checked against their hashes "
                               "only, without checksums, chain summaries or anchors.")
    for file in files:
        _export_file_verify(file, manifest, report)
    return report


def _export_file_verify(path: Path, manifest: dict[str, Any] | None, report: Report) -> None:
    if manifest is not None:
        expected = manifest.get("files", {}).get(path.name, {}).get("sha256")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if expected and expected != actual:
            report.problems.append(Problem(kind="export", chain="*", message=(
                f"{path.name} differs from the checksum in the manifest: the file was edited after export")))
    events = _read_events(path, report)
    by_chain: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_chain.setdefault(str(event.get("chain")), []).append(event)
    summaries = {s["chain"]: s for s in (manifest or {}).get("chains", [])}
    anchors: dict[str, list[AnchorEntry]] = {}
    for anchor in (manifest or {}).get("anchors", []):
        for entry in anchor.get("chains", []):
            anchors.setdefault(entry["chain"], []).append(AnchorEntry(
                day=anchor["day"], chain=entry["chain"], last_seq=int(entry["last_seq"]),
                last_hash=entry["last_hash"], count=int(entry["count"])))
    whole_chains = manifest is not None and "object_type" in manifest.get("criteria", {})
    for chain, chain_events in by_chain.items():
        report.chains += 1
        report.events += len(chain_events)
        report.extend(chain_verify(chain=chain, events=chain_events, partial=not whole_chains,
                                   anchors=anchors.get(chain, [])))
        summary = summaries.get(chain)
        if manifest is not None and summary is None:
            report.problems.append(Problem(kind="inserted", chain=chain, message=(
                f"{path.name}: the chain is not listed in the manifest: its events were added to the file")))
        elif summary is not None:
            report.extend(_summary_check(path.name, chain, chain_events, summary))
    for chain, summary in summaries.items():
        if chain not in by_chain:
            report.problems.append(Problem(kind="removed", chain=chain, message=(
                f"{path.name}: the manifest lists {summary['count']} events of this chain; none is in the file")))
    report.anchors += len((manifest or {}).get("anchors", []))


def _summary_check(name: str, chain: str, events: Iterable[dict[str, Any]],
                   summary: dict[str, Any]) -> list[Problem]:
    seqs = sorted(int(e.get("seq") or 0) for e in events)
    by_seq = {int(e.get("seq") or 0): e for e in events}
    out = []

    def add(kind: str, message: str, seq: int | None = None) -> None:
        out.append(Problem(kind=kind, chain=chain, seq=seq, message=f"{name}: {message}"))

    first, last = int(summary["first_seq"]), int(summary["last_seq"])
    if seqs[0] > first:
        add("removed", f"seq {first}..{seqs[0] - 1} listed by the manifest are missing from the start", first)
    elif seqs[0] == first and by_seq[first].get("prev_hash") != summary.get("first_prev_hash"):
        add("changed", "the first event's prev_hash differs from the manifest", first)
    if seqs[-1] < last:
        add("removed", f"seq {seqs[-1] + 1}..{last} listed by the manifest are missing from the end", seqs[-1] + 1)
    elif seqs[-1] > last:
        add("inserted", f"seq {last + 1}..{seqs[-1]} are not listed by the manifest", last + 1)
    elif by_seq[last].get("hash") != summary.get("last_hash"):
        add("changed", "the last event's hash differs from the manifest", last)
    if len(seqs) != int(summary["count"]) and not out:
        add("removed" if len(seqs) < int(summary["count"]) else "inserted",
            f"the manifest counts {summary['count']} events, the file has {len(seqs)}")
    return out
