"""Lists in the admin, as people see them: versions, a version's diff, an upload a senior reviewer activates."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.audit.models import AuditEvent
from apps.core.outbox import outbox_for_group
from apps.core.roles import REVIEWER, SENIOR_REVIEWER
from apps.screening.models import ListHead, ListVersion
from apps.screening.services.lists import list_version_load
from tests.conftest import _persona
from tests.screening.list_data import WATCH_ROWS, watchlist_csv

LIST = "bank_watch"
LIST_URL = f"/admin/domain/lists/{LIST}/"
UPLOAD_URL = "/admin/domain/lists/upload/"
# The second version: W-001 delisted, W-002 gained an alias and a nationality, W-011 is new.
V2_ROWS = ["W-002,PERSON NUMBER 2,person,P2 ALIAS,1970,IR;SY,,", *WATCH_ROWS[2:], "W-011,JOSÉ NUÑEZ,person,,1981,,,"]


@pytest.fixture
def bank_list(aws: None, settings: Any) -> str:
    settings.CDD_LISTS_EXTRA = {LIST: {"format": "internal", "title": "Bank watch list", "max_shrink": 0.05}}
    return LIST


@pytest.fixture
def first_version(bank_list: str, system_actor: Any) -> ListVersion:
    return list_version_load(list_key=bank_list, files={"watchlist.csv": watchlist_csv(*WATCH_ROWS)},
                             actor=system_actor).version


@pytest.fixture
def sue(db: Any) -> User:
    """A second senior reviewer."""
    return _persona("sue.senior", REVIEWER, SENIOR_REVIEWER)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    """What a person reads: the page without its tags, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def table_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [text(row) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def upload(client: Client, data: bytes, *, name: str = "bank_watch_2025-06.csv", list_key: str = LIST) -> Any:
    return client.post(UPLOAD_URL, {"list_key": list_key, "files": SimpleUploadedFile(name, data)}, follow=True)


def audit_actions(list_key: str = LIST) -> list[tuple[str, str]]:
    return [(e.action, (e.actor or {}).get("name", "")) for e in
            AuditEvent.query(f"list#{list_key}", AuditEvent.sk.startswith("E#"))]


def test_the_versions_page_lists_each_version_with_counts_source_and_status_newest_first(
        first_version: ListVersion, system_actor: Any, analyst: User) -> None:
    second = list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*V2_ROWS)}, actor=system_actor)
    broken = list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*WATCH_ROWS, "W-099,X,alien,,,,,")},
                               actor=system_actor)
    assert broken.outcome == "refused"
    page = signed_in(analyst).get(LIST_URL)
    assert page.status_code == 200
    refused, active, previous = table_rows(page.content.decode())
    assert "refused" in refused and "entity_type 'alien' is not one of" in refused
    assert "active" in active and "10 (person 10)" in active and "+1 \u22121 ~1" in active
    assert "Activated by tests (job)" in active
    assert "previous" in previous and "10 (person 10)" in previous and "+10 \u22120 ~0" in previous
    assert second.version.checksum[:16] in active and first_version.checksum[:16] in previous
    assert "watchlist.csv" in active and "tests (job)" in active
    assert "Upload a new file of this list" in text(page.content.decode())


def test_older_versions_are_a_page_away_and_a_bad_cursor_is_a_clear_400(
        first_version: ListVersion, system_actor: Any, analyst: User, monkeypatch: Any) -> None:
    from apps.screening import admin_views

    list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*V2_ROWS)}, actor=system_actor)
    list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*WATCH_ROWS, "W-099,X,alien,,,,,")},
                      actor=system_actor)
    monkeypatch.setattr(admin_views, "VERSIONS_PAGE", 2)  # three versions, two per page
    client = signed_in(analyst)
    newest = client.get(LIST_URL).content.decode()
    rows = table_rows(newest)
    assert len(rows) == 2 and "refused" in rows[0] and "active" in rows[1]
    older = re.search(r'href="([^"]+\?before=[^"]+)">Older versions', newest)
    assert older, "the first page links to the older versions"
    page = client.get(unescape(older.group(1))).content.decode()
    assert len(table_rows(page)) == 1 and "previous" in table_rows(page)[0]
    assert first_version.checksum[:16] in page and "Older versions" not in page and "the newest versions" in page
    refused = client.get(LIST_URL, {"before": "yesterday"})
    assert refused.status_code == 400 and "before: 'yesterday' is not a version id" in text(refused.content.decode())


