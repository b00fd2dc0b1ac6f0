"""Keeping the name-token index (table ``customer_name_tokens``, see models.py) in step with the names.

The customers services call ``name_index_writes`` with a subject's names before and after a write
and commit what it returns in the write's own transaction: the keys that are no longer held are
deleted, new or changed ones put. Deletes come first in a DynamoDB transaction, so the services
skip ``deletes`` cancellation codes before mapping the others to their own writes.

A diff larger than ``TX_BUDGET`` items would not fit a transaction (100 items, with the record, its
audit event and outbox items): the transaction then carries an outbox item (``customers.name_index``)
instead, and ``name_index_subject_process`` re-derives the subject's keys from the record as it is
when it runs, compares them with what the index holds, and fixes the difference (idempotent; it
runs again while the record keeps changing under it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.transactions import TransactWrite

from apps.core.dynamo_models import OutboxItem
from apps.core.outbox import outbox_item_new
from apps.customers.models import PARTY_PREFIX, Customer, NameToken, RelatedParty
from apps.customers.search_keys import name_words, reference_key, word_keys

logger = logging.getLogger(__name__)

Write = Callable[[TransactWrite], None]
TOPIC = "customers.name_index"
CUSTOMER_SUBJECT = "customer"
# Index items one transaction may carry: DynamoDB's limit is 100, the write itself needs up to ~10.
TX_BUDGET = 60
SYNC_PASSES = 4

# The fields a hit names, as people read them.
FIELD_LABELS = {
    "legal_name": "legal name",
    "other_name": "other name",
    "former_name": "former name",
    "external_reference": "external reference",
    "party_name": "related party",
    "party_other_name": "related party, other name",
}

Entries = dict[str, dict[str, Any]]  # key -> the item's content (words, party_name)


def subject_key(customer_id: str, subject: str) -> str:
    return f"{customer_id}#{subject}"


def _add_name(entries: Entries, *, name: str | None, field_name: str, party_name: str | None) -> None:
    for word in name_words(name or ""):
        for key in word_keys(word):
            entry = entries.setdefault(key, {"words": [], "party_name": party_name})
            hit = {"w": word, "f": field_name, "n": name}
            if hit not in entry["words"]:
                entry["words"].append(hit)


def customer_entries(values: Mapping[str, Any] | None) -> Entries:
    """The index keys of a customer's own names (``values``: ``Customer.as_dict()``; None: no customer)."""
    entries: Entries = {}
    if not values:
        return entries
    _add_name(entries, name=values.get("legal_name"), field_name="legal_name", party_name=None)
    for name in values.get("other_names") or []:
        _add_name(entries, name=name, field_name="other_name", party_name=None)
    for name in values.get("former_names") or []:
        _add_name(entries, name=name, field_name="former_name", party_name=None)
    reference = values.get("external_reference")
    if reference and reference.strip():
        entries[reference_key(reference)] = {
            "words": [{"w": reference, "f": "external_reference", "n": reference}], "party_name": None}
    return entries


def party_entries(values: Mapping[str, Any] | None) -> Entries:
    """The index keys of a related party's names (``values``: ``RelatedParty.as_dict()``; None: removed)."""
    entries: Entries = {}
    if not values:
        return entries
    party_name = values.get("name")
    _add_name(entries, name=party_name, field_name="party_name", party_name=party_name)
    for name in values.get("other_names") or []:
        _add_name(entries, name=name, field_name="party_other_name", party_name=party_name)
    return entries


def _item(*, key: str, customer_id: str, subject: str, integration: str, content: Mapping[str, Any]) -> NameToken:
    return NameToken(key, subject_key(customer_id, subject), customer_id=customer_id, subject=subject,
                     integration=integration, party_name=content.get("party_name"), words=content["words"])


@dataclass
class IndexWrites:
    """What a customer or party write adds to its transaction for the index."""

    deletes: list[Write] = field(default_factory=list)  # put these first in the transaction
    puts: list[Write] = field(default_factory=list)  # and these anywhere after the caller's own writes
    followups: list[OutboxItem] = field(default_factory=list)  # or this, when the diff is too large

    @property
    def skip(self) -> int:
        """How many cancellation codes at the start of a failed transaction are this index's deletes."""
        return len(self.deletes)


def _diff(before: Entries, after: Entries) -> tuple[list[str], list[str]]:
    removed = sorted(set(before) - set(after))
    changed = sorted(key for key, content in after.items() if before.get(key) != content)
    return removed, changed


def name_index_writes(*, customer_id: str, subject: str, integration: str, before: Entries,
                      after: Entries) -> IndexWrites:
    """The index writes that take a subject's keys from ``before`` to ``after`` (nothing when they agree)."""
    removed, changed = _diff(before, after)
    if not removed and not changed:
        return IndexWrites()
    if len(removed) + len(changed) > TX_BUDGET:
        return IndexWrites(followups=[outbox_item_new(
            topic=TOPIC, group_key=customer_id, payload={"customer_id": customer_id, "subject": subject})])
    writes = IndexWrites()
    for key in removed:
        writes.deletes.append(_delete(NameToken(key, subject_key(customer_id, subject))))
    for key in changed:
        writes.puts.append(_put(_item(key=key, customer_id=customer_id, subject=subject, integration=integration,
                                      content=after[key])))
    return writes


