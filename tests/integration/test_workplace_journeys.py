"""Each role's main journeys through the workplace, in Chromium against the running stack (gunicorn, worker, moto).

What a person sees is what is asserted: a customer found by surname from the header, the customer page with its
ownership picture, a case worked from the queue to a decision with an alert and a document under four-eyes, a list
publication uploaded and activated by two people, and the auditor's way to a verified trail.

The demo data (customers, document requirements) is loaded here, through the services and the worker, as
`make run` loads it. This file runs last in the tier (tests/integration sorts before it) because the requirements
it loads apply to every case that is submitted afterwards.
"""

from __future__ import annotations

import lzma
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.documents import files
from tests.integration.conftest import ROOT, Stack
from tests.integration.test_browser import _shot, _sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def demo(stack: Stack) -> Stack:
    loaded = stack.manage("demo_setup")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return stack


def _person(browser: Any, stack: Stack, username: str, service: str = "web") -> Any:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    _sign_in(stack, page, username, service=service)
    return page


def _reload_until(page: Any, predicate: Any, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout:.0f}s for {what}"
        time.sleep(1.0)
        page.reload()


def test_an_analyst_finds_a_customer_by_surname_and_reads_the_customer_page(demo: Stack, browser: Any) -> None:
    analyst = _person(browser, demo, "analyst")
    analyst.fill("#site-search", "hartley")  # the surname of a customer, and of a party of another
    analyst.press("#site-search", "Enter")
    analyst.wait_for_url(re.compile(r"/search/\?q=hartley"))
    results = analyst.inner_text("table.results")
    assert "Amelia Hartley" in results and "Harbour Logistics Ltd" in results
    _shot(analyst, "w1-search-analyst")
    analyst.click("table.results a.name:text-is('Harbour Logistics Ltd')")
    analyst.wait_for_selector("h1:has-text('Harbour Logistics Ltd')")
    page = analyst.inner_text("main")
    assert "United Kingdom" in page  # countries by name
    graph = analyst.locator("svg").first
    assert graph.is_visible()
    assert "52.5%" in analyst.inner_text("#ownership") and "beneficial owner" in analyst.inner_text("#ownership")
    assert "Verified" in analyst.inner_text("main")  # the customer's audit timeline verifies
    _shot(analyst, "w2-customer-page-analyst")


