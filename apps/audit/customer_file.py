"""The customer file: everything a regulator or internal audit asks for about one customer, as one zip.

``customer_file_export`` reads a customer through each app's own selectors and writes one archive to
``s3://$CDD_EXPORTS_BUCKET/customer-files/<customer id>/<export id>.zip``:

    README.txt                  what is inside and how to check it (the command, and by hand)
    manifest.json               format, customer, who exported and when, algorithms and list versions
                                referenced, and every other file's path, size and SHA-256
    manifest.sha256             SHA-256 of manifest.json, in ``sha256sum`` format
    customer/profile.json       the full profile: the customer and its related parties
    customer/history.json       the customer's audit chain in reading order (what changed, who, why)
    customer/ownership.json     legal entities: holdings, effective shares, paths, beneficial owners
    screening/runs.json         every screening run of the customer and each party: inputs, list versions,
                                algorithm, threshold, hits
    screening/alerts.json       each alert (evidence: entry as that list version had it, score, explanation,
                                list version, algorithm, threshold) with its state (proposal, decision)
    screening/list_versions.json  the list versions referenced, as loaded (checksums, counts, source)
    risk/assessments.json       every assessment: model version, inputs, factors and their contributions
    risk/current.json           the current rating as the risk page shows it
    risk/models.json            the risk model versions the assessments used (definitions), for replay
    documents/documents.json    documents' metadata (numbers masked), requests, waivers, checklist
    documents/files/<id>/<name> with ``with_files``: each clean document's current file
    cases/cases.json            cases: submissions, decisions, rationales, participants, notes
    audit/                      an audit export of every chain of the customer (the customer, its cases,
                                alerts, documents, requests, waivers): events.jsonl, events.csv,
                                manifest.json, exactly as ``audit_export`` writes them
    audit/verification.json     each chain verified by the bank at export time (hashes, MAC, checkpoint)

The export is audited on the customer's chain (``customer.file_exported``) with the SHA-256 of the
manifest and of the archive: the archive can be rewritten by whoever holds it (manifest.sha256 too),
the trail cannot. ``customer_file_verify`` checks an archive offline, without the database.

This is the one module of the audit app that stands on the apps above it (customers, screening,
documents, reviews), as ``apps.customers.page_selectors`` does for the customer page; nothing in
the audit app's own layers imports it.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from pynamodb.attributes import MapAttribute
from pynamodb.models import Model
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.exports import CSV_NAME, JSONL_NAME, MANIFEST_NAME, export_render, export_verify
from apps.audit.selectors import audit_chain_events
from apps.audit.services import audit_read_record, chain_key, event_as_dict, mask_value
from apps.audit.verify import Report, audit_chain_status
from apps.core import aws
from apps.core.errors import DomainError, NotFound
from apps.core.roles import AUDITOR, SENIOR_REVIEWER, user_roles
from apps.customers.models import Customer, RelatedParty
from apps.customers.ownership import ALGORITHM_VERSION as OWNERSHIP_ALGORITHM
from apps.customers.page_selectors import ownership_picture
from apps.customers.services import customer_profile_view
from apps.documents import storage
from apps.documents.models import Document, document_type_label
from apps.documents.selectors import (
    document_checklist,
    document_list,
    document_request_list,
    document_scan_label,
    document_waivers,
)
from apps.documents.services import DocumentQuarantined, document_quarantine_check
from apps.reviews.models import KIND_LABELS, Case
from apps.reviews.risk.selectors import risk_view
from apps.reviews.risk.services import risk_assessments_of, risk_model_versions
from apps.reviews.selectors import case_notes_of, cases_for_customer
from apps.screening.matching.links import LIST_LABELS
from apps.screening.selectors.alerts import AlertView, alerts_of_customer, screening_runs_of_subject
from apps.screening.selectors.lists import list_version_get

FILE_FORMAT = "cdd-customer-file/1"
MANIFEST, MANIFEST_HASH, README = "manifest.json", "manifest.sha256", "README.txt"
AUDIT_DIR = "audit"
AUDIT_FILES = (JSONL_NAME, CSV_NAME, MANIFEST_NAME)
# Generous bounds on one customer's history; reaching one is said in the manifest, never silent.
MAX_RUNS_PER_SUBJECT = 1000
MAX_ASSESSMENTS = 1000
SNAPSHOT_VERSION = "snapshot"  # screened against the snapshot bundled with the code (no version loaded yet)
SPOOL_BYTES = 32 * 1024 * 1024  # archives above this are built on disk, not in memory
# Who may take a customer's file out of the bank (the API view, the web view and the customer page's button).
# Senior reviewers answer the regulator for decided and escalated cases; analysts read the customer on its page
# but do not take its whole trail (others' work, reviewers' rationales) out; plain reviewers decide cases.
CUSTOMER_FILE_ROLES = frozenset({AUDITOR, SENIOR_REVIEWER})
PERSONAL_DATA = (
    "The profile is the full profile (customer.viewed, as GET /customers/{id}/profile gives it): identity "
    "document numbers on the customer record are in clear. Document records' numbers are masked (****12) as "
    "in every listing; sensitive values in audit events are masked as they were recorded."
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def customer_file_allowed(user: Any) -> bool:
    """Whether ``user`` may export customer files (``CUSTOMER_FILE_ROLES``)."""
    return bool(CUSTOMER_FILE_ROLES & user_roles(user))


def plural(count: int, word: str) -> str:
    """``1 alert``, ``2 alerts``: counts in the progress lines and reports."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --- values as JSON ---------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, MapAttribute):
        return {str(k): _plain(v) for k, v in value.as_dict().items()}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _record(item: Model, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored attribute of a record, as JSON values."""
    skip = set(leave_out)
    return {name: _plain(getattr(item, name)) for name in sorted(item.get_attributes()) if name not in skip}


def _json(value: Any) -> bytes:
    return (json.dumps(_plain(value), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- the sections -------------------------------------------------------------------------------------

@dataclass
class _Bundle:
    """What goes into the archive, and what the manifest says about it, as the sections are read."""

    files: dict[str, bytes] = field(default_factory=dict)
    chains: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # chain -> what a person calls its record
    list_versions: dict[str, set[str]] = field(default_factory=dict)
    algorithms: set[str] = field(default_factory=set)
    thresholds: set[float] = field(default_factory=set)
    risk_models: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    limits_reached: list[str] = field(default_factory=list)

    def add(self, path: str, value: Any) -> None:
        self.files[path] = value if isinstance(value, bytes) else _json(value)

    def chain(self, object_type: str, object_id: str, label: str) -> None:
        key = chain_key(object_type, object_id)
        if key not in self.chains:
            self.chains.append(key)
            self.labels[key] = label

    def list_version(self, list_key: str, version_id: str) -> None:
        self.list_versions.setdefault(list_key, set()).add(version_id)


def _profile(bundle: _Bundle, customer: Customer, parties: list[RelatedParty]) -> None:
    bundle.add("customer/profile.json", {
        "customer": {**customer.as_dict(), "created_at": customer.created_at, "updated_at": customer.updated_at,
                     "created_by": customer.created_by, "version": customer.version},
        "related_parties": [{**p.as_dict(), "created_at": p.created_at, "updated_at": p.updated_at,
                             "version": p.version} for p in parties],
    })
    bundle.counts["related_parties"] = len(parties)
    bundle.chain("customer", customer.customer_id, f"Customer: {customer.legal_name}")


def _ownership(bundle: _Bundle, customer: Customer) -> None:
    if customer.customer_type != "legal_entity":
        bundle.add("customer/ownership.json", {"applicable": False, "reason": "an individual owns itself"})
        return
    picture = ownership_picture(customer_id=customer.customer_id)
    view, result = picture.view, picture.view.result
    bundle.add("customer/ownership.json", {
        "applicable": True, "algorithm": result.algorithm, "threshold_percent": result.threshold,
        "nodes": [{"node_id": n.node_id, "kind": n.kind, "name": n.name, "roles": list(n.roles)}
                  for n in view.nodes.values()],
        "holdings": [{"owner": owner, "owner_name": view.name_of(owner), "owned": owned,
                      "owned_name": view.name_of(owned), "percentage": pct}
                     for (owner, owned), pct in sorted(result.edge_percentages.items())],
        "owners": picture.owners,
        "beneficial_owners": [{"node_id": n, "name": view.name_of(n), "effective_percentage": result.effective[n]}
                              for n in result.beneficial_owners],
        "declared_beneficial_owners": [{"node_id": n, "name": view.name_of(n)}
                                       for n in view.declared_beneficial_owners],
        "unresolved_entities": [{"node_id": n, "name": view.name_of(n)} for n in result.unresolved_entities],
        "cycles": [[view.name_of(n) for n in cycle] for cycle in result.cycles],
        "unidentified_share_percent": result.unidentified_share, "layers": result.layers,
        "truncated": result.truncated, "incomplete": view.incomplete, "customers_read": view.customers_loaded,
        "tree": result.tree.as_dict(),
    })


def _alert_record(view: AlertView) -> dict[str, Any]:
    return {"alert": _record(view.alert), "state": _record(view.state, leave_out=("status_key", "updated_key"))}


def _screening(bundle: _Bundle, customer_id: str, parties: list[RelatedParty], progress: Progress) -> None:
    alerts = alerts_of_customer(customer_id=customer_id)
    subjects = ["customer", *(p.party_id for p in parties)]
    subjects += sorted({v.alert.subject_id for v in alerts} - set(subjects))  # parties removed since
    runs: list[dict[str, Any]] = []
    for subject_id in subjects:
        found = screening_runs_of_subject(customer_id=customer_id, subject_id=subject_id,
                                          limit=MAX_RUNS_PER_SUBJECT)
        if len(found) >= MAX_RUNS_PER_SUBJECT:
            bundle.limits_reached.append(f"screening runs of {subject_id}: the newest {MAX_RUNS_PER_SUBJECT} only")
        for run in found:
            runs.append(_record(run))
            for list_key, version_id in (run.list_versions or {}).items():
                bundle.list_version(list_key, str(version_id))
            bundle.algorithms.add(run.algorithm)
            bundle.thresholds.add(float(run.threshold))
    for view in alerts:
        bundle.list_version(view.alert.list_key, view.alert.list_version_id)
        bundle.algorithms.add(view.alert.algorithm)
        bundle.thresholds.add(float(view.alert.threshold))
        bundle.chain("alert", view.alert_id, f"Screening alert: {view.alert.subject_name} against "
                                              f"{view.alert.matched_name} ({LIST_LABELS.get(view.alert.list_key, view.alert.list_key)}), "
                                              f"{view.status.replace('_', ' ')}")
    runs.sort(key=lambda r: (str(r.get("created_at")), str(r.get("run_id"))))
    bundle.add("screening/runs.json", runs)
    bundle.add("screening/alerts.json", [_alert_record(v) for v in alerts])
    versions: list[dict[str, Any]] = []
    for list_key, version_ids in sorted(bundle.list_versions.items()):
        for version_id in sorted(version_ids):
            if version_id == SNAPSHOT_VERSION:
                versions.append({"list_key": list_key, "version_id": version_id, "source": "snapshot",
                                 "note": "the list snapshot bundled with the code (apps/screening/data) at the "
                                         "time, used while no version of the list was loaded"})
                continue
            try:
                version = list_version_get(list_key=list_key, version_id=version_id)
            except NotFound:
                versions.append({"list_key": list_key, "version_id": version_id, "missing": True})
                continue
            versions.append(_record(version, leave_out=("warnings",)))
    bundle.add("screening/list_versions.json", versions)
    bundle.counts.update(screening_runs=len(runs), alerts=len(alerts),
                         alert_decisions=sum(1 for v in alerts if (v.state.decision or {}).get("outcome") not in (None, "returned")))
    progress(f"screening: {plural(len(runs), 'run')} of {plural(len(subjects), 'subject')}, "
             f"{plural(len(alerts), 'alert')}, "
             f"{plural(sum(len(v) for v in bundle.list_versions.values()), 'list version')}")


def _risk(bundle: _Bundle, customer_id: str, progress: Progress) -> None:
    assessments = risk_assessments_of(customer_id=customer_id, limit=MAX_ASSESSMENTS)
    if len(assessments) >= MAX_ASSESSMENTS:
        bundle.limits_reached.append(f"risk assessments: the newest {MAX_ASSESSMENTS} only")
    bundle.add("risk/assessments.json", [_record(a, leave_out=("book_shard",)) for a in reversed(assessments)])
    try:
        current: dict[str, Any] | None = risk_view(customer_id)
    except DomainError as exc:
        current = {"assessed": False, "message": exc.message}
    bundle.add("risk/current.json", current)
    used = {int(a.model_version) for a in assessments}
    bundle.risk_models = used
    models = [_record(v, leave_out=("whatif", "lock")) for v in risk_model_versions()
              if int(v.model_version) in used]
    bundle.add("risk/models.json", models)
    bundle.counts["risk_assessments"] = len(assessments)
    progress(f"risk: {plural(len(assessments), 'assessment')} under model version(s) "
             f"{', '.join(str(v) for v in sorted(used)) or 'none'}")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(document: Document) -> str:
    name = _UNSAFE.sub("_", document.filename or "").strip("._")[:100]
    return name or document.document_type


def _document_record(document: Document) -> dict[str, Any]:
    data = _record(document, leave_out=("number", "expiry_bucket", "expiry_key"))
    data["number_masked"] = mask_value(document.number) if document.number else None
    data["scan_label"] = document_scan_label(document)
    return data


def _document_file(bundle: _Bundle, document: Document) -> dict[str, Any]:
    """Add one document's current file if it may leave (scanned clean, present, as recorded); say why not."""
    entry: dict[str, Any] = {"document_id": document.document_id, "document_type": document.document_type,
                             "status": document.status, "path": None, "included": False, "reason": None}
    if not document.s3_key:
        entry["reason"] = f"no file: the document is {document.status.replace('_', ' ')}"
        return entry
    try:
        document_quarantine_check(document)
    except DocumentQuarantined as exc:
        entry["reason"] = exc.message
        return entry
    if storage.object_head(key=document.s3_key, version_id=document.s3_version_id) is None:
        entry["reason"] = f"the stored file (version {document.s3_version_id}) is missing from storage"
        return entry
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        storage.object_read(key=document.s3_key, out=spool, version_id=document.s3_version_id)  # type: ignore[arg-type]
        body = spool.read()
    path = f"documents/files/{document.document_id}/{_file_name(document)}"
    bundle.add(path, body)
    entry.update(path=path, included=True, sha256=_sha256(body), s3_version_id=document.s3_version_id,
                 matches_record=_sha256(body) == document.sha256)
    if not entry["matches_record"]:
        entry["reason"] = (f"included, but its SHA-256 differs from the one recorded at upload ({document.sha256}): "
                           "tell a platform admin")
    return entry


def _documents(bundle: _Bundle, customer_id: str, *, with_files: bool, progress: Progress) -> None:
    documents = document_list(customer_id=customer_id)
    requests = document_request_list(customer_id=customer_id)
    waivers = document_waivers(customer_id=customer_id)
    try:
        checklist: list[dict[str, Any]] | dict[str, Any] = [{
            "code": i.code, "label": i.label, "any_of": i.any_of, "jurisdiction": i.jurisdiction, "state": i.state,
            "satisfied": i.satisfied, "document_ids": i.document_ids, "waived": i.waiver is not None,
            "expires_on": i.expires_on, "reason": i.reason} for i in document_checklist(customer_id=customer_id)]
    except DomainError as exc:
        checklist = {"available": False, "message": exc.message}
    bundle.add("documents/documents.json", {
        "documents": [_document_record(d) for d in documents],
        "requests": [_record(r, leave_out=("open_bucket", "due_key")) for r in requests],
        "waivers": [_record(w) for w in waivers.values()],
        "checklist": checklist,
    })
    for document in documents:
        bundle.chain("document", document.document_id, f"Document: {document_type_label(document.document_type)}")
        if with_files:
            bundle.documents.append(_document_file(bundle, document))
        else:
            bundle.documents.append({"document_id": document.document_id, "document_type": document.document_type,
                                     "status": document.status, "path": None, "included": False,
                                     "reason": "files were not asked for (tick “with document files” on the customer page; "
                                               "--with-files on the command line; with_files in the API)"
                                     if document.s3_key else f"no file: the document is "
                                     f"{document.status.replace('_', ' ')}"})
    for request in requests:
        bundle.chain("document_request", request.request_id, "Document request: " + ", ".join(
            document_type_label(t) for t in request.document_types) + f" (due {request.due_date})")
    for waiver in waivers.values():
        bundle.chain("document_waiver", f"{waiver.customer_id}.{waiver.code}", f"Waiver: {waiver.label}")
    bundle.counts.update(documents=len(documents), document_requests=len(requests), document_waivers=len(waivers))
    included = sum(1 for d in bundle.documents if d["included"])
    progress(f"documents: {len(documents)} ({plural(included, 'file')} included), "
             f"{plural(len(requests), 'request')}, {plural(len(waivers), 'waiver')}")


def _cases(bundle: _Bundle, customer_id: str, progress: Progress) -> list[Case]:
    cases = cases_for_customer(customer_id=customer_id)
    bundle.add("cases/cases.json", [_record(c, leave_out=("status_key", "updated_key", "due_key", "created_key"))
                                    | {"notes": case_notes_of(case=c)} for c in reversed(cases)])
    for case in cases:
        bundle.chain("case", case.case_id, f"Case: {KIND_LABELS.get(case.kind, case.kind)} ({case.status})")
    decided = [c for c in cases if c.decision in ("approved", "rejected")]
    bundle.counts.update(cases=len(cases), case_decisions=len(decided))
    progress(f"cases: {len(cases)} ({len(decided)} decided)")
    return cases


def _history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"seq": e["seq"], "occurred_at": e["occurred_at"], "action": e["action"],
             "by": (e.get("actor") or {}).get("name"), "changes": e.get("changes") or {}, "reason": e.get("reason"),
             "data": e.get("data") or {}, "event_id": e["event_id"]} for e in events]


