"""People signing in through a real browser: reviewers on the web service, analysts in the admin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_reviewer_signs_in_to_the_web_ui_and_sees_their_role(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.urls['web']}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", stack.passwords["reviewer"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.urls['web']}/")
    assert "Welcome, reviewer" in page.inner_text("h1")
    assert "reviewer" in page.inner_text("main")


def test_a_wrong_password_says_what_to_do(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.urls['web']}/login/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "did not match" in page.inner_text(".error")


def test_an_analyst_signs_in_to_the_admin(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.urls['admin']}/admin/")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", stack.passwords["analyst"])
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "CDD platform administration" in page.inner_text("#site-name")


def _sign_in(stack: Stack, page: Any, username: str, service: str = "web") -> None:
    if service == "web":
        page.goto(f"{stack.urls['web']}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", stack.passwords[username])
        page.click("button[type=submit]")
        page.wait_for_url(f"{stack.urls['web']}/")
    else:
        page.goto(f"{stack.urls['admin']}/admin/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", stack.passwords[username])
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")


def _shot(page: Any, name: str) -> None:
    """Keep a screenshot when CDD_SCREENSHOT_DIR is set (how the pages were looked at, role by role)."""
    import os
    from pathlib import Path

    folder = os.environ.get("CDD_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_alerts_are_worked_side_by_side_in_the_browser_role_by_role(stack: Stack, browser: Any) -> None:
    import time

    import requests

    headers = {"Authorization": f"Api-Key {stack.api_key}"}
    created = requests.post(f"{stack.urls['api']}/api/v1/customers", headers=headers, timeout=30, json={
        "customer_type": "individual", "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
        "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding"})
    customer_id = created.json()["customer_id"]
    deadline = time.monotonic() + 60
    while not requests.get(f"{stack.urls['api']}/api/v1/customers/{customer_id}/alerts", headers=headers,
                           timeout=10).json():
        assert time.monotonic() < deadline, "no alerts"
        time.sleep(0.5)
    case_id = f"onboarding-{customer_id}"
    while requests.get(f"{stack.urls['api']}/api/v1/cases/{case_id}", headers=headers, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the worker opened no onboarding case"  # opened by the worker too
        time.sleep(0.3)
    case_url = f"{stack.urls['web']}/cases/onboarding-{customer_id}/"

    analyst = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(stack, analyst, "analyst")
    analyst.goto(f"{stack.urls['web']}/cases/?status=open")
    assert "Qasem Soleimani" in analyst.inner_text("table.queue")
    _shot(analyst, "1-queue-analyst")
    analyst.goto(case_url)
    assert "open alert" in analyst.inner_text("#screening")
    assert analyst.locator(".alert-card mark").first.inner_text() in ("Qasem", "Soleimani")
    _shot(analyst, "2-case-analyst")
    card = analyst.locator(".alert-card").filter(has_text="IRi.039")
    card.locator("select[name=outcome]").select_option("false_positive")
    card.locator("textarea[name=rationale]").first.fill("Different person: born in Shiraz, a teacher")
    card.locator("button", has_text="Propose").click()
    analyst.wait_for_load_state()
    assert "Proposal recorded" in analyst.inner_text("main")

    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(stack, reviewer, "reviewer")
    reviewer.goto(case_url)
    card = reviewer.locator(".alert-card").filter(has_text="IRi.039")
    assert card.locator("button", has_text="Confirm false positive").is_enabled()
    assert reviewer.locator("select[name=outcome]").count() == 0  # reviewers do not propose
    _shot(reviewer, "3-case-reviewer")
    card.locator("textarea[name=rationale]").first.fill("Agreed: other place of birth")
    card.locator("button", has_text="Confirm false positive").click()
    reviewer.wait_for_load_state()
    assert "Disposition confirmed." in reviewer.inner_text("main")

    auditor = browser.new_context().new_page()
    _sign_in(stack, auditor, "auditor")
    auditor.goto(case_url)
    assert auditor.locator("form.disposition").count() == 0
    _shot(auditor, "4-case-auditor")

    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(stack, admin, "analyst", service="admin")
    admin.goto(f"{stack.urls['admin']}/admin/domain/alerts/?status=open")
    assert "Qasem Soleimani" in admin.inner_text("#content")
    _shot(admin, "5-admin-alert-queue")
    admin.click("#content table a")
    assert "list entry" in admin.inner_text("#content").lower()  # the admin styles headers in capitals
    _shot(admin, "6-admin-alert-page")
    admin.goto(f"{stack.urls['admin']}/admin/domain/lists/")
    assert "ofac_sdn" in admin.inner_text("#content") and "14,965" in admin.inner_text("#content")
    _shot(admin, "7-admin-lists")
    admin.click("text=un_sc")
    assert "versions" in admin.inner_text("h1")
    _shot(admin, "8-admin-list-versions")


def test_the_risk_model_and_assessments_are_read_and_changed_in_the_browser_role_by_role(
        stack: Stack, browser: Any) -> None:
    import time

    import requests

    headers = {"Authorization": f"Api-Key {stack.api_key}"}
    created = requests.post(f"{stack.urls['api']}/api/v1/customers", headers=headers, timeout=30, json={
        "customer_type": "individual", "legal_name": "Dariush Karimzadeh", "date_of_birth": "1986-09-23",
        "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding", "channels": ["online"]})
    customer_id = created.json()["customer_id"]
    deadline = time.monotonic() + 60
    while requests.get(f"{stack.urls['api']}/api/v1/customers/{customer_id}/risk", headers=headers,
                       timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the worker rated nobody"
        time.sleep(0.5)

    analyst = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(stack, analyst, "analyst")
    analyst.goto(f"{stack.urls['web']}/cases/onboarding-{customer_id}/")
    risk = analyst.inner_text("#risk")
    assert "Risk: high · enhanced due diligence" in risk
    assert "Countries" in risk and "residence: Iran" in risk and "['IR']" not in risk
    assert "FATF call-for-action country → at least high (residence IR)" in risk
    _shot(analyst, "9-case-risk-analyst")

    admin = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(stack, admin, "analyst", service="admin")
    admin.goto(f"{stack.urls['admin']}/admin/domain/customers/{customer_id}/")
    content = admin.inner_text("#content")
    assert "high (enhanced due diligence)" in content and "['IR']" not in content
    _shot(admin, "10-admin-customer-risk")
    admin.goto(f"{stack.urls['admin']}/admin/domain/risk-model/")
    assert "Risk model (version 1 is active)" in admin.inner_text("h1")
    admin.fill("input[name=note]", "online onboarding weighs more")
    admin.click("text=Create draft")
    admin.wait_for_selector("text=Edit the draft")
    admin.click("input[value='Run what-if report']")
    admin.wait_for_selector("text=What-if report requested")
    deadline = time.monotonic() + 60
    while "assessed customers would change rating" not in admin.inner_text("#content"):
        assert time.monotonic() < deadline, "no what-if report"
        time.sleep(1)
        admin.reload()
    assert "a senior reviewer who did not publishes it" in admin.inner_text("#content")
    _shot(admin, "11-admin-risk-draft-analyst")

    senior = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(stack, senior, "senior", service="admin")
    senior.goto(admin.url)
    assert senior.locator("input[type=submit][value^='Publish version']").count() == 1
    _shot(senior, "12-admin-risk-draft-senior")
    senior.goto(f"{stack.urls['admin']}/admin/domain/customers/{customer_id}/risk/")
    assert "Risk of Dariush Karimzadeh" in senior.inner_text("h1")
    _shot(senior, "13-admin-customer-risk-page-senior")

    auditor = browser.new_context().new_page()
    _sign_in(stack, auditor, "auditor", service="admin")
    auditor.goto(admin.url)
    assert auditor.locator("input[value='Run what-if report']").count() == 0
    assert auditor.locator("textarea[name=definition]").count() == 0
