"""Analysts find customers in the admin and open the full profile, which is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.customers.services import customer_create

pytestmark = pytest.mark.django_db


def _entity() -> str:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "legal_entity", "legal_name": "Müller Bau GmbH", "registration_number": "HRB 1234",
        "jurisdiction": "DE"})
    return str(customer.customer_id)


def test_an_analyst_finds_a_customer_by_any_word_of_its_name_and_opens_the_profile(aws: None, analyst: Any) -> None:
    customer_id = _entity()
    browser = Client()
    browser.force_login(analyst)
    for query in ("bau", "muller", "MÜLLER gmbh"):  # any word, accents and case folded
        found = browser.get("/admin/domain/customers/", {"q": query})
        assert found.status_code == 200
        assert "Müller Bau GmbH" in found.content.decode(), query
    profile = browser.get(f"/admin/domain/customers/{customer_id}/")
    assert profile.status_code == 200
    assert "HRB 1234" in profile.content.decode()
    assert "Document checklist" in profile.content.decode()
    viewed = [e for e in AuditEvent.query(f"customer#{customer_id}", AuditEvent.sk.startswith("E#"))
              if e.action == "customer.viewed"]
    assert len(viewed) == 1
    assert viewed[0].actor["name"] == analyst.username


def test_a_one_letter_search_says_what_is_needed(aws: None, analyst: Any) -> None:
    browser = Client()
    browser.force_login(analyst)
    page = browser.get("/admin/domain/customers/?q=m")
    assert page.status_code == 200
    assert "Give at least 2 characters" in page.content.decode()


def test_a_platform_admin_cannot_open_customer_profiles(aws: None, platform_admin: Any) -> None:
    customer_id = _entity()
    browser = Client()
    browser.force_login(platform_admin)
    assert browser.get(f"/admin/domain/customers/{customer_id}/").status_code == 403
