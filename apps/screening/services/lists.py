"""List versions: load (parse, check, store, diff, activate), activate an older one, fetch.

Every load becomes a ``ListVersion``. Raw files and the normalised entities go to S3 under
``lists/<list_key>/<version_id>/``; the version record, the move of the list's head and the
audit event commit in one DynamoDB transaction. A load whose files cannot be parsed, or whose
entity count collapsed against the active version, is recorded as ``refused`` with the reason and
the active version stays as it is.

A file uploaded in the admin (``list_version_upload``) goes through the same load, but stops
short of activation: it is ``staged`` with its counts and diff, and a senior reviewer who did not
upload it activates it (``list_version_activate``, the path every activation takes, so the delta
re-screening follows as for a command-line load) or it is discarded with a reason.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, Write, audit_event_record
from apps.core import aws
from apps.core.dynamo import utcnow
from apps.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    FourEyesViolation,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from apps.core.outbox import outbox_item_new, outbox_put, outbox_send
from apps.core.roles import ANALYST, SENIOR_REVIEWER
from apps.screening.lists import (
    ListCollapsed,
    ListParseError,
    ListSource,
    ParseResult,
    entities_dump_jsonl_gz,
    entity_hash,
    ftm_source,
    internal_source,
    list_diff_hashes,
    list_sanity_check,
    list_source_get,
)
from apps.screening.models import (
    AWAITING,
    STATUS_ACTIVE,
    STATUS_DISCARDED,
    STATUS_HELD,
    STATUS_REFUSED,
    STATUS_STAGED,
    STATUS_SUPERSEDED,
    ListHead,
    ListVersion,
)

logger = logging.getLogger(__name__)

AUDIT_OBJECT_TYPE = "list"
DIFF_SAMPLE = 20
MAX_WARNINGS = 50
LoadSource = Literal["snapshot", "upload", "url", "directory"]
# Who may upload a list file in the admin (it is only staged), and who activates what someone else staged.
# Analysts prepare; senior reviewers decide. ROLE_CONFLICTS keeps the two apart (no analyst is a senior
# reviewer), and the service also refuses the uploader's own activation, so a senior reviewer who uploads
# needs another senior reviewer.
LIST_UPLOADERS = (ANALYST, SENIOR_REVIEWER)
LIST_ACTIVATORS = (SENIOR_REVIEWER,)


class ListFetchFailed(DomainError):
    """An official list could not be downloaded."""

    status = 502
    code = "list_fetch_failed"


class UnknownList(NotFound):
    code = "unknown_list"


@dataclass(frozen=True)
class ListLoadOutcome:
    """What a load did: ``activated`` a new version, ``refused`` it, or found it ``unchanged``."""

    outcome: Literal["activated", "refused", "unchanged", "held", "staged"]
    version: ListVersion
    result: ParseResult | None = None


def list_sources_configured() -> dict[str, ListSource]:
    """Lists configured in settings (``CDD_LISTS_EXTRA``) besides the official ones."""
    sources: dict[str, ListSource] = {}
    for key, spec in (getattr(settings, "CDD_LISTS_EXTRA", None) or {}).items():
        make = {"ftm": ftm_source, "internal": internal_source}.get(str(spec.get("format")))
        if make is None:
            raise ValueError(f"CDD_LISTS_EXTRA[{key!r}]: format must be 'ftm' or 'internal'")
        sources[key] = make(key, url=spec.get("url"), title=spec.get("title"))
    return sources


def list_source_for(list_key: str) -> ListSource:
    """The source of ``list_key``, with download URLs replaced where ``CDD_LISTS_URLS`` says so
    (a bank's mirror or proxy of the official files)."""
    try:
        source = list_source_get(list_key, extra=list_sources_configured())
    except KeyError as exc:
        raise UnknownList(str(exc.args[0]), errors={"list_key": [str(exc.args[0])]}) from exc
    overrides = (getattr(settings, "CDD_LISTS_URLS", None) or {}).get(list_key) or {}
    if overrides:
        unknown = set(overrides) - {f.name for f in source.files}
        if unknown:
            raise ValueError(f"CDD_LISTS_URLS[{list_key!r}] names files the list does not have: {sorted(unknown)}")
        files = tuple(dataclasses.replace(f, url=overrides.get(f.name, f.url)) for f in source.files)
        source = dataclasses.replace(source, files=files)
    return source


# --- S3 ------------------------------------------------------------------------------------


def version_prefix(*, list_key: str, version_id: str) -> str:
    return f"lists/{list_key}/{version_id}/"


def entities_key(*, list_key: str, version_id: str) -> str:
    return version_prefix(list_key=list_key, version_id=version_id) + "entities.jsonl.gz"


def _put(key: str, body: bytes, content_type: str) -> None:
    aws.client("s3").put_object(
        Bucket=settings.CDD_LISTS_BUCKET,
        Key=key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=settings.CDD_KMS_KEY_ID,
    )


def object_put(key: str, body: bytes, content_type: str) -> None:
    """Store one object of a version (encrypted with the platform key) in the lists bucket."""
    _put(key, body, content_type)


def object_get(key: str) -> bytes:
    return aws.client("s3").get_object(Bucket=settings.CDD_LISTS_BUCKET, Key=key)["Body"].read()


def _gzip_json(value: Any) -> bytes:
    return gzip.compress(json.dumps(value, separators=(",", ":"), sort_keys=True).encode(), mtime=0)


# --- load ----------------------------------------------------------------------------------


def files_checksum(files: Mapping[str, bytes]) -> tuple[str, dict[str, str]]:
    """sha256 over the files (by lower-cased name and content), and each file's own sha256."""
    each = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    combined = hashlib.sha256(json.dumps(sorted((n.lower(), h) for n, h in each.items())).encode()).hexdigest()
    return combined, each


def _head_get(list_key: str) -> ListHead | None:
    try:
        return ListHead.get(list_key, consistent_read=True)
    except ListHead.DoesNotExist:
        return None


def _version_get(list_key: str, version_id: str) -> ListVersion:
    try:
        return ListVersion.get(list_key, version_id, consistent_read=True)
    except ListVersion.DoesNotExist as exc:
        raise NotFound(f"List {list_key} has no version {version_id}.") from exc


def _transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=ListVersion.Meta.region, host=ListVersion.Meta.host))


