"""The customers API as an integration and as staff see it: codes, headers, errors, roles."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.services import api_key_create
from apps.customers.models import Customer
from tests.customers.conftest import entity_data, individual_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_scans")]
URL = "/api/v1/customers"


def created(client: APIClient, data: dict[str, Any] | None = None, **headers: str) -> Any:
    response = client.post(URL, data or individual_data(), format="json", **headers)
    assert response.status_code == 201, response.json()
    return response


def test_an_integration_creates_a_customer_and_reads_it_back_with_its_etag(api: APIClient) -> None:
    response = created(api, individual_data(external_reference="PORTAL-42"))
    body = response.json()
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"{URL}/{body['customer_id']}"
    assert (body["status"], body["integration"], body["version"]) == ("prospect", "portal", 1)
    read = api.get(f"{URL}/{body['customer_id']}")
    assert read.status_code == 200
    assert read["ETag"] == '"1"'
    assert read.json() == body


def test_an_unknown_customer_is_a_json_404(api: APIClient) -> None:
    response = api.get(f"{URL}/cus_nope")
    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


BAD_INPUTS = [
    (individual_data(favourite_colour="blue"), "favourite_colour", "Unknown field"),
    (individual_data(addresses=[{"line1": "x", "city": "y", "country": "GB", "flat": "2"}]), "addresses.0.flat",
     "Unknown field"),
    (individual_data(country_of_residence="UK"), "country_of_residence", "ISO 3166-1 alpha-2"),
    (individual_data(nationalities=["FR", "Germany"]), "nationalities.1", "ISO 3166-1 alpha-2"),
    (individual_data(date_of_birth="2999-01-01"), "date_of_birth", "in the future"),
    (individual_data(date_of_birth="1984-02-30"), "date_of_birth", "not a real calendar date"),
    (individual_data(date_of_birth=None), "date_of_birth", "required for an individual"),
    (individual_data(incorporation_date="2001"), "incorporation_date", "does not apply to an individual"),
    (entity_data(registration_number=None), "registration_number", "required for a legal entity"),
    (entity_data(lei="5493001KJTIIGC8Y1R13"), "lei", "check digits"),
    (individual_data(status="active"), "status", "not a valid choice"),
    (individual_data(customer_type="trust"), "customer_type", "not a valid choice"),
]


def test_bad_input_is_a_400_naming_the_field_and_the_problem(api: APIClient) -> None:
    for payload, field, words in BAD_INPUTS:
        response = api.post(URL, payload, format="json")
        assert response.status_code == 400, (field, response.json())
        body = response.json()
        assert body["code"] == "invalid"
        assert field in body["errors"], (field, body)
        assert words in " ".join(body["errors"][field]), (field, body)
        assert field in body["message"]
    assert list(Customer.by_status.query("prospect")) == []


def test_a_partial_date_of_birth_is_kept_as_given(api: APIClient) -> None:
    body = created(api, individual_data(date_of_birth="1962-07")).json()
    assert body["date_of_birth"] == "1962-07"


def test_a_patch_needs_if_match_and_a_stale_one_gets_412(api: APIClient) -> None:
    customer = created(api).json()
    url = f"{URL}/{customer['customer_id']}"
    missing = api.patch(url, {"occupation": "Pilot"}, format="json")
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["message"]
    ok = api.patch(url, {"occupation": "Pilot"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200
    assert ok["ETag"] == '"2"'
    assert ok.json()["occupation"] == "Pilot"
    stale = api.patch(url, {"occupation": "Sailor"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert api.get(url).json()["occupation"] == "Pilot"


def test_a_patch_refuses_fields_fixed_at_creation(api: APIClient) -> None:
    customer = created(api).json()
    response = api.patch(f"{URL}/{customer['customer_id']}", {"customer_type": "legal_entity", "risk_rating": "low"},
                         format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json()["errors"]["customer_type"] == [
        "The customer type cannot change; create a new customer instead."]
    assert "risk assessment" in response.json()["errors"]["risk_rating"][0]


def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_result(api: APIClient) -> None:
    payload = individual_data(external_reference="RETRY-1")
    first = created(api, payload, HTTP_IDEMPOTENCY_KEY="req-123")
    again = api.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="req-123")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == '"1"'
    assert [c.customer_id for c in Customer.by_status.query("prospect")] == [first.json()["customer_id"]]


def test_the_same_idempotency_key_with_another_body_is_a_422(api: APIClient) -> None:
    created(api, individual_data(), HTTP_IDEMPOTENCY_KEY="req-9")
    response = api.post(URL, individual_data(legal_name="Another Person"), format="json", HTTP_IDEMPOTENCY_KEY="req-9")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert len(list(Customer.by_status.query("prospect"))) == 1


def test_a_rejected_request_does_not_use_up_its_idempotency_key(api: APIClient) -> None:
    bad = api.post(URL, individual_data(country_of_residence="XX"), format="json", HTTP_IDEMPOTENCY_KEY="req-5")
    assert bad.status_code == 400
    created(api, individual_data(), HTTP_IDEMPOTENCY_KEY="req-5")


def test_idempotency_keys_are_per_caller(api: APIClient, analyst: Any, client_for: Any) -> None:
    created(api, individual_data(), HTTP_IDEMPOTENCY_KEY="shared")
    created(client_for(analyst), individual_data(), HTTP_IDEMPOTENCY_KEY="shared")
    assert len(list(Customer.by_status.query("prospect"))) == 2


def test_without_an_idempotency_key_two_posts_make_two_customers(api: APIClient) -> None:
    created(api)
    created(api)
    assert len(list(Customer.by_status.query("prospect"))) == 2


def test_a_taken_external_reference_is_a_409(api: APIClient) -> None:
    first = created(api, individual_data(external_reference="DUP")).json()
    response = api.post(URL, individual_data(external_reference="DUP"), format="json")
    assert response.status_code == 409
    assert first["customer_id"] in response.json()["message"]


def test_listing_filters_and_pages_through_the_api(api: APIClient) -> None:
    for i in range(3):
        created(api, individual_data(legal_name=f"Listed Person {i}", external_reference=f"L-{i}"))
    page = api.get(URL, {"status": "prospect", "limit": 2}).json()
    assert len(page["results"]) == 2 and page["next_cursor"]
    rest = api.get(URL, {"status": "prospect", "limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["results"]) == 1
    assert {c["legal_name"] for c in page["results"] + rest["results"]} == {f"Listed Person {i}" for i in range(3)}
    by_ref = api.get(URL, {"external_reference": "L-1"}).json()
    assert [c["legal_name"] for c in by_ref["results"]] == ["Listed Person 1"]
    by_name = api.get(URL, {"name_prefix": "listed person 2"}).json()
    assert [c["external_reference"] for c in by_name["results"]] == ["L-2"]
    assert api.get(URL).status_code == 400
    unknown = api.get(URL, {"status": "prospect", "sort": "name"})
    assert unknown.status_code == 400 and "sort" in unknown.json()["errors"]
    assert api.get(URL, {"status": "prospect", "cursor": "forged"}).json()["errors"]["cursor"]


def test_reviewers_and_auditors_read_but_only_analysts_write(
    api: APIClient, analyst: Any, reviewer: Any, auditor: Any, platform_admin: Any, client_for: Any
) -> None:
    customer_id = created(client_for(analyst)).json()["customer_id"]
    for user in (reviewer, auditor):
        client = client_for(user)
        assert client.get(f"{URL}/{customer_id}").status_code == 200
        assert client.post(URL, individual_data(), format="json").status_code == 403
        assert client.patch(f"{URL}/{customer_id}", {"occupation": "x"}, format="json",
                            HTTP_IF_MATCH='"1"').status_code == 403
    assert client_for(platform_admin).get(f"{URL}/{customer_id}").status_code == 403
    assert APIClient().get(f"{URL}/{customer_id}").status_code == 401


def test_a_read_only_key_reads_but_cannot_create(integration_user: Any, api: APIClient) -> None:
    customer_id = created(api).json()["customer_id"]
    _, key = api_key_create(name="reader", user=integration_user, scopes=["customers:read"],
                            actor=Actor.system("tests"))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert reader.get(f"{URL}/{customer_id}").status_code == 200
    response = reader.post(URL, individual_data(), format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "The API key lacks the scope 'customers:write'."


def test_the_full_profile_view_is_recorded_in_the_audit_trail(api: APIClient, auditor: Any, client_for: Any) -> None:
    customer_id = created(api).json()["customer_id"]
    api.get(f"{URL}/{customer_id}")  # the plain record read is not a profile view
    response = client_for(auditor).get(f"{URL}/{customer_id}/profile")
    assert response.status_code == 200
    assert response.json()["customer"]["customer_id"] == customer_id
    assert response.json()["related_parties"] == []
    events = list(AuditEvent.query(f"customer#{customer_id}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == ["customer.created", "customer.viewed"]
    assert events[-1].actor["name"] == "audrey.auditor"


def test_a_transient_database_failure_is_a_503_to_retry_never_a_500(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import TransactWriteError

    from apps.customers import services

    def fail(**kwargs: Any) -> None:
        raise TransactWriteError("Failed to write transaction items",
                                 ClientError({"Error": {"Code": "InternalServerError"}}, "TransactWriteItems"))

    real = services.audit_event_record
    monkeypatch.setattr(services, "audit_event_record", fail)
    response = api.post(URL, individual_data(), format="json", HTTP_IDEMPOTENCY_KEY="flaky-1")
    assert response.status_code == 503
    assert "same Idempotency-Key" in response.json()["message"]
    monkeypatch.setattr(services, "audit_event_record", real)
    assert api.post(URL, individual_data(), format="json", HTTP_IDEMPOTENCY_KEY="flaky-1").status_code == 201
