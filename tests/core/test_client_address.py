"""Whose address and request id a request carries: the load balancer's word, never the client's."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from tests.customers.conftest import individual_data

pytestmark = pytest.mark.django_db

ALB = "10.20.0.7"  # the load balancer's own address in the VPC: REMOTE_ADDR of every request in AWS


@pytest.fixture
def admin_service(settings: Any) -> Any:
    settings.CDD_ADMIN_ALLOWED_CIDRS = ["10.0.0.0/8"]
    settings.CDD_SERVICE = "admin"
    settings.ROOT_URLCONF = "cdd.urls.admin"
    settings.CDD_TRUSTED_PROXY_HOPS = 1
    return settings


@pytest.mark.parametrize("client_wrote", ["10.1.2.3", "10.1.2.3, 10.9.9.9"])
def test_an_outside_client_cannot_claim_an_allow_listed_address(aws: None, admin_service: Any,
                                                                client_wrote: str) -> None:
    # The ALB (append mode) adds the address it saw after whatever the client sent.
    response = Client(REMOTE_ADDR=ALB).get("/admin/", HTTP_X_FORWARDED_FOR=f"{client_wrote}, 203.0.113.7")
    assert response.status_code == 403
    assert "allow-listed networks" in response.content.decode()


def test_an_allow_listed_client_reaches_the_admin_whatever_it_wrote_before(aws: None, admin_service: Any) -> None:
    response = Client(REMOTE_ADDR=ALB).get("/admin/", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.1.2.3")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_without_a_proxy_the_peer_address_counts_and_forwarded_headers_do_not(aws: None, admin_service: Any) -> None:
    admin_service.CDD_TRUSTED_PROXY_HOPS = 0
    response = Client(REMOTE_ADDR="203.0.113.7").get("/admin/", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert response.status_code == 403


def _customer_created(client: APIClient, **headers: str) -> tuple[Any, AuditEvent]:
    response = client.post("/api/v1/customers", individual_data(), format="json", **headers)
    assert response.status_code == 201, response.json()
    events = [e for e in AuditEvent.query(f"customer#{response.json()['customer_id']}") if e.action]
    assert [e.action for e in events][:1] == ["customer.created"]
    return response, events[0]


def test_the_audit_trail_records_the_address_the_load_balancer_saw(api: APIClient, settings: Any) -> None:
    settings.CDD_TRUSTED_PROXY_HOPS = 1
    _, event = _customer_created(api, REMOTE_ADDR=ALB, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23")
    assert event.source_ip == "198.51.100.23"


def test_locally_the_audit_trail_records_the_peer_not_a_forwarded_header(api: APIClient, settings: Any) -> None:
    settings.CDD_TRUSTED_PROXY_HOPS = 0
    _, event = _customer_created(api, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert event.source_ip == "127.0.0.1"


def test_a_client_request_id_is_kept_apart_from_the_servers(api: APIClient) -> None:
    response, event = _customer_created(api, HTTP_X_REQUEST_ID="client-chosen-id",
                                        HTTP_X_AMZN_TRACE_ID="Root=1-00000000-client")
    server_id = response["X-Request-Id"]
    assert server_id not in ("client-chosen-id", "Root=1-00000000-client")
    assert event.request_id == server_id


def test_the_request_context_and_log_lines_carry_both_ids(settings: Any) -> None:
    from apps.core.context import context_get
    from apps.core.logging import JsonFormatter, RequestIdFilter
    from apps.core.middleware import RequestIdMiddleware

    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["ctx"] = context_get()
        record = logging.makeLogRecord({"msg": "inside", "levelno": logging.INFO, "levelname": "INFO"})
        RequestIdFilter().filter(record)
        seen["line"] = json.loads(JsonFormatter().format(record))
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="portal-42"))
    ctx = seen["ctx"]
    assert ctx.client_request_id == "portal-42"
    assert ctx.request_id == response["X-Request-Id"] != "portal-42"
    assert seen["line"]["request_id"] == ctx.request_id
    assert seen["line"]["client_request_id"] == "portal-42"


def test_an_unsafe_client_request_id_is_dropped(settings: Any) -> None:
    from apps.core.context import context_get
    from apps.core.middleware import RequestIdMiddleware

    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["ctx"] = context_get()
        return HttpResponse("ok")

    RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="x\" onload=alert(1)"))
    assert seen["ctx"].client_request_id is None
