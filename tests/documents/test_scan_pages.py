"""What reviewers and analysts see of a document's malware scan on the case page and in the admin."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.core.outbox import outbox_drain
from apps.documents import services
from apps.reviews.services import case_open_onboarding
from tests.documents import corpus, files

pytestmark = pytest.mark.django_db


def _case_page(customer_id: str, user: Any) -> str:
    case = case_open_onboarding(customer_id=customer_id, actor=Actor.system("tests"))
    browser = Client()
    browser.force_login(user)
    page = browser.get(f"/cases/{case.case_id}/")
    assert page.status_code == 200
    return page.content.decode()


def _passport(customer_id: str, analyst: Any, data: bytes) -> None:
    services.requirements_default_load(actor=Actor.system("tests"))
    services.document_upload(customer_id=customer_id, file=io.BytesIO(data), filename="passport.pdf",
                             meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))


def test_the_case_page_says_a_document_awaits_its_scan_then_that_malware_was_found(
        settings: Any, customer_id: str, analyst: Any, reviewer: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "fake"
    _passport(customer_id, analyst, corpus.eicar_in_pdf_metadata())
    assert "awaiting malware scan" in _case_page(customer_id, reviewer)
    outbox_drain(group_key=customer_id)
    assert "refused: malware found" in _case_page(customer_id, reviewer)


def test_the_case_page_says_plainly_when_a_document_was_not_scanned(
        settings: Any, customer_id: str, analyst: Any, reviewer: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "none"
    _passport(customer_id, analyst, files.pdf())
    assert "not scanned for malware" in _case_page(customer_id, reviewer)


def test_the_admin_customer_page_shows_the_scan_state_of_the_checklist(
        settings: Any, customer_id: str, analyst: Any, platform_admin: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "fake"
    _passport(customer_id, analyst, files.pdf())
    from apps.documents.selectors import document_checklist

    [identity] = [item for item in document_checklist(customer_id=customer_id) if item.code == "identity"]
    assert identity.state_label == "awaiting malware scan"
    assert not identity.satisfied
