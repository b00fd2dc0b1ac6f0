"""The fifteen kinds of tampering with the audit table, each detected and named by the verifier.

Each kind is what someone with write access to the table (and none to the KMS key) can do.
Before tampering, the test lets "a few minutes pass": it runs what beat schedules on the audit
trail every few minutes (the anchor of every chain), as production would have by then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.audit.anchors import audit_digest_write
from apps.audit.models import AuditEvent
from apps.audit.services import event_hash
from apps.audit.verify import audit_trail_verify, item_as_event
from cdd.celery import app
from tests.audit.conftest import RawTable, record

CHAIN = "customer#C1"  # five events
NEIGHBOUR = "customer#C2"  # two events, never touched
GENESIS = "customer#G1"  # one event: its genesis
FAKE_ID = "01FAKEFAKEFAKEFAKEFAKEFAKE"
LEGACY_HEAD = "HEAD"  # the head item of the first trail version, which writers overwrote


@pytest.fixture
def chains(aws: None) -> dict[str, list[AuditEvent]]:
    trail = {NEIGHBOUR: record("C2", 2), GENESIS: record("G1", 1), CHAIN: record("C1", 5)}
    _minutes_pass()
    return trail


def _seconds(schedule: Any) -> float:
    return float(schedule.total_seconds()) if hasattr(schedule, "total_seconds") else float(schedule)


def _minutes_pass() -> list[str]:
    """Run what beat schedules on the audit trail at least every ten minutes (the frequent anchors)."""
    importlib.import_module("apps.audit.tasks")  # registers the trail's tasks, as a worker does at start
    ran = []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = str(entry["task"])
        if task.startswith("audit.") and "anchor" in task and _seconds(entry["schedule"]) <= 600:
            app.tasks[task].apply(throw=True)
            ran.append(task)
    return ran


def _tomorrow() -> datetime:
    return datetime.combine(datetime.now(tz=UTC).date() + timedelta(days=1), time(1), tzinfo=UTC)


# --- what an attacker with table access does -------------------------------------------------------

def _typed(value: Any) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": str(value)}


def _forge(raw: RawTable, chain: str, at: int, **changes: Any) -> str:
    """Rewrite the event stored at ``at`` (moved if ``seq`` changes), re-hashed as the code would; its hash."""
    item = raw.get(chain, at)
    content = item_as_event(AuditEvent.from_raw_data(item)) | changes
    content["hash"] = event_hash(content)  # anyone can compute an unkeyed hash
    for name, value in changes.items():
        item[name] = _typed(value)
    item["hash"] = {"S": content["hash"]}
    item["sk"] = {"S": f"E#{content['seq']:012d}"}
    item["occurred_key"] = {"S": f"{content['occurred_at']}#{content['event_id']}"}
    raw.put(item)
    return str(content["hash"])


def _head_move(raw: RawTable, chain: str, seq: int, digest: str) -> None:
    """Point the chain's head item at ``seq`` too, if the trail keeps one (the first version did)."""
    try:
        head = raw.get(chain, LEGACY_HEAD)
    except KeyError:
        return
    raw.put(head | {"last_seq": {"N": str(seq)}, "last_hash": {"S": digest}})


def _hash_of(raw: RawTable, chain: str, seq: int) -> str:
    return str(raw.get(chain, seq)["hash"]["S"])


def field_edited(raw: RawTable) -> str:
    raw.set(CHAIN, 3, reason="approved by the board")  # was "step 3"
    return CHAIN


def event_rewritten_and_rehashed(raw: RawTable) -> str:
    _forge(raw, CHAIN, 3, reason="nothing to see")
    return CHAIN


def run_rewritten_and_rehashed(raw: RawTable) -> str:
    previous = _hash_of(raw, CHAIN, 2)
    for seq in (3, 4, 5):
        previous = _forge(raw, CHAIN, seq, reason="rewritten", prev_hash=previous)
    _head_move(raw, CHAIN, 5, previous)
    return CHAIN


def genesis_rewritten(raw: RawTable) -> str:
    _head_move(raw, GENESIS, 1, _forge(raw, GENESIS, 1, reason="created on the board's instruction"))
    return GENESIS


def event_deleted_in_the_middle(raw: RawTable) -> str:
    raw.delete(CHAIN, 3)
    return CHAIN


def last_event_deleted(raw: RawTable) -> str:
    raw.delete(CHAIN, 5)
    return CHAIN


