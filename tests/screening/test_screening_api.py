"""POST /api/v1/screening/search and /compare as an integration and an analyst use them."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.core.services import api_key_create
from tests.screening.screening_fixtures import small_index  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_index")]

SEARCH = "/api/v1/screening/search"
COMPARE = "/api/v1/screening/compare"


def test_search_needs_credentials(aws: None) -> None:
    response = APIClient().post(SEARCH, {"name": "Yasir ABBAS"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_search_needs_the_screening_read_scope(aws: None, integration_user: Any) -> None:
    _, key = api_key_create(
        name="docs only", user=integration_user, scopes=["documents:read"], actor=Actor.system("tests")
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.post(SEARCH, {"name": "Yasir ABBAS"}, format="json").status_code == 403


def test_an_auditor_cannot_search_but_an_analyst_can(aws: None, auditor: Any, analyst: Any, client_for: Any) -> None:
    assert client_for(auditor).post(SEARCH, {"name": "Yasir ABBAS"}, format="json").status_code == 403
    assert client_for(analyst).post(SEARCH, {"name": "Yasir ABBAS"}, format="json").status_code == 200


def test_search_finds_a_listed_person_and_explains_the_hit(api: APIClient) -> None:
    response = api.post(
        SEARCH,
        {"name": "Dr. Yasir Abbas", "entity_type": "person", "date_of_birth": "1978-08-22", "country": "Syria"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "alert"
    assert body["algorithm"].startswith("cdd-name-match/")
    assert body["threshold"] == 0.8
    hit = body["hits"][0]
    assert (hit["list"], hit["list_entity_id"], hit["name"]) == ("ofac_sdn", "24904", "'ABBAS, Yasir")
    assert hit["entity"]["birth_dates"] == ["1978-08-22"]
    features = hit["explanation"]["features"]
    assert features["date_of_birth"]["result"] == "exact"
    assert features["country"] == {
        "contribution": 0.02,
        "query": "SY",
        "list_nationalities": ["SY"],
        "list_countries": [],
        "result": "agree",
    }
    assert {"token": "dr", "kind": "title", "weight": 0.02} in features["name_similarity"]["query_tokens"]


def test_search_of_an_unlisted_name_is_clear(api: APIClient) -> None:
    body = api.post(SEARCH, {"name": "Maria Garcia Lopez"}, format="json").json()
    assert body == {**body, "decision": "clear", "hits": []}


def test_search_validation_names_each_bad_field(api: APIClient) -> None:
    response = api.post(SEARCH, {"entity_type": "planet", "threshold": 3}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"name", "entity_type", "threshold"}

    response = api.post(
        SEARCH, {"name": "Yasir ABBAS", "date_of_birth": "22/08/1978", "country": "Narnia"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "YYYY" in errors["date_of_birth"][0]
    assert "Narnia" in errors["country"][0]


def test_compare_returns_the_score_and_its_explanation(api: APIClient) -> None:
    response = api.post(COMPARE, {"name1": "SMITH, John", "name2": "John Smith", "schema": "Person"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 1.0
    assert body["match"] is True
    assert body["explanation"]["features"]["name_similarity"]["value"] == 1.0

    other = api.post(COMPARE, {"name1": "John Smith", "name2": "Maria Garcia"}, format="json").json()
    assert other["match"] is False


def test_compare_validation_names_the_field(api: APIClient) -> None:
    response = api.post(COMPARE, {"name1": "John Smith", "schema": "Planet"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name2", "schema"}


def test_both_operations_are_in_the_openapi_schema(api: APIClient) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"})
    paths = schema.json()["paths"] if schema.status_code == 200 else {}
    if not paths:  # the schema view may itself need credentials
        paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (SEARCH, COMPARE):
        operation = paths[path]["post"]
        assert {"200", "400", "401", "403"} <= set(operation["responses"])


def test_with_the_active_source_a_newly_loaded_watch_list_is_searched(
    api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.screening import index_provider
    from apps.screening.selectors import lists as list_selectors
    from apps.screening.services.lists import list_version_load

    settings.CDD_LISTS_EXTRA = {"bank_watch": {"format": "internal"}}
    settings.CDD_SCREENING_LIST_SOURCE = "active"
    # only the watch list: the official lists would fall back to the (large) bundled snapshot
    monkeypatch.setattr(list_selectors, "list_keys_known", lambda: ["bank_watch"])
    index_provider.screening_index_reset()
    csv_text = 'id,name,entity_type,date_of_birth\nW-001,"DOE, Johnathan",person,1970-03\n'
    list_version_load(list_key="bank_watch", files={"watchlist.csv": csv_text.encode()}, actor=Actor.system("tests"))

    body = api.post(SEARCH, {"name": "Johnathan Doe", "entity_type": "person"}, format="json").json()
    assert body["list_source"] == "active"
    assert list(body["list_versions"]) == ["bank_watch"]
    assert body["decision"] == "alert"
    assert (body["hits"][0]["list"], body["hits"][0]["list_entity_id"]) == ("bank_watch", "W-001")
