"""The workplace as each role meets it: its own home and tools, honest error pages, the admin in words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.customers.services import customer_create
from apps.reviews import services as reviews
from tests.customers.conftest import individual_data

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _nav(html: str) -> list[str]:
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    return re.findall(r">([^<>]+)</a>", nav)


def test_each_role_sees_its_own_tools_in_the_header_and_on_its_home(
        aws: None, analyst: Any, reviewer: Any, auditor: Any, platform_admin: Any) -> None:
    homes = {who.username: _signed_in(who).get("/").content.decode()
             for who in (analyst, reviewer, auditor, platform_admin)}
    assert "Open cases" in _nav(homes["ana.analyst"])
    assert "Cases to review" not in _nav(homes["ana.analyst"])
    assert "Cases to review" in _nav(homes["rita.reviewer"])
    assert "Open cases" not in _nav(homes["rita.reviewer"])
    assert "Audit trail" in _nav(homes["audrey.auditor"])
    assert 'href="/audit/"' in homes["audrey.auditor"]  # the auditor's home leads to the trail
    assert "Users and API keys" in _nav(homes["pat.admin"])
    assert not {"Open cases", "Cases to review", "Audit trail"} & set(_nav(homes["pat.admin"]))
    # The search box is for those who may read customers; a platform admin may not.
    assert 'role="search"' in homes["ana.analyst"] and 'role="search"' in homes["audrey.auditor"]
    assert 'role="search"' not in homes["pat.admin"]


def test_a_page_you_may_not_open_says_so_and_is_not_a_missing_page(aws: None, platform_admin: Any,
                                                                    auditor: Any) -> None:
    forbidden = _signed_in(auditor).post("/cases/nope/approve", {"text": "x"})
    assert forbidden.status_code == 403
    text = forbidden.content.decode()
    assert "You are not allowed to open this page" in text and "403" in text
    assert "This page is for analysts, reviewers and senior reviewers." in text
    assert "Not found" not in text
    assert 'href="/static/core/cdd.css"' in text  # styled like every other page

    missing = _signed_in(auditor).get("/cases/nope/")
    assert missing.status_code == 404
    assert "Not found" in missing.content.decode() and "404" in missing.content.decode()
    assert "not allowed" not in missing.content.decode().lower()

    nowhere = _signed_in(auditor).get("/no-such-page/")
    assert nowhere.status_code == 404
    assert "There is no page at /no-such-page/." in nowhere.content.decode()
    assert nowhere["Content-Type"].startswith("text/html")


def test_a_platform_admin_is_not_told_to_ask_a_platform_admin(aws: None, platform_admin: Any) -> None:
    page = _signed_in(platform_admin).get("/cases/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "ask a platform admin" not in text.lower()
    assert "segregation of duties" in text


def test_the_api_keeps_its_json_errors_when_every_service_is_mounted(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.all"
    answer = Client().get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_the_admin_lists_an_analysts_pages_instead_of_saying_there_is_nothing(aws: None, analyst: Any) -> None:
    index = _signed_in(analyst).get("/admin/").content.decode()
    assert "permission to view or edit anything" not in index
    for page in ("Customers", "Cases"):
        assert f">{page}</a>" in index
    sidebar = _signed_in(analyst).get("/admin/domain/cases/").content.decode()
    assert 'id="nav-sidebar"' in sidebar and "permission to view or edit anything" not in sidebar


def test_the_admins_case_links_open_the_reviewer_ui_and_name_the_customer(aws: None, analyst: Any,
                                                                          settings: Any) -> None:
    settings.CDD_WEB_URL = "https://web.cdd.example-bank.com"
    customer = customer_create(actor=Actor.system("tests"), integration="tests",
                               data=individual_data(legal_name="Giulia Rossi"))
    case = reviews.case_open_onboarding(customer_id=customer.customer_id, actor=Actor.system("tests"))
    page = _signed_in(analyst).get("/admin/domain/cases/?status=open").content.decode()
    assert f'href="https://web.cdd.example-bank.com/cases/{case.case_id}/"' in page
    assert "Giulia Rossi" in page


def test_the_admin_customer_page_shows_countries_by_name_and_no_python_values(aws: None, analyst: Any) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=individual_data(
        legal_name="Qasim Farahani", nationalities=["IR", "IQ"], country_of_residence="AE"))
    page = _signed_in(analyst).get(f"/admin/domain/customers/{customer.customer_id}/").content.decode()
    assert "Iran" in page and "Iraq" in page and "United Arab Emirates" in page
    assert "issued by Spain · expires 1 May 2031" in page
    assert "12 Hill Street, London, W1J 5LD, United Kingdom" in page
    assert not re.search(r"\[('|&#x27;)|\[\]|\{('|&#x27;)", page)  # no list or dict reprs