def _audit(bundle: _Bundle, *, customer_id: str, export_id: str, actor: Actor, progress: Progress) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    verification = []
    for chain in bundle.chains:
        chain_events = [event_as_dict(item) for item in audit_chain_events(chain=chain)]
        if not chain_events:
            continue
        events.extend(chain_events)
        status = audit_chain_status(chain=chain)
        verification.append({"chain": chain, "events": status.events, "ok": status.ok, "summary": status.summary,
                             "checkpoint_at": status.checkpoint_at, "unavailable": status.unavailable,
                             "problems": [p.as_dict() for p in status.problems]})
        if chain == chain_key("customer", customer_id):
            bundle.add("customer/history.json", _history(chain_events))
    criteria = {"object_type": "customer", "object_id": customer_id, "chains": sorted(bundle.chains)}
    manifest, files = export_render(export_id=export_id, actor=actor, criteria=criteria, events=events)
    for name, body in files.items():
        bundle.add(f"{AUDIT_DIR}/{name}", body)
    bundle.add(f"{AUDIT_DIR}/verification.json", {
        "verified_at": datetime.now(tz=UTC).isoformat(), "verified_by": "the bank, with the audit key (kms:VerifyMac)",
        "ok": all(v["ok"] for v in verification), "chains": verification})
    bundle.counts.update(audit_events=len(events), audit_chains=len(verification))
    broken = [str(v["chain"]) for v in verification if not v["ok"]]
    progress(f"audit: {plural(len(events), 'event')} in {plural(len(verification), 'chain')}; verified at export: "
             + (f"NOT OK ({', '.join(broken)})" if broken else "all intact"))
    return {"chains": manifest["chains"], "anchors": len(manifest["anchors"]),
            "anchors_missing": manifest["anchors_missing"], "verified_at_export": not broken,
            "not_verified": broken, "hash": manifest["hash"],
            "labels": {c["chain"]: bundle.labels[c["chain"]] for c in manifest["chains"] if c["chain"] in bundle.labels}}