def _refuse(*, version: ListVersion, message: str, actor: Actor, result: ParseResult | None) -> ListLoadOutcome:
    version.status = STATUS_REFUSED
    version.message = message
    audit_event_record(
        entry=AuditEntry(
            actor=actor,
            action="list_version.refused",
            object_type=AUDIT_OBJECT_TYPE,
            object_id=version.list_key,
            after=version.as_dict(),
            reason=message,
        ),
        writes=[lambda tx: tx.save(version, condition=ListVersion.version_id.does_not_exist())],
    )
    logger.warning("list %s: version %s refused: %s", version.list_key, version.version_id, message)
    return ListLoadOutcome(outcome="refused", version=version, result=result)


def list_cut_problem(*, new_count: int, orphans: Mapping[str, Mapping[str, int]],
                     active: ListVersion | None) -> str | None:
    """Why a publication looks cut short, or None: far more aliases/addresses for entries it lacks than usual.

    A primary file cut at a line boundary still parses; what gives it away is the secondary files
    (OFAC's alt/add/comments) naming many entries the primary file no longer has. The share of
    orphan ids per file is compared with the active version's (or with an absolute ceiling).
    """
    if new_count <= 0:
        return None
    rise = float(settings.CDD_LISTS_MAX_ORPHAN_RISE)
    ceiling = float(settings.CDD_LISTS_MAX_ORPHAN_SHARE)
    before = dict(active.orphans or {}) if active is not None else {}
    active_count = int(active.entity_count or 0) if active is not None else 0
    for name, counted in sorted(orphans.items()):
        share = int(counted.get("ids", 0)) / new_count
        usual = int(before.get(name, {}).get("ids", 0)) / active_count if active_count else None
        limit = min(ceiling, usual + rise) if usual is not None else ceiling
        if share > limit:
            usual_text = f", against {usual:.0%} in the active version" if usual is not None else ""
            return (f"{name} describes {int(counted['ids']):,} entries that the primary file lacks ({share:.0%} of "
                    f"its {new_count:,} entries{usual_text}): the primary file looks cut short. The active version "
                    "stays; load the complete publication.")
    return None


