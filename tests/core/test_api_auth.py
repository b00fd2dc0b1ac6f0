"""Who gets into the API: keys, scopes, revocation, roles; errors as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.core.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db


def test_a_request_without_a_key_gets_401_as_json(aws: None) -> None:
    response = APIClient().post("/api/v1/diagnostics/ping")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"
    assert "Api-Key" in response.json()["message"]


def test_a_malformed_or_unknown_key_gets_401(aws: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key nonsense")
    assert client.post("/api/v1/diagnostics/ping").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Api-Key cdd_000000000000_guess")
    assert client.post("/api/v1/diagnostics/ping").json()["code"] == "authentication_failed"


def test_a_revoked_key_gets_401_naming_the_revocation(aws: None, integration_user: Any) -> None:
    key, full = api_key_create(name="portal", user=integration_user, scopes=["tasks:write"],
                               actor=Actor.system("tests"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    assert client.post("/api/v1/diagnostics/ping").status_code == 202

    api_key_revoke(prefix=key.prefix, reason="leaked in a log", actor=Actor.system("tests"))

    response = client.post("/api/v1/diagnostics/ping")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_a_key_without_the_scope_gets_403_naming_the_scope(aws: None, integration_user: Any) -> None:
    _, full = api_key_create(name="portal", user=integration_user, scopes=["customers:read"],
                             actor=Actor.system("tests"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    response = client.post("/api/v1/diagnostics/ping")
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "The API key lacks the scope 'tasks:write'.",
        "request_id": response["X-Request-Id"],
    }


def test_a_signed_in_user_without_the_role_gets_403(aws: None, analyst: Any, client_for: Any) -> None:
    response = client_for(analyst).post("/api/v1/diagnostics/ping")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_platform_admin_may_send_a_ping(aws: None, platform_admin: Any, client_for: Any) -> None:
    response = client_for(platform_admin).post("/api/v1/diagnostics/ping")
    assert response.status_code == 202
    assert response.json()["executed_at"] is None


def test_only_the_hash_of_a_key_is_stored(aws: None, integration_user: Any) -> None:
    key, full = api_key_create(name="portal", user=integration_user, scopes=["customers:read"],
                               actor=Actor.system("tests"))
    key.refresh_from_db()
    assert full.startswith(f"cdd_{key.prefix}_")
    assert full.split("_", 2)[2] not in key.hashed_secret
    assert len(key.hashed_secret) == 64


def test_issuing_and_revoking_keys_is_audited(aws: None, integration_user: Any) -> None:
    from apps.audit.models import AuditEvent

    key, _ = api_key_create(name="portal", user=integration_user, scopes=["customers:read"],
                            actor=Actor.system("tests"))
    api_key_revoke(prefix=key.prefix, reason="rotation", actor=Actor.system("tests"))
    actions = [e.action for e in AuditEvent.query(f"api_key#{key.prefix}", AuditEvent.sk.startswith("E#"))]
    assert actions == ["api_key.created", "api_key.revoked"]


def test_an_unknown_api_path_is_a_json_404(aws: None) -> None:
    response = APIClient().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_throttled_data_store_is_a_503_the_client_can_retry(aws: None, platform_admin: Any, client_for: Any,
                                                               monkeypatch: Any) -> None:
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import PutError

    def throttled(**kwargs: Any) -> None:
        cause = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                             "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutItem")
        raise PutError("Failed to put item", cause=cause)

    monkeypatch.setattr("apps.core.apis.diagnostic_ping_send", throttled)
    response = client_for(platform_admin).post("/api/v1/diagnostics/ping")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert "retry" in response.json()["message"]


def test_a_ping_is_audited_when_sent_and_when_executed(aws: None, platform_admin: Any, client_for: Any) -> None:
    from apps.audit.models import AuditEvent
    from apps.core.diagnostics import diagnostic_ping_execute

    ping_id = client_for(platform_admin).post("/api/v1/diagnostics/ping").json()["ping_id"]
    diagnostic_ping_execute(ping_id=ping_id, worker="w1")
    diagnostic_ping_execute(ping_id=ping_id, worker="w2")  # a redelivered task changes nothing
    events = list(AuditEvent.query(f"diagnostic#{ping_id}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == ["diagnostic.ping_sent", "diagnostic.ping_executed"]
    assert events[0].actor["name"] == platform_admin.username
    assert events[1].changes == {"worker": {"before": None, "after": "w1"}}
