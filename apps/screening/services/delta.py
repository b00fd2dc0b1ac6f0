"""Delta re-screening: when a list version becomes active, its added and changed entries are
screened against the whole book, and its removed entries' alerts are marked delisted.

The activation records an outbox item (topic ``screening.list_delta``) in its own transaction; the
worker runs ``list_delta_process``:

1. the customer-side index (``book_index_get``, ``services/book_index.py``): the matcher's own index
   over every subject the screening has seen (table ``screening_subjects``, written by each run),
   loaded from its S3 snapshot and kept up to date with only the subjects changed since (a Query on
   their update index — no Scan), one addition or removal at a time;
2. each added or changed entry is looked up in it by each of its names, at a lower threshold than
   alerting (``CDD_DELTA_CANDIDATE_MARGIN`` below it): this only picks the subjects to screen again;
3. each such subject gets an ordinary screening request (trigger ``list_change``, a request id
   derived from the list version and the subject, so a redelivery adds none): the subject is then
   screened against the new version exactly as on any change — alerts, updates, and the
   false-positive memory (an unchanged cleared pair stays quiet; a materially changed entry
   re-opens it with what changed);
4. alerts on removed entries are marked ``delisted`` (open ones for review; confirmed matches get an
   ``alert.delisted`` event the case team sees on the alert and the customer);
5. ``list_version.rescreened`` on the list's chain says what was screened and what it led to.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from pynamodb.exceptions import PutError

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import save_write, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.outbox import outbox_done_write, outbox_send
from apps.customers.services import screening_request_new
from apps.screening.dynamo_models import OPEN_STATUSES, TRUE_MATCH, AlertState
from apps.screening.matching import ListEntity, Query
from apps.screening.models import ListVersion
from apps.screening.services.book_index import BookIndex, book_index_get
from apps.screening.services.lists import object_get

logger = logging.getLogger(__name__)

DELTA_TOPIC = "screening.list_delta"
BOOK_CANDIDATES = 5000  # names of the book scored per list name (the list side scores 100)


def candidates_for(entity: ListEntity, book: BookIndex) -> set[str]:
    """The subjects (keys) that one list entry may match, by any of its names."""
    assert book.index is not None
    threshold = max(0.0, float(settings.CDD_SCREENING_THRESHOLD) - float(settings.CDD_DELTA_CANDIDATE_MARGIN))
    found: set[str] = set()
    dob = next(iter(entity.birth_dates), None)
    country = next(iter([*entity.nationalities, *entity.countries]), None)
    entity_type = entity.schema if entity.schema in ("person", "organization") else None
    for name in entity.names:
        query = Query(name=name.value, entity_type=entity_type, date_of_birth=dob if dob and len(dob) >= 4 else None,
                      country=country)
        # Every subject at the candidate threshold, and many names scored: in a big book one list name has many
        # namesakes, and the one with the right date of birth must not be cut before it is scored.
        found.update(hit.entity.source_id for hit in book.index.search(query, threshold=threshold, limit=None,
                                                                       top=BOOK_CANDIDATES))
    return found


def _request(*, version_id: str, key: str, customer_id: str, subject_id: str) -> OutboxItem | None:
    """One screening request per list version and subject (a redelivered delta finds it there)."""
    item = screening_request_new(customer_id=customer_id, subject_id=subject_id, trigger="list_change",
                                 outbox_id=f"ob_lc_{version_id}_{hashlib.sha256(key.encode()).hexdigest()[:20]}",
                                 list_version_id=version_id)
    try:
        item.save(condition=OutboxItem.outbox_id.does_not_exist())
    except PutError:
        return None  # requested by an earlier delivery of this delta
    return item


def _delist(*, list_key: str, version_id: str, removed: list[str], actor: Actor) -> int:
    marked = 0
    for entity_key in removed:
        for state in AlertState.by_entity.query(entity_key):
            if state.delisted and state.delisted.get("list_version_id") == version_id:
                continue
            if state.status not in OPEN_STATUSES and state.status != TRUE_MATCH:
                continue  # a cleared false positive: nothing to review
            before = state.as_dict()
            state.delisted = {"list_version_id": version_id, "at": utcnow().isoformat()}
            state.updated_at = utcnow()
            note = ("the entry left the list: review the alert" if state.status in OPEN_STATUSES
                    else "the confirmed match left the list: the case team reviews the customer")
            data = {"customer_id": state.customer_id, "list": list_key, "list_entity_id": state.list_entity_id,
                    "list_version_id": version_id, "status": state.status}
            audit_event_record(
                entry=AuditEntry(actor=actor, action="alert.delisted", object_type="alert", object_id=state.alert_id,
                                 before=before, after=state.as_dict(), reason=note, data=data),
                also=[AuditEntry(actor=actor, action="alert.delisted", object_type="customer",
                                 object_id=state.customer_id, reason=note, data={"alert_id": state.alert_id, **data})],
                writes=[save_write(state)],
            )
            marked += 1
    return marked


def list_delta_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of ``screening.list_delta``: screen a new version's changes against the book."""
    list_key, version_id = str(item.payload["list_key"]), str(item.payload["version_id"])
    version = ListVersion.get(list_key, version_id, consistent_read=True)
    diff = json.loads(gzip.decompress(object_get(version.diff_key))) if version.diff_key else {}
    wanted = set(diff.get("added", [])) | set(diff.get("changed", []))
    from apps.screening.selectors.lists import list_version_entities

    entities = [e for e in list_version_entities(list_key=list_key, version_id=version_id) if e.key in wanted]
    book = book_index_get()
    subjects: set[str] = set()
    for entity in entities:
        subjects |= candidates_for(entity, book)
    requests = []
    for key in sorted(subjects):
        ref = book.refs.get(key)
        if ref is not None:
            made = _request(version_id=version_id, key=key, customer_id=ref[0], subject_id=ref[1])
            if made is not None:
                requests.append(made)
    outbox_send(requests)
    actor = Actor.system("delta_rescreen")
    delisted = _delist(list_key=list_key, version_id=version_id, removed=list(diff.get("removed", [])), actor=actor)
    result = {"entries_screened": len(entities), "book_subjects": len(book.refs),
              "subjects_matched": len(subjects), "book_index": book.source, "requests": len(requests), "alerts_delisted": delisted}
    audit_event_record(
        entry=AuditEntry(actor=actor, action="list_version.rescreened", object_type="list", object_id=list_key,
                         reason=f"delta of version {version_id}", data={"version_id": version_id, **result}),
        writes=[outbox_done_write(item, result)],
    )
    logger.info("list %s version %s: delta re-screen %s", list_key, version_id, result)
    return result
