"""List versions on in-process moto: load, diff, refuse, roll back, audit, read the active entities."""

from __future__ import annotations

import pytest
from django.conf import settings

from apps.audit.models import AuditEvent
from apps.core import aws as core_aws
from apps.core.errors import Conflict, ValidationFailed
from apps.screening.lists import snapshot_files
from apps.screening.models import ListHead, ListVersion
from apps.screening.selectors.lists import list_entities_active, list_version_diff, list_versions_recent
from apps.screening.services.lists import list_version_activate, list_version_load

HEADER = "id,name,entity_type,aliases,date_of_birth,nationality,country,notes\n"


def watchlist(*rows: str) -> dict[str, bytes]:
    return {"watchlist.csv": (HEADER + "".join(r + "\n" for r in rows)).encode()}


ROWS = [f"W-{i:03d},PERSON NUMBER {i},person,,1970,IR,," for i in range(1, 11)]


@pytest.fixture
def bank_list(aws, settings):
    settings.CDD_LISTS_EXTRA = {"bank_watch": {"format": "internal"}}
    return "bank_watch"


def audit_actions(list_key: str) -> list[str]:
    return [e.action for e in AuditEvent.query(f"list#{list_key}", AuditEvent.sk.startswith("E#"))]


def s3_get(key: str) -> bytes:
    return core_aws.client("s3").get_object(Bucket=settings.CDD_LISTS_BUCKET, Key=key)["Body"].read()


def test_a_first_load_becomes_the_active_version_with_counts_and_files_in_s3(aws, system_actor):
    outcome = list_version_load(
        list_key="ofac_cons", files=snapshot_files("ofac_cons"), actor=system_actor, source="snapshot"
    )
    version = outcome.version
    assert outcome.outcome == "activated"
    assert version.status == "active"
    assert version.entity_count == 442
    assert version.counts == {"organization": 363, "person": 79}
    assert version.diff["added"] == 442
    assert ListHead.get("ofac_cons").active_version_id == version.version_id
    stored = ListVersion.get("ofac_cons", version.version_id)
    assert stored.status == "active"
    assert stored.loaded_by["id"] == "tests"
    assert s3_get(stored.raw_keys["cons_prim.csv"]) == snapshot_files("ofac_cons")["cons_prim.csv"]
    entities = list_entities_active(["ofac_cons"])
    assert entities == outcome.result.entities
    assert audit_actions("ofac_cons") == ["list_version.activated"]


def test_a_second_load_records_added_removed_and_changed_entities(bank_list, system_actor):
    first = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor).version
    new_rows = [*ROWS[1:], "W-011,NEW PERSON,person,,,,,"]
    new_rows[0] = "W-002,PERSON NUMBER 2,person,P2 ALIAS,1970,IR,,"
    second = list_version_load(list_key=bank_list, files=watchlist(*new_rows), actor=system_actor).version
    assert second.diff["added"] == 1
    assert second.diff["removed"] == 1
    assert second.diff["changed"] == 1
    assert second.diff["added_sample"] == ["bank_watch:W-011"]
    assert second.diff["removed_sample"] == ["bank_watch:W-001"]
    assert second.diff["changed_sample"] == ["bank_watch:W-002"]
    full = list_version_diff(list_key=bank_list, version_id=second.version_id)
    assert (full.added, full.removed, full.changed) == (
        ["bank_watch:W-011"],
        ["bank_watch:W-001"],
        ["bank_watch:W-002"],
    )
    assert second.previous_version_id == first.version_id
    assert ListVersion.get(bank_list, first.version_id).status == "superseded"
    assert [v.version_id for v in list_versions_recent(list_key=bank_list)] == [second.version_id, first.version_id]
    assert {e.source_id for e in list_entities_active([bank_list])} == {f"W-{i:03d}" for i in range(2, 12)}


def test_loading_identical_files_again_changes_nothing(bank_list, system_actor):
    first = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor).version
    again = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor)
    assert again.outcome == "unchanged"
    assert again.version.version_id == first.version_id
    assert len(list_versions_recent(list_key=bank_list)) == 1
    assert audit_actions(bank_list) == ["list_version.activated"]


def test_a_file_that_does_not_parse_is_refused_and_the_previous_version_stays(bank_list, system_actor):
    first = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor).version
    broken = watchlist(*ROWS[:4], "W-099,SOMEONE,alien,,,,,")
    outcome = list_version_load(list_key=bank_list, files=broken, actor=system_actor)
    assert outcome.outcome == "refused"
    stored = ListVersion.get(bank_list, outcome.version.version_id)
    assert stored.status == "refused"
    assert stored.message.startswith("watchlist.csv, line 6: entity_type 'alien'")
    assert s3_get(stored.raw_keys["watchlist.csv"]) == broken["watchlist.csv"]  # kept for diagnosis
    assert ListHead.get(bank_list).active_version_id == first.version_id
    assert ListVersion.get(bank_list, first.version_id).status == "active"
    assert len(list_entities_active([bank_list])) == 10
    assert audit_actions(bank_list) == ["list_version.activated", "list_version.refused"]
    # The same broken file again (the next scheduled refresh) is refused without a new record.
    again = list_version_load(list_key=bank_list, files=broken, actor=system_actor)
    assert again.outcome == "refused"
    assert again.version.version_id == outcome.version.version_id
    assert len(list_versions_recent(list_key=bank_list)) == 2