def list_shrink_limit(list_key: str) -> float | None:
    """The share of entries a publication of ``list_key`` may lose before it is held (None: no hold).

    The official sanctions lists use ``CDD_LISTS_MAX_SHRINK``; a list of the bank's own (``CDD_LISTS_EXTRA``)
    only if its configuration says ``"max_shrink"`` (a short internal list losing a few rows is normal).
    """
    extra = (getattr(settings, "CDD_LISTS_EXTRA", None) or {}).get(list_key)
    if extra is not None:
        value = extra.get("max_shrink")
        return None if value is None else float(value)
    return float(settings.CDD_LISTS_MAX_SHRINK)


def list_shrink_problem(*, list_key: str, previous_count: int | None, new_count: int) -> str | None:
    """Why a publication must wait for a senior person (it lost more entries than the list normally does)."""
    limit = list_shrink_limit(list_key)
    if not previous_count or limit is None:
        return None
    lost = previous_count - new_count
    if lost > previous_count * limit:
        return (f"{lost:,} of {previous_count:,} entries ({lost / previous_count:.1%}) are gone in one publication, "
                f"more than {limit:.0%}: held until a senior reviewer who did not load it activates it with a reason.")
    return None


def _hold(*, version: ListVersion, message: str, actor: Actor, result: ParseResult) -> ListLoadOutcome:
    version.status = STATUS_HELD
    version.message = message
    audit_event_record(
        entry=AuditEntry(actor=actor, action="list_version.held", object_type=AUDIT_OBJECT_TYPE,
                         object_id=version.list_key, after=version.as_dict(), reason=message,
                         data={"diff": version.diff}),
        writes=[lambda tx: tx.save(version, condition=ListVersion.version_id.does_not_exist())],
    )
    logger.warning("list %s: version %s held: %s", version.list_key, version.version_id, message)
    return ListLoadOutcome(outcome="held", version=version, result=result)


def _stage(*, version: ListVersion, actor: Actor, result: ParseResult) -> ListLoadOutcome:
    version.status = STATUS_STAGED
    audit_event_record(
        entry=AuditEntry(actor=actor, action="list_version.staged", object_type=AUDIT_OBJECT_TYPE,
                         object_id=version.list_key, after=version.as_dict(), data={"diff": version.diff}),
        writes=[lambda tx: tx.save(version, condition=ListVersion.version_id.does_not_exist())],
    )
    return ListLoadOutcome(outcome="staged", version=version, result=result)