# --- the archive ----------------------------------------------------------------------------------------

def _readme(*, customer: Customer, export_id: str, created_at: str, actor: Actor, archive_name: str) -> bytes:
    return f"""The customer file of {customer.legal_name} ({customer.customer_id})
Export {export_id}, made {created_at[:19].replace("T", " ")} UTC by {actor.name}.

What is inside
  manifest.json        who exported it and when, the screening algorithm(s), list versions and risk model
                       versions referenced, what each document's file is (or why it is not included), and
                       every other file's path, size and SHA-256
  manifest.sha256      the SHA-256 of manifest.json
  customer/            the full profile with its related parties, its history, the ownership picture
  screening/           every screening run with its list versions, algorithm and threshold; the alerts with
                       their evidence and dispositions; the list versions as they were loaded
  risk/                every risk assessment with its factors and inputs; the risk model versions used
  documents/           the documents' metadata, requests, waivers and checklist (files/: the files, if asked)
  cases/               the cases, their submissions and decisions with the rationale
  audit/               the audit events of every chain of this customer (hash-chained), as the bank's audit
                       export writes them, and how each chain verified at export time

How to check it
  1. With the platform's tools (no database needed):
       manage.py customer_file_verify {archive_name}
     It checks every file against the manifest, the manifest against manifest.sha256, recomputes every
     audit event's hash and the links of each chain, and that each case decision and alert disposition in
     cases/ and screening/ is the one the audit trail recorded. Exit status 0: intact.

  2. By hand, with sha256sum (and jq) after unzipping:
       sha256sum -c manifest.sha256
       jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c
     Each audit event (audit/events.jsonl, one per line) carries "hash": the SHA-256 of the JSON of its
     other fields except "mac" (sorted keys, separators "," and ":", UTF-8); each event's "prev_hash" is
     the hash of the event before it in its chain (seq 1: 64 zeros). audit/manifest.json says so exactly.

What an offline check cannot prove
  Whoever holds this archive could rewrite a file and the manifest and manifest.sha256 with it. The root of
  trust is the bank's audit trail: the export is recorded there (action customer.file_exported on the
  customer's chain) with the SHA-256 of this manifest.json, and the audit events carry MACs that only the
  bank's audit key verifies. Ask the bank to confirm the manifest's SHA-256 against that event
  (manage.py audit_verify --object customer:{customer.customer_id} verifies the live chain).

Personal data
  {PERSONAL_DATA}
""".encode()


