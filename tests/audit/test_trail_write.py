"""An event and the change it records commit together or not at all; chains never fork."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from apps.audit import services
from apps.audit.models import GENESIS_HASH, LEGACY_HEAD_SK, AuditEvent
from apps.audit.selectors import audit_chain_events, audit_chain_last_get
from apps.audit.services import AuditEntry, audit_event_record, event_hash
from apps.audit.verify import audit_trail_verify, event_mac_check, item_as_event
from apps.core.context import context_reset, context_set
from apps.core.dynamo_models import DiagnosticPing
from apps.core.errors import Conflict
from tests.audit.conftest import ANALYST, RawTable


def _ping(ping_id: str) -> DiagnosticPing:
    return DiagnosticPing(ping_id, sent_at=datetime.now(tz=UTC), sent_by="ana")


def _entry(object_id: str, **kwargs: Any) -> AuditEntry:
    return AuditEntry(actor=ANALYST, action="diagnostic.sent", object_type="diagnostic", object_id=object_id,
                      after={"sent_by": "ana"}, **kwargs)


def test_a_change_and_its_event_commit_together_with_who_when_and_where(aws: None) -> None:
    tokens = context_set(request_id="req-123", source_ip="203.0.113.9", client_request_id="portal-42")
    try:
        event = audit_event_record(entry=_entry("p1", reason="checking the queue"),
                                   writes=[lambda tx: tx.save(_ping("p1"), condition=DiagnosticPing.ping_id.does_not_exist())])
    finally:
        context_reset(tokens)

    assert DiagnosticPing.get("p1").sent_by == "ana"
    stored = AuditEvent.get("diagnostic#p1", "E#000000000001")
    assert (stored.seq, stored.prev_hash, stored.hash) == (1, GENESIS_HASH, event.hash)
    assert stored.actor == {"kind": "user", "id": "7", "name": "ana.analyst", "roles": ["analyst"]}
    assert (stored.request_id, stored.source_ip, stored.reason) == ("req-123", "203.0.113.9", "checking the queue")
    assert stored.client_request_id == "portal-42"
    assert stored.changes == {"sent_by": {"before": None, "after": "ana"}}
    assert (stored.hash_version, event_hash(item_as_event(stored))) == ("v2", stored.hash)
    assert event_mac_check(item_as_event(stored))  # MACed with the audit key in KMS
    # The client's id is hashed too: changing it breaks the hash.
    assert event_hash(item_as_event(stored) | {"client_request_id": "other"}) != stored.hash


def test_every_write_only_adds_an_item_and_overwrites_none(aws: None, raw: RawTable) -> None:
    first = audit_event_record(entry=_entry("p4"))
    before = raw.get("diagnostic#p4", 1)

    second = audit_event_record(entry=_entry("p4"))

    assert raw.get("diagnostic#p4", 1) == before
    assert [e.sk for e in audit_chain_events(chain="diagnostic#p4")] == ["E#000000000001", "E#000000000002"]
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert "Item" not in raw.client.get_item(TableName=raw.name, Key=raw.key("diagnostic#p4", LEGACY_HEAD_SK))


def test_a_failing_condition_on_the_change_writes_no_event(aws: None) -> None:
    with pytest.raises(TransactWriteError):
        audit_event_record(entry=_entry("ghost"),
                           writes=[lambda tx: tx.update(_ping("ghost"), actions=[DiagnosticPing.worker.set("w")],
                                                        condition=DiagnosticPing.ping_id.exists())])

    assert audit_chain_events(chain="diagnostic#ghost") == []
    assert audit_chain_last_get(chain="diagnostic#ghost") is None
    assert list(DiagnosticPing.scan()) == []


def test_a_failing_audit_write_leaves_the_change_unmade(raw: RawTable, monkeypatch: pytest.MonkeyPatch) -> None:
    # Something squats where the event must go and names no seq: the audit write can never succeed,
    # so the change must not happen either.
    monkeypatch.setattr(services, "RETRY_BACKOFF_SECONDS", 0.0)
    raw.put({"pk": {"S": "diagnostic#p2"}, "sk": {"S": "E#000000000001"}, "event_id": {"S": "squatter"}})

    with pytest.raises(Conflict):
        audit_event_record(entry=_entry("p2"),
                           writes=[lambda tx: tx.save(_ping("p2"), condition=DiagnosticPing.ping_id.does_not_exist())])

    with pytest.raises(DiagnosticPing.DoesNotExist):
        DiagnosticPing.get("p2")
    assert [e.event_id for e in audit_chain_events(chain="diagnostic#p2")] == ["squatter"]


def test_a_writer_that_read_a_stale_last_event_retries_and_appends_after_the_other(
        aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    first = audit_event_record(entry=_entry("p3"))
    real_head_get = services._head_get
    calls: list[str] = []

    def stale_then_real(chain: str) -> AuditEvent | None:
        calls.append(chain)
        return None if len(calls) == 1 else real_head_get(chain)  # first read predates the other writer

    monkeypatch.setattr(services, "_head_get", stale_then_real)
    second = audit_event_record(entry=_entry("p3"))

    assert len(calls) == 2
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert audit_trail_verify(chain="diagnostic#p3").ok


def test_sensitive_values_are_masked_in_changes_and_data(aws: None) -> None:
    event = audit_event_record(entry=AuditEntry(
        actor=ANALYST, action="customer.updated", object_type="customer", object_id="c9",
        before={"identity_documents": [{"kind": "passport", "number": "X1234567"}], "name": "Ann"},
        after={"identity_documents": [{"kind": "passport", "number": "Y7654321"}], "name": "Ann Lee",
               "passportNumber": "P99887766", "tax-id": "DE123456789", "phone_number": "+44 20 7946 0000"},
        data={"iban": "GB33BUKB20201555555555", "list_version": "2026-11-26"},
    ))

    text = str(event.changes) + str(event.data)
    for secret in ("X1234567", "Y7654321", "P99887766", "DE123456789", "GB33BUKB20201555555555"):
        assert secret not in text
    assert event.changes["passportNumber"]["after"] == "****66"
    assert event.changes["name"] == {"before": "Ann", "after": "Ann Lee"}
    assert event.changes["phone_number"]["after"] == "+44 20 7946 0000"  # not an identity number
    assert event.data == {"iban": "****55", "list_version": "2026-11-26"}
