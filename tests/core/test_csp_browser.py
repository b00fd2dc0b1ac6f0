"""The Content-Security-Policy in a real browser: every page still works and Chromium reports no violation.

Runs with the integration tier (Chromium, as scripts/test_prerequisites.sh installs it), against
Django's live test server with every URLconf mounted (CDD_SERVICE=all).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "a-long-test-password"
_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CDD_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; run scripts/test_prerequisites.sh (make test runs it).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = browser.new_context()
        context.add_init_script(_WATCH)
        page = context.new_page()
        page.console = []  # type: ignore[attr-defined]
        page.on("console", lambda message: page.console.append(message.text))  # type: ignore[attr-defined]
        yield page
        browser.close()


def _violations(page: Any) -> list[str]:
    reported = page.evaluate("window.__csp || []")
    console = [m for m in page.console if "Content Security Policy" in m or "Content-Security-Policy" in m]
    return [*reported, *console]


@pytest.fixture
def people(aws: None, transactional_db: None) -> None:
    """Made before the browser starts: the ORM refuses to run inside Playwright's event loop."""
    from tests.conftest import _persona

    _persona("rita.reviewer", "reviewer")
    _persona("pat.admin", "platform_admin")


def test_the_web_pages_work_under_the_csp(people: None, live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "rita.reviewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor") == "rgb(29, 53, 87)"
    assert _violations(page) == []


def test_the_admin_works_under_the_csp(people: None, live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "pat.admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    before = page.evaluate("document.documentElement.dataset.theme")
    page.click("button.theme-toggle")  # the admin's own scripts (theme.js) run under the policy
    assert page.evaluate("document.documentElement.dataset.theme") != before
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.wait_for_selector("#result_list")
    page.goto(f"{live_server.url}/admin/auth/user/add/")
    page.wait_for_selector("form")
    assert _violations(page) == []


def test_the_swagger_ui_works_under_the_csp(people: None, live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20000)  # the UI loaded the schema and drew its operations
    assert page.locator(".opblock").count() > 10
    assert _violations(page) == []