def _zip(files: dict[str, bytes], *, created_at: datetime) -> IO[bytes]:
    archive = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned to the caller)
    stamp = created_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in [README, MANIFEST, MANIFEST_HASH, *sorted(set(files) - {README, MANIFEST, MANIFEST_HASH})]:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    archive.seek(0)
    return archive  # type: ignore[return-value]


@dataclass
class CustomerFile:
    """An exported customer file: where it is, what its manifest says, and the archive itself (a temp file)."""

    export_id: str
    customer_id: str
    customer_name: str
    bucket: str
    key: str
    manifest: dict[str, Any]
    manifest_sha256: str
    archive_sha256: str
    size: int
    event_id: str
    archive: IO[bytes]

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    def url(self, *, expires: int) -> str:
        """A presigned GET of the archive (attachment), living ``expires`` seconds."""
        return str(aws.client("s3").generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": self.key, "ResponseContentType": "application/zip",
            "ResponseContentDisposition": f'attachment; filename="{self.file_name}"'}, ExpiresIn=expires))

    def download_link(self) -> tuple[str, datetime]:
        """The presigned GET the API and the web page hand out, and when it stops working."""
        seconds = int(settings.CDD_AUDIT_EXPORT_URL_SECONDS)
        return self.url(expires=seconds), datetime.now(tz=UTC) + timedelta(seconds=seconds)

    def save(self, path: Path) -> Path:
        """Write the archive to ``path`` (a directory: the archive's own name inside it)."""
        target = path / self.file_name if path.is_dir() else path
        target.parent.mkdir(parents=True, exist_ok=True)
        self.archive.seek(0)
        with target.open("wb") as out:
            while chunk := self.archive.read(1024 * 1024):
                out.write(chunk)
        self.archive.seek(0)
        return target

    def summary(self) -> dict[str, Any]:
        """The manifest without its list of files (how many there are instead)."""
        return {**{k: v for k, v in self.manifest.items() if k != "files"}, "file_count": len(self.manifest["files"])}