def list_version_load(
    *,
    list_key: str,
    files: Mapping[str, bytes],
    actor: Actor,
    source: LoadSource = "upload",
    source_url: str | None = None,
    force: bool = False,
    stage: bool = False,
    file_names: Mapping[str, str] | None = None,
) -> ListLoadOutcome:
    """Parse a list publication and make it the active version, unless it is broken or collapsed.

    Identical files to the active version change nothing (``unchanged``). ``force`` skips the
    collapse check, for a list that really shrank; it is recorded in the audit event. ``stage``
    stores a version that passed every check as ``staged`` instead of activating it (the admin's
    upload: a second person activates it); ``file_names`` records the names the files came with.
    """
    list_source = list_source_for(list_key)
    expected = {f.name.lower(): f.name for f in list_source.files}
    unexpected = sorted(name for name in files if name.lower() not in expected)
    if not files or unexpected:
        problem = f"not files of {list_key}: {', '.join(unexpected)}" if unexpected else "no file given"
        raise ValidationFailed(f"{problem}. Expected: {', '.join(expected.values())}.", errors={"files": [problem]})
    files = {expected[name.lower()]: data for name, data in files.items()}  # canonical names
    checksum, file_checksums = files_checksum(files)
    head = _head_get(list_key)
    active = _version_get(list_key, head.active_version_id) if head else None
    if active is not None and active.checksum == checksum:
        return ListLoadOutcome(outcome="unchanged", version=active)
    latest = next(iter(ListVersion.query(list_key, scan_index_forward=False, limit=1)), None)
    if not force and latest is not None and latest.status == STATUS_REFUSED and latest.checksum == checksum:
        # The same broken publication again (a refresh every two hours): one record is enough.
        return ListLoadOutcome(outcome="refused", version=latest)
    if stage:
        waiting = next((v for v in ListVersion.by_checksum.query(checksum, scan_index_forward=False)
                        if v.list_key == list_key and v.status in AWAITING
                        and v.previous_version_id == (active.version_id if active else None)), None)
        if waiting is not None:  # the same file uploaded twice: it already waits for activation
            return ListLoadOutcome(outcome="staged" if waiting.status == STATUS_STAGED else "held", version=waiting)

    version_id = str(ULID())
    prefix = version_prefix(list_key=list_key, version_id=version_id)
    raw_keys: dict[str, str] = {}
    for name, data in files.items():
        raw_keys[name] = f"{prefix}raw/{name}"
        _put(raw_keys[name], data, "application/octet-stream")
    version = ListVersion(
        list_key,
        version_id,
        status=STATUS_REFUSED,
        checksum=checksum,
        file_checksums=file_checksums,
        raw_keys=raw_keys,
        previous_version_id=active.version_id if active else None,
        source=source,
        source_url=source_url,
        file_names=dict(file_names) if file_names else None,
        loaded_by=actor.as_dict(),
        created_at=utcnow(),
    )

    try:
        result = list_source.parse(files)
    except ListParseError as exc:
        return _refuse(version=version, message=str(exc), actor=actor, result=None)
    version.entity_count = len(result.entities)
    version.counts = result.counts
    version.orphans = result.orphan_counts()
    version.warnings = result.warnings[:MAX_WARNINGS]
    if not force:
        try:
            list_sanity_check(
                int(head.entity_count) if head else None,
                len(result.entities),
                float(getattr(settings, "CDD_LISTS_MIN_RATIO", 0.5)),
            )
        except ListCollapsed as exc:
            return _refuse(version=version, message=str(exc), actor=actor, result=result)
        cut = list_cut_problem(new_count=len(result.entities), orphans=version.orphans or {},
                               active=active)
        if cut:
            return _refuse(version=version, message=cut, actor=actor, result=result)
    held = None if force else list_shrink_problem(list_key=list_key, new_count=len(result.entities),
                                                  previous_count=int(head.entity_count) if head else None)

    hashes = {e.key: entity_hash(e) for e in result.entities}
    previous_hashes: dict[str, str] = {}
    if active is not None and active.hashes_key:
        previous_hashes = json.loads(gzip.decompress(object_get(active.hashes_key)))
    diff = list_diff_hashes(previous_hashes, hashes)
    version.entities_key = entities_key(list_key=list_key, version_id=version_id)
    version.hashes_key = f"{prefix}hashes.json.gz"
    version.diff_key = f"{prefix}diff.json.gz"
    _put(version.entities_key, entities_dump_jsonl_gz(result.entities), "application/gzip")
    _put(version.hashes_key, _gzip_json(hashes), "application/gzip")
    _put(
        version.diff_key,
        _gzip_json({"added": diff.added, "removed": diff.removed, "changed": diff.changed}),
        "application/gzip",
    )
    version.diff = diff.summary(sample=DIFF_SAMPLE)
    if held:
        return _hold(version=version, message=held, actor=actor, result=result)
    if stage:
        return _stage(version=version, actor=actor, result=result)
    _activate(
        version=version,
        head=head,
        previous=active,
        actor=actor,
        reason="forced past the collapse check" if force else None,
        is_new=True,
    )
    return ListLoadOutcome(outcome="activated", version=version, result=result)


