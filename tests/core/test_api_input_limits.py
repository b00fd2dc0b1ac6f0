"""Hostile or careless input gets a 4xx in the API's JSON format, never a 500; the index answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def post_raw(api: APIClient, path: str, body: str) -> Any:
    return api.generic("POST", path, body, content_type="application/json")


def test_the_api_root_answers_with_links_to_the_schema_and_the_docs(aws: None) -> None:
    response = APIClient().get("/api/v1/")
    assert response.status_code == 200
    links = response.json()["links"]
    assert links["schema"] == "http://testserver/api/schema/"
    assert links["docs"] == "http://testserver/api/docs/"
    assert links["customer"] == "http://testserver/api/v1/customers/{customer_id}"
    assert "Api-Key" in response.json()["authentication"]


def test_json_nested_100000_deep_is_a_400_naming_the_problem(api: APIClient) -> None:
    response = post_raw(api, "/api/v1/screening/search", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nests" in response.json()["message"]


def test_json_nested_deeper_than_the_limit_is_refused_even_when_python_could_parse_it(api: APIClient) -> None:
    body = {"name": "Qasem Soleimani", "extra": json.loads("[" * 40 + "]" * 40)}
    response = post_raw(api, "/api/v1/screening/search", json.dumps(body))
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_a_json_body_over_the_size_limit_is_a_413_in_json(api: APIClient) -> None:
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = post_raw(api, "/api/v1/screening/search", json.dumps({"name": "A Person", "note": filler}))
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in body["message"]
    assert body["request_id"]


@pytest.mark.parametrize("value", [False, True])
def test_a_boolean_is_not_a_threshold(api: APIClient, value: bool) -> None:
    response = api.post("/api/v1/screening/search", {"name": "Qasem Soleimani", "threshold": value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["threshold"] == ["Must be a number, not true or false."]


def test_a_boolean_is_not_a_limit_nor_a_compare_threshold(api: APIClient) -> None:
    response = api.post("/api/v1/screening/search", {"name": "Qasem Soleimani", "limit": True}, format="json")
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]
    response = api.post("/api/v1/screening/compare", {"name1": "A", "name2": "B", "threshold": False}, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["threshold"])


def test_a_number_still_is_a_threshold(api: APIClient) -> None:
    response = api.post("/api/v1/screening/search", {"name": "Qasem Soleimani", "threshold": 0.9}, format="json")
    assert response.status_code == 200, response.json()
