"""The load balancer's view: /healthz and /readyz on every HTTP service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("urlconf", ["cdd.urls.api", "cdd.urls.web", "cdd.urls.admin"])
def test_every_http_service_answers_healthz_and_readyz(aws: None, settings: Any, urlconf: str) -> None:
    settings.ROOT_URLCONF = urlconf
    assert Client().get("/healthz").json()["status"] == "ok"
    ready = Client().get("/readyz")
    assert ready.status_code == 200
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {
        "dynamodb", "s3", "broker", "database"}


def test_readyz_is_503_and_names_a_missing_table(aws: None, settings: Any) -> None:
    from apps.audit.models import AuditEvent

    AuditEvent.delete_table()
    response = Client().get("/readyz")
    assert response.status_code == 503
    error = response.json()["checks"]["dynamodb"]["error"]
    assert f"{settings.CDD_TABLE_PREFIX}-audit_events" in error
    assert "dynamo_tables" in error


def test_the_api_service_serves_no_admin_pages(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.api"
    assert Client().get("/admin/").status_code == 404


def test_the_web_service_asks_for_sign_in(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.web"
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_swagger_ui_is_served_offline(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.api"
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in page.content
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200


def test_log_lines_are_json_with_the_request_id(aws: None, caplog: Any) -> None:
    import json
    import logging

    from apps.core.logging import JsonFormatter, RequestIdFilter

    record = logging.makeLogRecord({"msg": "hello %s", "args": ("world",), "levelname": "INFO", "name": "t"})
    from apps.core.context import context_reset, context_set

    tokens = context_set(request_id="req-123", source_ip="10.0.0.1")
    try:
        RequestIdFilter().filter(record)
    finally:
        context_reset(tokens)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-123"


def test_the_admin_refuses_addresses_outside_the_allow_list(aws: None, settings: Any) -> None:
    from apps.core.middleware import AdminAllowListMiddleware

    settings.CDD_ADMIN_ALLOWED_CIDRS = ["10.20.0.0/16"]
    settings.CDD_SERVICE = "admin"
    settings.ROOT_URLCONF = "cdd.urls.admin"
    middleware = AdminAllowListMiddleware(lambda request: __import__("django").http.HttpResponse("ok"))
    from django.test import RequestFactory

    from apps.core.context import context_reset, context_set

    for ip, expected in (("10.20.3.4", 200), ("203.0.113.9", 403)):
        tokens = context_set(request_id="r", source_ip=ip)
        try:
            assert middleware(RequestFactory().get("/admin/")).status_code == expected
        finally:
            context_reset(tokens)
    tokens = context_set(request_id="r", source_ip="203.0.113.9")
    try:
        assert middleware(RequestFactory().get("/healthz")).status_code == 200
    finally:
        context_reset(tokens)


def test_health_checks_by_task_ip_pass_while_other_hosts_are_refused(aws: None) -> None:
    # The ALB health check sends the task's private IP as Host; it is not an allowed host.
    client = Client(HTTP_HOST="10.42.17.5:8000")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/cases").status_code == 400