def _activate(
    *,
    version: ListVersion,
    head: ListHead | None,
    previous: ListVersion | None,
    actor: Actor,
    reason: str | None,
    is_new: bool,
) -> None:
    """Make ``version`` active, supersede ``previous``, move the head: one transaction with the audit event."""
    now = utcnow()
    version.status = STATUS_ACTIVE
    version.activated_at = now
    version.activated_by = actor.as_dict()
    if head is None:
        head = ListHead(version.list_key)
    head.active_version_id = version.version_id
    head.entity_count = version.entity_count
    head.activated_at = now

    writes: list[Write] = []
    if is_new:
        writes.append(lambda tx: tx.save(version, condition=ListVersion.version_id.does_not_exist()))
    else:
        writes.append(
            lambda tx: tx.update(
                version,
                actions=[
                    ListVersion.status.set(STATUS_ACTIVE),
                    ListVersion.activated_at.set(now),
                    ListVersion.activated_by.set(actor.as_dict()),
                    ListVersion.superseded_at.remove(),
                ],
                condition=ListVersion.status.is_in(STATUS_SUPERSEDED, *AWAITING),
            )
        )
    if previous is not None and previous.version_id != version.version_id:
        writes.append(
            lambda tx: tx.update(
                previous,
                actions=[ListVersion.status.set(STATUS_SUPERSEDED), ListVersion.superseded_at.set(now)],
                condition=ListVersion.status == STATUS_ACTIVE,
            )
        )
    writes.append(lambda tx: tx.save(head))
    # The version's changes are screened against the book (services/delta.py) when they are changes
    # against what was active; a roll-back's stored diff points the other way.
    previous_id = previous.version_id if previous else None
    delta = None
    diff = version.diff or {}
    if version.diff_key and version.previous_version_id == previous_id and any(
            diff.get(k) for k in ("added", "changed", "removed")):
        delta = outbox_item_new(topic="screening.list_delta", group_key=f"list:{version.list_key}",
                                payload={"list_key": version.list_key, "version_id": version.version_id})
        writes.append(outbox_put(delta))
    rescreen = delta.outbox_id if delta else (
        "no changes" if version.previous_version_id == previous_id else "not run for a roll-back: run a full re-screen")
    try:
        audit_event_record(
            entry=AuditEntry(
                actor=actor,
                action="list_version.activated",
                object_type=AUDIT_OBJECT_TYPE,
                object_id=version.list_key,
                before=previous.as_dict() if previous else None,
                after=version.as_dict(),
                reason=reason,
                data={"diff": version.diff, "previous_version_id": previous_id, "rescreen": rescreen},
            ),
            writes=writes,
        )
    except TransactWriteError as exc:
        raise Conflict(
            f"Another change to list {version.list_key} was committed first; nothing was changed. Run the load again."
        ) from exc
    if previous is not None:
        previous.status = STATUS_SUPERSEDED
        previous.superseded_at = now
    if delta is not None:
        outbox_send([delta])


def list_version_activate(*, list_key: str, version_id: str, actor: Actor, reason: str) -> ListVersion:
    """Make a staged or held version active, or an earlier (superseded) one again (a roll-back).

    Activating a staged or held version is four-eyes: a senior reviewer who did not load it (a held
    one needs a reason). A person rolling back is a senior reviewer too; system jobs and the
    command line (``lists_activate`` acts as a named user) follow the same rules.
    """
    target = _version_get(list_key, version_id)
    head = _head_get(list_key)
    if head is not None and head.active_version_id == version_id:
        return target
    if target.status in (STATUS_REFUSED, STATUS_DISCARDED):
        what = "refused" if target.status == STATUS_REFUSED else "discarded"
        why = target.message if target.status == STATUS_REFUSED else target.discard_reason
        raise Conflict(
            f"Version {version_id} of {list_key} was {what} ({why}); it cannot be activated.",
            errors={"version_id": [f"this version was {what}"]},
        )
    senior = any(r in actor.roles for r in LIST_ACTIVATORS)
    if target.status not in AWAITING and actor.kind != "system" and not senior:
        raise Forbidden(f"Only a senior reviewer makes an earlier version of {list_key} active again.")
    if target.status in AWAITING:
        if not senior:
            state = f"is held ({target.message})" if target.status == STATUS_HELD else "awaits activation"
            raise Forbidden(f"Version {version_id} of {list_key} {state}; only a senior reviewer activates it.")
        if list_version_loaded_by(target, actor):
            raise FourEyesViolation(
                "You loaded this version; another senior reviewer must activate it (four-eyes).")
        if target.status == STATUS_HELD and (not reason or not reason.strip()):
            raise ValidationFailed("A reason is required to activate a held version.",
                                   errors={"reason": ["say why the shrink is real"]})
        active_id = head.active_version_id if head else None
        if target.previous_version_id != active_id:
            raise Conflict(
                f"Version {version_id} of {list_key} was compared with version {target.previous_version_id or 'none'}, "
                f"but version {active_id} has become active since; its diff is out of date. Discard it and load "
                "the file again.", errors={"version_id": ["compared with a version that is no longer active"]})
    previous = _version_get(list_key, head.active_version_id) if head else None
    _activate(version=target, head=head, previous=previous, actor=actor, reason=reason or None, is_new=False)
    return target


