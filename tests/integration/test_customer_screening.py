"""Customer screening on the real local stack: the API on gunicorn, the Celery worker on SQS, beat.

The customer who was once onboarded unscreened — "Qasem Soleimani", born 1957-03-11, Iranian —
is alerted within seconds; the case waits for the alerts; dispositions go through four-eyes; a
false positive stays quiet until the data changes; a confirmed true match leaves the case
rejectable only. Then the worker is killed mid-run and restarted: nothing is lost or doubled.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
import requests

from tests.integration.conftest import Stack
from tests.integration.test_local_stack_races import signed_in

pytestmark = pytest.mark.integration

SOLEIMANI = {"customer_type": "individual", "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
             "nationalities": ["IR"], "country_of_residence": "IR"}


def key_headers(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Api-Key {stack.api_key}"}


def create(stack: Stack, data: dict[str, Any]) -> str:
    response = requests.post(f"{stack.urls['api']}/api/v1/customers", json=data, headers=key_headers(stack), timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


def wait_until(what: str, check: Any, timeout: float = 60, stack: Stack | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    worker = stack.log("worker")[-3000:] if stack else ""
    raise AssertionError(f"{what}: not within {timeout:.0f}s\n{worker}")


def alerts(stack: Stack, customer_id: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.urls['api']}/api/v1/customers/{customer_id}/alerts", headers=key_headers(stack),
                            timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json())


def runs(stack: Stack, customer_id: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.urls['api']}/api/v1/customers/{customer_id}/screenings",
                            headers=key_headers(stack), timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_listed_person_is_alerted_reviewed_under_four_eyes_and_ends_rejected(stack: Stack) -> None:
    api = f"{stack.urls['api']}/api/v1"
    analyst, reviewer, senior = (signed_in(stack, name) for name in ("analyst", "reviewer", "senior"))
    started = time.monotonic()
    customer_id = create(stack, SOLEIMANI)
    found = wait_until("alerts on ofac_sdn 10481 and un_sc IRi.039", lambda: (
        (a := {(x["list"], x["list_entity_id"]): x for x in alerts(stack, customer_id)})
        and {("ofac_sdn", "10481"), ("un_sc", "IRi.039")} <= set(a) and a), stack=stack)
    print(f"\ncreate -> alerts visible: {time.monotonic() - started:.1f} s")
    assert all(x["status"] == "open" for x in found.values())

    def risk() -> dict[str, Any]:
        response = requests.get(f"{api}/customers/{customer_id}/risk", headers=key_headers(stack), timeout=10)
        return dict(response.json()) if response.status_code == 200 else {}

    # The worker rates the customer once screened: resident in Iran, two open alerts.
    rated = wait_until("the risk assessment", lambda: (r := risk()) and r["rating"] == "high" and r, stack=stack)
    print(f"create -> risk rated: {time.monotonic() - started:.1f} s")
    assert rated["cdd_level"] == "enhanced" and rated["model_version"] == 1
    factors = {f["factor"]: f for f in rated["factors"]}
    assert factors["countries"]["contribution"] == 40 and factors["screening"]["value"]["open_alerts"] >= 2

    case_id = f"onboarding-{customer_id}"
    wait_until("the onboarding case", lambda: analyst.get(f"{api}/cases/{case_id}", timeout=10).status_code == 200)
    refused = analyst.post(f"{api}/cases/{case_id}/submit", json={"summary": "Checked"}, timeout=10)
    assert (refused.status_code, refused.json()["code"]) == (409, "screening_open")
    assert {found[("ofac_sdn", "10481")]["alert_id"], found[("un_sc", "IRi.039")]["alert_id"]} <= set(
        refused.json()["errors"]["alerts"])

    # False positive on the UN entry: proposed by the analyst, confirmed by another person.
    un = found[("un_sc", "IRi.039")]
    proposed = analyst.post(f"{api}/alerts/{un['alert_id']}/proposal", timeout=10,
                            json={"outcome": "false_positive", "rationale": "Our customer is another person"})
    assert proposed.status_code == 200, proposed.text
    confirmed = reviewer.post(f"{api}/alerts/{un['alert_id']}/decision", json={"confirm": True, "rationale": "Agreed"},
                              timeout=10)
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "false_positive")

    # A re-screen raises nothing new and keeps the false positive closed.
    before = len(runs(stack, customer_id))
    assert analyst.post(f"{api}/customers/{customer_id}/screenings", timeout=10).status_code == 202
    wait_until("the on-demand run", lambda: len(runs(stack, customer_id)) > before, stack=stack)
    assert {a["alert_id"] for a in alerts(stack, customer_id)} == {a["alert_id"] for a in found.values()}
    assert requests.get(f"{api}/alerts/{un['alert_id']}", headers=key_headers(stack),
                        timeout=10).json()["status"] == "false_positive"

    # A changed date of birth re-opens it, with what changed.
    current = requests.get(f"{api}/customers/{customer_id}", headers=key_headers(stack), timeout=10)
    patched = requests.patch(f"{api}/customers/{customer_id}", json={"date_of_birth": "1957-03-12"}, timeout=10,
                             headers={**key_headers(stack), "If-Match": current.headers["ETag"]})
    assert patched.status_code == 200, patched.text
    reopened = wait_until("the re-opened alert", lambda: (
        (d := requests.get(f"{api}/alerts/{un['alert_id']}", headers=key_headers(stack), timeout=10).json())
        ["status"] == "open" and d), stack=stack)
    assert any("date of birth" in change for change in reopened["reopened"]["changes"])

    # Every alert confirmed a true match by a senior: the case can then only be rejected.
    for alert in alerts(stack, customer_id):
        assert analyst.post(f"{api}/alerts/{alert['alert_id']}/proposal", timeout=10, json={
            "outcome": "true_match", "rationale": "Same name, date of birth and nationality"}).status_code == 200
        decided = senior.post(f"{api}/alerts/{alert['alert_id']}/decision", json={"confirm": True,
                                                                                 "rationale": "Designated"}, timeout=10)
        assert decided.status_code == 200, decided.text
    # A confirmed sanctions match makes the customer prohibited, whatever it scores.
    prohibited = wait_until("the prohibited rating", lambda: (r := risk()) and r["rating"] == "prohibited" and r,
                            stack=stack)
    assert [o["rule"] for o in prohibited["overrides"]][:1] == ["confirmed_sanctions_match"]
    submitted = analyst.post(f"{api}/cases/{case_id}/submit", json={"summary": "Confirmed match"}, timeout=10)
    assert submitted.status_code == 200, submitted.text
    approve = senior.post(f"{api}/cases/{case_id}/approve", json={"rationale": "ok"}, timeout=10)
    assert (approve.status_code, approve.json()["code"]) == (409, "confirmed_match")
    reject = senior.post(f"{api}/cases/{case_id}/reject", json={"rationale": "Designated person"}, timeout=10)
    assert reject.status_code == 200, reject.text
    customer = requests.get(f"{api}/customers/{customer_id}", headers=key_headers(stack), timeout=10).json()
    assert customer["status"] == "rejected"
    assert len(customer["confirmed_match_alerts"]) == len(found)


def test_a_worker_killed_mid_run_loses_no_screening_and_doubles_no_alert(stack: Stack) -> None:
    listed = [("Qasem Soleimani", "1957-03-11", "IR"), ("Kim Jong Un", "1984-01-08", "KP"),
              ("Viktor Bout", "1967-01-13", "RU")]  # the listed people, as the lists describe them
    customers = []
    for n in range(30):
        if n % 3 == 0:
            name, born, country = listed[n % len(listed)]
            data = {**SOLEIMANI, "legal_name": name, "date_of_birth": born, "nationalities": [country],
                    "country_of_residence": country}
        else:
            data = {**SOLEIMANI, "legal_name": f"Ordinary Person {n} Featherstonehaugh", "date_of_birth": "1970-01-01",
                    "nationalities": ["GB"], "country_of_residence": "GB"}
        customers.append(create(stack, data))
    # Kill the worker while it is working through them, then start it again.
    wait_until("the worker to start on the burst", lambda: "screened " in stack.log("worker"), stack=stack)
    stack.kill("worker")
    killed_with_done = sum(1 for c in customers if runs(stack, c))
    stack.restart("worker")
    wait_until("every customer screened", lambda: all(runs(stack, c) for c in customers), timeout=240, stack=stack)
    lost = [c for c in customers if not runs(stack, c)]
    raised: Counter[str] = Counter()
    per_subject: Counter[tuple[str, str, str]] = Counter()
    auditor = signed_in(stack, "auditor")
    for customer_id in customers:
        for alert in alerts(stack, customer_id):
            per_subject[(customer_id, alert["list"], alert["list_entity_id"])] += 1
            events = auditor.get(f"{stack.urls['api']}/api/v1/audit/objects/alert/{alert['alert_id']}/events",
                                 timeout=10).json()["events"]
            raised[alert["alert_id"]] = sum(1 for e in events if e["action"] == "alert.raised")
    duplicates = [k for k, n in per_subject.items() if n > 1] + [a for a, n in raised.items() if n != 1]
    print(f"\nworker killed after {killed_with_done}/30 customers screened; after restart: "
          f"{30 - len(lost)}/30 screened, {len(raised)} alerts, lost {len(lost)}, duplicates {len(duplicates)}")
    assert (lost, duplicates) == ([], [])
    assert len(raised) >= 10  # the listed names did alert


def test_a_full_rescreen_survives_a_killed_worker_with_no_request_lost_and_no_alert_doubled(stack: Stack) -> None:
    listed = ["Qasem Soleimani", "Kim Jong Un", "Viktor Bout"]
    customers = []
    for n in range(24):
        name = listed[n % len(listed)] if n % 4 == 0 else f"Rescreened Person {n} Cholmondeley"
        customers.append(create(stack, {**SOLEIMANI, "legal_name": name, "date_of_birth": "1971-02-02",
                                        "nationalities": ["GB"], "country_of_residence": "GB"}))
    wait_until("the book screened once", lambda: all(runs(stack, c) for c in customers), timeout=240, stack=stack)
    before = {c: {a["alert_id"] for a in alerts(stack, c)} for c in customers}

    started = stack.manage("rescreen_book", "--reason", "integration: full re-screen with a killed worker")
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.split()[1].rstrip(":")
    book = int(started.stdout.split(":")[1].split()[0])  # every subject the screening has seen, these included

    def full_runs(customer_id: str) -> int:
        return sum(1 for r in runs(stack, customer_id) if r["trigger"] == "full_rescreen")

    wait_until("the worker to start on the job", lambda: any(full_runs(c) for c in customers), stack=stack)
    stack.kill("worker")
    done_when_killed = sum(1 for c in customers if full_runs(c))
    stack.restart("worker")
    wait_until("every customer re-screened", lambda: all(full_runs(c) for c in customers), timeout=300,
               stack=stack)
    watched = stack.manage("rescreen_book", "--reason", "watch", "--job", job_id, "--watch")
    assert f"all {book} subjects screened" in watched.stdout, watched.stdout + watched.stderr
    doubled = [c for c in customers if full_runs(c) != 1]
    after = {c: {a["alert_id"] for a in alerts(stack, c)} for c in customers}
    new_alerts = sum(len(after[c] - before[c]) for c in customers)
    print(f"\nfull re-screen of {book} subjects, worker killed after {done_when_killed}/24 of these: "
          f"{24 - sum(1 for c in customers if not full_runs(c))}/24 re-screened once, {len(doubled)} twice, "
          f"{new_alerts} new alerts")
    assert (doubled, new_alerts) == ([], 0)  # nothing screened twice, no alert raised again