def _delete(item: NameToken) -> Write:
    def write(tx: TransactWrite) -> None:
        tx.delete(item)

    return write


def _put(item: NameToken) -> Write:
    def write(tx: TransactWrite) -> None:
        tx.save(item)

    return write


# --- the outbox handler and the rebuild ------------------------------------------------------


def _subject_now(customer_id: str, subject: str) -> tuple[str, Entries, int | None]:
    """The subject's integration, keys and record version as the tables hold them now (consistent reads)."""
    try:
        customer = Customer.get(customer_id, consistent_read=True)
    except Customer.DoesNotExist:
        return "", {}, None
    if subject == CUSTOMER_SUBJECT:
        return customer.integration, customer_entries(customer.as_dict()), customer.version
    try:
        party = RelatedParty.get(customer_id, subject, consistent_read=True)
    except RelatedParty.DoesNotExist:
        return customer.integration, {}, None
    return customer.integration, party_entries(party.as_dict()), party.version


def _held_keys(customer_id: str, subject: str) -> set[str]:
    return {item.token_key for item in NameToken.by_subject.query(subject_key(customer_id, subject))}


def _apply(*, customer_id: str, subject: str, integration: str, held: Iterable[str], before: Entries,
           after: Entries) -> int:
    """Batch-write the difference (outside a transaction: the offline and follow-up path); items written."""
    stale = set(held) - set(after)
    removed, changed = _diff(before, after)
    stale |= set(removed)
    count = 0
    with NameToken.batch_write() as batch:
        for key in sorted(stale):
            batch.delete(NameToken(key, subject_key(customer_id, subject)))
            count += 1
        for key in changed:
            batch.save(_item(key=key, customer_id=customer_id, subject=subject, integration=integration,
                             content=after[key]))
            count += 1
    return count


def name_index_subject_sync(*, customer_id: str, subject: str) -> int:
    """Make the index hold exactly the subject's current keys; items written (0 when it already did)."""
    held = _held_keys(customer_id, subject)
    written = 0
    before: Entries = {}
    integration, after, version = _subject_now(customer_id, subject)
    for _ in range(SYNC_PASSES):
        written += _apply(customer_id=customer_id, subject=subject, integration=integration, held=held,
                          before=before, after=after)
        # A write that committed meanwhile wrote its own diff from its own "before"; apply the record as it is now.
        integration_now, now, version_now = _subject_now(customer_id, subject)
        if version_now == version and now == after:
            break
        held, before, after, version, integration = set(), after, now, version_now, integration_now or integration
    return written


def name_index_subject_process(*, item: OutboxItem) -> dict[str, Any]:
    """Outbox handler of ``customers.name_index``: bring one subject's keys up to date (idempotent)."""
    payload = item.payload or {}
    written = name_index_subject_sync(customer_id=str(payload["customer_id"]), subject=str(payload["subject"]))
    return {"written": written}


@dataclass
class RebuildReport:
    customers: int = 0
    parties: int = 0
    written: int = 0


def name_index_rebuild(*, customer_ids: Sequence[str] | None = None,
                       progress: Callable[[RebuildReport], None] | None = None, every: int = 100) -> RebuildReport:
    """Re-derive every subject's keys (offline: without ``customer_ids`` it Scans the customers table)."""
    report = RebuildReport()
    synced: set[str] = set()
    for customer_id in _customer_ids(customer_ids):
        subjects = [CUSTOMER_SUBJECT, *sorted(
            p.party_id for p in RelatedParty.query(customer_id, RelatedParty.party_id.startswith(PARTY_PREFIX)))]
        for subject in subjects:
            report.written += name_index_subject_sync(customer_id=customer_id, subject=subject)
            synced.add(subject_key(customer_id, subject))
        report.customers += 1
        report.parties += len(subjects) - 1
        if progress is not None and report.customers % every == 0:
            progress(report)
    if customer_ids is None:
        # Keys of subjects that no longer exist (a customer or party removed outside the services).
        for item in NameToken.scan(attributes_to_get=["subject_key"]):  # offline job only
            if item.subject_key not in synced:
                customer_id, _, subject = item.subject_key.partition("#")
                report.written += name_index_subject_sync(customer_id=customer_id, subject=subject)
                synced.add(item.subject_key)
    if progress is not None:
        progress(report)
    return report


def _customer_ids(customer_ids: Sequence[str] | None) -> Iterator[str]:
    if customer_ids is not None:
        yield from customer_ids
        return
    for customer in Customer.scan(attributes_to_get=["customer_id"]):  # offline job only
        yield customer.customer_id
