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