def customer_file_export(*, customer_id: str, actor: Actor, with_files: bool = False,
                         progress: Progress = _quiet) -> CustomerFile:
    """Build a customer's file (zip with a SHA-256 manifest), store it in the exports bucket; audited."""
    customer, parties = customer_profile_view(customer_id=customer_id, actor=actor)  # 404 before anything else
    export_id = str(ULID())
    created = datetime.now(tz=UTC)
    progress(f"Customer file of {customer.legal_name} ({customer_id}), export {export_id}")
    bundle = _Bundle()
    _profile(bundle, customer, parties)
    _ownership(bundle, customer)
    progress(f"profile: {customer.customer_type.replace('_', ' ')}, {len(parties)} related parties")
    _screening(bundle, customer_id, parties, progress)
    _risk(bundle, customer_id, progress)
    _documents(bundle, customer_id, with_files=with_files, progress=progress)
    _cases(bundle, customer_id, progress)
    audit = _audit(bundle, customer_id=customer_id, export_id=export_id, actor=actor, progress=progress)
    archive_name = f"customer-file-{customer_id}-{export_id}.zip"
    bundle.add(README, _readme(customer=customer, export_id=export_id, created_at=created.isoformat(), actor=actor,
                               archive_name=archive_name))
    files = [{"path": path, "bytes": len(body), "sha256": _sha256(body)} for path, body in sorted(bundle.files.items())]
    manifest: dict[str, Any] = {
        "format": FILE_FORMAT, "export_id": export_id, "created_at": created.isoformat(),
        "created_by": actor.as_dict(),
        "customer": {"customer_id": customer_id, "name": customer.legal_name, "type": customer.customer_type,
                     "status": customer.status, "integration": customer.integration},
        "with_files": with_files,
        "algorithms": {"screening": sorted(bundle.algorithms), "screening_thresholds": sorted(bundle.thresholds),
                       "ownership": OWNERSHIP_ALGORITHM, "risk_model_versions": sorted(bundle.risk_models),
                       "audit_hash": f"sha256 {audit['hash']['version']}"},
        "list_versions": {key: sorted(ids) for key, ids in sorted(bundle.list_versions.items())},
        "contents": dict(sorted(bundle.counts.items())),
        "documents": bundle.documents,
        "audit": audit,
        "limits_reached": bundle.limits_reached,
        "personal_data": PERSONAL_DATA,
        "verify": f"manage.py customer_file_verify {archive_name} (offline); README.txt says how by hand",
        "files": files,
    }
    manifest_body = _json(manifest)
    manifest_sha256 = _sha256(manifest_body)
    bundle.files[MANIFEST] = manifest_body
    bundle.files[MANIFEST_HASH] = f"{manifest_sha256}  {MANIFEST}\n".encode()
    archive = _zip(bundle.files, created_at=created)
    digest, size = hashlib.sha256(), 0
    while chunk := archive.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    archive.seek(0)
    bucket, key = settings.CDD_EXPORTS_BUCKET, f"customer-files/{customer_id}/{archive_name}"
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=archive, ContentType="application/zip",
                  Metadata={"sha256": digest.hexdigest()})
    archive.seek(0)
    try:
        event = audit_read_record(actor=actor, action="customer.file_exported", object_type="customer",
                                  object_id=customer_id, data={
                                      "export_id": export_id, "format": FILE_FORMAT, "bucket": bucket, "key": key,
                                      "manifest_sha256": manifest_sha256, "archive_sha256": digest.hexdigest(),
                                      "bytes": size, "with_files": with_files, "files": len(files),
                                      "documents_included": [d["document_id"] for d in bundle.documents
                                                             if d["included"]],
                                      "documents_withheld": [d["document_id"] for d in bundle.documents
                                                             if not d["included"]],
                                      "audit_events": bundle.counts.get("audit_events", 0)})
    except Exception:
        # No customer file leaves without its audit event.
        s3.delete_object(Bucket=bucket, Key=key)
        archive.close()
        raise
    progress(f"stored s3://{bucket}/{key} ({size} bytes); recorded as customer.file_exported")
    return CustomerFile(export_id=export_id, customer_id=customer_id, customer_name=customer.legal_name,
                        bucket=bucket, key=key, manifest=manifest, manifest_sha256=manifest_sha256,
                        archive_sha256=digest.hexdigest(), size=size, event_id=str(event.event_id), archive=archive)


