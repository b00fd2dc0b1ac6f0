"""Verifying, rejecting and waiving documents; the requirements matrix and the checklist gap."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.documents import services
from apps.documents.selectors import document_checklist
from tests.documents import files

pytestmark = pytest.mark.django_db


def upload(customer_id: str, actor: Actor, document_type: str = "passport", **meta: Any) -> str:
    document = services.document_upload(customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="f.pdf",
                                        meta=services.DocumentMeta(document_type=document_type, **meta), actor=actor)
    return document.document_id


def url(customer_id: str, document_id: str, action: str) -> str:
    return f"/api/v1/customers/{customer_id}/documents/{document_id}/{action}"


def test_an_analyst_verifies_a_received_document_and_the_trail_records_who(customer_id: str, analyst: Any,
                                                                             analyst2: Any, client_for: Any) -> None:
    document_id = upload(customer_id, Actor.from_user(analyst))
    response = client_for(analyst2).post(url(customer_id, document_id, "verify"), {"version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "verified"
    assert response.json()["verified_by"] == f"user:{analyst2.pk}"
    events = list(AuditEvent.query(f"document#{document_id}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == ["document.uploaded", "document.verified"]
    assert events[-1].changes["status"] == {"before": "received", "after": "verified"}


def test_a_stale_version_gets_412_and_a_wrong_status_gets_409(customer_id: str, analyst: Any, analyst2: Any,
                                                              client_for: Any) -> None:
    client = client_for(analyst2)
    document_id = upload(customer_id, Actor.from_user(analyst))
    assert client.post(url(customer_id, document_id, "verify"), {"version": 7}, format="json").status_code == 412
    assert client.post(url(customer_id, document_id, "verify")).status_code == 200
    again = client.post(url(customer_id, document_id, "verify"))
    assert (again.status_code, again.json()["code"]) == (409, "invalid_status")
    assert "verified" in again.json()["message"]


def test_reject_and_waive_need_a_reason(customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    document_id = upload(customer_id, Actor.from_user(analyst))
    missing = client.post(url(customer_id, document_id, "reject"), {}, format="json")
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["reason"])
    rejected = client.post(url(customer_id, document_id, "reject"), {"reason": "Photo page is cut off"}, format="json")
    assert (rejected.json()["status"], rejected.json()["status_reason"]) == ("rejected", "Photo page is cut off")
    waived = client.post(url(customer_id, document_id, "waive"), {"reason": "Seen in branch by the manager"},
                         format="json")
    assert waived.json()["status"] == "waived"


def test_an_expired_document_cannot_be_verified(customer_id: str, analyst: Any, analyst2: Any) -> None:
    document_id = upload(customer_id, Actor.from_user(analyst), issue_date=date(2010, 1, 1),
                         expiry_date=date(2020, 1, 1))
    with pytest.raises(services.DocumentRejected, match="expired on 2020-01-01"):
        services.document_verify(customer_id=customer_id, document_id=document_id, actor=Actor.from_user(analyst2))


def test_nobody_verifies_their_own_upload(customer_id: str, analyst: Any, analyst2: Any, client_for: Any) -> None:
    document_id = upload(customer_id, Actor.from_user(analyst))
    own = client_for(analyst).post(url(customer_id, document_id, "verify"))
    assert (own.status_code, own.json()["code"]) == (403, "four_eyes_violation")
    assert "another analyst must verify it" in own.json()["message"]
    other = client_for(analyst2).post(url(customer_id, document_id, "verify"))
    assert (other.status_code, other.json()["status"]) == (200, "verified")


def test_a_reviewer_reads_but_cannot_change_a_document(customer_id: str, analyst: Any, reviewer: Any,
                                                       client_for: Any) -> None:
    document_id = upload(customer_id, Actor.from_user(analyst))
    client = client_for(reviewer)
    assert client.get(f"/api/v1/customers/{customer_id}/documents/{document_id}").status_code == 200
    assert client.post(url(customer_id, document_id, "verify")).status_code == 403


def test_the_checklist_shows_the_gap_between_required_and_verified(make_customer: Callable[..., str],
                                                                   analyst: Any, analyst2: Any,
                                                                   client_for: Any) -> None:
    actor = Actor.from_user(analyst)
    services.requirements_default_load(actor=actor)
    customer_id = make_customer(customer_type="individual", cdd_level="enhanced", jurisdiction="FR")
    client = client_for(analyst)
    checklist = client.get(f"/api/v1/customers/{customer_id}/documents/checklist").json()
    assert checklist["complete"] is False
    assert {i["code"]: i["state"] for i in checklist["items"]} == {
        "identity": "missing", "address": "missing", "source_of_wealth": "missing", "source_of_funds": "missing"}

    passport = upload(customer_id, actor, "national_id_card")
    upload(customer_id, actor, "proof_of_address")
    services.document_verify(customer_id=customer_id, document_id=passport, actor=Actor.from_user(analyst2))
    services.document_request_create(customer_id=customer_id, document_types=["source_of_wealth"],
                                     due_date=date(2099, 1, 1), actor=actor)
    items = {i.code: i for i in document_checklist(customer_id=customer_id)}
    assert (items["identity"].state, items["identity"].satisfied, items["identity"].document_ids) == (
        "verified", True, [passport])
    assert (items["address"].state, items["address"].satisfied) == ("received", False)
    assert items["source_of_wealth"].state == "requested"
    assert items["source_of_funds"].state == "missing"


def test_a_jurisdictions_rule_replaces_the_general_one(make_customer: Callable[..., str], analyst: Any) -> None:
    services.requirements_default_load(actor=Actor.from_user(analyst))
    british = make_customer(customer_type="legal_entity", cdd_level="standard", jurisdiction="GB", name="Acme Ltd")
    german = make_customer(customer_type="legal_entity", cdd_level="standard", jurisdiction="DE", name="Acme GmbH")
    ownership = {c: next(i for i in document_checklist(customer_id=c) if i.code == "ownership")
                 for c in (british, german)}
    assert ownership[british].any_of == ["register_of_psc"]
    assert ownership[german].any_of == ["register_of_shareholders"]


def test_an_analyst_edits_the_matrix_through_the_api_and_a_reviewer_cannot(analyst: Any, reviewer: Any,
                                                                           client_for: Any, aws: None) -> None:
    body = {"customer_type": "individual", "cdd_level": "simplified", "jurisdiction": "*", "code": "identity",
            "label": "Passport only", "any_of": ["passport"]}
    assert client_for(reviewer).post("/api/v1/document-requirements/save", body, format="json").status_code == 403
    created = client_for(analyst).post("/api/v1/document-requirements/save", body, format="json")
    assert created.status_code == 200, created.json()
    assert created.json()["requirement_id"] == "individual.simplified.*.identity"
    stale = client_for(analyst).post("/api/v1/document-requirements/save", {**body, "version": 5}, format="json")
    assert stale.status_code == 412
    bad = client_for(analyst).post("/api/v1/document-requirements/save", {**body, "any_of": ["selfie"]}, format="json")
    assert bad.status_code == 400
    assert "any_of[0]" in bad.json()["errors"] or "any_of.0" in bad.json()["errors"]
    listed = client_for(reviewer).get("/api/v1/document-requirements?customer_type=individual&cdd_level=simplified")
    assert [r["label"] for r in listed.json()] == ["Passport only"]
    deleted = client_for(analyst).post("/api/v1/document-requirements/individual.simplified.*.identity/delete")
    assert deleted.status_code == 204
    assert client_for(reviewer).get("/api/v1/document-requirements").json() == []
    trail = list(AuditEvent.query("document_requirement#individual.simplified.*.identity"))
    assert [e.action for e in trail if e.action] == ["document_requirement.created", "document_requirement.deleted"]


def test_loading_the_defaults_twice_keeps_an_analysts_edit(analyst: Any, aws: None) -> None:
    actor = Actor.from_user(analyst)
    assert services.requirements_default_load(actor=actor) == len(services.DEFAULT_REQUIREMENTS)
    services.requirement_put(spec=services.RequirementSpec("individual", "standard", "*", "address",
                                                           "Utility bill", ["proof_of_address"]), actor=actor)
    assert services.requirements_default_load(actor=actor) == 0
    from apps.documents.models import DocumentRequirement

    assert DocumentRequirement.get("individual#standard", "*#address").label == "Utility bill"
