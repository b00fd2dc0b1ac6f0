"""The anchors in the WORM bucket: checkpoints of every chain every few minutes, and the daily digest."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from django.conf import settings

from apps.audit.anchors import (
    DIGEST_GRACE,
    Checkpoint,
    anchor_document_check,
    audit_anchor_get,
    audit_checkpoint_write,
    audit_checkpoints_latest,
    audit_digest_write,
    checkpoint_digest,
    checkpoint_document_check,
    checkpoints_compare,
    digest_of_digests,
)
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_chain_events
from apps.audit.services import event_hash
from apps.audit.tasks import audit_anchor_checkpoint, audit_daily_digest, audit_verify_recent
from apps.audit.verify import audit_trail_verify, event_mac_check, item_as_event
from apps.core import aws as core_aws
from apps.core.errors import ValidationFailed
from cdd.celery import app
from tests.audit.conftest import RawTable, record


def test_the_digest_lists_every_chain_of_the_day_with_its_last_hash_and_count(aws: None, tomorrow: datetime) -> None:
    c1 = record("C1", 3)
    c2 = record("C2", 1)
    today = datetime.now(tz=UTC).date()

    anchor = audit_digest_write(day=today, now=tomorrow)

    doc = anchor.document
    assert [(e["chain"], e["last_seq"], e["last_hash"], e["last_event_id"], e["count"]) for e in doc["chains"]] == [
        ("customer#C1", 3, c1[-1].hash, c1[-1].event_id, 3),
        ("customer#C2", 1, c2[-1].hash, c2[-1].event_id, 1),
    ]
    assert doc["digest_of_digests"] == digest_of_digests(doc["chains"])
    assert anchor_document_check(doc) == []
    stored = core_aws.client("s3").get_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=anchor.key)
    assert json.loads(stored["Body"].read())["digest_of_digests"] == doc["digest_of_digests"]


def test_the_digest_is_locked_in_compliance_mode_for_the_retention_period(aws: None, tomorrow: datetime) -> None:
    record("C1", 1)
    anchor = audit_digest_write(day=datetime.now(tz=UTC).date(), now=tomorrow)
    s3 = core_aws.client("s3")

    head = s3.head_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=anchor.key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    expected = datetime.now(tz=UTC) + timedelta(days=settings.CDD_AUDIT_ANCHOR_RETENTION_DAYS)
    assert abs(head["ObjectLockRetainUntilDate"] - expected) < timedelta(minutes=5)
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=anchor.key, VersionId=anchor.version_id)


def test_writing_a_digest_twice_keeps_the_first(aws: None, tomorrow: datetime) -> None:
    record("C1", 1)
    today = datetime.now(tz=UTC).date()
    first = audit_digest_write(day=today, now=tomorrow)
    record("C1", 1)  # a late event must not replace the anchor

    again = audit_digest_write(day=today, now=tomorrow)

    assert (again.created, again.version_id, again.digest_of_digests) == (False, first.version_id,
                                                                          first.digest_of_digests)


def test_a_day_that_is_not_over_gets_no_digest(aws: None) -> None:
    with pytest.raises(ValidationFailed) as err:
        audit_digest_write(day=datetime.now(tz=UTC).date())
    assert "day" in err.value.errors


def test_each_digest_names_the_digest_of_the_day_before(aws: None, tomorrow: datetime) -> None:
    today = datetime.now(tz=UTC).date()
    yesterday = audit_digest_write(day=today - timedelta(days=1), now=tomorrow)
    record("C1", 1)

    anchor = audit_digest_write(day=today, now=tomorrow)

    assert yesterday.document["chains"] == []
    assert anchor.document["previous_day_digest"] == yesterday.digest_of_digests


def test_beat_runs_the_digest_task_which_catches_up_missing_days(aws: None) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["audit.daily_digest"]
    assert entry["task"] == "audit.daily_digest" and "audit.daily_digest" in app.tasks
    # The last finished day: yesterday, unless the grace period after midnight is still running.
    last_finished = (datetime.now(tz=UTC) - DIGEST_GRACE).date() - timedelta(days=1)

    written = audit_daily_digest()
    assert len(written) == 3 and audit_anchor_get(day=last_finished) is not None
    assert audit_daily_digest() == []  # nothing left to do


# --- checkpoints, every few minutes -----------------------------------------------------------------

def test_beat_anchors_and_verifies_the_trail_every_few_minutes(aws: None) -> None:
    for name in ("audit.anchor_checkpoint", "audit.verify_recent"):
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == name and name in app.tasks
        assert float(entry["schedule"]) == 60 * settings.CDD_AUDIT_ANCHOR_MINUTES <= 10 * 60


def test_a_checkpoint_keeps_every_chain_it_ever_knew_with_its_last_event(aws: None) -> None:
    c1 = record("C1", 3)
    first = audit_anchor_checkpoint.apply(throw=True).get()
    c2 = record("C2", 1)
    later = datetime.now(tz=UTC) + timedelta(minutes=5)

    checkpoint = audit_checkpoint_write(now=later)

    assert "new" in first and checkpoint.created
    assert [(e["chain"], e["last_seq"], e["last_hash"]) for e in checkpoint.document["chains"]] == [
        ("customer#C1", 3, c1[-1].hash), ("customer#C2", 1, c2[-1].hash)]
    older = audit_checkpoints_latest(count=2)[1]
    assert checkpoint.document["previous"]["digest"] == older.document["digest"]
    assert checkpoint_document_check(checkpoint.document) == []
    # Much later, with no new event, the chains are still there: a deleted chain is missed.
    quiet = audit_checkpoint_write(now=later + timedelta(days=2))
    assert quiet.chains.keys() == {"customer#C1", "customer#C2"}


def test_a_checkpoint_is_locked_written_once_and_its_mac_covers_it(aws: None) -> None:
    record("C1", 1)
    checkpoint = audit_checkpoint_write()
    s3 = core_aws.client("s3")

    head = s3.head_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=checkpoint.key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=checkpoint.key, VersionId=checkpoint.version_id)
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=settings.CDD_AUDIT_BUCKET, Key=checkpoint.key, Body=b"{}", IfNoneMatch="*")
    forged = checkpoint.document | {"chains": []}
    assert checkpoint_document_check(forged) == ["its content does not match its digest: it was edited"]
    forged["digest"] = checkpoint_digest(forged)  # re-digested, but the MAC needs the key
    assert checkpoint_document_check(forged) == [
        "its MAC does not verify with the audit key: it was not written by the trail"]


def test_a_task_delivered_twice_writes_one_checkpoint(aws: None) -> None:
    record("C1", 1)
    audit_anchor_checkpoint.apply(throw=True)
    again = audit_anchor_checkpoint.apply(throw=True).get()

    assert "kept" in again and len(audit_checkpoints_latest(count=5)) == 1


def test_a_checkpoint_that_forgets_a_chain_is_reported(aws: None) -> None:
    record("C1", 2)
    older = audit_checkpoint_write()
    newer = Checkpoint(key="k", version_id=None, document=older.document | {"chains": [], "at": "2999-01-01T00:00:00"})

    assert [chain for chain, _ in checkpoints_compare(newer, older)] == ["customer#C1"]


def test_the_beat_check_alarms_and_records_a_break(aws: None, caplog: pytest.LogCaptureFixture) -> None:
    record("C1", 3)
    audit_anchor_checkpoint.apply(throw=True)
    assert audit_verify_recent.apply(throw=True).get()["ok"] is True
    RawTable().delete("customer#C1", 3)

    with caplog.at_level(logging.ERROR, logger="apps.audit.tasks"):
        result = audit_verify_recent.apply(throw=True).get()

    assert result["ok"] is False
    assert [(p["kind"], p["chain"]) for p in result["problems"]] == [("removed", "customer#C1")]
    assert "AUDIT TRAIL BROKEN: 1 problem(s)" in caplog.text
    finding = audit_chain_events(chain="audit_trail#verification")
    assert [e.action for e in finding] == ["audit.verification_failed"]
    assert "manage.py audit_verify --since" in str(finding[0].reason)


def test_an_unkeyed_event_slipped_in_after_keyed_ones_is_named_forged(aws: None, raw: RawTable) -> None:
    events = record("C1", 2)
    item = raw.get("customer#C1", 2)
    content = item_as_event(AuditEvent.from_raw_data(item)) | {"v": "v1", "seq": 3, "event_id": "01FAKE",
                                                                "prev_hash": events[-1].hash}
    forged = {k: v for k, v in item.items() if k not in ("v", "mac")} | {
        "sk": {"S": "E#000000000003"}, "seq": {"N": "3"}, "event_id": {"S": "01FAKE"},
        "prev_hash": {"S": str(events[-1].hash)}, "hash": {"S": event_hash(content)},
        "occurred_key": {"S": f"{content['occurred_at']}#01FAKE"}}
    raw.put(forged)

    problems = audit_trail_verify(chain="customer#C1").problems

    assert [(p.kind, p.seq) for p in problems] == [("forged", 3)]
    assert "unkeyed (v1) event after keyed ones" in problems[0].message


def test_the_mac_check_costs_one_verify_per_chain_and_a_bisection_only_when_broken(
        aws: None, raw: RawTable, monkeypatch: pytest.MonkeyPatch) -> None:
    record("C1", 8)
    calls: list[int] = []

    def counting(event: dict) -> bool:
        calls.append(int(event["seq"]))
        return event_mac_check(event)

    assert audit_trail_verify(chain="customer#C1", mac_check=counting).ok and calls == [8]
    calls.clear()
    previous = str(raw.get("customer#C1", 4)["hash"]["S"])
    for seq in range(5, 9):  # rewrite 5..8, re-hashed and re-linked
        item = raw.get("customer#C1", seq) | {"reason": {"S": "rewritten"}, "prev_hash": {"S": previous}}
        previous = event_hash(item_as_event(AuditEvent.from_raw_data(item)))
        raw.put(item | {"hash": {"S": previous}})

    problems = audit_trail_verify(chain="customer#C1", mac_check=counting).problems

    assert [(p.kind, p.seq) for p in problems] == [("forged", 5)]
    assert "to seq 8" in problems[0].message and len(calls) <= 4


def test_the_anchor_command_writes_a_checkpoint_now(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    record("C1", 1)
    call_command("audit_anchor")

    assert "1 chains anchored" in capsys.readouterr().out
    assert [c.chains.keys() for c in audit_checkpoints_latest()] == [{"customer#C1"}]