# --- offline verification -------------------------------------------------------------------------------

@dataclass
class FileReport:
    """What ``customer_file_verify`` found: problems name the file they are in."""

    path: Path
    manifest: dict[str, Any] | None = None
    manifest_sha256: str | None = None
    files_checked: int = 0
    decisions_checked: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audit: Report | None = None

    @property
    def ok(self) -> bool:
        return not self.problems  # the audit check's problems are among them, each with its file


def _load_json(zf: zipfile.ZipFile, name: str, report: FileReport) -> Any:
    try:
        return json.loads(zf.read(name))
    except (KeyError, ValueError, UnicodeDecodeError):
        report.problems.append(f"{name}: missing or not valid JSON")
        return None


def customer_file_verify(*, path: Path, expect_manifest_sha256: str | None = None) -> FileReport:
    """Check a customer file offline: files against the manifest, the manifest's hash, the audit chains, decisions."""
    report = FileReport(path=path)
    if not zipfile.is_zipfile(path):
        report.problems.append(f"{path.name}: not a zip archive (or damaged)")
        return report
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        for name in sorted({n for n in names if names.count(n) > 1}):
            report.problems.append(f"{name}: appears more than once in the archive (added after export)")
        if MANIFEST not in names:
            report.problems.append(f"{MANIFEST}: missing: nothing can be checked")
            return report
        manifest_body = zf.read(MANIFEST)
        report.manifest_sha256 = _sha256(manifest_body)
        _manifest_hash_check(zf, names, report)
        if expect_manifest_sha256 and expect_manifest_sha256.lower() != report.manifest_sha256:
            report.problems.append(f"{MANIFEST}: its SHA-256 is {report.manifest_sha256}, not {expect_manifest_sha256} "
                                   "as expected (the one the bank's audit trail recorded?)")
        manifest = _load_json(zf, MANIFEST, report)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
            report.problems.append(f"{MANIFEST}: not a customer file manifest (no list of files)")
            return report
        report.manifest = manifest
        if manifest.get("format") != FILE_FORMAT:
            report.warnings.append(f"{MANIFEST}: format {manifest.get('format')!r}; this checker knows {FILE_FORMAT}")
        listed: dict[str, dict[str, Any]] = {}
        for entry in manifest["files"]:
            listed[str(entry.get("path"))] = entry
        for name, entry in sorted(listed.items()):
            if name not in names:
                report.problems.append(f"{name}: listed in the manifest but missing from the archive (removed)")
                continue
            body = zf.read(name)
            report.files_checked += 1
            if _sha256(body) != entry.get("sha256") or len(body) != entry.get("bytes"):
                report.problems.append(f"{name}: its SHA-256 ({_sha256(body)[:16]}…, {len(body)} bytes) differs from "
                                       f"the manifest ({str(entry.get('sha256'))[:16]}…, {entry.get('bytes')} bytes): "
                                       "the file was changed after export")
        for name in sorted(set(names) - set(listed) - {MANIFEST, MANIFEST_HASH}):
            report.problems.append(f"{name}: not listed in the manifest (added after export)")
        report.audit = _audit_check(zf, names, report)
        _decisions_check(zf, names, report, broken={p.chain for p in report.audit.problems} if report.audit else set())
    return report