def list_version_loaded_by(version: ListVersion, actor: Actor) -> bool:
    """Whether ``actor`` loaded (uploaded) ``version``."""
    loaded = version.loaded_by or {}
    return loaded.get("kind") == actor.kind and str(loaded.get("id")) == actor.id


def list_version_may_activate(version: ListVersion, actor: Actor) -> bool:
    """Whether ``actor`` may activate ``version`` now (what the admin offers; the service decides)."""
    return (version.status in AWAITING and any(r in actor.roles for r in LIST_ACTIVATORS)
            and not list_version_loaded_by(version, actor))


def list_version_may_discard(version: ListVersion, actor: Actor) -> bool:
    """Whether ``actor`` may discard ``version``: its uploader withdraws it, or a senior reviewer declines it."""
    return version.status in AWAITING and (
        list_version_loaded_by(version, actor) or any(r in actor.roles for r in LIST_ACTIVATORS))


def list_upload_allowed(actor: Actor) -> bool:
    return any(r in actor.roles for r in LIST_UPLOADERS)


def list_version_discard(*, list_key: str, version_id: str, actor: Actor, reason: str) -> ListVersion:
    """Decide not to activate a staged or held version, with a reason; the active version stays."""
    target = _version_get(list_key, version_id)
    if target.status not in AWAITING:
        raise Conflict(f"Version {version_id} of {list_key} is {target.status}; only a version awaiting activation "
                       "can be discarded.", errors={"version_id": [f"this version is {target.status}"]})
    if not list_version_may_discard(target, actor):
        raise Forbidden("Only whoever loaded this version or a senior reviewer discards it.")
    if not reason or not reason.strip():
        raise ValidationFailed("A reason is required to discard a version.",
                               errors={"reason": ["say why this version must not be used"]})
    now = utcnow()
    before = target.as_dict()
    previous_status = target.status
    target.status = STATUS_DISCARDED
    target.discarded_at = now
    target.discarded_by = actor.as_dict()
    target.discard_reason = reason.strip()
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="list_version.discarded", object_type=AUDIT_OBJECT_TYPE,
                             object_id=list_key, before=before, after=target.as_dict(), reason=target.discard_reason),
            writes=[lambda tx: tx.update(target, actions=[
                ListVersion.status.set(STATUS_DISCARDED), ListVersion.discarded_at.set(now),
                ListVersion.discarded_by.set(actor.as_dict()), ListVersion.discard_reason.set(target.discard_reason),
            ], condition=ListVersion.status == previous_status)],
        )
    except TransactWriteError as exc:
        raise Conflict(f"Version {version_id} of {list_key} was activated or discarded meanwhile; nothing was "
                       "changed.") from exc
    return target


def list_upload_max_bytes() -> int:
    return int(getattr(settings, "CDD_LISTS_UPLOAD_MAX_BYTES", 100 * 1024 * 1024))


