"""The daily expiry job and its triggers; requests for information, their letter and their reminders."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from pypdf import PdfReader

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core import aws
from apps.documents import services
from apps.documents.models import Document, DocumentRequest, DocumentTrigger
from apps.documents.selectors import document_triggers_open, documents_expiring
from apps.documents.tasks import documents_expire_task
from tests.documents import files

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)


def upload(customer_id: str, actor: Actor, expiry: date | None, document_type: str = "passport") -> Document:
    return services.document_upload(
        customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="p.pdf", actor=actor,
        meta=services.DocumentMeta(document_type=document_type, issue_date=date(2015, 1, 1), expiry_date=expiry))


def test_the_daily_job_expires_what_passed_its_date_once_and_opens_a_trigger(customer_id: str, analyst: Any,
                                                                           analyst2: Any) -> None:
    actor = Actor.from_user(analyst)
    old = upload(customer_id, actor, TODAY - timedelta(days=1))
    verified = upload(customer_id, actor, TODAY - timedelta(days=400))
    services.document_verify(customer_id=customer_id, document_id=verified.document_id, actor=Actor.from_user(analyst2),
                             today=date(2020, 1, 1))
    today_last = upload(customer_id, actor, TODAY)
    undated = upload(customer_id, actor, None, "proof_of_address")

    assert documents_expire_task.run(today=TODAY.isoformat()) == 2
    status = {d.document_id: d.status for d in Document.query(customer_id)}
    assert status == {old.document_id: "expired", verified.document_id: "expired",
                      today_last.document_id: "received", undated.document_id: "received"}
    triggers = document_triggers_open()
    assert sorted(t.document_id for t in triggers) == sorted([old.document_id, verified.document_id])
    assert {t.kind for t in triggers} == {"document.expired"}
    [event] = [e for e in AuditEvent.query(f"document#{old.document_id}") if e.action == "document.expired"]
    assert event.actor["kind"] == "system"
    assert event.changes["status"] == {"before": "received", "after": "expired"}

    assert services.documents_expire(today=TODAY) == 0  # the sparse index no longer holds them
    assert len(document_triggers_open()) == 2
    assert [d.document_id for d in documents_expiring(on_or_before=TODAY)] == [today_last.document_id]


def test_the_reviews_app_acknowledges_a_trigger_and_it_leaves_the_open_queue(customer_id: str, analyst: Any) -> None:
    upload(customer_id, Actor.from_user(analyst), TODAY - timedelta(days=3))
    services.documents_expire(today=TODAY)
    [trigger] = document_triggers_open()
    services.document_trigger_acknowledge(trigger_id=trigger.trigger_id, actor=Actor.system("reviews"))
    assert document_triggers_open() == []
    assert DocumentTrigger.get(trigger.trigger_id).acknowledged_by == "system:reviews"


def test_a_request_names_the_documents_and_due_date_in_text_and_pdf(make_customer: Any, analyst: Any,
                                                                    client_for: Any) -> None:
    customer_id = make_customer(name="Grace Hopper")
    response = client_for(analyst).post(
        f"/api/v1/customers/{customer_id}/documents/requests/create",
        {"document_types": ["passport", "proof_of_address"], "due_date": "2099-03-01", "note": "Thank you."},
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for expected in ("Dear Grace Hopper", "1. Passport", "2. Proof of address", "by 2099-03-01", body["request_id"]):
        assert expected in body["letter_text"]
    documents = {d.document_id: d for d in Document.query(customer_id)}
    assert sorted(documents) == sorted(body["document_ids"])
    assert {d.status for d in documents.values()} == {"requested"}

    link = client_for(analyst).post(
        f"/api/v1/customers/{customer_id}/documents/requests/{body['request_id']}/letter-link")
    assert link.status_code == 200
    request = DocumentRequest.get(customer_id, body["request_id"])
    pdf = aws.client("s3").get_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=request.letter_s3_key)["Body"].read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Passport" in text
    assert "2099-03-01" in text
    from apps.documents.checks import file_check

    assert file_check(stream=io.BytesIO(pdf), max_bytes=10**6).content_type == "application/pdf"  # passes our checks


def test_a_request_due_in_the_past_or_for_unknown_documents_is_refused(customer_id: str, analyst: Any,
                                                                       client_for: Any) -> None:
    response = client_for(analyst).post(f"/api/v1/customers/{customer_id}/documents/requests/create",
                                        {"document_types": ["selfie"], "due_date": "2001-01-01"}, format="json")
    assert response.status_code == 400
    assert "document_types[0]" in response.json()["errors"] or "document_types.0" in response.json()["errors"]
    with pytest.raises(services.ValidationFailed) as caught:
        services.document_request_create(customer_id=customer_id, document_types=["passport"],
                                         due_date=TODAY, actor=Actor.from_user(analyst), today=TODAY)
    assert list(caught.value.errors) == ["due_date"]


def test_reminders_go_out_before_the_due_date_once_each_and_stop_when_fulfilled(
        customer_id: str, analyst: Any, settings: Any) -> None:
    settings.CDD_DOCUMENTS_REMINDER_DAYS = ["7", "1"]
    actor = Actor.from_user(analyst)
    due = TODAY + timedelta(days=10)
    request = services.document_request_create(customer_id=customer_id, document_types=["passport", "source_of_funds"],
                                               due_date=due, actor=actor, today=TODAY)
    assert services.document_requests_remind(today=TODAY) == {"reminded": 0, "fulfilled": 0}
    assert services.document_requests_remind(today=due - timedelta(days=7)) == {"reminded": 1, "fulfilled": 0}
    assert services.document_requests_remind(today=due - timedelta(days=6)) == {"reminded": 0, "fulfilled": 0}

    passport = next(d for d in Document.query(customer_id) if d.document_type == "passport")
    services.document_upload(customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="p.pdf", meta=None,
                             document_id=passport.document_id, actor=actor)
    assert services.document_requests_remind(today=due - timedelta(days=1)) == {"reminded": 1, "fulfilled": 0}
    reminders = DocumentRequest.get(customer_id, request.request_id).reminders
    assert [r["days_before"] for r in reminders] == [7, 1]
    assert reminders[1]["outstanding"] == ["source_of_funds"]
    assert "due in 1 day(s)" in reminders[1]["letter_text"]

    funds = next(d for d in Document.query(customer_id) if d.document_type == "source_of_funds")
    services.document_waive(customer_id=customer_id, document_id=funds.document_id, reason="Salary only", actor=actor)
    assert services.document_requests_remind(today=due - timedelta(days=1)) == {"reminded": 0, "fulfilled": 1}
    assert DocumentRequest.get(customer_id, request.request_id).status == "fulfilled"
    actions = [e.action for e in AuditEvent.query(f"document_request#{request.request_id}") if e.action]
    assert actions == ["document_request.created", "document_request.reminder_sent",
                       "document_request.reminder_sent", "document_request.fulfilled"]