def test_a_case_is_worked_from_the_queue_to_a_decision_with_an_alert_and_a_document(demo: Stack, browser: Any) -> None:
    headers = {"Authorization": f"Api-Key {demo.api_key}"}
    api = demo.urls["api"]
    created = requests.post(f"{api}/api/v1/customers", headers=headers, timeout=30, json={
        "customer_type": "individual", "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
        "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding"})
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer_id"]
    deadline = time.monotonic() + 90
    while requests.get(f"{api}/api/v1/cases/onboarding-{customer_id}", headers=headers, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the worker opened no onboarding case"
        time.sleep(0.5)

    # The analyst finds the case in the queue by the customer's name, claims it and proposes the alerts' outcome.
    analyst = _person(browser, demo, "analyst")
    analyst.click("header nav a:text-is('Open cases')")
    row = analyst.locator("table.queue tr", has_text="Qasem Soleimani")
    _reload_until(analyst, lambda: row.count() > 0, "the case in the open queue")
    assert "Onboarding due diligence — Qasem Soleimani" in row.first.inner_text()
    _shot(analyst, "w3-queue-analyst")
    row.first.locator("a").first.click()
    analyst.wait_for_selector("#case-head")
    _reload_until(analyst, lambda: analyst.locator(".alert-card").count() > 0, "the screening alerts")
    assert "Iran" in analyst.locator(".alert-card").first.inner_text()  # nationalities by name, not "IR"
    analyst.click("button:text-is('Claim this case')")
    assert "(you)" in analyst.inner_text("#case-assignee")
    while (card := analyst.locator(".alert-card", has=analyst.locator("select[name=outcome]"))).count():
        card.first.locator("select[name=outcome]").select_option("false_positive")
        card.first.locator("textarea[name=rationale]").fill("Different person: born 1961 in Shiraz, a teacher")
        card.first.locator("button", has_text="Propose").click()
        analyst.wait_for_load_state()
    analyst.fill("#note-text", "Namesake of the listed general: other date and place of birth.")
    analyst.click("button:text-is('Add note')")
    assert "Namesake of the listed general" in analyst.inner_text("#notes")

    # A reviewer confirms the proposals (they did not propose them).
    reviewer = _person(browser, demo, "reviewer")
    reviewer.goto(analyst.url)
    while (card := reviewer.locator(".alert-card", has=reviewer.locator("button:has-text('Confirm')"))).count():
        card.first.locator("textarea[name=rationale]").fill("Agreed: other date and place of birth")
        card.first.locator("button", has_text="Confirm").click()
        reviewer.wait_for_load_state()
    assert "all alerts dispositioned" in reviewer.inner_text("#screening")

    # Evidence: the analyst uploads the passport, a second analyst verifies it, the rest is waived with reasons.
    analyst.reload()
    assert "The case cannot be submitted yet" in analyst.inner_text("#evidence")
    identity = analyst.locator("#evidence .req", has_text="Proof of identity").first
    identity.locator("summary", has_text="Upload").click()
    pdf = Path(demo.local_dir) / "passport.pdf"
    pdf.write_bytes(files.pdf())
    identity.locator("input[type=file]").set_input_files(str(pdf))
    identity.locator("button", has_text="Upload").click()
    analyst.wait_for_load_state()
    second = _person(browser, demo, "analyst2")
    second.goto(analyst.url)
    verify = second.locator("#evidence button:text-is('Verify')")
    _reload_until(second, lambda: verify.count() > 0, "the passport's malware scan")
    _shot(second, "w4-evidence-second-analyst")
    verify.first.click()
    second.wait_for_load_state()
    assert "verified by analyst2" in second.locator("#evidence .req", has_text="Proof of identity").inner_text()
    analyst.reload()
    while (waive := analyst.locator("#evidence .req",
                                    has=analyst.locator("summary:text-is('Waive this requirement')"))).count():
        waive.first.locator("summary:text-is('Waive this requirement')").click()
        waive.first.locator("textarea[name=reason]").fill("Held on file from the existing current account")
        waive.first.locator("button", has_text="Record the waiver").click()
        analyst.wait_for_load_state()
    assert "Every required document is verified or waived" in analyst.inner_text("#evidence")
    _reload_until(analyst, lambda: analyst.locator("#submit-summary").count() > 0, "the risk assessment")
    analyst.fill("#submit-summary", "Alerts are a namesake; passport verified; address waived (on file).")
    analyst.click("#submit button[type=submit]")
    analyst.wait_for_load_state()
    assert analyst.inner_text("#case-status") == "submitted"
    _shot(analyst, "w5-case-submitted-analyst")

    # Iran is a high-risk country: a plain reviewer is told why they cannot decide; a senior reviewer claims it.
    reviewer.goto(analyst.url)
    assert "You cannot decide this case" in reviewer.inner_text("main")
    assert "yes" in reviewer.inner_text("#case-senior")
    senior = _person(browser, demo, "senior")
    senior.click("header nav a:text-is('Cases to review')")
    senior.locator("table.queue a", has_text="Qasem Soleimani").first.click()
    senior.wait_for_selector("#case-head")
    senior.click("button:text-is('Claim this case')")
    _shot(senior, "w6-case-senior")
    senior.fill("#decision-rationale", "Namesake cleared by two people; evidence complete.")
    senior.click("#decide button:text-is('Approve')")
    senior.wait_for_load_state()
    assert senior.inner_text("#case-status") == "approved"
    timeline = senior.inner_text("main")
    assert "case.approved" in timeline and "case.claimed" in timeline


def _un_publication_with_one_more_entry(folder: Path) -> Path:
    """The bundled UN list with one more individual: a new publication of the same list."""
    xml = lzma.decompress((ROOT / "apps/screening/data/snapshot/un_sc/consolidated.xml.xz").read_bytes()).decode()
    first = re.search(r"<INDIVIDUAL>.*?</INDIVIDUAL>", xml, re.S)
    assert first
    extra = re.sub(r"<DATAID>\d+</DATAID>", "<DATAID>9999001</DATAID>", first.group(0))
    extra = re.sub(r"<REFERENCE_NUMBER>[^<]*</REFERENCE_NUMBER>", "<REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER>", extra)
    extra = re.sub(r"<FIRST_NAME>[^<]*</FIRST_NAME>", "<FIRST_NAME>ZEPHYRINUS</FIRST_NAME>", extra)
    path = folder / "consolidated.xml"
    path.write_text(xml.replace("</INDIVIDUALS>", extra + "</INDIVIDUALS>", 1))
    return path


def test_a_list_publication_is_uploaded_by_one_person_and_activated_by_another(demo: Stack, browser: Any) -> None:
    admin = demo.urls["admin"]
    analyst = _person(browser, demo, "analyst", service="admin")
    analyst.goto(f"{admin}/admin/domain/lists/upload/")
    analyst.select_option("#upload-list", "un_sc")
    analyst.set_input_files("#upload-files", str(_un_publication_with_one_more_entry(Path(demo.local_dir))))
    analyst.click("input[value='Upload and compare']")
    analyst.wait_for_selector("text=Awaiting activation")
    text = analyst.inner_text("#content")
    assert "1 added" in text and "0 removed" in text
    assert "You loaded this version" in text and analyst.locator("input[value='Activate this version']").count() == 0
    _shot(analyst, "w7-list-staged-analyst")

    senior = _person(browser, demo, "senior", service="admin")
    senior.goto(f"{admin}/admin/domain/lists/un_sc/")
    senior.click("text=see the changes")
    assert "ZEPHYRINUS" in senior.inner_text("#content")
    _shot(senior, "w8-list-diff-senior")
    senior.go_back()
    senior.fill("input[name=reason]", "UN publication of today, checked against the press release")
    senior.click("input[value='Activate this version']")
    senior.wait_for_load_state()
    assert "Awaiting activation" not in senior.inner_text("#content")
    versions = senior.inner_text("#content")
    assert "active" in versions and "previous" in versions


def test_the_auditor_goes_from_home_to_a_verified_trail(demo: Stack, browser: Any) -> None:
    auditor = _person(browser, demo, "auditor")
    auditor.click("main a:text-is('Audit trail')")
    assert "Audit trail" in auditor.inner_text("h1")
    auditor.fill("#site-search", "rossi")
    auditor.press("#site-search", "Enter")
    auditor.click("table.results a.name:text-is('Sofia Rossi')")
    auditor.wait_for_selector("h1:has-text('Sofia Rossi')")
    assert "Verified" in auditor.inner_text("main")
    assert auditor.locator("form.disposition").count() == 0  # reads, changes nothing
    _shot(auditor, "w9-customer-page-auditor")
