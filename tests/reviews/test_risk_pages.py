"""The risk model in the admin (versions, a draft's editor, what-if, publication by another senior reviewer) and
the assessment on the case page and the admin customer page, as each role sees them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.core.outbox import outbox_drain
from apps.customers.selectors import customer_get
from apps.customers.services import customer_create
from apps.reviews.dynamo_models import RiskOverride
from apps.reviews.risk import services as risk
from tests.reviews.support import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

IRAN = {"customer_type": "individual", "legal_name": "Parvin Ahmadi Tehrani", "date_of_birth": "1980-04-02",
        "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding"}


def as_user(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def rated(data: dict[str, Any]) -> str:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=data)
    for _ in range(4):
        outbox_drain(group_key=customer.customer_id)
    return customer.customer_id


def test_the_case_page_and_the_admin_customer_page_show_the_assessment_with_its_factors(
        analyst: Any, reviewer: Any, auditor: Any) -> None:
    customer_id = rated(IRAN)
    for user in (analyst, reviewer, auditor):
        page = as_user(user).get(f"/cases/onboarding-{customer_id}/").content.decode()
        assert "Risk: high · enhanced due diligence" in page
        assert ("residence IR: Comprehensively sanctioned jurisdictions; FATF: high-risk jurisdictions subject to a "
                "call for action") in page
        assert "under enhanced due diligence: a senior reviewer must decide this case" in page
    admin = as_user(analyst).get(f"/admin/domain/customers/{customer_id}/").content.decode()
    assert "Risk factors" in admin and "high (enhanced due diligence)" in admin
    assert "residence: Iran; nationality: Iran" in admin and "['IR']" not in admin


def test_a_draft_is_edited_in_the_admin_and_published_by_another_senior_reviewer(
        analyst: Any, senior_reviewer: Any, auditor: Any) -> None:
    customer_id = rated({**IRAN, "legal_name": "Jonas Weber", "nationalities": ["DE"], "country_of_residence": "DE",
                         "channels": ["online"]})
    assert customer_get(customer_id=customer_id).risk_rating == "low"
    author, senior = as_user(analyst), as_user(senior_reviewer)
    assert "Create draft" not in as_user(auditor).get("/admin/domain/risk-model/").content.decode()
    page = author.get("/admin/domain/risk-model/").content.decode()
    assert "Risk model (version 1 is active)" in page and "FATF: jurisdictions under increased monitoring" in page
    author.post("/admin/domain/risk-model/", {"note": "online channel weighs more"})
    draft = author.get("/admin/domain/risk-model/2/").content.decode()
    assert "Edit the draft" in draft and "You wrote or changed this version" in draft
    [draft_version] = [v for v in risk.risk_model_versions() if v.status == "draft"]
    definition = json.loads(json.dumps(draft_version.definition))
    definition["factors"]["channels"]["points"]["online"] = 30
    broken = author.post("/admin/domain/risk-model/2/", {"action": "save", "definition": "{not json"}, follow=True)
    assert "is not JSON" in broken.content.decode()
    author.post("/admin/domain/risk-model/2/", {"action": "save", "definition": json.dumps(definition),
                                                 "note": "online 8 -> 30"})
    refused = senior.post("/admin/domain/risk-model/2/", {"action": "publish", "reason": "ok"}, follow=True)
    assert "Run the what-if report" in refused.content.decode()
    asked = senior.post("/admin/domain/risk-model/2/", {"action": "whatif"}, follow=True).content.decode()
    assert "A what-if report is being computed" in asked
    outbox_drain(group_key="risk_model#2")  # the worker's part
    report = senior.get("/admin/domain/risk-model/2/").content.decode()
    assert "1 of 1 assessed customers would change rating" in report
    done = senior.post("/admin/domain/risk-model/2/", {"action": "publish", "reason": "judged"}, follow=True)
    assert "Version 2 is active" in done.content.decode()
    outbox_drain(group_key="risk_model#2")
    for _ in range(3):
        outbox_drain(group_key=customer_id)
    assert customer_get(customer_id=customer_id).risk_rating == "medium"
    progress = senior.get("/admin/domain/risk-model/2/").content.decode()
    assert "16 of 16 shard jobs done, 1 customers in them, 1 assessment requests recorded" in progress


def test_a_manual_rating_is_proposed_and_confirmed_on_the_customers_risk_page(
        analyst: Any, senior_reviewer: Any, auditor: Any) -> None:
    customer_id = rated({**IRAN, "legal_name": "Jonas Weber", "nationalities": ["DE"], "country_of_residence": "DE"})
    page = f"/admin/domain/customers/{customer_id}/risk/"
    assert "Propose a manual rating" not in as_user(auditor).get(page).content.decode()
    author = as_user(analyst)
    bad = author.post(page, {"action": "propose", "rating": "high", "expires_on": "soon", "reason": "x"}, follow=True)
    assert "Give the expiry as YYYY-MM-DD" in bad.content.decode()
    author.post(page, {"action": "propose", "rating": "high", "expires_on": "2099-01-01", "reason": "x"})
    assert "at most" in author.get(page).content.decode()  # too far: refused with the limit
    expires = (today() + timedelta(days=60)).isoformat()
    author.post(page, {"action": "propose", "rating": "high", "expires_on": expires, "reason": "adverse media"})
    listed = as_user(senior_reviewer).get(page).content.decode()
    assert "adverse media" in listed and "Confirm" in listed
    [override] = list(RiskOverride.query(customer_id))
    as_user(senior_reviewer).post(page, {"action": "confirm", "override_id": override.override_id,
                                         "reason": "agreed"})
    for _ in range(3):
        outbox_drain(group_key=customer_id)
    assert customer_get(customer_id=customer_id).risk_rating == "high"
    history = as_user(auditor).get(page).content.decode()
    assert "override confirmed" in history and "Risk of Jonas Weber" in history
