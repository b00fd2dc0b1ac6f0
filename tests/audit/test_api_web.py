"""The audit API and web page: auditors only, read-only, paginated, in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_by_action
from tests.audit.conftest import ANALYST, record

pytestmark = pytest.mark.django_db

TIMELINE = "/api/v1/audit/objects/customer/C1/events"


@pytest.fixture
def history(aws: None) -> list[AuditEvent]:
    record("C2", 2)  # two, so that a page of one has a next page
    return record("C1", 5)


@pytest.fixture
def as_auditor(auditor: Any, client_for: Any) -> APIClient:
    return client_for(auditor)


def test_an_auditor_pages_through_an_object_timeline(history: list[AuditEvent], as_auditor: APIClient) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        response = as_auditor.get(TIMELINE, {"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json()
        body = response.json()
        seen += [(e["seq"], e["event_id"], e["hash"]) for e in body["events"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [(e.seq, e.event_id, e.hash) for e in history]
    assert pages == 3
    newest = as_auditor.get(TIMELINE, {"order": "desc", "limit": 1}).json()["events"][0]
    assert (newest["seq"], newest["actor"]["name"], newest["changes"]["name"]) == (
        5, "ana.analyst", {"before": "Name 4", "after": "Name 5"})


def test_a_bad_or_foreign_cursor_gets_a_400_naming_the_cursor(history: list[AuditEvent],
                                                             as_auditor: APIClient) -> None:
    assert as_auditor.get(TIMELINE, {"cursor": "not-a-cursor"}).json()["errors"] == {
        "cursor": ["Not a valid cursor; pass next_cursor from the previous page."]}
    foreign = as_auditor.get("/api/v1/audit/objects/customer/C2/events", {"limit": 1}).json()
    other = as_auditor.get("/api/v1/audit/objects/customer/C2/events", {"limit": 1, "cursor": foreign["next_cursor"]})
    assert other.status_code == 200
    response = as_auditor.get(TIMELINE, {"cursor": foreign["next_cursor"]})
    assert response.status_code == 400 and "another query" in response.json()["errors"]["cursor"][0]
    assert as_auditor.get(TIMELINE, {"limit": 0}).json()["errors"].keys() == {"limit"}


def test_events_by_actor_and_by_action_within_a_time_range(history: list[AuditEvent],
                                                           as_auditor: APIClient) -> None:
    since, until = history[1].occurred_at, history[3].occurred_at
    assert since and until
    window = {"since": since.isoformat(), "until": until.isoformat()}

    by_actor = as_auditor.get(f"/api/v1/audit/actors/{ANALYST.key}/events", window).json()["events"]
    by_action = as_auditor.get("/api/v1/audit/actions/customer.updated/events", window).json()["events"]

    assert [e["event_id"] for e in by_actor] == [history[1].event_id, history[2].event_id]
    assert [e["event_id"] for e in by_action] == [history[1].event_id, history[2].event_id]
    everything = as_auditor.get(f"/api/v1/audit/actors/{ANALYST.key}/events").json()["events"]
    assert len(everything) == 7
    reversed_range = as_auditor.get("/api/v1/audit/actions/customer.updated/events",
                                    {"since": until.isoformat(), "until": since.isoformat()})
    assert reversed_range.status_code == 400 and "until" in reversed_range.json()["errors"]


def test_one_event_by_id_and_a_clean_404_for_an_unknown_one(history: list[AuditEvent],
                                                            as_auditor: APIClient) -> None:
    body = as_auditor.get(f"/api/v1/audit/events/{history[2].event_id}").json()
    assert (body["chain"], body["seq"], body["prev_hash"]) == ("customer#C1", 3, history[1].hash)
    missing = as_auditor.get("/api/v1/audit/events/01NOSUCHEVENT")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_an_auditor_exports_an_object_history_and_the_export_is_audited(
        history: list[AuditEvent], as_auditor: APIClient, auditor: Any) -> None:
    response = as_auditor.post("/api/v1/audit/exports", {"object_type": "customer", "object_id": "C1"},
                               format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["event_count"] == 5
    assert set(body["files"]) == {"events.jsonl", "events.csv", "manifest.json"}
    assert body["files"]["events.jsonl"]["url"].startswith("https://")
    exported = audit_events_by_action(action="audit.exported").events
    assert [(e.actor["id"], e.data["export_id"]) for e in exported] == [(str(auditor.pk), body["export_id"])]


def test_an_export_without_criteria_gets_a_400(aws: None, as_auditor: APIClient) -> None:
    response = as_auditor.post("/api/v1/audit/exports", {"since": "2026-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"until": ["Required for a time-range export."]}


def test_only_auditors_read_the_trail(history: list[AuditEvent], analyst: Any, reviewer: Any, client_for: Any,
                                      api: APIClient) -> None:
    assert APIClient().get(TIMELINE).status_code == 401
    for user in (analyst, reviewer):
        assert client_for(user).get(TIMELINE).status_code == 403
    refused = api.get(TIMELINE)  # a full-scope integration key
    assert refused.status_code == 403 and refused.json()["message"] == "API keys cannot use this endpoint."
    assert api.post("/api/v1/audit/exports", {"object_type": "customer", "object_id": "C1"},
                    format="json").status_code == 403


def test_nothing_in_the_api_or_web_changes_or_deletes_an_audit_event(history: list[AuditEvent],
                                                                     as_auditor: APIClient) -> None:
    paths = [TIMELINE, f"/api/v1/audit/actors/{ANALYST.key}/events", "/api/v1/audit/actions/customer.created/events",
             f"/api/v1/audit/events/{history[0].event_id}", "/api/v1/audit/exports"]
    for path in paths:
        for method in ("put", "patch", "delete"):
            assert getattr(as_auditor, method)(path).status_code == 405, (method, path)
    for path in (reverse("audit-web-lookup"), reverse("audit-web-timeline", args=["customer", "C1"])):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(as_auditor, method)(path).status_code == 405, (method, path)
    assert [e.reason for e in AuditEvent.query("customer#C1", AuditEvent.sk.startswith("E#"))] == [
        f"step {n}" for n in range(1, 6)]


def test_the_schema_lists_each_audit_operation_with_its_errors(aws: None, as_auditor: APIClient,
                                                               platform_admin: Any, client_for: Any) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    timeline = paths["/api/v1/audit/objects/{object_type}/{object_id}/events"]
    assert set(timeline) == {"get"} and {"200", "400", "401", "403"} <= set(timeline["get"]["responses"])
    assert set(paths["/api/v1/audit/exports"]) == {"post"}
    assert {"/api/v1/audit/actors/{actor_key}/events", "/api/v1/audit/actions/{action}/events",
            "/api/v1/audit/events/{event_id}"} <= set(paths)


def test_the_timeline_page_shows_an_auditor_who_did_what(history: list[AuditEvent], auditor: Any, analyst: Any,
                                                         client_for: Any) -> None:
    url = reverse("audit-web-timeline", args=["customer", "C1"])

    page = client_for(auditor).get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('id="event-') == 5 and "customer.created" in html and "step 5" in html
    assert "Name 4 → Name 5" in html
    assert client_for(analyst).get(url).status_code == 403
    anonymous = APIClient().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_timeline_page_says_the_trail_it_shows_verifies(history: list[AuditEvent], auditor: Any,
                                                            client_for: Any) -> None:
    from apps.audit.tasks import audit_anchor_checkpoint

    url = reverse("audit-web-timeline", args=["customer", "C1"])
    html = client_for(auditor).get(url).content.decode()
    assert 'data-verified="true"' in html and "Verified: all 5 events" in html and "not yet anchored" in html

    audit_anchor_checkpoint.apply(throw=True)

    html = client_for(auditor).get(url).content.decode()
    assert "Verified: all 5 events" in html and "matches the anchor of" in html


def test_the_timeline_page_says_in_words_what_does_not_verify(history: list[AuditEvent], auditor: Any,
                                                              client_for: Any) -> None:
    from tests.audit.conftest import RawTable

    RawTable().set("customer#C1", 3, reason="approved by the board")

    html = client_for(auditor).get(reverse("audit-web-timeline", args=["customer", "C1"])).content.decode()

    assert 'data-verified="false"' in html and "Not verified: 1 problem(s)" in html
    assert "Event #3: Its content no longer matches its hash: a field was changed after it was written." in html
    assert html.count("✗ not verified") == 1 and "approved by the board" in html  # shown, and marked


def test_the_lookup_page_sends_an_auditor_to_the_timeline(aws: None, auditor: Any, client_for: Any) -> None:
    response = client_for(auditor).get(reverse("audit-web-lookup"), {"object_type": "customer", "object_id": "C9"})
    assert response.status_code == 302 and response["Location"] == "/audit/objects/customer/C9/"
    empty = client_for(auditor).get(response["Location"])
    assert "No audit events for this object." in empty.content.decode()


def test_the_lookup_page_explains_what_is_missing(aws: None, auditor: Any, client_for: Any) -> None:
    client = client_for(auditor)
    half = client.get(reverse("audit-web-lookup"), {"object_type": "customer"})
    assert half.status_code == 200 and "Give both the object type and its id." in half.content.decode()
    slash = client.get(reverse("audit-web-lookup"), {"object_type": "customer", "object_id": "a/b"})
    assert slash.status_code == 200 and "never contain" in slash.content.decode()
