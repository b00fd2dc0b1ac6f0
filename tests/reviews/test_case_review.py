"""Four-eyes review of cases, enforced in the services and visible in the API and web UI."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, PreconditionFailed, ValidationFailed
from apps.reviews import services
from apps.reviews.selectors import case_queue

pytestmark = pytest.mark.django_db


def _customer(name: str = "Ada Lovelace") -> str:
    """A customer in onboarding whose follow-up work (case, screening) the workers have done."""
    from apps.core.outbox import outbox_drain
    from apps.customers.services import customer_create

    customer = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "individual", "legal_name": name, "date_of_birth": "1984-03-17",
        "nationalities": ["GB"], "country_of_residence": "GB", "status": "onboarding"})
    assert outbox_drain(group_key=customer.customer_id) == {"done": 2, "failed": 0}  # screening, onboarding case
    assert outbox_drain(group_key=customer.customer_id) == {"done": 1, "failed": 0}  # the risk assessment after it
    return customer.customer_id


def _submitted(analyst: Any) -> Any:
    case = services.case_get(case_id=f"onboarding-{_customer()}")
    return services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="All checked")


def test_opening_the_onboarding_case_twice_keeps_one_case(aws: None) -> None:
    first = services.case_open_onboarding(customer_id="cust-1", actor=Actor.system("tests"))
    again = services.case_open_onboarding(customer_id="cust-1", actor=Actor.system("tests"))
    assert first.case_id == again.case_id == "onboarding-cust-1"
    assert [c.case_id for c in case_queue(status="open")] == ["onboarding-cust-1"]


def test_it_refuses_approval_by_the_submitter(aws: None, analyst: Any) -> None:
    from django.contrib.auth.models import Group

    analyst.groups.add(Group.objects.get(name="reviewer"))  # an analyst who is also a reviewer
    case = _submitted(analyst)
    with pytest.raises(FourEyesViolation, match="another reviewer"):
        services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(analyst), rationale="fine")
    assert services.case_get(case_id=case.case_id).status == "submitted"


def test_another_reviewer_approves_with_a_rationale_and_it_is_audited(aws: None, analyst: Any, reviewer: Any) -> None:
    case = _submitted(analyst)
    approved = services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer),
                                     rationale="Screening clear, documents verified")
    assert approved.status == "approved"
    events = list(AuditEvent.query(f"case#{case.case_id}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == ["case.opened", "case.submitted", "case.approved"]
    from apps.customers.selectors import customer_get

    assert customer_get(customer_id=case.customer_id).status == "active"  # the decision decided the customer
    assert events[-1].reason == "Screening clear, documents verified"
    assert events[-1].actor["name"] == reviewer.username


def test_a_decision_needs_a_rationale(aws: None, analyst: Any, reviewer: Any) -> None:
    case = _submitted(analyst)
    with pytest.raises(ValidationFailed) as raised:
        services.case_reject(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="  ")
    assert "rationale" in raised.value.errors


def test_a_high_risk_case_needs_a_senior_reviewer(aws: None, analyst: Any, reviewer: Any,
                                                  senior_reviewer: Any) -> None:
    case = _submitted(analyst)
    case.requires_senior = True
    case.save()
    with pytest.raises(Forbidden, match="senior reviewer"):
        services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="ok")
    decided = services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(senior_reviewer), rationale="ok")
    assert decided.status == "approved"


def test_only_analysts_submit_and_only_open_cases(aws: None, analyst: Any, reviewer: Any) -> None:
    case = services.case_open_onboarding(customer_id="cust-2", actor=Actor.system("tests"))
    with pytest.raises(Forbidden):
        services.case_submit(case_id=case.case_id, analyst=Actor.from_user(reviewer), summary="x")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    with pytest.raises(Conflict):
        services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="again")


def test_a_stale_version_is_refused(aws: None, analyst: Any, reviewer: Any) -> None:
    case = _submitted(analyst)
    with pytest.raises(PreconditionFailed):
        services.case_return(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="need PoA",
                             expected_version=case.version - 1)


def test_the_api_refuses_the_submitter_with_a_four_eyes_error(aws: None, analyst: Any, client_for: Any) -> None:
    from django.contrib.auth.models import Group

    analyst.groups.add(Group.objects.get(name="reviewer"))
    case = services.case_open_onboarding(customer_id="cust-3", actor=Actor.system("tests"))
    client = client_for(analyst)
    submitted = client.post(f"/api/v1/cases/{case.case_id}/submit", {"summary": "done"}, format="json")
    assert submitted.status_code == 200, submitted.json()
    response = client.post(f"/api/v1/cases/{case.case_id}/approve", {"rationale": "ok"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "four_eyes_violation"


def test_an_integration_key_may_read_cases_but_not_decide(aws: None, api: Any) -> None:
    case = services.case_open_onboarding(customer_id="cust-4", actor=Actor.system("tests"))
    assert api.get(f"/api/v1/cases/{case.case_id}").status_code == 200
    assert api.post(f"/api/v1/cases/{case.case_id}/approve", {"rationale": "x"}, format="json").status_code == 403


def test_the_reviewer_decides_on_the_case_page(aws: None, analyst: Any, reviewer: Any) -> None:
    case = _submitted(analyst)
    browser = Client()
    browser.force_login(reviewer)
    queue = browser.get("/cases/?status=submitted")
    assert queue.status_code == 200
    assert case.case_id in queue.content.decode()
    page = browser.get(f"/cases/{case.case_id}/")
    assert "Approve" in page.content.decode()
    response = browser.post(f"/cases/{case.case_id}/approve", {"text": "Looks right", "version": case.version},
                            follow=True)
    assert "Case approve recorded." in response.content.decode()
    assert services.case_get(case_id=case.case_id).status == "approved"


def test_the_submitter_cannot_approve_through_the_page_either(aws: None, analyst: Any) -> None:
    from django.contrib.auth.models import Group

    analyst.groups.add(Group.objects.get(name="reviewer"))
    case = _submitted(analyst)
    browser = Client()
    browser.force_login(analyst)
    response = browser.post(f"/cases/{case.case_id}/approve", {"text": "mine", "version": case.version}, follow=True)
    assert "another reviewer must decide it" in response.content.decode()
    assert services.case_get(case_id=case.case_id).status == "submitted"


def test_an_auditor_can_read_the_queue_but_gets_no_decision_form(aws: None, analyst: Any, auditor: Any) -> None:
    case = _submitted(analyst)
    browser = Client()
    browser.force_login(auditor)
    page = browser.get(f"/cases/{case.case_id}/")
    assert page.status_code == 200
    assert "Approve" not in page.content.decode()
    assert browser.post(f"/cases/{case.case_id}/approve", {"text": "x"}).status_code == 403


def test_analysts_see_the_cases_in_the_admin(aws: None, analyst: Any, settings: Any) -> None:
    services.case_open_onboarding(customer_id="cust-9", actor=Actor.system("tests"))
    browser = Client()
    browser.force_login(analyst)
    index = browser.get("/admin/")
    assert "Cases" in index.content.decode()
    assert "permission to view or edit anything" not in index.content.decode()
    page = browser.get("/admin/domain/cases/?status=open")
    assert page.status_code == 200
    assert "onboarding-cust-9" in page.content.decode()


def test_a_platform_admin_does_not_see_case_pages(aws: None, platform_admin: Any) -> None:
    browser = Client()
    browser.force_login(platform_admin)
    assert browser.get("/admin/domain/cases/").status_code == 403


def test_a_customer_rated_high_risk_after_the_case_opened_needs_a_senior_reviewer(
        aws: None, analyst: Any, reviewer: Any) -> None:
    from apps.customers.services import customer_create, customer_risk_set

    actor = Actor.system("tests")
    customer = customer_create(actor=actor, integration="tests", data={
        "customer_type": "legal_entity", "legal_name": "Harbour Shipping Ltd", "registration_number": "0123",
        "jurisdiction": "GB"})
    from apps.core.outbox import outbox_drain

    outbox_drain(group_key=customer.customer_id)  # the worker's part: the case, the screening
    outbox_drain(group_key=customer.customer_id)  # and the risk assessment that screening asks for
    case = services.case_get(case_id=f"onboarding-{customer.customer_id}")  # recorded with the customer
    assert case.requires_senior is False
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    customer_risk_set(customer_id=customer.customer_id, risk_rating="high", cdd_level="enhanced",
                      next_review_date=None, actor=actor, reason="adverse media")
    with pytest.raises(Forbidden, match="senior reviewer"):
        services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="ok")


def test_the_case_page_shows_the_customers_document_checklist(aws: None, reviewer: Any) -> None:
    from apps.customers.services import customer_create
    from apps.documents.selectors import document_checklist

    customer = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "individual", "legal_name": "Ada Lovelace", "date_of_birth": "1984-03-17",
        "nationalities": ["GB"], "country_of_residence": "GB"})
    from django.core.management import call_command

    from apps.core.outbox import outbox_drain

    outbox_drain(group_key=customer.customer_id)

    call_command("document_requirements_load", verbosity=0)
    expected = document_checklist(customer_id=customer.customer_id)
    assert expected  # the default requirements apply to an individual
    browser = Client()
    browser.force_login(reviewer)
    page = browser.get(f"/cases/onboarding-{customer.customer_id}/").content.decode()
    assert "Document checklist" in page
    for item in expected:
        assert item.label in page
    assert "missing" in page  # nothing has been verified yet


def test_an_approval_survives_the_risk_worker_changing_the_customer_meanwhile(
        aws: None, analyst: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.customers import services as customers
    from apps.customers.selectors import customer_get

    case = _submitted(analyst)
    real = customers.customer_status_decide_write
    moved = []

    def racing(**kwargs: Any) -> Any:
        outcome = real(**kwargs)  # the decision read the customer...
        if not moved:  # ...and the risk worker writes it before the decision commits
            customers.customer_risk_set(customer_id=case.customer_id, risk_rating="medium", cdd_level="standard",
                                        next_review_date=None, actor=Actor.system("risk"), reason="re-rated")
            moved.append(True)
        return outcome

    monkeypatch.setattr(services, "customer_status_decide_write", racing)
    approved = services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    assert approved.status == "approved" and moved
    customer = customer_get(customer_id=case.customer_id)
    assert (customer.status, customer.risk_rating) == ("active", "medium")  # both writes kept
    events = [e.action for e in AuditEvent.query(f"case#{case.case_id}") if e.action]
    assert events.count("case.approved") == 1


def test_the_case_page_says_whether_its_timeline_verifies(aws: None, analyst: Any, reviewer: Any) -> None:
    from apps.audit.services import chain_key

    case = _submitted(analyst)
    browser = Client()
    browser.force_login(reviewer)
    html = browser.get(f"/cases/{case.case_id}/").content.decode()
    assert 'data-verified="true"' in html and "Verified: all 2 events recompute and link" in html
    [first, _] = list(AuditEvent.query(chain_key("case", case.case_id), AuditEvent.sk.startswith("E#")))
    first.reason = "rewritten"  # someone with table access edits the trail
    first.save()
    html = browser.get(f"/cases/{case.case_id}/").content.decode()
    assert 'data-verified="false"' in html and "Not verified" in html
