"""Webhooks: registered through the API, signed to the Standard Webhooks spec, delivered with retries and a dead
letter, only to public targets, only to the integration that may hear about the customer."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.services import chain_key
from apps.core.dynamo import utcnow
from apps.core.events import CATALOGUE, PUBLIC_TYPES
from apps.core.outbox import outbox_drain
from apps.core.roles import INTEGRATION
from apps.core.services import api_key_create
from apps.core.webhooks import selectors, services
from apps.core.webhooks.checks import webhooks_private_targets_check
from apps.core.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
CUSTOMER = {"customer_type": "individual", "legal_name": "Harriet Quennell-Abernathy", "date_of_birth": "1980-04-02",
            "nationalities": ["GB"], "country_of_residence": "GB", "status": "onboarding"}
OWN = ["customers:read", "customers:write", "webhooks:manage"]


class Receiver:
    """An HTTP receiver on 127.0.0.1: answers each POST with the next scripted status (then ``default``)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.paths: list[str] = []
        self.script: list[int] = []
        self.default = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.paths.append(self.path)
                receiver.requests.append((headers, body))
                status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else f"receiver says {status}".encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def verified(self, secret: str, index: int = -1) -> Any:
        headers, body = self.requests[index]
        return Webhook(secret).verify(body, headers)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _client(username: str, scopes: list[str]) -> APIClient:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, first_name="Onboarding", last_name=f"portal {username}")
        user.groups.set(Group.objects.filter(name=INTEGRATION))
    _, key = api_key_create(name=f"{username} key", user=user, scopes=scopes, actor=Actor.system("tests"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def portal() -> APIClient:
    return _client("portal", OWN)


@pytest.fixture
def broker() -> APIClient:
    return _client("broker", OWN)


@pytest.fixture
def fast(settings: Any) -> Any:
    """Retries at once (the backoff is tested on its own), so a test runs them all in a moment."""
    settings.CDD_WEBHOOKS_BACKOFF_BASE_SECONDS = 0
    return settings


def register(client: APIClient, url: str, events: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/webhooks/endpoints", {"url": url, "events": events or ["customer.created"],
                                                          **extra}, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def create_customer(client: APIClient, **changes: Any) -> str:
    response = client.post("/api/v1/customers", {**CUSTOMER, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return str(response.json()["customer_id"])


def deliver() -> dict[str, int]:
    """Drain the outbox (screening, cases and the events they publish), then attempt every due delivery."""
    for _ in range(6):
        if outbox_drain()["done"] == 0:
            break
    return services.webhook_deliveries_drain()


def audit_actions(object_type: str, object_id: str) -> list[str]:
    return [e.action for e in AuditEvent.query(chain_key(object_type, object_id))]


# --- registration and the first delivery --------------------------------------------------------------------


def test_an_integration_registers_an_endpoint_and_receives_customer_created_verified(
        portal: APIClient, receiver: Receiver) -> None:
    created = register(portal, receiver.url, description="onboarding portal")
    secret = created["secret"]
    assert secret.startswith("whsec_") and created["integration"] == "portal" and created["confined"] is True
    shown = portal.get(f"/api/v1/webhooks/endpoints/{created['id']}").json()
    assert "secret" not in shown and shown["url"] == receiver.url and shown["signing_keys"][0]["expires_at"] is None
    assert "secret" not in json.dumps(portal.get("/api/v1/webhooks/endpoints").json())

    customer_id = create_customer(portal)
    deliver()

    assert len(receiver.requests) == 1
    payload = receiver.verified(secret)
    headers, body = receiver.requests[0]
    assert payload["type"] == "customer.created"
    assert payload["data"]["customer_id"] == customer_id and payload["data"]["id"] == headers["webhook-id"]
    assert payload["data"]["object"] == {"type": "customer", "id": customer_id}
    assert b"Harriet" not in body and b"1980" not in body  # ids and what changed, no personal data
    assert headers["content-type"] == "application/json" and headers["user-agent"].startswith("cdd-webhooks")
    deliveries = portal.get(f"/api/v1/webhooks/endpoints/{created['id']}/deliveries").json()["results"]
    assert [(d["status"], [a["status_code"] for a in d["attempts"]]) for d in deliveries] == [("delivered", [200])]
    assert deliveries[0]["attempts"][0]["response_excerpt"] == "ok"
    assert audit_actions("webhook_endpoint", created["id"]) == ["webhook_endpoint.created"]
    assert audit_actions("webhook_delivery", deliveries[0]["delivery_id"]) == ["webhook_delivery.delivered"]


def test_the_secret_is_stored_encrypted_and_never_audited(portal: APIClient, receiver: Receiver) -> None:
    created = register(portal, receiver.url)
    secret = created["secret"]
    stored = WebhookEndpoint.get(created["id"])
    assert secret not in json.dumps(stored.serialize()) and secret[6:] not in json.dumps(stored.serialize())
    rotated = portal.post(f"/api/v1/webhooks/endpoints/{created['id']}/rotate-secret", {}, format="json").json()
    events = [e.serialize() for e in AuditEvent.query(chain_key("webhook_endpoint", created["id"]))]
    assert len(events) == 2
    assert secret not in json.dumps(events) and rotated["secret"] not in json.dumps(events)


# --- who hears about what -----------------------------------------------------------------------------------


def test_a_confined_endpoint_never_receives_another_integrations_customers(
        portal: APIClient, broker: APIClient, receiver: Receiver) -> None:
    register(portal, receiver.url)
    everyone = _client("core-banking", ["webhooks:manage", "integrations:all"])
    unconfined = register(everyone, receiver.url.replace("/hooks", "/all"))
    assert unconfined["confined"] is False

    brokers_customer = create_customer(broker)
    deliver()

    assert receiver.paths == ["/all"]  # only the endpoint that may see every integration's customers
    assert json.loads(receiver.requests[0][1])["data"]["customer_id"] == brokers_customer
    assert selectors.webhook_endpoints_of_integration(integration="portal")[0].endpoint_id not in {
        d.endpoint_id for d in selectors.webhook_deliveries_of_endpoint(endpoint_id=unconfined["id"])}


def test_internal_events_are_never_delivered(portal: APIClient, receiver: Receiver) -> None:
    internal = next(t.name for t in CATALOGUE if not t.public)
    refused = portal.post("/api/v1/webhooks/endpoints", {"url": receiver.url, "events": [internal]}, format="json")
    assert refused.status_code == 400 and any(k.startswith("events") for k in refused.json()["errors"])
    created = register(portal, receiver.url, events=list(PUBLIC_TYPES))
    endpoint = WebhookEndpoint.get(created["id"])
    endpoint.events = [*endpoint.events, internal]  # type: ignore[list-item]  # even if one were stored, not sent
    endpoint.confined = False
    endpoint.save()
    event = {"id": "evt_internal1", "type": internal, "version": 1, "timestamp": utcnow().isoformat(),
             "customer_id": None, "object": {"type": "customer", "id": "c"}, "changed": [], "values": {}, "ids": {}}
    assert services.webhook_events_fanout(events=[event]) == 0
    assert selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"]) == []


def test_a_disabled_endpoint_gets_no_new_deliveries(portal: APIClient, receiver: Receiver) -> None:
    created = register(portal, receiver.url)
    changed = portal.patch(f"/api/v1/webhooks/endpoints/{created['id']}", {"status": "disabled"}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "disabled"
    create_customer(portal)
    deliver()
    assert receiver.requests == []
    assert audit_actions("webhook_endpoint", created["id"])[-1] == "webhook_endpoint.disabled"


def test_a_redelivered_outbox_item_records_each_delivery_once(portal: APIClient, receiver: Receiver) -> None:
    created = register(portal, receiver.url)
    event = {"id": "evt_once", "type": "customer.created", "version": 1, "timestamp": utcnow().isoformat(),
             "customer_id": None, "object": {"type": "customer", "id": "c"}, "changed": [], "values": {}, "ids": {}}
    WebhookEndpoint.get(created["id"]).update(actions=[WebhookEndpoint.confined.set(False)])
    assert services.webhook_events_fanout(events=[event]) == 1
    assert services.webhook_events_fanout(events=[event]) == 0
    assert len(selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])) == 1


# --- retries, dead letter, replay -----------------------------------------------------------------------------


def test_a_receiver_failing_three_times_then_succeeding_gets_the_event_once(
        portal: APIClient, receiver: Receiver, fast: Any) -> None:
    created = register(portal, receiver.url)
    receiver.script = [500, 502, 503]
    create_customer(portal)
    deliver()

    assert [int(json.loads(b)["data"] == json.loads(receiver.requests[0][1])["data"]) for _, b in
            receiver.requests] == [1, 1, 1, 1]
    assert len({h["webhook-id"] for h, _ in receiver.requests}) == 1  # the same webhook-id on every attempt
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    assert delivery.status == "delivered"
    assert [(a["n"], a["status_code"]) for a in delivery.attempts] == [(1, 500), (2, 502), (3, 503), (4, 200)]
    assert all(a["latency_ms"] >= 0 for a in delivery.attempts) and delivery.attempts[0]["error"] == "HTTP 500"
    assert delivery.attempts[0]["response_excerpt"] == "receiver says 500"
    assert audit_actions("webhook_delivery", delivery.delivery_id) == ["webhook_delivery.delivered"]
    assert services.webhook_delivery_attempt(delivery_id=delivery.delivery_id) == "already delivered"
    assert len(receiver.requests) == 4


def test_an_always_failing_receiver_ends_in_the_dead_letter_and_replay_delivers_it(
        portal: APIClient, receiver: Receiver, fast: Any) -> None:
    fast.CDD_WEBHOOKS_MAX_ATTEMPTS = 3
    created = register(portal, receiver.url)
    receiver.default = 500
    create_customer(portal)
    deliver()
    (dead,) = selectors.webhook_deliveries_dead()
    assert dead.status == "dead" and int(dead.attempt_count) == 3 and len(receiver.requests) == 3
    assert dead.endpoint_id == created["id"]

    receiver.default = 200
    replayed = portal.post(f"/api/v1/webhooks/deliveries/{dead.delivery_id}/replay")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    deliver()
    done = selectors.webhook_delivery_get(delivery_id=dead.delivery_id)
    assert done.status == "delivered" and [a["status_code"] for a in done.attempts] == [500, 500, 500, 200]
    assert selectors.webhook_deliveries_dead() == []
    assert len({h["webhook-id"] for h, _ in receiver.requests}) == 1
    assert audit_actions("webhook_delivery", dead.delivery_id) == [
        "webhook_delivery.dead", "webhook_delivery.replayed", "webhook_delivery.delivered"]
    again = portal.post(f"/api/v1/webhooks/deliveries/{dead.delivery_id}/replay")
    assert again.status_code == 409  # only a dead delivery is replayed


def test_disabling_the_endpoint_stops_a_pending_delivery_without_counting_an_attempt(
        portal: APIClient, receiver: Receiver, fast: Any, platform_admin: User) -> None:
    fast.CDD_WEBHOOKS_MAX_ATTEMPTS = 5
    created = register(portal, receiver.url)
    receiver.default = 500
    create_customer(portal)
    for _ in range(6):
        if outbox_drain()["done"] == 0:
            break
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    for _ in range(2):
        assert services.webhook_delivery_attempt(delivery_id=delivery.delivery_id) == "retry"
    assert portal.patch(f"/api/v1/webhooks/endpoints/{created['id']}", {"status": "disabled"},
                        format="json").status_code == 200
    assert services.webhook_delivery_attempt(delivery_id=delivery.delivery_id) == "dead"

    dead = selectors.webhook_delivery_get(delivery_id=delivery.delivery_id)
    assert len(receiver.requests) == 2 and int(dead.attempt_count) == 2 and len(dead.attempts) == 2
    assert dead.stopped_reason == "the endpoint was disabled"
    (died,) = [e for e in AuditEvent.query(chain_key("webhook_delivery", dead.delivery_id))
               if e.action == "webhook_delivery.dead"]
    assert died.data["attempts"] == 2 and died.data["stopped"] == "the endpoint was disabled"
    shown = portal.get(f"/api/v1/webhooks/endpoints/{created['id']}/deliveries").json()["results"][0]
    assert shown["attempt_count"] == 2 and shown["stopped_reason"] == "the endpoint was disabled"

    browser = Client()
    browser.force_login(platform_admin)
    page = browser.get("/admin/domain/webhook-dead-letter/").content.decode()
    assert "stopped: the endpoint was disabled" in page and "2 attempts" in page
    assert "enable it</a>, then replay" in page and ">Replay</button>" not in page  # no button that can only fail
    assert "Customers are shown by id: platform admins do not see customer data" in page
    current = re.findall(r'class="[^"]*current-model[^"]*".*?<a href="([^"]+)"', page, re.S)
    assert current == ["/admin/domain/webhook-dead-letter/"]  # the sidebar marks this page only, not the endpoints

    # Replaying while the endpoint is disabled says so once, in the API and in the admin.
    refused = portal.post(f"/api/v1/webhooks/deliveries/{dead.delivery_id}/replay")
    assert refused.status_code == 409
    assert refused.json()["message"] == "The endpoint is disabled; enable it first, then replay."
    assert not refused.json().get("errors")
    flashed = browser.post(f"/admin/domain/webhooks/deliveries/{dead.delivery_id}/replay/", follow=True)
    text = flashed.content.decode()
    assert text.count("enable it first, then replay") == 1 and "endpoint: is disabled" not in text


def test_backoff_is_exponential_with_full_jitter_up_to_the_cap(settings: Any, monkeypatch: Any) -> None:
    settings.CDD_WEBHOOKS_BACKOFF_BASE_SECONDS = 10
    settings.CDD_WEBHOOKS_BACKOFF_MAX_SECONDS = 100
    monkeypatch.setattr(services.random, "uniform", lambda low, high: high)
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 80, 100]
    monkeypatch.setattr(services.random, "uniform", lambda low, high: low)
    assert services.backoff_seconds(3) == 0


def test_a_failed_attempt_waits_and_the_sweep_sends_what_is_due(portal: APIClient, receiver: Receiver,
                                                                 settings: Any, monkeypatch: Any) -> None:
    settings.CDD_WEBHOOKS_BACKOFF_BASE_SECONDS = 3600
    created = register(portal, receiver.url)
    receiver.script = [500]
    create_customer(portal)
    deliver()
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    assert delivery.status == "pending" and len(receiver.requests) == 1
    assert services.webhook_delivery_attempt(delivery_id=delivery.delivery_id) in ("not due", "retry")
    sent: list[str] = []
    monkeypatch.setattr(services, "_deliveries_send", lambda ids, countdown=0: sent.extend(ids))
    delivery.update(actions=[WebhookDelivery.next_attempt_at.set(utcnow() - timedelta(seconds=5)),
                             WebhookDelivery.due_key.set(f"2000-01-01T00:00:00.000000Z#{delivery.delivery_id}")])
    assert services.webhook_deliveries_sweep() == 1 and sent == [delivery.delivery_id]
    assert services.webhook_deliveries_sweep() == 0  # re-sent once per requeue delay, not once per sweep


def test_two_workers_never_send_one_delivery_at_once(portal: APIClient, receiver: Receiver) -> None:
    created = register(portal, receiver.url)
    create_customer(portal)
    for _ in range(6):
        if outbox_drain()["done"] == 0:
            break
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    assert services._lease_take(delivery, utcnow()) is not None  # another worker holds it
    assert services.webhook_delivery_attempt(delivery_id=delivery.delivery_id) == "leased"
    assert receiver.requests == []


# --- targets ------------------------------------------------------------------------------------------------


def fake_dns(monkeypatch: Any, answers: dict[str, str]) -> list[str]:
    """getaddrinfo answering ``answers`` for those names (the real one for everything else); returns the lookups."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            looked_up.append(host)
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return looked_up


@pytest.mark.parametrize("url", ["https://127.0.0.1/h", "https://10.1.2.3/h", "https://169.254.169.254/latest",
                                 "https://[::1]/h", "https://[::ffff:10.0.0.1]/h", "https://100.64.0.9/h",
                                 "https://private.example.test/h", "http://hooks.example.test/h",
                                 "https://user:pw@hooks.example.test/h", "ftp://hooks.example.test/h"])
def test_private_and_unsafe_targets_are_refused_at_registration(portal: APIClient, settings: Any, monkeypatch: Any,
                                                                url: str) -> None:
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    fake_dns(monkeypatch, {"private.example.test": "10.20.30.40", "hooks.example.test": "93.184.215.14"})
    response = portal.post("/api/v1/webhooks/endpoints", {"url": url, "events": ["customer.created"]}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["url"], response.json()


def test_a_public_target_is_accepted_and_metadata_is_refused_even_locally(portal: APIClient, settings: Any,
                                                                         monkeypatch: Any) -> None:
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    fake_dns(monkeypatch, {"hooks.example.test": "93.184.215.14"})
    assert register(portal, "https://hooks.example.test/cdd")["url"] == "https://hooks.example.test/cdd"
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    for metadata in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"):
        response = portal.post("/api/v1/webhooks/endpoints", {"url": metadata, "events": ["customer.created"]},
                               format="json")
        assert response.status_code == 400 and "metadata" in response.json()["errors"]["url"][0]


def test_a_target_whose_dns_changed_is_refused_at_delivery(portal: APIClient, receiver: Receiver, settings: Any,
                                                           monkeypatch: Any) -> None:
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers = {"hooks.example.test": "93.184.215.14"}
    fake_dns(monkeypatch, answers)
    created = register(portal, "https://hooks.example.test/cdd")
    answers["hooks.example.test"] = "127.0.0.1"  # rebinding: now it points inside
    create_customer(portal)
    deliver()
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    assert delivery.status == "pending" and delivery.attempts[0]["status_code"] is None
    assert "target refused, nothing sent" in delivery.attempts[0]["error"]
    assert "127.0.0.1 is a loopback address" in delivery.attempts[0]["error"]


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
        portal: APIClient, receiver: Receiver, monkeypatch: Any) -> None:
    looked_up = fake_dns(monkeypatch, {"receiver.example.test": "127.0.0.1"})
    created = register(portal, f"http://receiver.example.test:{receiver.port}/hooks")
    looked_up.clear()
    create_customer(portal)
    deliver()
    assert len(receiver.requests) == 1 and looked_up == ["receiver.example.test"]  # one lookup: the check's
    assert receiver.requests[0][0]["host"] == f"receiver.example.test:{receiver.port}"
    receiver.verified(created["secret"])


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(portal: APIClient, receiver: Receiver,
                                                            fast: Any) -> None:
    fast.CDD_WEBHOOKS_MAX_ATTEMPTS = 1
    created = register(portal, receiver.url)
    receiver.default = 302
    create_customer(portal)
    deliver()
    (delivery,) = selectors.webhook_deliveries_of_endpoint(endpoint_id=created["id"])
    assert delivery.status == "dead" and len(receiver.requests) == 1
    assert delivery.attempts[0]["status_code"] == 302
    assert "redirect to http://169.254.169.254/latest/meta-data/ not followed" in delivery.attempts[0]["error"]


def test_private_targets_cannot_be_allowed_in_staging_or_prod(settings: Any) -> None:
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.CDD_ENV = "prod"
    assert [e.id for e in webhooks_private_targets_check()] == ["cdd.E010"]
    settings.CDD_ENV = "test"
    assert webhooks_private_targets_check() == []


# --- secret rotation ---------------------------------------------------------------------------------------


def test_during_the_overlap_both_secrets_verify_and_after_it_only_the_new(portal: APIClient,
                                                                          receiver: Receiver) -> None:
    created = register(portal, receiver.url)
    old = created["secret"]
    rotated = portal.post(f"/api/v1/webhooks/endpoints/{created['id']}/rotate-secret", {"overlap_hours": 24},
                          format="json")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and [k["expires_at"] is None for k in rotated.json()["signing_keys"]] == [True, False]
    create_customer(portal)
    deliver()
    assert len(receiver.requests[-1][0]["webhook-signature"].split(" ")) == 2
    receiver.verified(old)
    receiver.verified(new)

    endpoint = WebhookEndpoint.get(created["id"])  # the overlap ends
    endpoint.secrets = [endpoint.secrets[0], {**endpoint.secrets[1],
                                              "expires_at": (utcnow() - timedelta(minutes=1)).isoformat()}]
    endpoint.save()
    create_customer(portal, legal_name="Second Customer")
    deliver()
    assert len(receiver.requests) == 2 and len(receiver.requests[-1][0]["webhook-signature"].split(" ")) == 1
    receiver.verified(new)
    with pytest.raises(WebhookVerificationError):
        receiver.verified(old)
    assert audit_actions("webhook_endpoint", created["id"])[-1] == "webhook_endpoint.secret_rotated"


# --- bad input, roles, isolation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"events": ["customer.created"]}, "url"),
    ({"url": "https://hooks.example.com/x", "events": []}, "events"),
    ({"url": "https://hooks.example.com/x", "events": ["customer.exploded"]}, "events"),
    ({"url": "https://hooks.example.com/x", "events": "customer.created"}, "events"),
    ({"url": "not a url", "events": ["customer.created"]}, "url"),
    ({"url": "https://hooks.example.com/x", "events": ["customer.created"], "colour": "red"}, "colour"),
    ({"url": "https://hooks.example.com/x", "events": ["customer.created"], "description": "x" * 501},
     "description"),
])
def test_bad_registrations_are_400_naming_the_field(portal: APIClient, body: dict[str, Any], field: str) -> None:
    response = portal.post("/api/v1/webhooks/endpoints", body, format="json")
    assert response.status_code == 400, response.json()
    assert [name.split(".")[0].split("[")[0] for name in response.json()["errors"]] == [field], response.json()


def test_a_registration_wrong_in_two_fields_names_both_in_one_answer(portal: APIClient) -> None:
    response = portal.post("/api/v1/webhooks/endpoints", {"url": "ftp://x", "events": ["customer.viewed"]},
                           format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert sorted(re.split(r"[.\[]", name)[0] for name in errors) == ["events", "url"], errors
    assert errors["url"] == ["the URL must start with https:// (or http:// here)"]


def test_bad_changes_and_rotations_are_400_naming_the_field(portal: APIClient, receiver: Receiver) -> None:
    endpoint_id = register(portal, receiver.url)["id"]
    path = f"/api/v1/webhooks/endpoints/{endpoint_id}"
    for body, field in (({"status": "paused"}, "status"), ({"url": "ftp://x"}, "url"), ({}, "__all__"),
                        ({"events": ["nope"]}, "events")):
        response = portal.patch(path, body, format="json")
        assert response.status_code == 400 and re.split(r"[.\[]", next(iter(response.json()["errors"])))[0] == field
    for overlap in (-1, 1000, "soon"):
        response = portal.post(f"{path}/rotate-secret", {"overlap_hours": overlap}, format="json")
        assert response.status_code == 400 and list(response.json()["errors"]) == ["overlap_hours"]
    stale = portal.patch(path, {"description": "x"}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412


def test_keys_without_the_scope_and_analysts_are_refused(portal: APIClient, analyst: User, client_for: Any) -> None:
    reader = _client("reader", ["customers:read"])
    session = client_for(analyst)
    for client in (reader, session):
        for response in (client.get("/api/v1/webhooks/endpoints"),
                         client.post("/api/v1/webhooks/endpoints", {"url": "https://a.example/x",
                                                                    "events": ["customer.created"]}, format="json"),
                         client.get("/api/v1/webhooks/events")):
            assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_another_integrations_endpoints_are_not_found(portal: APIClient, broker: APIClient,
                                                      receiver: Receiver) -> None:
    endpoint_id = register(portal, receiver.url)["id"]
    base = f"/api/v1/webhooks/endpoints/{endpoint_id}"
    assert broker.get("/api/v1/webhooks/endpoints").json()["results"] == []
    for response in (broker.get(base), broker.patch(base, {"status": "disabled"}, format="json"),
                     broker.post(f"{base}/rotate-secret", {}, format="json"), broker.get(f"{base}/deliveries")):
        assert response.status_code == 404
    assert portal.get(base).status_code == 200


def test_a_platform_admin_sees_every_endpoint_and_registers_for_a_named_integration(
        portal: APIClient, broker: APIClient, receiver: Receiver, platform_admin: User, client_for: Any) -> None:
    register(portal, receiver.url)
    register(broker, receiver.url)
    admin = client_for(platform_admin)
    assert sorted(e["integration"] for e in admin.get("/api/v1/webhooks/endpoints").json()["results"]) == [
        "broker", "portal"]
    missing = admin.post("/api/v1/webhooks/endpoints", {"url": receiver.url, "events": ["case.decided"]},
                         format="json")
    assert missing.status_code == 400 and list(missing.json()["errors"]) == ["integration"]
    made = admin.post("/api/v1/webhooks/endpoints", {"url": receiver.url, "events": ["case.decided"],
                                                     "integration": "broker"}, format="json")
    assert made.status_code == 201 and made.json()["integration"] == "broker"


def test_the_catalogue_lists_the_public_event_types(portal: APIClient) -> None:
    listed = portal.get("/api/v1/webhooks/events").json()["results"]
    assert [e["type"] for e in listed] == list(PUBLIC_TYPES)
    assert all(e["version"] >= 1 and e["description"] for e in listed)


# --- admin and docs -----------------------------------------------------------------------------------------


def test_the_admin_shows_endpoints_and_the_dead_letter_and_replays(
        portal: APIClient, receiver: Receiver, fast: Any, platform_admin: User, analyst: User) -> None:
    fast.CDD_WEBHOOKS_MAX_ATTEMPTS = 1
    created = register(portal, receiver.url)
    receiver.default = 500
    create_customer(portal)
    deliver()
    (dead,) = selectors.webhook_deliveries_dead()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(platform_admin)
    listing = browser.get("/admin/domain/webhooks/").content.decode()
    assert "Onboarding portal portal" in listing and "A customer was onboarded." in listing
    page = browser.get(f"/admin/domain/webhooks/endpoints/{created['id']}/").content.decode()
    assert "receiver says 500" in page and "Replay" in page
    dead_page = browser.get("/admin/domain/webhook-dead-letter/")
    assert dead_page.status_code == 200 and "HTTP 500" in dead_page.content.decode()
    token = dead_page.cookies["csrftoken"].value
    refused = browser.post(f"/admin/domain/webhooks/deliveries/{dead.delivery_id}/replay/")
    assert refused.status_code == 403  # no CSRF token
    receiver.default = 200
    replayed = browser.post(f"/admin/domain/webhooks/deliveries/{dead.delivery_id}/replay/",
                            {"csrfmiddlewaretoken": token, "next": "/admin/domain/webhook-dead-letter/"})
    assert replayed.status_code == 302 and replayed["Location"] == "/admin/domain/webhook-dead-letter/"
    deliver()
    assert selectors.webhook_delivery_get(delivery_id=dead.delivery_id).status == "delivered"
    replay = next(e for e in AuditEvent.query(chain_key("webhook_delivery", dead.delivery_id))
                  if e.action == "webhook_delivery.replayed")
    assert replay.actor["name"] == platform_admin.username
    other = Client()
    other.force_login(analyst)
    assert other.get("/admin/domain/webhooks/").status_code == 403


def test_every_public_event_type_is_documented() -> None:
    text = DOCS.read_text()
    missing = [t.name for t in CATALOGUE if t.public and f"`{t.name}`" not in text]
    assert missing == []
    assert not [t.name for t in CATALOGUE if not t.public and f"`{t.name}`" in text]
