"""Webhooks on the real local stack, to a real HTTP receiver on 127.0.0.1.

An integration registers three endpoints through the API; a customer created through the API is
delivered to each by the Celery worker on SQS. The first receiver verifies ``customer.created``
with the stock ``standardwebhooks`` library; the second fails three times and then succeeds, and
gets the event once (four attempts, one webhook-id, nothing after the success); the third always
fails, ends in the dead letter, and a platform admin replays it from the admin once it is back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook

from tests.integration.conftest import Stack
from tests.integration.test_customer_screening import create, key_headers, wait_until

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    """Answers each path with its script: ``fail_first`` 500s, then 200 (``always_fail``: 503 until healed)."""

    fail_first: dict[str, int] = field(default_factory=dict)
    always_fail: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> int:
        with self.lock:
            seen = sum(1 for r in self.received if r["path"] == path)
            if path in self.always_fail:
                return 503
            return 500 if seen < self.fail_first.get(path, 0) else 200

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.received if r["path"] == path]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    script = Receiver(fail_first={"/flaky": 3}, always_fail={"/down"})

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = script.answer(self.path)
            with script.lock:
                script.received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body,
                                        "status": status, "at": time.monotonic()})
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"receiver is failing on purpose")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def register(stack: Stack, url: str) -> dict[str, Any]:
    response = requests.post(f"{stack.urls['api']}/api/v1/webhooks/endpoints", headers=key_headers(stack),
                             json={"url": url, "events": ["customer.created"], "description": "integration test"},
                             timeout=30)
    assert response.status_code == 201, response.text
    return dict(response.json())


def deliveries(stack: Stack, endpoint_id: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.urls['api']}/api/v1/webhooks/endpoints/{endpoint_id}/deliveries",
                            headers=key_headers(stack), timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body["results"] if isinstance(body, dict) else body)


def test_an_integration_hears_of_a_new_customer_through_signed_webhooks_retried_until_done(
    stack: Stack, receiver: tuple[Receiver, str], page: Any
) -> None:
    script, base = receiver
    ok, flaky, down = (register(stack, f"{base}{path}") for path in ("/ok", "/flaky", "/down"))
    assert all(e["secret"].startswith("whsec_") for e in (ok, flaky, down))
    customer_id = create(stack, {"customer_type": "individual", "legal_name": "Grace Webhook Hopper",
                                 "date_of_birth": "1976-12-09", "nationalities": ["US"],
                                 "country_of_residence": "US"})

    # 1. Delivered, and verified with the stock library and the secret the API gave once.
    [first] = wait_until("customer.created reaches the receiver", lambda: script.requests_to("/ok"), stack=stack)
    payload = Webhook(ok["secret"]).verify(first["body"], first["headers"])
    assert payload["type"] == "customer.created"
    assert payload["data"]["customer_id"] == customer_id
    assert "Hopper" not in first["body"].decode()  # ids and what changed, never the name
    with pytest.raises(Exception, match="signature"):
        Webhook(flaky["secret"]).verify(first["body"], first["headers"])  # another endpoint's secret does not verify

    # 2. Three failures, then a success: the event arrives once, under one webhook-id, and nothing follows.
    tries = wait_until("the flaky receiver succeeds on its fourth attempt",
                       lambda: (lambda r: r if len(r) >= 4 else None)(script.requests_to("/flaky")),
                       timeout=120, stack=stack)
    assert [r["status"] for r in tries] == [500, 500, 500, 200]
    assert len({r["headers"]["webhook-id"] for r in tries}) == 1
    assert tries[0]["headers"]["webhook-id"] == first["headers"]["webhook-id"]  # the event's id, on every endpoint
    Webhook(flaky["secret"]).verify(tries[-1]["body"], tries[-1]["headers"])
    [delivered] = wait_until("the API shows the flaky delivery delivered",
                             lambda: [d for d in deliveries(stack, flaky["id"]) if d["status"] == "delivered"])
    assert [a["status_code"] for a in delivered["attempts"]] == [500, 500, 500, 200]
    assert all("latency_ms" in a for a in delivered["attempts"])

    # 3. Always failing: dead after the configured attempts; a platform admin replays it from the admin.
    [dead] = wait_until("the failing receiver's delivery is dead",
                        lambda: [d for d in deliveries(stack, down["id"]) if d["status"] == "dead"], timeout=120)
    attempts = len(script.requests_to("/down"))
    assert attempts == int(stack.env["CDD_WEBHOOKS_MAX_ATTEMPTS"]) == len(dead["attempts"])
    time.sleep(3)
    assert len(script.requests_to("/down")) == attempts  # dead means no more attempts
    with script.lock:
        script.always_fail.discard("/down")  # the receiver is mended
    page.goto(f"{stack.urls['admin']}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", stack.passwords["admin"])
    page.click("input[type=submit]")
    page.goto(f"{stack.urls['admin']}/admin/domain/webhook-dead-letter/")
    row = page.locator("tbody tr", has_text=f"{base}/down")
    assert row.count() == 1
    assert "A customer was onboarded" in row.inner_text()  # the event by its description, not only its code
    assert first["headers"]["webhook-id"] in row.inner_text()
    row.get_by_role("button", name="Replay").click()
    page.wait_for_load_state()
    healed = wait_until("the replayed delivery arrives", lambda: [
        r for r in script.requests_to("/down") if r["status"] == 200], timeout=60, stack=stack)
    payload = Webhook(down["secret"]).verify(healed[0]["body"], healed[0]["headers"])
    assert payload["data"]["customer_id"] == customer_id
    assert healed[0]["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    [replayed] = [d for d in deliveries(stack, down["id"]) if d["delivery_id"] == dead["delivery_id"]]
    assert replayed["status"] == "delivered"
    json.dumps(replayed)  # the API's view of it is plain JSON