def _manifest_hash_check(zf: zipfile.ZipFile, names: list[str], report: FileReport) -> None:
    if MANIFEST_HASH not in names:
        report.problems.append(f"{MANIFEST_HASH}: missing (the manifest's own hash)")
        return
    recorded = zf.read(MANIFEST_HASH).decode(errors="replace").split()
    if not recorded or recorded[0].lower() != report.manifest_sha256:
        report.problems.append(f"{MANIFEST}: its SHA-256 ({report.manifest_sha256}) differs from {MANIFEST_HASH} "
                               f"({recorded[0] if recorded else 'empty'}): the manifest was changed after export")


def _audit_check(zf: zipfile.ZipFile, names: list[str], report: FileReport) -> Report | None:
    """Recompute the audit chains from the lines in the bundle: the audit export's own verifier."""
    missing = [f"{AUDIT_DIR}/{n}" for n in (JSONL_NAME, MANIFEST_NAME) if f"{AUDIT_DIR}/{n}" not in names]
    if missing:
        report.problems.append(f"{', '.join(missing)}: missing: the audit events cannot be checked")
        return None
    audit = Report()
    with tempfile.TemporaryDirectory(prefix="cdd-customer-file-") as tmp:
        folder = Path(tmp)
        for name in AUDIT_FILES:
            if f"{AUDIT_DIR}/{name}" in names:
                (folder / name).write_bytes(zf.read(f"{AUDIT_DIR}/{name}"))
        for name in (JSONL_NAME, CSV_NAME):
            if not (folder / name).exists():
                continue
            try:
                found = export_verify(path=folder / name, manifest_path=folder / MANIFEST_NAME)
            except (ValueError, KeyError, TypeError) as exc:
                report.problems.append(f"{AUDIT_DIR}/{name}: cannot be read as an audit export ({exc})")
                continue
            report.problems.extend(f"{AUDIT_DIR}/{name}: {problem}" for problem in found.problems)
            report.warnings.extend(found.warnings)
            audit.problems.extend(found.problems)
            if name == JSONL_NAME:  # the CSV holds the same events: count them once
                audit.chains, audit.events, audit.anchors = found.chains, found.events, found.anchors
    return audit