def truncated_with_the_head_moved_back(raw: RawTable) -> str:
    raw.delete(CHAIN, 5)
    raw.delete(CHAIN, 4)
    _head_move(raw, CHAIN, 3, _hash_of(raw, CHAIN, 3))
    return CHAIN


def events_swapped(raw: RawTable) -> str:
    second, third = raw.get(CHAIN, 2), raw.get(CHAIN, 3)
    raw.put(second | {"sk": {"S": "E#000000000003"}})
    raw.put(third | {"sk": {"S": "E#000000000002"}})
    return CHAIN


def event_inserted_in_the_middle(raw: RawTable) -> str:
    for seq in (5, 4, 3):  # shift seq 3..5 one place up, then slip a forged seq 3 into the gap
        raw.put(raw.get(CHAIN, seq) | {"sk": {"S": f"E#{seq + 1:012d}"}})
    _forge(raw, CHAIN, 4, seq=3, event_id=FAKE_ID, reason="consent was given")
    return CHAIN


def forged_event_appended_beyond_the_head(raw: RawTable) -> str:
    _forge(raw, CHAIN, 5, seq=6, event_id=FAKE_ID, prev_hash=_hash_of(raw, CHAIN, 5), reason="backfill")
    return CHAIN


def forged_event_appended_with_the_head_moved(raw: RawTable) -> str:
    digest = _forge(raw, CHAIN, 5, seq=6, event_id=FAKE_ID, prev_hash=_hash_of(raw, CHAIN, 5), reason="backfill")
    _head_move(raw, CHAIN, 6, digest)
    return CHAIN


def index_key_altered_to_hide_an_event(raw: RawTable) -> str:
    raw.set(CHAIN, 2, day="1999-01-01")
    return CHAIN


def chain_rewritten_end_to_end_after_its_daily_digest(raw: RawTable) -> str:
    audit_digest_write(day=datetime.now(tz=UTC).date(), now=_tomorrow())
    previous = "0" * 64
    for seq in range(1, 6):
        previous = _forge(raw, CHAIN, seq, reason="rewritten", prev_hash=previous)
    _head_move(raw, CHAIN, 5, previous)
    return CHAIN


def chain_deleted_after_its_daily_digest(raw: RawTable) -> str:
    audit_digest_write(day=datetime.now(tz=UTC).date(), now=_tomorrow())
    return chain_deleted_whole(raw)


def chain_deleted_whole(raw: RawTable) -> str:
    for seq in (1, 2, 3, 4, 5):
        raw.delete(CHAIN, seq)
    raw.delete(CHAIN, LEGACY_HEAD)
    return CHAIN


@dataclass(frozen=True)
class Kind:
    tamper: Callable[[RawTable], str]
    named: set[str]  # the problem kinds the verifier must name on the tampered chain
    next_day: bool = False  # verified the day after (the daily digest exists by then)

    @property
    def name(self) -> str:
        return self.tamper.__name__


KINDS = [
    Kind(field_edited, {"changed"}),
    Kind(event_rewritten_and_rehashed, {"changed"}),
    Kind(run_rewritten_and_rehashed, {"forged"}),
    Kind(genesis_rewritten, {"forged"}),
    Kind(event_deleted_in_the_middle, {"removed"}),
    Kind(last_event_deleted, {"removed"}),
    Kind(truncated_with_the_head_moved_back, {"removed"}),
    Kind(events_swapped, {"reordered"}),
    Kind(event_inserted_in_the_middle, {"inserted"}),
    Kind(forged_event_appended_beyond_the_head, {"forged"}),
    Kind(forged_event_appended_with_the_head_moved, {"forged"}),
    Kind(index_key_altered_to_hide_an_event, {"changed"}),
    Kind(chain_rewritten_end_to_end_after_its_daily_digest, {"forged", "anchor"}, next_day=True),
    Kind(chain_deleted_after_its_daily_digest, {"anchor"}, next_day=True),
    Kind(chain_deleted_whole, {"anchor"}),
]


def test_the_table_lists_fifteen_kinds() -> None:
    assert len({kind.name for kind in KINDS}) == 15


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_each_kind_of_tampering_is_detected_and_named_on_its_chain(
        kind: Kind, chains: dict[str, list[AuditEvent]], raw: RawTable) -> None:
    assert audit_trail_verify(since=datetime.now(tz=UTC).date()).ok

    tampered = kind.tamper(raw)
    report = audit_trail_verify(since=datetime.now(tz=UTC).date(),
                                today=_tomorrow().date() if kind.next_day else None)

    assert report.problems, f"{kind.name} went undetected"
    assert {p.chain for p in report.problems} == {tampered}, report.problems
    assert kind.named <= {p.kind for p in report.problems}, report.problems


