"""Screening every customer: runs, alerts, dispositions under four-eyes, false-positive memory,
and case decisions that depend on them. The worker's part runs through the outbox (``outbox_drain``
does here what a Celery worker does on the local stack; tests/integration covers the real worker)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, Forbidden, FourEyesViolation
from apps.core.outbox import outbox_drain, outbox_for_group, outbox_process
from apps.customers.selectors import customer_get
from apps.customers.services import customer_create, customer_update, related_party_add
from apps.reviews import services as reviews
from apps.screening.dynamo_models import Alert, AlertState, ScreeningRun
from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose, alert_memory_revoke
from apps.screening.services.subjects import customer_screening_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

SOLEIMANI = {"customer_type": "individual", "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
             "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding"}


def created(data: dict[str, Any]) -> str:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=data)
    outbox_drain(group_key=customer.customer_id)  # screening and the onboarding case
    outbox_drain(group_key=customer.customer_id)  # the risk assessment that screening asks for
    return customer.customer_id


def alerts(client: APIClient, customer_id: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/customers/{customer_id}/alerts", params)
    assert response.status_code == 200, response.json()
    return list(response.json())


def by_entity(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["list"], a["list_entity_id"]): a for a in items}


def actions(object_type: str, object_id: str) -> list[str]:
    return [e.action for e in AuditEvent.query(f"{object_type}#{object_id}") if e.action]


def test_a_customer_named_like_a_listed_person_is_alerted_on_both_lists(api: APIClient) -> None:
    customer_id = created(SOLEIMANI)
    found = by_entity(alerts(api, customer_id))
    assert {("ofac_sdn", "10481"), ("un_sc", "IRi.039")} <= set(found)
    sdn = found[("ofac_sdn", "10481")]
    assert (sdn["status"], sdn["subject"]["name"], sdn["score"] >= 0.95) == ("open", "Qasem Soleimani", True)
    detail = api.get(f"/api/v1/alerts/{sdn['alert_id']}").json()
    assert detail["subject_inputs"]["date_of_birth"] == "1957-03-11"
    assert "1957-03-11" in detail["list_entry"]["birth_dates"]
    assert {"name_similarity", "date_of_birth", "country"} <= set(detail["explanation"]["features"])
    assert detail["list_version_id"] == "snapshot"
    assert "screening.completed" in actions("customer", customer_id)
    assert actions("alert", sdn["alert_id"]) == ["alert.raised"]


def test_a_clear_customer_gets_a_run_and_no_alert(api: APIClient) -> None:
    customer_id = created({**SOLEIMANI, "legal_name": "Harriet Quennell-Abernathy", "nationalities": ["GB"],
                           "country_of_residence": "GB", "date_of_birth": "1990-01-01"})
    assert alerts(api, customer_id) == []
    runs = api.get(f"/api/v1/customers/{customer_id}/screenings").json()
    assert len(runs) == 1
    assert runs[0]["hits"] == [] and runs[0]["trigger"] == "created"
    assert set(runs[0]["list_versions"]) == {"ofac_sdn", "ofac_cons", "un_sc", "uk_ofsi"}


def test_a_redelivered_request_never_duplicates_a_run_or_an_alert(api: APIClient) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=SOLEIMANI)
    [request] = [i for i in outbox_for_group(group_key=customer.customer_id) if i.topic == "screening.subject"]
    outbox_process(outbox_id=request.outbox_id)
    first = sorted(a["alert_id"] for a in alerts(api, customer.customer_id))
    # The worker dies after its commit but before acking: SQS delivers the same request again.
    request.refresh()
    request.update(actions=[type(request).status.set("pending")])
    assert outbox_process(outbox_id=request.outbox_id) == "done"
    assert sorted(a["alert_id"] for a in alerts(api, customer.customer_id)) == first
    assert len(list(ScreeningRun.query(f"{customer.customer_id}#customer"))) == 1
    assert actions("customer", customer.customer_id).count("screening.completed") == 1


def test_the_case_cannot_be_submitted_while_alerts_are_open(analyst: Any, client_for: Any) -> None:
    customer_id = created(SOLEIMANI)
    response = client_for(analyst).post(f"/api/v1/cases/onboarding-{customer_id}/submit",
                                        {"summary": "All checked"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "screening_open"
    assert len(body["errors"]["alerts"]) >= 2
    assert "open alert(s) to disposition" in body["message"]


def test_a_case_waits_for_screening_that_has_not_run_yet(analyst: Any) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests",
                               data={**SOLEIMANI, "legal_name": "Ada Lovelace", "nationalities": ["GB"]})
    outbox_drain(group_key=customer.customer_id)
    customer_update(customer_id=customer.customer_id, expected_version=1, changes={"legal_name": "Ada King"},
                    actor=Actor.system("tests"))
    with pytest.raises(Conflict, match="screening request"):
        reviews.case_submit(case_id=f"onboarding-{customer.customer_id}", analyst=Actor.from_user(analyst),
                            summary="done")


def test_false_positive_under_four_eyes_is_remembered_until_something_changes(
        analyst: Any, analyst2: Any, reviewer: Any, client_for: Any) -> None:
    customer_id = created(SOLEIMANI)
    found = by_entity(alerts(client_for(analyst), customer_id))
    alert_id = found[("un_sc", "IRi.039")]["alert_id"]
    alert_disposition_propose(alert_id=alert_id, actor=Actor.from_user(analyst), outcome="false_positive",
                              rationale="Different person: our customer is a teacher born in Shiraz")
    from django.contrib.auth.models import Group

    analyst.groups.add(Group.objects.get(name="reviewer"))  # an analyst who is also a reviewer
    both = type(analyst).objects.get(pk=analyst.pk)
    with pytest.raises(FourEyesViolation):
        alert_disposition_decide(alert_id=alert_id, actor=Actor.from_user(both), confirm=True, rationale="mine")
    with pytest.raises(Forbidden):  # another analyst is not a reviewer
        alert_disposition_decide(alert_id=alert_id, actor=Actor.from_user(analyst2), confirm=True, rationale="x")
    alert_disposition_decide(alert_id=alert_id, actor=Actor.from_user(reviewer), confirm=True,
                             rationale="Agreed, different place of birth")
    state = AlertState.get(alert_id)
    assert state.status == "false_positive" and state.memory["by"] == Actor.from_user(reviewer).key
    assert actions("alert", alert_id) == ["alert.raised", "alert.disposition_proposed",
                                          "alert.disposition_confirmed"]

    # A re-screen of unchanged data raises nothing new and keeps the alert closed.
    customer_screening_request(customer_id=customer_id, actor=Actor.from_user(analyst))
    outbox_drain(group_key=customer_id)
    assert AlertState.get(alert_id).status == "false_positive"
    assert len({a.alert_id for a in Alert.by_customer.query(customer_id)}) == len(found)
    latest = next(iter(ScreeningRun.query(f"{customer_id}#customer", scan_index_forward=False)))
    assert {h["alert_id"]: h["outcome"] for h in latest.hits}[alert_id] == "suppressed"

    # A changed date of birth re-opens it, saying what changed.
    customer_update(customer_id=customer_id, expected_version=customer_get(customer_id=customer_id).version,
                    changes={"date_of_birth": "1957-03-12"}, actor=Actor.system("tests"))
    outbox_drain(group_key=customer_id)
    state = AlertState.get(alert_id)
    assert state.status == "open"
    assert any("date of birth: '1957-03-11' → '1957-03-12'" in c for c in state.reopened["changes"])
    assert actions("alert", alert_id)[-1] == "alert.reopened"


def test_a_senior_reviewer_can_revoke_a_false_positive_memory(
        analyst: Any, reviewer: Any, senior_reviewer: Any) -> None:
    customer_id = created(SOLEIMANI)
    alert_id = next(a.alert_id for a in Alert.by_customer.query(customer_id))
    alert_disposition_propose(alert_id=alert_id, actor=Actor.from_user(analyst), outcome="false_positive",
                              rationale="not him")
    alert_disposition_decide(alert_id=alert_id, actor=Actor.from_user(reviewer), confirm=True, rationale="agreed")
    with pytest.raises(Forbidden):
        alert_memory_revoke(alert_id=alert_id, actor=Actor.from_user(reviewer), rationale="second thoughts")
    alert_memory_revoke(alert_id=alert_id, actor=Actor.from_user(senior_reviewer), rationale="new adverse media")
    assert AlertState.get(alert_id).status == "open"


def test_a_confirmed_true_match_needs_a_senior_and_leaves_the_case_rejectable_only(
        analyst: Any, reviewer: Any, senior_reviewer: Any, client_for: Any) -> None:
    customer_id = created(SOLEIMANI)
    found = alerts(client_for(analyst), customer_id)
    sdn = next(a for a in found if (a["list"], a["list_entity_id"]) == ("ofac_sdn", "10481"))
    proposed = client_for(analyst).post(f"/api/v1/alerts/{sdn['alert_id']}/proposal",
                                        {"outcome": "true_match", "rationale": "Same name, date and nationality"},
                                        format="json", HTTP_IF_MATCH=f'"{sdn["version"]}"')
    assert proposed.status_code == 200, proposed.json()
    refused = client_for(reviewer).post(f"/api/v1/alerts/{sdn['alert_id']}/decision",
                                        {"confirm": True, "rationale": "yes"}, format="json")
    assert (refused.status_code, "senior reviewer" in refused.json()["message"]) == (403, True)
    confirmed = client_for(senior_reviewer).post(f"/api/v1/alerts/{sdn['alert_id']}/decision",
                                                 {"confirm": True, "rationale": "Designated person"}, format="json")
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "true_match")
    assert customer_get(customer_id=customer_id).confirmed_match_alerts == [sdn["alert_id"]]
    assert "customer.match_confirmed" in actions("customer", customer_id)

    # The other alerts are dispositioned; the case goes to review; it can only be rejected, by a senior.
    for other in found:
        if other["alert_id"] != sdn["alert_id"]:
            alert_disposition_propose(alert_id=other["alert_id"], actor=Actor.from_user(analyst),
                                      outcome="true_match", rationale="same person on the UN list")
            alert_disposition_decide(alert_id=other["alert_id"], actor=Actor.from_user(senior_reviewer),
                                     confirm=True, rationale="same person")
    case_id = f"onboarding-{customer_id}"
    reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="Confirmed SDN match")
    with pytest.raises(Forbidden, match="senior reviewer"):
        reviews.case_reject(case_id=case_id, reviewer=Actor.from_user(reviewer), rationale="sanctioned")
    with pytest.raises(Conflict, match="can only be rejected"):
        reviews.case_approve(case_id=case_id, reviewer=Actor.from_user(senior_reviewer), rationale="ok")
    reviews.case_reject(case_id=case_id, reviewer=Actor.from_user(senior_reviewer), rationale="Sanctioned person")
    assert customer_get(customer_id=customer_id).status == "rejected"
    assert "customer.rejected" in actions("customer", customer_id)


def test_a_related_party_is_screened_as_a_subject_of_its_own(api: APIClient) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "legal_entity", "legal_name": "Northwind Trading Ltd", "registration_number": "0987",
        "jurisdiction": "GB"})
    outbox_drain(group_key=customer.customer_id)
    party = related_party_add(customer_id=customer.customer_id, actor=Actor.system("tests"), data={
        "party_type": "individual", "roles": ["director"], "name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
        "nationalities": ["IR"]})
    outbox_drain(group_key=customer.customer_id)
    found = alerts(api, customer.customer_id)
    assert found and {a["subject"]["subject_id"] for a in found} == {party.party_id}
    assert found[0]["subject"]["type"] == "related_party"


def test_an_analyst_screens_a_customer_again_on_demand_through_the_api(analyst: Any, client_for: Any) -> None:
    customer_id = created(SOLEIMANI)
    response = client_for(analyst).post(f"/api/v1/customers/{customer_id}/screenings")
    assert response.status_code == 202
    assert [r["subject_id"] for r in response.json()["requests"]] == ["customer"]
    outbox_drain(group_key=customer_id)
    runs = client_for(analyst).get(f"/api/v1/customers/{customer_id}/screenings").json()
    assert [r["trigger"] for r in runs] == ["on_demand", "created"]


def test_who_may_do_what_with_alerts(api: APIClient, auditor: Any, reviewer: Any, client_for: Any) -> None:
    customer_id = created(SOLEIMANI)
    alert_id = alerts(api, customer_id)[0]["alert_id"]
    assert client_for(auditor).get(f"/api/v1/customers/{customer_id}/alerts").status_code == 403
    assert api.post(f"/api/v1/alerts/{alert_id}/proposal", {"outcome": "false_positive", "rationale": "x"},
                    format="json").status_code == 403
    assert client_for(reviewer).post(f"/api/v1/alerts/{alert_id}/proposal",
                                     {"outcome": "false_positive", "rationale": "x"}, format="json").status_code == 403
    missing = api.get("/api/v1/alerts/al_nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_the_case_page_shows_each_alert_side_by_side_with_the_forms_of_each_role(
        analyst: Any, reviewer: Any, auditor: Any) -> None:
    from django.test import Client

    customer_id = created(SOLEIMANI)
    case_url = f"/cases/onboarding-{customer_id}/"
    as_analyst, as_reviewer, as_auditor = Client(), Client(), Client()
    as_analyst.force_login(analyst)
    as_reviewer.force_login(reviewer)
    as_auditor.force_login(auditor)
    page = as_analyst.get(case_url).content.decode()
    assert "open alert" in page and "IRi.039" in page and "10481" in page
    assert "<mark>Qasem</mark>" in page and "1957-03-11" in page
    assert "Why this score" in page and 'name="outcome"' in page
    assert "Screen the customer and its parties again" in page
    alert_id = next(a.alert_id for a in Alert.by_customer.query(customer_id) if a.list_key == "un_sc")
    response = as_analyst.post(f"/alerts/{alert_id}/act", {"action": "propose", "outcome": "false_positive",
                                                           "rationale": "other man", "next": case_url}, follow=True)
    assert "Proposal recorded" in response.content.decode()
    reviewer_page = as_reviewer.get(case_url).content.decode()
    assert "Confirm false positive" in reviewer_page and 'name="outcome"' not in reviewer_page
    auditor_page = as_auditor.get(case_url).content.decode()
    assert "Confirm" not in auditor_page and 'name="outcome"' not in auditor_page
    assert as_auditor.post(f"/alerts/{alert_id}/act", {"action": "confirm", "rationale": "x"}).status_code == 403
    confirmed = as_reviewer.post(f"/alerts/{alert_id}/act", {"action": "confirm", "rationale": "agreed",
                                                              "next": case_url}, follow=True)
    assert "Disposition confirmed." in confirmed.content.decode()
    assert AlertState.get(alert_id).status == "false_positive"


def test_the_work_queue_names_the_customer_and_counts_open_alerts(analyst: Any) -> None:
    from django.test import Client

    created(SOLEIMANI)
    browser = Client()
    browser.force_login(analyst)
    page = browser.get("/cases/?status=open").content.decode()
    assert "Onboarding due diligence — Qasem Soleimani</a>" in page  # the name, not the customer id
    assert 'class="badge badge-open">' in page


def test_an_unknown_case_is_a_plain_not_found(reviewer: Any) -> None:
    from django.test import Client

    browser = Client()
    browser.force_login(reviewer)
    response = browser.get("/cases/nope/")
    assert response.status_code == 404
    assert "No case nope." in response.content.decode() and "Not allowed" not in response.content.decode()


def test_analysts_work_the_alert_queue_and_the_alert_page_in_the_admin(analyst: Any, platform_admin: Any) -> None:
    from django.test import Client

    customer_id = created(SOLEIMANI)
    alert_id = next(a.alert_id for a in Alert.by_customer.query(customer_id) if a.list_key == "ofac_sdn")
    browser = Client()
    browser.force_login(analyst)
    queue = browser.get("/admin/domain/alerts/?status=open&list=ofac_sdn").content.decode()
    assert "Qasem Soleimani" in queue and "10481" in queue and "IRi.039" not in queue
    page = browser.get(f"/admin/domain/alerts/{alert_id}/").content.decode()
    assert "<mark>Qasem</mark>" in page and 'name="outcome"' in page
    done = browser.post(f"/admin/domain/alerts/{alert_id}/", {"action": "propose", "outcome": "true_match",
                                                              "rationale": "same man"}, follow=True)
    assert "Proposal recorded" in done.content.decode()
    assert AlertState.get(alert_id).status == "proposed"
    admin = Client()
    admin.force_login(platform_admin)
    assert admin.get("/admin/domain/alerts/").status_code == 403


def test_a_run_that_had_to_load_the_list_index_says_so_apart_from_its_matching(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from apps.screening import index_provider

    ready = index_provider.screening_index_get()
    saved = dict(index_provider._current)

    def slow_load(*args: Any) -> Any:
        time.sleep(0.2)  # what building or unpickling the index costs a worker's first screening
        return ready

    monkeypatch.setattr(index_provider, "_snapshot_index", slow_load)
    monkeypatch.setattr(index_provider, "_active_index", slow_load)
    index_provider.screening_index_reset()
    try:
        first = created({**SOLEIMANI, "legal_name": "Wilhelmina Oakenshott", "date_of_birth": "1970-01-01"})
        second = created({**SOLEIMANI, "legal_name": "Bartholomew Quillfeather", "date_of_birth": "1971-02-02"})
    finally:
        index_provider.screening_index_reset()
        index_provider._current.update(saved)

    def completed(customer_id: str) -> dict[str, Any]:
        (run,) = [e for e in AuditEvent.query(f"customer#{customer_id}") if e.action == "screening.completed"]
        return dict(run.data)

    loaded, warm = completed(first), completed(second)
    assert loaded["index_loaded"] is True and loaded["index_load_ms"] >= 200
    assert loaded["duration_ms"] >= loaded["index_load_ms"]
    assert warm["index_loaded"] is False and warm["index_load_ms"] == 0
