"""Odd input on the workplace's pages is answered with a page that says what is wrong, never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.customers.services import customer_create
from apps.reviews import services as reviews
from tests.customers.conftest import individual_data

pytestmark = pytest.mark.django_db

ODD = ["", "x" * 5000, "%00", "'\"<>", "9" * 40, "-1", "ü", "a/b", "..%2f"]


def test_odd_query_strings_and_forms_never_cause_a_server_error(aws: None, analyst: Any, auditor: Any) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=individual_data())
    case = reviews.case_open_onboarding(customer_id=customer.customer_id, actor=Actor.system("tests"))
    failures = []
    for user in (analyst, auditor):
        browser = Client(raise_request_exception=False)
        browser.force_login(user)
        for odd in ODD:
            reads = [("/search/", {"q": odd}),
                     ("/cases/", {"status": odd, "kind": odd, "risk": odd, "alerts": odd, "age": odd}),
                     ("/my-work/", {"page": odd}), (f"/customers/{customer.customer_id}/", {"preview": odd}),
                     ("/audit/", {"object_type": odd, "object_id": odd}), (f"/customers/{odd or 'x'}/", {})]
            writes = [(f"/cases/{case.case_id}/note", {"text": odd}),
                      (f"/cases/{case.case_id}/hand_over", {"to": odd, "version": odd}),
                      (f"/evidence/{customer.customer_id}/upload",
                       {"document_type": odd, "expiry_date": odd, "issuing_country": odd}),
                      (f"/evidence/{customer.customer_id}/requirements/{odd or 'x'}/waive", {"reason": odd}),
                      (f"/evidence/{customer.customer_id}/request", {"document_types": odd, "due_date": odd})]
            for url, params in reads:
                if (status := browser.get(url, params).status_code) >= 500:
                    failures.append((user.username, "GET", url, odd[:12], status))
            for url, data in writes:
                if (status := browser.post(url, data).status_code) >= 500:
                    failures.append((user.username, "POST", url, odd[:12], status))
    assert failures == []


def test_an_age_filter_of_centuries_is_refused_by_name(aws: None, analyst: Any) -> None:
    browser = Client()
    browser.force_login(analyst)
    page = browser.get("/cases/", {"status": "open", "age": "9" * 40})
    assert page.status_code == 400
    assert "is not a number of days" in page.content.decode()