def list_upload_names(*, list_key: str, names: list[str]) -> dict[str, str]:
    """The canonical file name of each uploaded name ({uploaded: canonical}), or a 400 naming the file.

    A name matches its file case-insensitively; otherwise a name with the suffix of exactly one of the
    list's files is that file (``UN_consolidated.xml``, ``ConList_2025-04-14.csv``).
    """
    specs = [f.name for f in list_source_for(list_key).files]
    mapped: dict[str, str] = {}
    for uploaded in names:
        base = uploaded.replace("\\", "/").rsplit("/", 1)[-1]
        name = next((f for f in specs if f.lower() == base.lower()), None)
        if name is None:
            suffix = base.rsplit(".", 1)[-1].lower() if "." in base else ""
            same_type = [f for f in specs if f.rsplit(".", 1)[-1].lower() == suffix]
            name = same_type[0] if len(same_type) == 1 else None
        if name is None:
            raise ValidationFailed(
                f"{base} is not a file of {list_key}: name it as one of {', '.join(specs)}.",
                errors={"files": [f"{base}: not one of {', '.join(specs)}"]})
        if name in mapped.values():
            raise ValidationFailed(f"Two files were given for {name} of {list_key}.",
                                   errors={"files": [f"{base}: a second file for {name}"]})
        mapped[uploaded] = name
    return mapped


def list_version_upload(*, list_key: str, files: Mapping[str, bytes], actor: Actor) -> ListLoadOutcome:
    """An uploaded publication, parsed, checked and diffed, staged for a senior reviewer's activation.

    A broken file is refused and a shrunken one held, with the reason; the active version stays in every case.
    """
    if not list_upload_allowed(actor):
        raise Forbidden(f"Uploading a list file is for {', '.join(LIST_UPLOADERS)}.")
    list_source_for(list_key)  # an unknown list is a 404 naming it
    if not files:
        raise ValidationFailed("Choose the file(s) to upload.", errors={"files": ["no file given"]})
    limit = list_upload_max_bytes()
    for name, data in files.items():
        if len(data) > limit:
            raise PayloadTooLarge(f"{name} is {len(data):,} bytes, more than the {limit:,} allowed "
                                  "(CDD_LISTS_UPLOAD_MAX_BYTES).", errors={"files": [f"{name}: too large"]})
    canonical = list_upload_names(list_key=list_key, names=list(files))
    return list_version_load(
        list_key=list_key, files={canonical[n]: data for n, data in files.items()}, actor=actor, source="upload",
        stage=True, file_names={canonical[n]: n for n in files})


# --- fetch ---------------------------------------------------------------------------------


def list_files_fetch(*, list_key: str, timeout: float | None = None, max_bytes: int | None = None) -> dict[str, bytes]:
    """Download every file of a list that has an official URL (time-limited, size-capped)."""
    import requests

    source = list_source_for(list_key)
    urls = source.urls()
    if not urls:
        raise ListFetchFailed(f"List {list_key} has no URL to fetch; load it from files instead.")
    timeout = timeout or float(getattr(settings, "CDD_LISTS_FETCH_TIMEOUT", 60))
    max_bytes = max_bytes or int(getattr(settings, "CDD_LISTS_FETCH_MAX_BYTES", 200 * 1024 * 1024))
    files: dict[str, bytes] = {}
    for name, url in urls.items():
        try:
            with requests.get(
                url, timeout=timeout, stream=True, headers={"User-Agent": "cdd-platform list refresh"}
            ) as response:
                response.raise_for_status()
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(chunk_size=256 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ListFetchFailed(
                            f"{url} is larger than {max_bytes} bytes; refusing it (CDD_LISTS_FETCH_MAX_BYTES)."
                        )
                    chunks.append(chunk)
        except requests.RequestException as exc:
            raise ListFetchFailed(f"Downloading {url} failed ({exc}); the active version of {list_key} stays.") from exc
        files[name] = b"".join(chunks)
    return files


def list_refresh(*, list_key: str, actor: Actor) -> ListLoadOutcome:
    """Fetch a list from its official URL(s) and load it."""
    files = list_files_fetch(list_key=list_key)
    urls = list_source_for(list_key).urls()
    return list_version_load(
        list_key=list_key, files=files, actor=actor, source="url", source_url=" ".join(urls.values())
    )
