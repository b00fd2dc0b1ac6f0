"""The local stack never loses an acknowledged write: racing writers against the real moto server.

moto's own threaded server restores table copies when a conditional transaction fails, wiping
what another thread committed meanwhile (a PATCH answered 200 but not in the data; a case
approved with its event written but still `submitted`). scripts/moto_server.py serialises
DynamoDB requests; these races prove every 200 is in the data and in the audit chain.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

PATCH_RACES = 20
APPROVAL_RACES = 10


def signed_in(stack: Stack, username: str) -> requests.Session:
    """A browser-like session of ``username`` (signed in on the web service; cookies are per host)."""
    session = requests.Session()
    session.get(f"{stack.urls['web']}/login/", timeout=10)
    response = session.post(f"{stack.urls['web']}/login/", timeout=10, allow_redirects=False, data={
        "username": username, "password": stack.passwords[username],
        "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert response.status_code == 302, response.text[:500]
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def race(calls: list[Any]) -> list[requests.Response]:
    """Run the calls at the same instant, one thread each."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def clone(session: requests.Session) -> requests.Session:
    other = requests.Session()
    other.cookies.update(session.cookies)
    other.headers.update(session.headers)
    return other


def timeline(auditor: requests.Session, stack: Stack, object_type: str, object_id: str) -> list[dict[str, Any]]:
    response = auditor.get(f"{stack.urls['api']}/api/v1/audit/objects/{object_type}/{object_id}/events",
                           params={"limit": 200}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def customer_create(stack: Stack, name: str) -> str:
    response = requests.post(f"{stack.urls['api']}/api/v1/customers", timeout=30,
                             headers={"Authorization": f"Api-Key {stack.api_key}"}, json={
                                 "customer_type": "individual", "legal_name": name, "date_of_birth": "1980-02-03",
                                 "nationalities": ["GB"], "country_of_residence": "GB", "occupation": "Teacher"})
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


def test_racing_patches_with_the_same_if_match_lose_no_acknowledged_write(stack: Stack) -> None:
    analyst = signed_in(stack, "analyst")
    auditor = signed_in(stack, "auditor")
    api = stack.urls["api"]
    acknowledged = lost = 0
    for race_no in range(PATCH_RACES):
        customer_id = customer_create(stack, f"Patch Race {race_no} Person")
        etag = analyst.get(f"{api}/api/v1/customers/{customer_id}", timeout=10).headers["ETag"]
        writers = [clone(analyst), clone(analyst)]
        values = [f"Occupation A{race_no}", f"Occupation B{race_no}"]
        responses = race([
            (lambda w=w, v=v, url=f"{api}/api/v1/customers/{customer_id}", tag=etag:
                w.patch(url, json={"occupation": v}, headers={"If-Match": tag}, timeout=30))
            for w, v in zip(writers, values, strict=True)])
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 412], [200, 409]), [(r.status_code, r.text[:200]) for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()["occupation"]
        acknowledged += 1
        stored = analyst.get(f"{api}/api/v1/customers/{customer_id}", timeout=10).json()["occupation"]
        updates = [e for e in timeline(auditor, stack, "customer", customer_id) if e["action"] == "customer.updated"]
        if stored != winner or len(updates) != 1 or updates[0]["changes"]["occupation"]["after"] != winner:
            lost += 1
    assert (lost, acknowledged) == (0, PATCH_RACES), f"acknowledged writes lost: {lost} of {acknowledged}"


def test_racing_approvals_of_one_case_lose_no_acknowledged_decision(stack: Stack) -> None:
    analyst = signed_in(stack, "analyst")
    reviewers = [signed_in(stack, "reviewer"), signed_in(stack, "senior")]
    auditor = signed_in(stack, "auditor")
    api = stack.urls["api"]
    customers = [customer_create(stack, f"Approval Race {n} Person") for n in range(APPROVAL_RACES)]
    approved = lost = 0
    for customer_id in customers:
        case_id = f"onboarding-{customer_id}"  # opened by the worker, once screening has run the case can go
        deadline = time.monotonic() + 60
        while (submitted := analyst.post(f"{api}/api/v1/cases/{case_id}/submit", timeout=30,
                                         json={"summary": "Checked and complete."})).status_code in (404, 409):
            assert time.monotonic() < deadline, submitted.text
            time.sleep(0.3)
        assert submitted.status_code == 200, submitted.text
        etag = submitted.headers["ETag"]
        responses = race([
            (lambda r=r, url=f"{api}/api/v1/cases/{case_id}/approve", tag=etag:
                r.post(url, json={"rationale": "Clean file."}, headers={"If-Match": tag}, timeout=30))
            for r in reviewers])
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 409], [200, 412]), [(r.status_code, r.text[:200]) for r in responses]
        approved += 1
        status = analyst.get(f"{api}/api/v1/cases/{case_id}", timeout=10).json()["status"]
        events = [e["action"] for e in timeline(auditor, stack, "case", case_id)]
        if status != "approved" or events.count("case.approved") != 1:
            lost += 1
    assert (lost, approved) == (0, APPROVAL_RACES), f"acknowledged approvals lost: {lost} of {approved}"


def test_the_audit_trail_verifies_after_the_races(stack: Stack) -> None:
    result = stack.manage("audit_verify")
    assert result.returncode == 0, result.stdout + result.stderr