def test_a_collapsed_list_is_refused_unless_forced(bank_list, system_actor):
    first = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor).version
    outcome = list_version_load(list_key=bank_list, files=watchlist(*ROWS[:4]), actor=system_actor)
    assert outcome.outcome == "refused"
    assert "4 entities, fewer than 50% of the 10 in the active version" in outcome.version.message
    assert ListHead.get(bank_list).active_version_id == first.version_id
    forced = list_version_load(list_key=bank_list, files=watchlist(*ROWS[:4]), actor=system_actor, force=True)
    assert forced.outcome == "activated"
    assert forced.version.diff["removed"] == 6
    events = list(AuditEvent.query(f"list#{bank_list}", AuditEvent.sk.startswith("E#")))
    assert events[-1].reason == "forced past the collapse check"


def test_an_older_version_can_be_reactivated_and_a_refused_one_cannot(bank_list, system_actor):
    first = list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor).version
    second = list_version_load(list_key=bank_list, files=watchlist(*ROWS[:9]), actor=system_actor).version
    list_version_activate(list_key=bank_list, version_id=first.version_id, actor=system_actor, reason="bad publication")
    assert ListHead.get(bank_list).active_version_id == first.version_id
    assert ListVersion.get(bank_list, first.version_id).status == "active"
    assert ListVersion.get(bank_list, second.version_id).status == "superseded"
    assert len(list_entities_active([bank_list])) == 10
    refused = list_version_load(list_key=bank_list, files={"watchlist.csv": b"garbage"}, actor=system_actor).version
    with pytest.raises(Conflict, match="was refused"):
        list_version_activate(list_key=bank_list, version_id=refused.version_id, actor=system_actor, reason="try")
    events = list(AuditEvent.query(f"list#{bank_list}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == [
        "list_version.activated",
        "list_version.activated",
        "list_version.activated",
        "list_version.refused",
    ]
    assert events[2].reason == "bad publication"


def test_lists_without_a_version_come_from_the_snapshot_only_when_asked(aws):
    assert list_entities_active(["ofac_cons"]) == []
    assert len(list_entities_active(["ofac_cons"], snapshot_fallback=True)) == 442


def test_files_that_are_not_part_of_the_list_are_rejected_before_anything_is_written(bank_list, system_actor):
    with pytest.raises(ValidationFailed) as err:
        list_version_load(list_key=bank_list, files={"../../etc/passwd": b"x"}, actor=system_actor)
    assert err.value.errors == {"files": ["not files of bank_watch: ../../etc/passwd"]}
    assert list_versions_recent(list_key=bank_list) == []


def test_a_load_that_raced_with_another_is_not_activated(bank_list, system_actor, monkeypatch):
    from apps.screening.services import lists as list_services

    list_version_load(list_key=bank_list, files=watchlist(*ROWS), actor=system_actor)
    stale_head = ListHead.get(bank_list)  # what a slow load read before another one finished
    second = list_version_load(list_key=bank_list, files=watchlist(*ROWS[:9]), actor=system_actor).version
    monkeypatch.setattr(list_services, "_head_get", lambda list_key: stale_head)
    with pytest.raises(Conflict, match="committed first"):
        list_version_load(list_key=bank_list, files=watchlist(*ROWS[:8]), actor=system_actor)
    assert ListHead.get(bank_list).active_version_id == second.version_id
    assert ListVersion.get(bank_list, second.version_id).status == "active"


def _sdn_cut(share: float) -> dict[str, bytes]:
    """The bundled SDN publication with sdn.csv cut at a line boundary after ``share`` of its rows."""
    files = dict(snapshot_files("ofac_sdn"))
    lines = files["sdn.csv"].splitlines(keepends=True)
    files["sdn.csv"] = b"".join(lines[: int(len(lines) * share)])
    return files


def test_a_primary_file_cut_short_is_refused_although_it_parses(aws, system_actor):
    full = list_version_load(list_key="ofac_sdn", files=snapshot_files("ofac_sdn"), actor=system_actor).version
    cut = list_version_load(list_key="ofac_sdn", files=_sdn_cut(0.6), actor=system_actor)
    assert cut.outcome == "refused"
    assert "the primary file looks cut short" in cut.version.message
    assert "add.csv describes" in cut.version.message or "alt.csv describes" in cut.version.message
    assert ListHead.get("ofac_sdn").active_version_id == full.version_id
    assert int(ListHead.get("ofac_sdn").entity_count) == 14965


def test_a_sanctions_list_that_shrinks_too_much_is_held_for_a_senior_reviewer(aws, system_actor, analyst,
                                                                              senior_reviewer):
    from django.contrib.auth.models import Group

    from apps.audit.actors import Actor
    from apps.core.errors import Forbidden, FourEyesViolation

    full = list_version_load(list_key="un_sc", files=snapshot_files("un_sc"), actor=system_actor).version
    xml = snapshot_files("un_sc")["consolidated.xml"].decode()
    head, sep, rest = xml.partition("<INDIVIDUAL>")
    kept = rest.split("<INDIVIDUAL>")
    shrunk = head + sep + "<INDIVIDUAL>".join(kept[: int(len(kept) * 0.85)])  # about 15% of individuals fewer
    last = shrunk.rindex("</INDIVIDUAL>") + len("</INDIVIDUAL>")
    shrunk = shrunk[:last] + xml[xml.index("</INDIVIDUALS>"):]
    loader = Actor.from_user(senior_reviewer)
    held = list_version_load(list_key="un_sc", files={"consolidated.xml": shrunk.encode()}, actor=loader)
    assert held.outcome == "held"
    assert "held until a senior reviewer who did not load it" in held.version.message
    assert ListHead.get("un_sc").active_version_id == full.version_id  # still screening the full list
    with pytest.raises(Forbidden):
        list_version_activate(list_key="un_sc", version_id=held.version.version_id, actor=Actor.from_user(analyst),
                              reason="looks fine")
    with pytest.raises(FourEyesViolation):
        list_version_activate(list_key="un_sc", version_id=held.version.version_id, actor=loader, reason="mine")
    analyst.groups.add(Group.objects.get(name="senior_reviewer"))
    other_senior = Actor.from_user(type(analyst).objects.get(pk=analyst.pk))
    list_version_activate(list_key="un_sc", version_id=held.version.version_id, actor=other_senior,
                          reason="UN delisted them on the committee's decision of the day")
    assert ListHead.get("un_sc").active_version_id == held.version.version_id
    assert audit_actions("un_sc") == ["list_version.activated", "list_version.held", "list_version.activated"]


def test_the_cli_prints_refusals_and_held_versions_and_exits_non_zero(aws, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("lists_load", "--from-snapshot", "--list", "ofac_sdn")
    folder = tmp_path / "ofac_sdn"
    folder.mkdir()
    for name, data in _sdn_cut(0.6).items():
        (folder / name).write_bytes(data)
    with pytest.raises(CommandError, match="1 of 1 lists were not loaded"):
        call_command("lists_load", "--dir", str(tmp_path), "--list", "ofac_sdn")
    assert "REFUSED version" in capsys.readouterr().err


def test_the_admin_shows_the_lists_and_a_senior_reviewer_releases_a_held_version_there(
        aws, system_actor, analyst, senior_reviewer):
    from django.test import Client

    list_version_load(list_key="un_sc", files=snapshot_files("un_sc"), actor=system_actor)
    xml = snapshot_files("un_sc")["consolidated.xml"].decode()
    start, end = xml.index("<INDIVIDUAL>"), xml.index("</INDIVIDUALS>")
    blocks = xml[start:end].split("</INDIVIDUAL>")
    shrunk = xml[:start] + "</INDIVIDUAL>".join(blocks[100:]) + xml[end:]  # 100 of 730 individuals fewer
    held = list_version_load(list_key="un_sc", files={"consolidated.xml": shrunk.encode()}, actor=system_actor)
    assert held.outcome == "held"
    as_analyst, as_senior = Client(), Client()
    as_analyst.force_login(analyst)
    as_senior.force_login(senior_reviewer)
    index = as_analyst.get("/admin/domain/lists/").content.decode()
    assert "un_sc" in index and "held:" in index
    page = as_analyst.get("/admin/domain/lists/un_sc/").content.decode()
    assert "Held: version" in page and "Waiting for a senior reviewer" in page
    assert "Activate this version" in as_senior.get("/admin/domain/lists/un_sc/").content.decode()
    refused = as_analyst.post("/admin/domain/lists/un_sc/", {"version_id": held.version.version_id,
                                                            "reason": "fine"}, follow=True)
    assert "only a senior reviewer activates it" in refused.content.decode()
    done = as_senior.post("/admin/domain/lists/un_sc/", {"version_id": held.version.version_id,
                                                        "reason": "UN committee delisted them"}, follow=True)
    assert "is active" in done.content.decode()
    assert ListHead.get("un_sc").active_version_id == held.version.version_id