def test_the_diff_shows_added_removed_and_changed_entries_and_search_narrows_it(
        first_version: ListVersion, system_actor: Any, analyst: User, monkeypatch: Any) -> None:
    second = list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*V2_ROWS)}, actor=system_actor)
    url = f"{LIST_URL}versions/{second.version.version_id}/"
    client = signed_in(analyst)
    rows = table_rows(client.get(url).content.decode())
    assert rows == [
        "added JOSÉ NUÑEZ W-011 person new entry",
        "removed PERSON NUMBER 1 W-001 person no longer listed",
        "changed PERSON NUMBER 2 also: P2 ALIAS W-002 person names + P2 ALIAS (alias) nationalities + Syria",
    ]
    # Accents and case do not matter; the list's own id is searchable too.
    assert table_rows(client.get(url, {"q": "nunez"}).content.decode()) == ["added JOSÉ NUÑEZ W-011 person new entry"]
    assert [r.split()[0] for r in table_rows(client.get(url, {"q": "person number"}).content.decode())] == [
        "removed", "changed"]
    assert table_rows(client.get(url, {"q": "number", "kind": "changed"}).content.decode())[0].startswith("changed")
    assert "No change matches “nobody”" in text(client.get(url, {"q": "nobody"}).content.decode())

    # The diff was computed once from the versions' stored entities and kept next to them: no recomputation.
    from apps.screening.selectors import lists as list_selectors

    list_selectors._changes_cache.clear()
    monkeypatch.setattr(list_selectors, "_version_entities", lambda *a: pytest.fail("recomputed the diff"))
    assert len(table_rows(client.get(url).content.decode())) == 3


def test_a_long_diff_is_paginated(first_version: ListVersion, system_actor: Any, analyst: User) -> None:
    rows = [*WATCH_ROWS, *(f"N-{i:03d},NEWCOMER {i:03d},organization,,,,," for i in range(60))]
    second = list_version_load(list_key=LIST, files={"watchlist.csv": watchlist_csv(*rows)}, actor=system_actor)
    url = f"{LIST_URL}versions/{second.version.version_id}/"
    first_page = signed_in(analyst).get(url).content.decode()
    assert len(table_rows(first_page)) == 50
    assert "60 entries, page 1 of 2" in text(first_page) and "next page →" in text(first_page)
    last = table_rows(signed_in(analyst).get(url, {"page": 2}).content.decode())
    assert last[-1].startswith("added NEWCOMER 059")


def test_an_upload_is_staged_and_only_another_senior_reviewer_activates_it(
        first_version: ListVersion, analyst: User, senior_reviewer: User, sue: User) -> None:
    as_analyst = signed_in(analyst)
    staged = upload(as_analyst, watchlist_csv(*V2_ROWS))
    page = text(staged.content.decode())
    assert "Staged: 10 entries, +1 -1 ~1 against the active version" in page
    assert "awaiting activation" in page and "1 added" in page and "1 removed" in page and "1 changed" in page
    assert "bank_watch_2025-06.csv" in page and "JOSÉ NUÑEZ" in page
    assert "Activate this version" not in page  # an analyst uploads; a senior reviewer activates
    version = next(v for v in ListVersion.query(LIST) if v.status == "staged")
    assert ListHead.get(LIST).active_version_id == first_version.version_id  # nothing changed yet
    version_url = f"{LIST_URL}versions/{version.version_id}/"

    refused = as_analyst.post(version_url, {"version_id": version.version_id, "action": "activate"}, follow=True)
    assert "only a senior reviewer activates it" in text(refused.content.decode())
    assert ListHead.get(LIST).active_version_id == first_version.version_id

    # A senior reviewer who uploads cannot activate their own upload either.
    as_sam = signed_in(senior_reviewer)
    own = upload(as_sam, watchlist_csv(*V2_ROWS[:-1], "W-012,SOMEONE ELSE,person,,,,,"))
    own_version = next(v for v in ListVersion.query(LIST) if v.status == "staged" and v.loaded_by["name"] == "sam.senior")
    assert "You loaded this version: a senior reviewer other than you activates it" in text(own.content.decode())
    four_eyes = as_sam.post(f"{LIST_URL}versions/{own_version.version_id}/",
                            {"version_id": own_version.version_id, "action": "activate"}, follow=True)
    assert "another senior reviewer must activate it (four-eyes)" in text(four_eyes.content.decode())

    done = as_sam.post(version_url, {"version_id": version.version_id, "action": "activate",
                                     "reason": "checked against the committee's notice"}, follow=True)
    assert "is active; its changes are being screened against the book" in text(done.content.decode())
    assert ListHead.get(LIST).active_version_id == version.version_id
    assert ListVersion.get(LIST, first_version.version_id).status == "superseded"
    queued = outbox_for_group(group_key=f"list:{LIST}", topic_prefix="screening.list_delta")
    assert [i.payload for i in queued][-1] == {"list_key": LIST, "version_id": version.version_id}
    assert audit_actions() == [("list_version.activated", "tests"), ("list_version.staged", "ana.analyst"),
                               ("list_version.staged", "sam.senior"), ("list_version.activated", "sam.senior")]
    versions = text(as_analyst.get(LIST_URL).content.decode())
    assert "Activated by sam.senior" in versions

    # Sam's own upload was compared with the version that is no longer active: sue cannot activate a stale diff.
    stale = signed_in(sue).post(f"{LIST_URL}versions/{own_version.version_id}/",
                                {"version_id": own_version.version_id, "action": "activate"}, follow=True)
    assert "its diff is out of date" in text(stale.content.decode())
    assert ListHead.get(LIST).active_version_id == version.version_id


