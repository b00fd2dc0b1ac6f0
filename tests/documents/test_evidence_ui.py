"""Evidence on the case page: what analysts, reviewers and auditors see and may do, enforced by the services."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.audit.services import chain_key
from apps.core.dynamo import utcnow
from apps.core.errors import Conflict, Forbidden
from apps.customers.services import customer_risk_set
from apps.documents import selectors, services
from apps.documents.models import Document
from apps.reviews import services as reviews
from tests.documents import files
from tests.reviews.support import PLAIN, created

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


@pytest.fixture
def case_id() -> str:
    """An onboarding case of a screened, rated person, with the default requirements loaded."""
    services.requirements_default_load(actor=Actor.system("tests"))
    customer_id = created(PLAIN)
    customer_risk_set(customer_id=customer_id, risk_rating="medium", cdd_level="standard", next_review_date=None,
                      actor=Actor.system("tests"), reason="test set-up")
    codes = {i.code for i in selectors.document_checklist(customer_id=customer_id)}
    assert {"identity", "address"} <= codes, "the plain customer is held to standard due diligence"
    return f"onboarding-{customer_id}"


def _customer(case_id: str) -> str:
    return reviews.case_get(case_id=case_id).customer_id


def _browser(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _page(browser: Client, case_id: str) -> str:
    response = browser.get(f"/cases/{case_id}/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _section(page: str, code: str) -> str:
    """The part of the page about one requirement."""
    start = page.index(f'id="req-{code}"')
    following = page.find('class="req"', start + 1)
    return page[start:following if following != -1 else None]


def _upload(browser: Client, case_id: str, document_type: str = "passport", **fields: Any) -> Any:
    upload = io.BytesIO(files.pdf())
    upload.name = f"{document_type}.pdf"
    return browser.post(f"/evidence/{_customer(case_id)}/upload", {
        "document_type": document_type, "file": upload, "next": f"/cases/{case_id}/", **fields}, follow=True)


def _document(case_id: str, document_type: str) -> Document:
    [document] = [d for d in Document.query(_customer(case_id)) if d.document_type == document_type]
    return document


def _flash(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_an_analyst_uploads_through_the_page_and_a_second_analyst_verifies(
        case_id: str, analyst: Any, analyst2: Any) -> None:
    ana = _browser(analyst)
    response = _upload(ana, case_id, expiry_date=(utcnow().date() + timedelta(days=900)).isoformat())
    assert "passport.pdf uploaded as passport" in _flash(response)
    identity = _section(_page(ana, case_id), "identity")
    assert "uploaded, awaiting verification" in identity and "ana.analyst" in identity
    assert "you uploaded it: another analyst verifies it" in identity
    assert "Verify</button>" not in identity  # the page offers nothing the service would refuse

    passport = _document(case_id, "passport")
    refused = ana.post(f"/evidence/{passport.customer_id}/documents/{passport.document_id}/verify",
                       {"next": f"/cases/{case_id}/"}, follow=True)  # bypassing the page: the service refuses
    assert "You uploaded this file; another analyst must verify it" in _flash(refused)
    assert _document(case_id, "passport").status == "received"

    andy = _browser(analyst2)
    assert "Verify</button>" in _section(_page(andy, case_id), "identity")
    verified = andy.post(f"/evidence/{passport.customer_id}/documents/{passport.document_id}/verify",
                         {"next": f"/cases/{case_id}/", "version": passport.version}, follow=True)
    assert "Document verified." in _flash(verified)
    identity = _section(_page(andy, case_id), "identity")
    assert "state-verified" in identity and "by andy.analyst" in identity


def test_the_upload_goes_through_the_file_checks(case_id: str, analyst: Any) -> None:
    upload = io.BytesIO(files.pdf_with_javascript())
    upload.name = "passport.pdf"
    response = _browser(analyst).post(f"/evidence/{_customer(case_id)}/upload", {
        "document_type": "passport", "file": upload, "next": f"/cases/{case_id}/"}, follow=True)
    assert "active content" in _flash(response).lower() or "javascript" in _flash(response).lower()
    assert not list(Document.query(_customer(case_id)))


def test_while_the_scan_is_pending_the_page_says_so(case_id: str, analyst: Any, settings: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "fake"
    response = _upload(_browser(analyst), case_id)
    assert "awaiting its malware scan" in _flash(response)
    identity = _section(_page(_browser(analyst), case_id), "identity")
    assert "awaiting malware scan" in identity and "after the scan" in identity and "Preview" not in identity


def test_rejecting_needs_a_reason_and_the_page_shows_it(case_id: str, analyst: Any, analyst2: Any) -> None:
    _upload(_browser(analyst), case_id, document_type="proof_of_address")
    bill = _document(case_id, "proof_of_address")
    andy = _browser(analyst2)
    url = f"/evidence/{bill.customer_id}/documents/{bill.document_id}/reject"
    refused = andy.post(url, {"next": f"/cases/{case_id}/", "reason": ""}, follow=True)
    assert "Give a reason" in _flash(refused)
    assert _document(case_id, "proof_of_address").status == "received"
    andy.post(url, {"next": f"/cases/{case_id}/", "reason": "The bill is older than three months"})
    address = _section(_page(andy, case_id), "address")
    assert "state-rejected" in address and "Rejected: The bill is older than three months" in address


def test_a_missing_item_blocks_submission_with_its_name_and_the_page_says_why_first(
        case_id: str, analyst: Any) -> None:
    page = _page(_browser(analyst), case_id)
    assert "The case cannot be submitted yet." in page and "Missing: proof of address, proof of identity" in page
    with pytest.raises(Conflict, match="Missing: proof of address, proof of identity — upload them or record a "
                                       "waiver") as refusal:
        reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="all checked")
    assert refusal.value.code == "documents_missing"
    response = _browser(analyst).post(f"/cases/{case_id}/submit", {"text": "all checked"}, follow=True)
    assert "Missing: proof of address, proof of identity" in _flash(response)
    assert reviews.case_get(case_id=case_id).status == "open"


def test_an_uploaded_but_unverified_document_still_blocks_submission(case_id: str, analyst: Any) -> None:
    _upload(_browser(analyst), case_id)
    with pytest.raises(Conflict, match=r"proof of identity \(uploaded, not verified yet\)"):
        reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="all checked")


def test_a_waiver_is_recorded_audited_shown_and_lets_submission_through(
        case_id: str, analyst: Any, analyst2: Any, reviewer: Any) -> None:
    customer_id = _customer(case_id)
    _upload(_browser(analyst), case_id)
    passport = _document(case_id, "passport")
    services.document_verify(customer_id=customer_id, document_id=passport.document_id,
                             actor=Actor.from_user(analyst2))
    ana = _browser(analyst)
    url = f"/evidence/{customer_id}/requirements/address"
    assert "Give a reason" in _flash(ana.post(f"{url}/waive", {"reason": " ", "next": f"/cases/{case_id}/"},
                                              follow=True))
    ana.post(f"{url}/waive", {"reason": "Lives at the branch's own staff address, known to us",
                              "next": f"/cases/{case_id}/"})
    address = _section(_page(_browser(reviewer), case_id), "address")
    assert "state-waived" in address and "Waived by <strong>ana.analyst</strong>" in address
    assert "Lives at the branch&#x27;s own staff address, known to us" in address
    events = [e for e in audit_chain_events(chain=chain_key("customer", customer_id))
              if e.action.startswith("document_requirement.")]
    assert [(e.action, e.actor["name"], e.reason) for e in events] == [
        ("document_requirement.waived", "ana.analyst", "Lives at the branch's own staff address, known to us")]
    assert audit_chain_events(chain=chain_key("document_waiver", f"{customer_id}.address"))

    submitted = reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="address waived")
    assert submitted.status == "submitted"


def test_a_withdrawn_waiver_blocks_again_and_is_audited(case_id: str, analyst: Any) -> None:
    customer_id = _customer(case_id)
    actor = Actor.from_user(analyst)
    for code in ("identity", "address"):
        services.requirement_waive(customer_id=customer_id, code=code, reason="test set-up", actor=actor)
    with pytest.raises(Conflict, match="waived already"):
        services.requirement_waive(customer_id=customer_id, code="address", reason="again", actor=actor)
    _browser(analyst).post(f"/evidence/{customer_id}/requirements/address/withdraw",
                           {"reason": "The customer moved; we need a current bill", "next": f"/cases/{case_id}/"})
    address = _section(_page(_browser(analyst), case_id), "address")
    assert "state-missing" in address and "Waive this requirement" in address
    actions = [e.action for e in audit_chain_events(chain=chain_key("customer", customer_id))]
    assert actions[-1] == "document_requirement.waiver_withdrawn"
    with pytest.raises(Conflict, match="Missing: proof of address"):
        reviews.case_submit(case_id=case_id, analyst=actor, summary="x")


def test_requesting_a_missing_document_shows_requested_on(case_id: str, analyst: Any) -> None:
    due = utcnow().date() + timedelta(days=10)
    response = _browser(analyst).post(f"/evidence/{_customer(case_id)}/request", {
        "document_types": "proof_of_address", "due_date": due.isoformat(), "next": f"/cases/{case_id}/"},
        follow=True)
    assert "Requested proof of address" in _flash(response)
    address = _section(_page(_browser(analyst), case_id), "address")
    assert f"Requested on {utcnow().date():%-d %B %Y}, due by {due:%-d %B %Y}" in address
    assert "state-requested" in address
    [request] = selectors.document_request_list(customer_id=_customer(case_id))
    assert audit_chain_events(chain=chain_key("document_request", request.request_id))[0].action == \
        "document_request.created"


def test_a_verified_document_expiring_soon_is_shown(case_id: str, analyst: Any, analyst2: Any,
                                                    settings: Any) -> None:
    settings.CDD_DOCUMENTS_EXPIRING_DAYS = 30
    soon = utcnow().date() + timedelta(days=12)
    _upload(_browser(analyst), case_id, expiry_date=soon.isoformat())
    passport = _document(case_id, "passport")
    services.document_verify(customer_id=passport.customer_id, document_id=passport.document_id,
                             actor=Actor.from_user(analyst2))
    identity = _section(_page(_browser(analyst2), case_id), "identity")
    assert f"Expires on {soon:%-d %B %Y} — in 12 days" in identity


def test_a_reviewer_reads_the_evidence_but_cannot_upload_verify_or_waive(
        case_id: str, analyst: Any, reviewer: Any) -> None:
    _upload(_browser(analyst), case_id)
    passport = _document(case_id, "passport")
    rita = _browser(reviewer)
    identity = _section(_page(rita, case_id), "identity")
    assert "passport.pdf" in identity and "Preview" in identity
    assert "Upload proof" not in identity and "Verify" not in identity and "Waive" not in identity
    customer_id = passport.customer_id
    upload = io.BytesIO(files.pdf())
    upload.name = "p.pdf"
    assert rita.post(f"/evidence/{customer_id}/upload", {"document_type": "passport", "file": upload}).status_code == 403
    assert rita.post(f"/evidence/{customer_id}/documents/{passport.document_id}/verify").status_code == 403
    assert rita.post(f"/evidence/{customer_id}/requirements/address/waive", {"reason": "x" * 9}).status_code == 403
    assert rita.post(f"/evidence/{customer_id}/request", {"document_types": "passport"}).status_code == 403
    assert _document(case_id, "passport").status == "received"
    with pytest.raises(Forbidden):  # the service refuses a waiver by anyone but an analyst, too
        services.requirement_waive(customer_id=customer_id, code="address", reason="not needed",
                                   actor=Actor.from_user(reviewer))


def test_reviewers_and_auditors_open_a_preview_through_a_short_lived_audited_link(
        case_id: str, analyst: Any, reviewer: Any, auditor: Any, platform_admin: Any) -> None:
    _upload(_browser(analyst), case_id)
    passport = _document(case_id, "passport")
    url = f"/evidence/{passport.customer_id}/documents/{passport.document_id}/preview?next=/cases/{case_id}/"
    for user in (reviewer, auditor):
        response = _browser(user).get(url)
        assert response.status_code == 200
        page = response.content.decode()
        link = re.search(r'<iframe class="preview-frame" src="([^"]+)"', page)
        assert link, "the PDF is shown in the page"
        src = link.group(1).replace("&amp;", "&")
        assert "X-Amz-Expires=300" in src and "response-content-disposition=inline" in src
        origin = "/".join(src.split("/")[:3])
        assert f"frame-src {origin}" in response["Content-Security-Policy"]
    previews = [e for e in audit_chain_events(chain=chain_key("document", passport.document_id))
                if e.action == "document.previewed"]
    assert [e.actor["name"] for e in previews] == ["rita.reviewer", "audrey.auditor"]
    assert _browser(platform_admin).get(url).status_code == 403


def test_nobody_waives_a_requirement_the_customer_does_not_have(case_id: str, analyst: Any) -> None:
    from apps.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="not a requirement"):
        services.requirement_waive(customer_id=_customer(case_id), code="financials", reason="n/a",
                                   actor=Actor.from_user(analyst))

