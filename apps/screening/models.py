"""List versions in DynamoDB: every load of a sanctions or watch list, and which one is active.

Two tables:

* ``list_versions``: one item per load, ``list_key`` (hash) + ``version_id`` (range, a ULID, so
  versions sort by creation time). Refused loads are kept, with the reason.
* ``list_heads``: one item per list, ``list_key`` (hash): the active version and its entity
  count. It is the pointer that activation moves, with a ``VersionAttribute`` so that two
  concurrent loads of one list cannot both become active.

Access patterns (no scans):

| question | served by |
|---|---|
| active version of a list (screening, ``list_entities_active``, sanity check) | GetItem ``list_heads[list_key]``, then GetItem ``list_versions[list_key, version_id]`` |
| versions of a list, newest first (admin, ``lists_load`` output) | Query ``list_versions`` on ``list_key``, ``scan_index_forward=False`` |
| one version (alerts replay the version that produced them; the admin's version page) | GetItem ``list_versions[list_key, version_id]`` |
| a version's changes entry by entry (the admin's diff page) | GetItem as above, then the S3 object ``changes.json.gz`` (computed once from the two versions' ``entities.jsonl.gz``) |
| the latest load with a given checksum (idempotent refresh; an upload already awaiting activation) | Query ``ListVersionByChecksumIndex`` on ``checksum`` |

Raw and normalised files live in S3 (``CDD_LISTS_BUCKET``) under ``lists/<list_key>/<version_id>/``.
"""

from __future__ import annotations

from typing import Any, Literal

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from apps.core.dynamo import CddModel, TableMeta, utcnow

ListVersionStatus = Literal["active", "superseded", "refused", "held", "staged", "discarded"]
STATUS_ACTIVE = "active"
STATUS_SUPERSEDED = "superseded"
STATUS_REFUSED = "refused"
STATUS_HELD = "held"  # parsed and stored, but shrank too much: waits for a senior person to activate it
STATUS_STAGED = "staged"  # uploaded in the admin, parsed and diffed: waits for a second, senior person
STATUS_DISCARDED = "discarded"  # a staged or held version someone decided not to activate (with the reason)
AWAITING = (STATUS_STAGED, STATUS_HELD)  # versions that wait for a senior reviewer's activation


class ListVersionByChecksumIndex(GlobalSecondaryIndex["ListVersion"]):
    """Which loads had exactly these raw files (a refresh that found nothing new)."""

    class Meta:
        index_name = "by-checksum"
        projection = AllProjection()

    checksum = UnicodeAttribute(hash_key=True)
    version_id = UnicodeAttribute(range_key=True)


class ListVersion(CddModel):
    """One load of one list: its files, counts, diff against the version before, and status."""

    class Meta(TableMeta):
        name = "list_versions"

    list_key = UnicodeAttribute(hash_key=True)
    version_id = UnicodeAttribute(range_key=True)  # ULID
    status = UnicodeAttribute()  # active | superseded | refused | held | staged | discarded
    checksum = UnicodeAttribute()  # sha256 over the raw files (name and content)
    file_checksums = JSONAttribute(default=dict)  # {file name: sha256}
    entity_count = NumberAttribute(default=0)
    counts = JSONAttribute(default=dict)  # {schema: n}
    diff = JSONAttribute(null=True)  # ListDiff.summary(): counts and sample keys
    previous_version_id = UnicodeAttribute(null=True)  # the active version this one was compared with
    raw_keys = JSONAttribute(default=dict)  # {file name: S3 key}
    entities_key = UnicodeAttribute(null=True)  # S3 key of the normalised JSON lines (gzip)
    hashes_key = UnicodeAttribute(null=True)  # S3 key of {entity key: content hash} (gzip JSON)
    diff_key = UnicodeAttribute(null=True)  # S3 key of the full diff (gzip JSON)
    orphans = JSONAttribute(default=dict)  # {file: {"rows": n, "ids": m}}
    warnings = JSONAttribute(default=list)  # parser warnings (first 50)
    message = UnicodeAttribute(null=True)  # why it was refused
    source = UnicodeAttribute()  # snapshot | upload | url | directory
    source_url = UnicodeAttribute(null=True)
    file_names = JSONAttribute(null=True)  # {canonical name: the name it was uploaded as}
    loaded_by = JSONAttribute(default=dict)  # Actor.as_dict()
    created_at = UTCDateTimeAttribute(default=utcnow)
    activated_at = UTCDateTimeAttribute(null=True)
    activated_by = JSONAttribute(null=True)  # Actor.as_dict() of whoever made it active
    superseded_at = UTCDateTimeAttribute(null=True)
    discarded_at = UTCDateTimeAttribute(null=True)
    discarded_by = JSONAttribute(null=True)
    discard_reason = UnicodeAttribute(null=True)

    by_checksum = ListVersionByChecksumIndex()

    def as_dict(self) -> dict[str, Any]:
        """The fields an analyst or an audit event reads."""
        return {
            "list_key": self.list_key,
            "version_id": self.version_id,
            "status": self.status,
            "checksum": self.checksum,
            "entity_count": int(self.entity_count or 0),
            "counts": self.counts,
            "diff": self.diff,
            "previous_version_id": self.previous_version_id,
            "orphans": self.orphans,
            "message": self.message,
            "source": self.source,
            "source_url": self.source_url,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "activated_at": self.activated_at.isoformat() if self.activated_at else None,
            "file_names": self.file_names,
            "discard_reason": self.discard_reason,
        }


class ListHead(CddModel):
    """The pointer to the active version of one list."""

    class Meta(TableMeta):
        name = "list_heads"

    list_key = UnicodeAttribute(hash_key=True)
    active_version_id = UnicodeAttribute()
    entity_count = NumberAttribute(default=0)
    activated_at = UTCDateTimeAttribute(default=utcnow)
    version = VersionAttribute()