# --- the command --------------------------------------------------------------------------------------

def test_audit_verify_exits_non_zero_naming_the_break(chains: dict[str, list[AuditEvent]], raw: RawTable,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit_verify", "--object", "customer:C1", "--no-progress")
    assert "OK: 5 events in 1 chains" in capsys.readouterr().out

    raw.delete(CHAIN, 2)
    with pytest.raises(CommandError, match="1 break"):
        call_command("audit_verify", "--since", datetime.now(tz=UTC).date().isoformat(), "--no-progress")
    assert f"REMOVED: chain {CHAIN} seq 3 event {chains[CHAIN][2].event_id}" in capsys.readouterr().out


def _cloudwatch_json_match(pattern: str, line: str) -> bool:
    """CloudWatch Logs' JSON filter ``{ $.field = "value*" }`` (the one form the deployment uses) on one line."""
    import json
    import re

    found = re.fullmatch(r'\{ \$\.(\w+) = "([^"]*)" \}', pattern)
    assert found, f"not a JSON equality filter: {pattern}"
    field, value = found.groups()
    actual = str(json.loads(line).get(field, ""))
    return actual.startswith(value[:-1]) if value.endswith("*") else actual == value


def test_a_break_found_by_beat_raises_the_deployments_alarm(chains: dict[str, list[AuditEvent]], raw: RawTable,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from apps.core.logging import JsonFormatter
    from tests.deploy.terraform_model import module

    ecs = module("ecs")
    [filter_] = ecs.all_of("aws_cloudwatch_log_metric_filter").values()
    alarm = ecs.resource("aws_cloudwatch_metric_alarm", "audit_trail_broken")
    transform = filter_["metric_transformation"][0] if isinstance(filter_["metric_transformation"], list) \
        else filter_["metric_transformation"]
    assert (alarm["metric_name"], alarm["namespace"]) == (transform["name"], transform["namespace"])
    assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
    assert alarm["alarm_actions"] == "${var.alarm_topic_arns}"

    def lines() -> list[str]:
        return [JsonFormatter().format(r) for r in caplog.records if r.name == "apps.audit.tasks"]

    with caplog.at_level(logging.INFO, logger="apps.audit.tasks"):
        app.tasks["audit.verify_recent"].apply(throw=True)
    assert not [line for line in lines() if _cloudwatch_json_match(filter_["pattern"], line)]  # intact: quiet
    caplog.clear()
    raw.delete(CHAIN, 2)
    with caplog.at_level(logging.INFO, logger="apps.audit.tasks"):
        app.tasks["audit.verify_recent"].apply(throw=True)
    matched = [line for line in lines() if _cloudwatch_json_match(filter_["pattern"], line)]
    assert len(matched) == 1 and "REMOVED: chain customer#C1 seq 3" in matched[0]


def test_audit_verify_refuses_a_bad_date_with_what_to_type(aws: None) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit_verify", "--since", "yesterday")


def test_audit_verify_without_options_checks_every_chain_and_speaks_json(
        chains: dict[str, list[AuditEvent]], raw: RawTable, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    raw.set(CHAIN, 4, action="customer.deleted")
    with pytest.raises(CommandError):
        call_command("audit_verify", "--json", "--no-progress")

    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["chains"], report["events"]) == (False, 3, 8)
    assert [(p["kind"], p["seq"], p["event_id"]) for p in report["problems"]] == [
        ("changed", 4, chains[CHAIN][3].event_id)]


def test_the_commands_explain_themselves() -> None:
    from apps.audit.management.commands import audit_export, audit_verify

    verify_help = audit_verify.Command().create_parser("manage.py", "audit_verify").format_help()
    export_help = audit_export.Command().create_parser("manage.py", "audit_export").format_help()
    assert all(option in verify_help for option in ("--since", "--object", "--file", "Exits 1"))
    assert all(option in export_help for option in ("--since", "--until", "--object", "--out"))


def test_audit_verify_of_an_object_with_no_trail_says_so_instead_of_ok(chains: dict[str, list[AuditEvent]]) -> None:
    with pytest.raises(CommandError, match="No audit chain for customer:NOPE"):
        call_command("audit_verify", "--object", "customer:NOPE", "--no-progress")
