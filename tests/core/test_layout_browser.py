"""Pages at 1280 px in Chromium: the customer page and the audit timeline fit their width for every role.

A timeline full of screening runs (list versions, ids, hashes) once widened the customer page to 1,680 px.
Runs with the integration tier (Chromium), against Django's live test server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "a-long-test-password"
WIDTH = 1280
ROLES = {"ana.analyst": "analyst", "rita.reviewer": "reviewer", "sam.senior": "senior_reviewer",
         "audrey.auditor": "auditor"}


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CDD_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; run scripts/test_prerequisites.sh (make test runs it).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def customer(aws: None, transactional_db: None) -> str:
    """A customer whose trail holds screening runs with their list versions, and profile changes (before the
    browser starts: the ORM refuses to run inside Playwright's event loop)."""
    from apps.audit.actors import Actor
    from apps.core.outbox import outbox_drain
    from apps.customers.selectors import customer_get
    from apps.customers.services import customer_create, customer_update
    from tests.conftest import _persona

    for username, role in ROLES.items():
        _persona(username, role)
    made = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "individual", "legal_name": "Harriet Quennell-Abernathy", "date_of_birth": "1980-04-02",
        "nationalities": ["GB", "IE"], "country_of_residence": "GB", "occupation": "Chartered surveyor"})
    outbox_drain(group_key=made.customer_id)
    for n in range(3):
        current = customer_get(customer_id=made.customer_id)
        customer_update(customer_id=made.customer_id, expected_version=current.version, actor=Actor.system("tests"),
                        changes={"occupation": f"Chartered surveyor and property developer, part {n}"})
        outbox_drain(group_key=made.customer_id)
    return made.customer_id


def _wide(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("username", list(ROLES))
def test_the_customer_page_and_its_timeline_fit_1280_px(username: str, customer: str, live_server: Any,
                                                        browser_page: Any, tmp_path: Path) -> None:
    page = browser_page.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/customers/{customer}/")
    page.wait_for_selector("table.audit-timeline")
    assert page.locator("table.audit-timeline tbody tr").count() >= 5  # created, screened, three changes
    page.screenshot(path=str(tmp_path / f"customer-{username}.png"), full_page=True)
    assert _wide(page) <= WIDTH, f"the customer page is {_wide(page)} px wide for {username}"
    if ROLES[username] == "auditor":  # the whole trail, on the audit lookup
        page.goto(f"{live_server.url}/audit/objects/customer/{customer}/")
        page.wait_for_selector("table.audit-timeline")
        assert _wide(page) <= WIDTH, f"the audit timeline is {_wide(page)} px wide"
    page.close()
