"""The daily digest: every chain of the day, written once to the WORM bucket, on beat's schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from django.conf import settings

from apps.audit.anchors import (
    DIGEST_GRACE,
    anchor_document_check,
    audit_anchor_get,
    audit_digest_write,
    digest_of_digests,
)
from apps.audit.tasks import audit_daily_digest
from apps.core import aws as core_aws
from apps.core.errors import ValidationFailed
from cdd.celery import app
from tests.audit.conftest import record


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
