"""Exports for a regulator: complete, audited, verifiable offline, and any edit to them is named."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.audit.actors import Actor
from apps.audit.anchors import audit_digest_write
from apps.audit.exports import Export, audit_export_create, export_verify
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_by_action
from apps.core import aws as core_aws
from apps.core.errors import ValidationFailed
from tests.audit.conftest import record

AUDITOR = Actor(kind="user", id="9", name="audrey.auditor", roles=("auditor",), user_id=9)


@pytest.fixture
def history(aws: None) -> list[AuditEvent]:
    record("C2", 2)
    return record("C1", 4)


def _save(export: Export, folder: Path) -> Path:
    for name, body in export.files.items():
        (folder / name).write_bytes(body)
    return folder


def _edit_lines(path: Path, edit: object) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))  # type: ignore[operator]


def test_an_object_history_export_lands_in_the_bucket_and_is_audited(history: list[AuditEvent]) -> None:
    export = audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1")

    s3 = core_aws.client("s3")
    jsonl = s3.get_object(Bucket=settings.CDD_EXPORTS_BUCKET, Key=export.keys["events.jsonl"])["Body"].read()
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [(e["seq"], e["event_id"], e["hash"]) for e in lines] == [(e.seq, e.event_id, e.hash) for e in history]
    rows = list(csv.DictReader(io.StringIO(export.files["events.csv"].decode())))
    assert [r["prev_hash"] for r in rows] == [e.prev_hash for e in history]
    assert export.manifest["chains"] == [{"chain": "customer#C1", "first_seq": 1, "last_seq": 4, "count": 4,
                                          "first_prev_hash": "0" * 64, "last_hash": history[-1].hash}]
    exported = audit_events_by_action(action="audit.exported").events
    assert [(e.object_type, e.object_id, e.actor["name"], e.data["export_id"]) for e in exported] == [
        ("customer", "C1", "audrey.auditor", export.export_id)]


def test_an_untouched_export_verifies_offline_in_both_formats(history: list[AuditEvent], tmp_path: Path) -> None:
    folder = _save(audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1"), tmp_path)

    report = export_verify(path=folder)

    assert report.ok, report.problems
    assert (report.chains, report.events) == (2, 8)  # one chain, in JSONL and in CSV


def test_a_time_range_export_holds_only_that_range_and_carries_the_anchors(
        history: list[AuditEvent], tmp_path: Path) -> None:
    since, until = history[1].occurred_at, history[3].occurred_at
    assert since and until
    export = audit_export_create(actor=AUDITOR, since=since, until=until)

    assert [e["event_id"] for e in map(json.loads, export.files["events.jsonl"].splitlines())] == [
        history[1].event_id, history[2].event_id]
    assert export_verify(path=_save(export, tmp_path)).ok
    assert export.manifest["anchors_missing"] == []  # today has no digest yet, and is not expected to


def test_an_export_matches_the_anchor_of_its_days(history: list[AuditEvent], tmp_path: Path) -> None:
    tomorrow = datetime.combine(datetime.now(tz=UTC).date() + timedelta(days=1), time(1), tzinfo=UTC)
    anchor = audit_digest_write(day=datetime.now(tz=UTC).date(), now=tomorrow)
    export = audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1")
    # The digest was written "tomorrow"; the export sees it only once today is over, so add it as it would.
    export.manifest["anchors"] = [{"day": anchor.document["day"], "key": anchor.key,
                                   "digest_of_digests": anchor.digest_of_digests,
                                   "chains": [c for c in anchor.document["chains"] if c["chain"] == "customer#C1"]}]
    export.files["manifest.json"] = json.dumps(export.manifest).encode()
    folder = _save(export, tmp_path)
    assert export_verify(path=folder).ok

    export.manifest["anchors"][0]["chains"][0]["last_hash"] = "f" * 64
    (folder / "manifest.json").write_text(json.dumps(export.manifest))
    assert {p.kind for p in export_verify(path=folder).problems} == {"anchor"}


def test_an_edited_field_in_a_jsonl_export_is_named(history: list[AuditEvent], tmp_path: Path) -> None:
    folder = _save(audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1"), tmp_path)
    _edit_lines(folder / "events.jsonl", lambda lines: [
        line.replace('"step 2"', '"approved by the board"') for line in lines])

    problems = export_verify(path=folder / "events.jsonl").problems

    assert {(p.kind, p.seq, p.event_id) for p in problems} == {("export", None, None),
                                                              ("changed", 2, history[1].event_id)}
    assert "edited after export" in str(problems)


def test_an_edited_csv_cell_is_named_down_to_the_column(history: list[AuditEvent], tmp_path: Path) -> None:
    folder = _save(audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1"), tmp_path)
    _edit_lines(folder / "events.csv", lambda lines: [
        line.replace("ana.analyst", "someone.else", 1) if history[2].event_id in line else line for line in lines])

    problems = export_verify(path=folder / "events.csv").problems

    changed = [p for p in problems if p.kind == "changed"]
    assert [(p.seq, p.event_id) for p in changed] == [(3, history[2].event_id)]
    assert "column actor was edited" in changed[0].message


@pytest.mark.parametrize(("edit", "kind", "seq"), [
    (lambda lines: lines[:1] + lines[2:], "removed", 3),       # a line deleted in the middle
    (lambda lines: lines[:-1], "removed", 4),                   # the last line deleted
    (lambda lines: [lines[1], lines[0], *lines[2:]], "reordered", 1),  # two lines swapped
])
def test_deleted_or_swapped_lines_of_an_export_are_named(history: list[AuditEvent], tmp_path: Path,
                                                         edit: object, kind: str, seq: int) -> None:
    folder = _save(audit_export_create(actor=AUDITOR, object_type="customer", object_id="C1"), tmp_path)
    _edit_lines(folder / "events.jsonl", edit)

    problems = export_verify(path=folder / "events.jsonl").problems

    assert (kind, seq) in {(p.kind, p.seq) for p in problems}


def test_export_and_verify_commands_round_trip_and_fail_on_an_edit(history: list[AuditEvent], tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit_export", "--object", "customer:C1", "--out", str(tmp_path), "--actor", "audrey")
    assert "Export " in capsys.readouterr().out
    call_command("audit_verify", "--file", str(tmp_path), "--no-progress")
    assert "OK: 8 events" in capsys.readouterr().out

    _edit_lines(tmp_path / "events.jsonl", lambda lines: lines[:-1])
    with pytest.raises(CommandError, match="break"):
        call_command("audit_verify", "--file", str(tmp_path / "events.jsonl"), "--no-progress")
    assert "REMOVED: chain customer#C1 seq 4" in capsys.readouterr().out


@pytest.mark.parametrize(("kwargs", "field"), [
    ({}, "__all__"),
    ({"object_type": "customer"}, "object_id"),
    ({"since": datetime(2026, 1, 2, tzinfo=UTC)}, "until"),
    ({"since": datetime(2026, 1, 2, tzinfo=UTC), "until": datetime(2026, 1, 1, tzinfo=UTC)}, "until"),
    ({"since": datetime(2026, 1, 1, tzinfo=UTC), "until": datetime(2026, 1, 2, tzinfo=UTC), "object_type": "x",
      "object_id": "y"}, "__all__"),
])
def test_an_export_request_that_makes_no_sense_is_refused_naming_the_field(
        aws: None, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        audit_export_create(actor=AUDITOR, **kwargs)  # type: ignore[arg-type]
    assert field in err.value.errors
