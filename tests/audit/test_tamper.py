"""Every kind of tampering with the table is detected and named by the verifier (and by audit_verify)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.audit.anchors import audit_digest_write
from apps.audit.models import HEAD_SK, AuditEvent
from apps.audit.services import event_hash
from apps.audit.verify import Problem, audit_trail_verify, item_as_event
from tests.audit.conftest import RawTable, record

CHAIN = "customer#C1"


@pytest.fixture
def five(aws: None) -> list[AuditEvent]:
    record("C2", 2)  # a neighbour chain that must stay clean
    return record("C1", 5)


def _problems(**kwargs: Any) -> list[Problem]:
    return audit_trail_verify(**kwargs).problems


def _named(problems: list[Problem], kind: str) -> set[tuple[int | None, str | None]]:
    return {(p.seq, p.event_id) for p in problems if p.kind == kind}


def _forge(template: AuditEvent, **changes: Any) -> AuditEvent:
    """A self-consistent fake event (hash recomputed), saved around the service."""
    content = item_as_event(template) | changes
    content["hash"] = event_hash(content)
    fake = AuditEvent(content["chain"], f"E#{content['seq']:012d}", event_id=content["event_id"], seq=content["seq"],
                      occurred_at=datetime.fromisoformat(content["occurred_at"]),
                      occurred_key=f"{content['occurred_at']}#{content['event_id']}", day=content["occurred_at"][:10],
                      actor_key=f"{content['actor']['kind']}:{content['actor']['id']}", actor=content["actor"],
                      action=content["action"], object_type=content["object_type"], object_id=content["object_id"],
                      request_id=content["request_id"], source_ip=content["source_ip"], changes=content["changes"],
                      reason=content["reason"], data=content["data"], prev_hash=content["prev_hash"],
                      hash=content["hash"])
    fake.save()
    return fake


def test_an_untouched_trail_verifies_clean(five: list[AuditEvent]) -> None:
    report = audit_trail_verify(since=datetime.now(tz=UTC).date())
    assert report.ok, report.problems
    assert (report.chains, report.events) == (2, 7)


def test_a_changed_field_is_named_with_its_event(five: list[AuditEvent], raw: RawTable) -> None:
    raw.set(CHAIN, 3, reason="approved by the board")  # was "step 3"

    problems = _problems(chain=CHAIN)

    assert _named(problems, "changed") == {(3, five[2].event_id)}
    assert "a field was changed" in str(problems[0])
    assert audit_trail_verify(chain="customer#C2").ok


def test_a_rewritten_event_with_a_recomputed_hash_is_caught_by_its_successor(
        five: list[AuditEvent], raw: RawTable) -> None:
    _forge(five[2], reason="nothing to see")

    problems = _problems(chain=CHAIN)

    assert [(p.kind, p.seq, p.event_id) for p in problems] == [("changed", 4, five[3].event_id)]
    assert f"event {five[2].event_id} (seq 3) was rewritten" in problems[0].message


def test_a_deleted_event_is_named_by_its_seq(five: list[AuditEvent], raw: RawTable) -> None:
    raw.delete(CHAIN, 3)

    problems = _problems(chain=CHAIN)

    assert [(p.kind, p.seq) for p in problems] == [("removed", 4)]
    assert "seq 3 is missing (removed)" in problems[0].message
    assert five[1].event_id in problems[0].message


def test_a_deleted_last_event_is_caught_by_the_chain_head(five: list[AuditEvent], raw: RawTable) -> None:
    raw.delete(CHAIN, 5)

    problems = _problems(chain=CHAIN)

    assert [(p.kind, p.seq) for p in problems] == [("removed", 5)]
    assert "the chain head records seq 5" in problems[0].message


def test_a_swapped_order_names_both_events(five: list[AuditEvent], raw: RawTable) -> None:
    second, third = raw.get(CHAIN, 2), raw.get(CHAIN, 3)
    raw.put(second | {"sk": {"S": "E#000000000003"}})
    raw.put(third | {"sk": {"S": "E#000000000002"}})

    problems = _problems(chain=CHAIN)

    assert _named(problems, "reordered") == {(2, five[1].event_id), (3, five[2].event_id)}
    assert {p.kind for p in problems} == {"reordered"}


def test_an_event_inserted_beyond_the_head_is_named(five: list[AuditEvent]) -> None:
    fake = _forge(five[4], seq=6, event_id="01FAKEFAKEFAKEFAKEFAKEFAKE", prev_hash=five[4].hash, reason="backfill")

    problems = _problems(chain=CHAIN)

    assert [(p.kind, p.seq, p.event_id) for p in problems] == [("inserted", 6, fake.event_id)]


def test_an_event_inserted_in_the_middle_is_told_apart_from_the_genuine_one(
        five: list[AuditEvent], raw: RawTable) -> None:
    # Shift seq 3..5 one place up, then slip a forged seq 3 (chained to seq 2) into the gap.
    for seq in (5, 4, 3):
        raw.put(raw.get(CHAIN, seq) | {"sk": {"S": f"E#{seq + 1:012d}"}})
    fake = _forge(five[2], event_id="01FAKEFAKEFAKEFAKEFAKEFAKE", reason="consent was given")

    problems = _problems(chain=CHAIN)

    assert _named(problems, "inserted") == {(3, fake.event_id)}
    assert "the chain runs through event " + str(five[2].event_id) in str(problems)


def test_a_hidden_event_whose_index_key_was_altered_is_named(five: list[AuditEvent], raw: RawTable) -> None:
    raw.set(CHAIN, 2, day="1999-01-01")

    assert _named(_problems(chain=CHAIN), "changed") == {(2, five[1].event_id)}


def test_a_chain_rewritten_end_to_end_is_caught_by_the_anchored_digest(
        five: list[AuditEvent], tomorrow: datetime) -> None:
    audit_digest_write(day=datetime.now(tz=UTC).date(), now=tomorrow)
    # Rewrite every event and the head consistently: the chain alone cannot tell.
    previous = "0" * 64
    for event in five:
        fake = _forge(event, reason="rewritten", prev_hash=previous)
        previous = str(fake.hash)
    AuditEvent(CHAIN, HEAD_SK, last_seq=5, last_hash=previous, last_event_id=five[4].event_id).save()

    problems = _problems(chain=CHAIN, today=tomorrow.date())

    assert [(p.kind, p.seq) for p in problems] == [("anchor", 5)]
    assert "no longer matches the digest" in problems[0].message


def test_a_chain_deleted_entirely_is_reported_from_the_digest(
        five: list[AuditEvent], raw: RawTable, tomorrow: datetime) -> None:
    audit_digest_write(day=datetime.now(tz=UTC).date(), now=tomorrow)
    for seq in (1, 2, 3, 4, 5, HEAD_SK):
        raw.delete(CHAIN, seq)

    problems = _problems(since=datetime.now(tz=UTC).date(), today=tomorrow.date())

    assert [(p.kind, p.chain) for p in problems] == [("anchor", CHAIN)]
    assert "missing entirely" in problems[0].message


def test_audit_verify_exits_non_zero_naming_the_break(five: list[AuditEvent], raw: RawTable,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit_verify", "--object", "customer:C1", "--no-progress")
    assert "OK: 5 events in 1 chains" in capsys.readouterr().out

    raw.delete(CHAIN, 2)
    with pytest.raises(CommandError, match="1 break"):
        call_command("audit_verify", "--since", datetime.now(tz=UTC).date().isoformat(), "--no-progress")
    assert f"REMOVED: chain {CHAIN} seq 3 event {five[2].event_id}" in capsys.readouterr().out


def test_audit_verify_refuses_a_bad_date_with_what_to_type(aws: None) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit_verify", "--since", "yesterday")


def test_audit_verify_without_options_checks_every_chain_and_speaks_json(
        five: list[AuditEvent], raw: RawTable, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    raw.set(CHAIN, 4, action="customer.deleted")
    with pytest.raises(CommandError):
        call_command("audit_verify", "--json", "--no-progress")

    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["chains"], report["events"]) == (False, 2, 7)
    assert [(p["kind"], p["seq"], p["event_id"]) for p in report["problems"]] == [("changed", 4, five[3].event_id)]


def test_the_commands_explain_themselves() -> None:
    from apps.audit.management.commands import audit_export, audit_verify

    verify_help = audit_verify.Command().create_parser("manage.py", "audit_verify").format_help()
    export_help = audit_export.Command().create_parser("manage.py", "audit_export").format_help()
    assert all(option in verify_help for option in ("--since", "--object", "--file", "Exits 1"))
    assert all(option in export_help for option in ("--since", "--until", "--object", "--out"))


def test_audit_verify_of_an_object_with_no_trail_says_so_instead_of_ok(five: list[AuditEvent]) -> None:
    with pytest.raises(CommandError, match="No audit chain for customer:NOPE"):
        call_command("audit_verify", "--object", "customer:NOPE", "--no-progress")
