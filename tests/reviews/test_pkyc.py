"""Perpetual KYC: beat opens periodic reviews when they fall due, reminds and escalates; events about a customer in
a relationship open trigger reviews; approving a review sets the next review date from the rating."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import Forbidden
from apps.customers.selectors import customer_get
from apps.customers.services import customer_create, customer_update
from apps.documents import services as documents
from apps.reviews import pkyc
from apps.reviews import services as reviews
from apps.reviews.models import Case
from apps.reviews.risk.selectors import risk_view
from apps.reviews.tasks import periodic_task
from tests.documents import files
from tests.reviews.support import PLAIN, settle, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

def active_customer(analyst: Any, reviewer: Any, **data: Any) -> str:
    """A customer screened, rated and approved: in a relationship."""
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data={**PLAIN, **data})
    settle(customer.customer_id)
    case_id = f"onboarding-{customer.customer_id}"
    reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="checked")
    reviews.case_approve(case_id=case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    return customer.customer_id


def cases_of(customer_id: str, kind: str) -> list[Case]:
    return [c for c in Case.by_customer.query(customer_id) if c.kind == kind]


def test_approving_onboarding_starts_the_review_cycle_of_the_rating(analyst: Any, reviewer: Any) -> None:
    customer = customer_get(customer_id=active_customer(analyst, reviewer))
    assert (customer.status, customer.risk_rating) == ("active", "low")
    assert customer.last_review_date == today().isoformat()
    assert customer.next_review_date == (today() + timedelta(days=round(365.25 * 5))).isoformat()


def test_beat_opens_a_periodic_review_for_a_customer_due_today_once(analyst: Any, reviewer: Any) -> None:
    due_today = active_customer(analyst, reviewer)
    later = active_customer(analyst, reviewer, legal_name="Oskar Lindqvist-Berg")
    due_on = date.fromisoformat(customer_get(customer_id=due_today).next_review_date)
    customer = customer_get(customer_id=later)
    customer_update(customer_id=later, expected_version=customer.version, actor=Actor.system("tests"),
                    changes={"next_review_date": (due_on + timedelta(days=200)).isoformat()})
    result = periodic_task.run(today=due_on.isoformat())  # beat, on the day the first review falls due
    assert (result["opened"], cases_of(later, "periodic_review")) == (1, [])
    [case] = cases_of(due_today, "periodic_review")
    assert case.status == "open" and "Harriet Quennell-Abernathy" in case.title
    assert case.due_date == customer_get(customer_id=due_today).next_review_date
    again = periodic_task.run(today=case.due_date)
    assert again["opened"] == 0 and len(cases_of(due_today, "periodic_review")) == 1


def test_an_open_review_is_reminded_before_and_escalated_after_its_due_date(
        analyst: Any, reviewer: Any, senior_reviewer: Any) -> None:
    customer_id = active_customer(analyst, reviewer)
    due = date.fromisoformat(customer_get(customer_id=customer_id).next_review_date)
    pkyc.periodic_reviews_open(today=due - timedelta(days=20))
    [case] = cases_of(customer_id, "periodic_review")
    assert pkyc.periodic_reviews_chase(today=due - timedelta(days=10))["reminded"] == 1
    assert pkyc.periodic_reviews_chase(today=due - timedelta(days=9))["reminded"] == 0  # once per reminder
    assert pkyc.periodic_reviews_chase(today=due + timedelta(days=1))["escalated"] == 1
    actions = [e.action for e in AuditEvent.query(f"case#{case.case_id}")]
    assert actions.count("case.reminder") == 1 and actions.count("case.escalated") == 1
    reviews.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="reviewed")
    with pytest.raises(Forbidden, match="overdue"):
        reviews.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    reviews.case_approve(case_id=case.case_id, reviewer=Actor.from_user(senior_reviewer), rationale="fine")
    customer = customer_get(customer_id=customer_id)
    assert customer.last_review_date == today().isoformat()
    assert customer.next_review_date == (today() + timedelta(days=round(365.25 * 5))).isoformat()


def test_an_expired_document_opens_a_trigger_review_and_a_second_event_joins_it(
        analyst: Any, reviewer: Any) -> None:
    customer_id = active_customer(analyst, reviewer)
    actor = Actor.from_user(analyst)
    for days in (10, 20):
        documents.document_upload(
            customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="p.pdf", actor=actor,
            meta=documents.DocumentMeta(document_type="passport", issue_date=date(2015, 1, 1),
                                        expiry_date=today() + timedelta(days=days)))
    documents.documents_expire(today=today() + timedelta(days=11))
    settle(customer_id)
    [case] = cases_of(customer_id, "trigger")
    assert case.title == "Trigger review of Harriet Quennell-Abernathy: document expired"
    assert [t["event"] for t in case.triggers] == ["document.expired"]
    documents.documents_expire(today=today() + timedelta(days=21))
    settle(customer_id)
    [case] = cases_of(customer_id, "trigger")
    # Two expired documents also raise the rating (low to medium): that event joins the same review.
    assert sorted(t["event"] for t in case.triggers) == ["document.expired", "document.expired",
                                                         "risk.rating_raised"]
    factor = next(f for f in risk_view(customer_id)["factors"] if f["factor"] == "documents")
    assert factor["value"] == {"expired": 2}


def test_an_event_redelivered_after_its_trigger_review_was_decided_opens_no_second_review(
        analyst: Any, reviewer: Any) -> None:
    from apps.core.outbox import outbox_for_group

    customer_id = active_customer(analyst, reviewer)
    for status in ("dormant", "active", "dormant", "active"):  # two reactivations: the second joins the review
        customer = customer_get(customer_id=customer_id)
        customer_update(customer_id=customer_id, expected_version=customer.version, actor=Actor.from_user(analyst),
                        changes={"status": status})
        settle(customer_id)
    [case] = cases_of(customer_id, "trigger")
    joined = [i for i in outbox_for_group(group_key=customer_id, pending_only=False)
              if i.topic == "reviews.trigger_case" and f"trigger-{i.outbox_id}" != case.case_id]
    assert len(joined) == 1 and joined[0].outbox_id in [t["ref"] for t in case.triggers]
    reviews.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="reactivations explained")
    reviews.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    # The worker that added the second event was killed before it marked its item done: it comes again.
    outcome = pkyc.trigger_case_process(item=joined[0])
    assert outcome.get("replayed") is True
    assert [c.case_id for c in cases_of(customer_id, "trigger")] == [case.case_id]


def test_a_reactivated_dormant_customer_gets_a_trigger_review(analyst: Any, reviewer: Any) -> None:
    customer_id = active_customer(analyst, reviewer)
    for status in ("dormant", "active"):
        customer = customer_get(customer_id=customer_id)
        customer_update(customer_id=customer_id, expected_version=customer.version, actor=Actor.from_user(analyst),
                        changes={"status": status})
        settle(customer_id)
    [case] = cases_of(customer_id, "trigger")
    assert case.triggers[0]["event"] == "customer.reactivated"


def test_a_rating_raised_for_an_active_customer_opens_a_trigger_review(analyst: Any, reviewer: Any) -> None:
    customer_id = active_customer(analyst, reviewer)
    customer = customer_get(customer_id=customer_id)
    customer_update(customer_id=customer_id, expected_version=customer.version, actor=Actor.from_user(analyst),
                    changes={"country_of_residence": "IR"})
    settle(customer_id)
    assert customer_get(customer_id=customer_id).risk_rating == "high"
    [case] = cases_of(customer_id, "trigger")
    assert case.triggers[0]["event"] == "risk.rating_raised"
    assert "from low to high" in case.triggers[0]["reason"]


def test_the_operators_command_opens_due_reviews_and_says_what_it_did(analyst: Any, reviewer: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    customer_id = active_customer(analyst, reviewer)
    due = customer_get(customer_id=customer_id).next_review_date
    out = StringIO()
    call_command("periodic_reviews", "--today", due, stdout=out)
    assert out.getvalue().startswith("1 periodic review(s) opened (0 already open")
    with pytest.raises(CommandError, match="not a date"):
        call_command("periodic_reviews", "--today", "tomorrow")