def _last_event(events: list[dict[str, Any]], chain: str, actions: set[str]) -> dict[str, Any] | None:
    found = [e for e in events if e.get("chain") == chain and e.get("action") in actions]
    return max(found, key=lambda e: int(e.get("seq") or 0)) if found else None


def _decisions_check(zf: zipfile.ZipFile, names: list[str], report: FileReport, *, broken: set[str]) -> None:
    """Each decision the readable files state is the one the hash-chained audit trail recorded.

    ``broken``: chains whose events did not verify; a disagreement there may be the trail's doing.
    """

    def trail(chain: str) -> str:
        return ("the audit trail, whose chain is itself broken (see above), records " if chain in broken
                else "the audit trail records ")

    if f"{AUDIT_DIR}/{JSONL_NAME}" not in names:
        return
    events = []
    for line in zf.read(f"{AUDIT_DIR}/{JSONL_NAME}").decode(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # named by the chain check already
        if isinstance(event, dict):
            events.append(event)
    cases = _load_json(zf, "cases/cases.json", report) if "cases/cases.json" in names else []
    for case in cases if isinstance(cases, list) else []:
        if case.get("decision") not in ("approved", "rejected"):
            continue
        report.decisions_checked += 1
        chain = chain_key("case", str(case.get("case_id")))
        event = _last_event(events, chain, {f"case.{case['decision']}"})
        if event is None or event.get("reason") != case.get("rationale"):
            report.problems.append(
                f"cases/cases.json: case {case.get('case_id')} says it was {case['decision']} with the rationale "
                f"{case.get('rationale')!r}, but {trail(chain)}"
                + (f"the rationale {event.get('reason')!r}" if event else "no such decision"))
    alerts = _load_json(zf, "screening/alerts.json", report) if "screening/alerts.json" in names else []
    for item in alerts if isinstance(alerts, list) else []:
        decision = (item.get("state") or {}).get("decision") or {}
        if decision.get("outcome") not in ("false_positive", "true_match"):
            continue
        report.decisions_checked += 1
        alert_id = str((item.get("state") or {}).get("alert_id"))
        chain = chain_key("alert", alert_id)
        event = _last_event(events, chain, {"alert.disposition_confirmed"})
        if event is None or event.get("reason") != decision.get("rationale") or \
                (event.get("data") or {}).get("outcome") != decision.get("outcome"):
            report.problems.append(
                f"screening/alerts.json: alert {alert_id} says {decision.get('outcome')} with the rationale "
                f"{decision.get('rationale')!r}, but {trail(chain)}"
                + (f"{(event.get('data') or {}).get('outcome')} with {event.get('reason')!r}" if event
                   else "no such decision"))
