"""Integration isolation: a key sees and changes only the customers its own integration created.

Before: a second integration's key read, found by external reference, and patched the first
integration's customers.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.core.integrations import ALL_INTEGRATIONS_SCOPE, SCOPE_KINDS
from apps.core.roles import INTEGRATION, SCOPES
from apps.core.services import api_key_create
from tests.core.routes import api_routes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

OWN_SCOPES = [s for s in SCOPES if s != ALL_INTEGRATIONS_SCOPE]
CUSTOMER = {"customer_type": "individual", "legal_name": "Harriet Quennell-Abernathy", "date_of_birth": "1980-04-02",
            "nationalities": ["GB"], "country_of_residence": "GB", "status": "onboarding",
            "external_reference": "C-1"}


def _client(username: str, scopes: list[str]) -> APIClient:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username)
        user.groups.set(Group.objects.filter(name=INTEGRATION))
    _, key = api_key_create(name=f"{username} key", user=user, scopes=scopes, actor=Actor.system("tests"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def portal() -> APIClient:
    return _client("portal", OWN_SCOPES)


@pytest.fixture
def broker() -> APIClient:
    return _client("broker", OWN_SCOPES)


def _created(client: APIClient) -> str:
    response = client.post("/api/v1/customers", CUSTOMER, format="json")
    assert response.status_code == 201, response.json()
    return str(response.json()["customer_id"])


def test_another_integrations_key_cannot_find_read_or_change_the_customer(portal: APIClient,
                                                                            broker: APIClient) -> None:
    customer_id = _created(portal)
    assert portal.get("/api/v1/customers", {"external_reference": "C-1"}).json()["results"][0]["customer_id"] \
        == customer_id
    assert broker.get("/api/v1/customers", {"external_reference": "C-1"}).json()["results"] == []
    other = broker.get("/api/v1/customers", {"external_reference": "C-1", "integration": "portal"})
    assert other.status_code == 403 and "integration" in other.json()["errors"]
    assert broker.get("/api/v1/customers", {"status": "onboarding"}).json()["results"] == []
    assert [c["customer_id"] for c in portal.get("/api/v1/customers", {"status": "onboarding"}).json()["results"]] \
        == [customer_id]
    hidden = broker.get(f"/api/v1/customers/{customer_id}")
    missing = broker.get("/api/v1/customers/cus_01NOSUCHCUSTOMER0000000000")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "customer_not_found"  # it cannot tell them apart
    patched = broker.patch(f"/api/v1/customers/{customer_id}", {"legal_name": "Mallory"}, format="json",
                           HTTP_IF_MATCH='"1"')
    assert patched.status_code == 404
    assert portal.get(f"/api/v1/customers/{customer_id}").json()["legal_name"] == CUSTOMER["legal_name"]


def test_a_key_with_the_all_integrations_scope_reaches_every_customer(portal: APIClient) -> None:
    customer_id = _created(portal)
    core_banking = _client("core-banking", list(SCOPES))
    assert core_banking.get(f"/api/v1/customers/{customer_id}").status_code == 200
    found = core_banking.get("/api/v1/customers", {"external_reference": "C-1", "integration": "portal"})
    assert [c["customer_id"] for c in found.json()["results"]] == [customer_id]


def test_every_view_open_to_keys_says_how_it_is_confined() -> None:
    open_to_keys = [(route, view) for route, view in api_routes() if getattr(view, "required_scopes", None)]
    assert len(open_to_keys) > 20
    undeclared = [route for route, view in open_to_keys if getattr(view, "integration_scope", None) not in SCOPE_KINDS]
    assert undeclared == []


def test_no_route_of_another_integrations_customer_answers_a_confined_key(portal: APIClient,
                                                                          broker: APIClient) -> None:
    from apps.screening.selectors.alerts import alerts_of_customer

    customer_id = _created(portal)
    cases = portal.get("/api/v1/cases", {"status": "open"}).json()
    assert [c["customer_id"] for c in cases] == [customer_id] or cases == []
    ids = {"customer_id": customer_id, "case_id": f"onboarding-{customer_id}"}
    alerts = alerts_of_customer(customer_id=customer_id)
    reached = []
    for route, view in api_routes():
        kind = getattr(view, "integration_scope", None)
        if kind != "customer":
            continue
        if "<str:alert_id>" in route and not alerts:
            continue
        path = re.sub(r"<str:(\w+)>", lambda m: ids.get(m.group(1), alerts[0].alert_id if alerts and
                                                       m.group(1) == "alert_id" else "x"), route)
        for method in view.required_scopes:
            response = getattr(broker, method.lower())(path, {}, format="json")
            if response.status_code not in (403, 404):
                reached.append((method, path, response.status_code))
    assert reached == []
    assert broker.get("/api/v1/cases", {"status": "open"}).json() == []