def test_a_staged_upload_is_discarded_with_a_reason(first_version: ListVersion, analyst: User,
                                                    senior_reviewer: User) -> None:
    upload(signed_in(analyst), watchlist_csv(*V2_ROWS))
    version = next(v for v in ListVersion.query(LIST) if v.status == "staged")
    url = f"{LIST_URL}versions/{version.version_id}/"
    as_sam = signed_in(senior_reviewer)
    no_reason = as_sam.post(url, {"version_id": version.version_id, "action": "discard", "reason": " "}, follow=True)
    assert "A reason is required to discard a version" in text(no_reason.content.decode())
    as_sam.post(url, {"version_id": version.version_id, "action": "discard", "reason": "wrong month's file"})
    page = text(signed_in(analyst).get(LIST_URL).content.decode())
    assert "discarded Discarded by sam.senior" in page and "wrong month's file" in page
    assert ListHead.get(LIST).active_version_id == first_version.version_id
    assert audit_actions()[-1] == ("list_version.discarded", "sam.senior")


def test_a_broken_file_is_refused_with_the_parsers_message_and_the_previous_version_stays(
        first_version: ListVersion, analyst: User) -> None:
    page = text(upload(signed_in(analyst), watchlist_csv(*WATCH_ROWS[:4], "W-099,SOMEONE,alien,,,,,")).content.decode())
    assert "Refused: watchlist.csv, line 6: entity_type 'alien' is not one of person, organization" in page
    assert "The active version stays" in page
    assert ListHead.get(LIST).active_version_id == first_version.version_id
    rows = table_rows(signed_in(analyst).get(LIST_URL).content.decode())
    assert " refused " in rows[0] and " active " in rows[1]
    assert audit_actions()[-1] == ("list_version.refused", "ana.analyst")


def test_a_shrunken_file_is_held_with_the_reason(first_version: ListVersion, analyst: User) -> None:
    page = text(upload(signed_in(analyst), watchlist_csv(*WATCH_ROWS[1:])).content.decode())
    assert "Held: 1 of 10 entries (10.0%) are gone in one publication, more than 5%" in page
    assert "You loaded this version: a senior reviewer other than you activates it" in page
    assert ListHead.get(LIST).active_version_id == first_version.version_id
    assert audit_actions()[-1] == ("list_version.held", "ana.analyst")


def test_uploads_are_for_analysts_and_senior_reviewers_and_bad_files_are_named(
        first_version: ListVersion, analyst: User, auditor: User, settings: Any) -> None:
    as_auditor = signed_in(auditor)
    versions = as_auditor.get(LIST_URL)
    assert versions.status_code == 200 and " active " in text(versions.content.decode())  # reads the versions
    assert "Upload a new file" not in text(versions.content.decode())
    assert as_auditor.get(UPLOAD_URL).status_code == 403
    as_analyst = signed_in(analyst)
    form = text(as_analyst.get(UPLOAD_URL, {"list": LIST}).content.decode())
    assert "Bank watch list (bank_watch) — files: watchlist.csv" in form
    wrong = as_analyst.post(UPLOAD_URL, {"list_key": "ofac_sdn", "files": SimpleUploadedFile("export.csv", b"x")})
    assert wrong.status_code == 400
    assert "export.csv is not a file of ofac_sdn: name it as one of sdn.csv, alt.csv, add.csv" in text(
        wrong.content.decode())
    no_list = as_analyst.post(UPLOAD_URL, {"files": SimpleUploadedFile("watchlist.csv", b"x")})
    assert no_list.status_code == 400 and "Choose the list this file belongs to" in text(no_list.content.decode())
    settings.CDD_LISTS_UPLOAD_MAX_BYTES = 100
    too_big = as_analyst.post(UPLOAD_URL, {"list_key": LIST,
                                           "files": SimpleUploadedFile("watchlist.csv", watchlist_csv(*WATCH_ROWS))})
    assert too_big.status_code == 413 and "watchlist.csv: more than the 100 bytes allowed" in text(
        too_big.content.decode())
    assert [v.version_id for v in ListVersion.query(LIST)] == [first_version.version_id]
