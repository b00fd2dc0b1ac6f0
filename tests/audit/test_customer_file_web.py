"""The customer file from the customer page: the button, the result page, who may, and bad input."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.audit.services import chain_key
from apps.customers.services import customer_create
from tests.audit.test_customer_file import ENTITY
from tests.reviews.support import settle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]
BUTTON = "Export the customer file"


@pytest.fixture
def customer_id() -> str:
    cid = customer_create(actor=Actor.system("tests"), integration="tests", data=ENTITY).customer_id
    settle(cid)
    return cid


@pytest.fixture
def web_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client
    return make


def _csrf(client: Client, customer_id: str) -> str:
    page = client.get(reverse("customer-page", args=[customer_id]))
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found, "the customer page carries a CSRF token"
    return found.group(1)


def test_an_auditor_exports_from_the_customer_page_and_downloads_the_zip(
        customer_id: str, auditor: User, web_for: Callable[[User], Client]) -> None:
    import requests

    client = web_for(auditor)
    page = client.get(reverse("customer-page", args=[customer_id])).content.decode()
    assert BUTTON in page and 'name="with_files"' in page
    response = client.post(reverse("customer-file-export", args=[customer_id]),
                           {"with_files": "true", "csrfmiddlewaretoken": _csrf(client, customer_id)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Customer file of Northwind Trading Ltd" in html and "How to check it" in html
    records = re.findall(r"<tr><td>([^<]+)</td><td>\d+</td>", html)  # the audit chains, by what they are a record of
    assert records[0] == "Customer: Northwind Trading Ltd", records  # the customer's own record comes first
    event = audit_chain_events(chain=chain_key("customer", customer_id))[-1]
    assert (event.action, event.actor["name"], event.data["with_files"]) == (
        "customer.file_exported", "audrey.auditor", True)
    assert f'id="manifest-sha256">{event.data["manifest_sha256"]}<' in html
    assert f'id="archive-sha256">{event.data["archive_sha256"]}<' in html
    assert f"customer_file_verify {event.data['key'].rsplit('/', 1)[-1]} --expect {event.data['manifest_sha256']}" \
        in html
    assert "works for 5 minutes" in html
    url = re.search(r'class="download" href="([^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    downloaded = requests.get(url, timeout=30)
    assert downloaded.status_code == 200
    with zipfile.ZipFile(io.BytesIO(downloaded.content)) as zf:
        assert zf.read("manifest.sha256").decode().split()[0] == event.data["manifest_sha256"]


def test_a_senior_reviewer_sees_the_button_and_withheld_files_are_said_why(
        customer_id: str, senior_reviewer: User, analyst: User, web_for: Callable[[User], Client]) -> None:
    from apps.documents import services as documents
    from tests.documents import files

    documents.document_upload(customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="register.pdf",
                              meta=documents.DocumentMeta(document_type="register_of_shareholders"),
                              actor=Actor.from_user(analyst))
    client = web_for(senior_reviewer)
    response = client.post(reverse("customer-file-export", args=[customer_id]),
                           {"csrfmiddlewaretoken": _csrf(client, customer_id)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "without document files" in html and "Files not included, and why" in html
    assert "files were not asked for" in html


def test_an_analyst_or_a_reviewer_sees_no_button_and_is_refused(
        customer_id: str, analyst: User, reviewer: User, web_for: Callable[[User], Client]) -> None:
    for user in (analyst, reviewer):
        client = web_for(user)
        assert BUTTON not in client.get(reverse("customer-page", args=[customer_id])).content.decode()
        refused = client.post(reverse("customer-file-export", args=[customer_id]),
                              {"csrfmiddlewaretoken": _csrf(client, customer_id)})
        assert refused.status_code == 403
        assert "This page is for auditors and senior reviewers" in refused.content.decode()
    assert not [e for e in audit_chain_events(chain=chain_key("customer", customer_id))
                if e.action == "customer.file_exported"]


def test_bad_input_gets_a_400_page_naming_the_field(
        customer_id: str, auditor: User, web_for: Callable[[User], Client]) -> None:
    client = web_for(auditor)
    token = _csrf(client, customer_id)
    url = reverse("customer-file-export", args=[customer_id])
    for value in ("yes", ["true", "false"]):
        bad = client.post(url, {"with_files": value, "csrfmiddlewaretoken": token})
        assert bad.status_code == 400
        assert "with_files:" in bad.content.decode() and "Northwind Trading Ltd" in bad.content.decode()
    missing = client.post(reverse("customer-file-export", args=["cus_01NOSUCHCUSTOMER0000000000"]),
                          {"csrfmiddlewaretoken": token})
    assert missing.status_code == 404
    assert client.get(url).status_code == 405
    without_token = web_for(auditor).post(url, {})
    assert without_token.status_code == 403


def test_the_api_takes_a_session_caller_with_the_csrf_header(
        customer_id: str, auditor: User, web_for: Callable[[User], Client]) -> None:
    client = web_for(auditor)
    _csrf(client, customer_id)  # the page sets the csrftoken cookie
    url = f"/api/v1/customers/{customer_id}/file"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    token = client.cookies["csrftoken"].value
    ok = client.post(url, {}, content_type="application/json", headers={"X-CSRFToken": token})
    assert ok.status_code == 201, ok.content
