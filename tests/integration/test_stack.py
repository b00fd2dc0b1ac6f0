"""The deployed shape, for real: moto over HTTP, gunicorn services, a Celery worker on SQS."""

from __future__ import annotations

import time

import pytest
import requests

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", ["api", "web", "admin"])
def test_every_http_service_is_ready_behind_gunicorn(stack: Stack, service: str) -> None:
    response = requests.get(f"{stack.urls[service]}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == service
    assert all(check["ok"] for check in body["checks"].values())


def test_each_service_mounts_only_its_own_urls(stack: Stack) -> None:
    assert requests.get(f"{stack.urls['api']}/admin/", timeout=10).status_code == 404
    assert requests.get(f"{stack.urls['admin']}/api/v1/diagnostics/ping/x", timeout=10).status_code == 404
    assert requests.get(f"{stack.urls['web']}/api/schema/", timeout=10).status_code == 404
    assert requests.get(f"{stack.urls['api']}/api/schema/", timeout=10).status_code == 200


def test_a_task_sent_from_the_api_is_executed_by_the_worker_from_sqs(stack: Stack) -> None:
    headers = {"Authorization": f"Api-Key {stack.api_key}"}
    sent = requests.post(f"{stack.urls['api']}/api/v1/diagnostics/ping", headers=headers, timeout=10)
    assert sent.status_code == 202, sent.text
    ping_id = sent.json()["ping_id"]
    deadline = time.monotonic() + 60
    executed = None
    while time.monotonic() < deadline:
        executed = requests.get(f"{stack.urls['api']}/api/v1/diagnostics/ping/{ping_id}", headers=headers,
                                timeout=10).json()
        if executed["executed_at"]:
            break
        time.sleep(0.5)
    assert executed and executed["executed_at"], f"worker never ran the task; worker log:\n{stack.log('worker')[-3000:]}"
    assert "core.diagnostic_ping[" in stack.log("worker")


def test_api_errors_are_json_over_http(stack: Stack) -> None:
    response = requests.post(f"{stack.urls['api']}/api/v1/diagnostics/ping", timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["X-Request-Id"] == response.json()["request_id"]


def test_dynamo_tables_check_passes_against_the_server(stack: Stack) -> None:
    result = stack.manage("dynamo_tables", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tables ready" in result.stdout


def test_the_api_root_printed_by_make_run_is_the_api_index(stack: Stack) -> None:
    response = requests.get(f"{stack.urls['api']}/api/v1/", timeout=10)
    assert response.status_code == 200
    assert response.json()["links"]["docs"] == f"{stack.urls['api']}/api/docs/"


def test_a_request_line_over_the_documented_limit_is_a_json_414(stack: Stack) -> None:
    response = requests.get(f"{stack.urls['api']}/api/v1/customers", params={"status": "active", "q": "x" * 9000},
                            headers={"Authorization": f"Api-Key {stack.api_key}"}, timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_line_too_long"
    assert "8,190 bytes" in response.json()["message"]


def test_a_header_over_the_documented_limit_is_a_json_431(stack: Stack) -> None:
    response = requests.get(f"{stack.urls['api']}/api/v1/customers", timeout=10,
                            headers={"Authorization": f"Api-Key {stack.api_key}", "X-Padding": "y" * 9000})
    assert response.status_code == 431
    assert response.json()["code"] == "request_headers_too_large"


def test_a_cursor_as_long_as_the_schema_allows_reaches_the_api(stack: Stack) -> None:
    schema = requests.get(f"{stack.urls['api']}/api/schema/?format=json", timeout=30).json()
    parameters = schema["paths"]["/api/v1/customers"]["get"]["parameters"]
    longest = next(p for p in parameters if p["name"] == "cursor")["schema"]["maxLength"]
    response = requests.get(f"{stack.urls['api']}/api/v1/customers", params={"status": "active", "cursor": "c" * longest},
                            headers={"Authorization": f"Api-Key {stack.api_key}"}, timeout=10)
    assert response.status_code == 400, response.text[:300]  # the API's own answer: not a cursor it signed
    assert response.json()["errors"].keys() == {"cursor"}
