"""The work queue as people use it: whose case it is, filters, due dates and breaches, assignment, my work, notes,
and a senior-reviewer flag that says what the decision rules enforce."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.audit.services import chain_key
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, PreconditionFailed, ValidationFailed
from apps.customers.services import customer_risk_set
from apps.reviews import services
from apps.reviews.models import Case
from apps.reviews.selectors import case_notes_of
from tests.reviews.support import PLAIN, created, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

SYSTEM = Actor.system("tests")


def _case(name: str, **extra: Any) -> Case:
    return services.case_get(case_id=f"onboarding-{created({**PLAIN, 'legal_name': name, **extra})}")


def _page(user: Any, url: str) -> str:
    browser = Client()
    browser.force_login(user)
    response = browser.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _post(user: Any, url: str, data: dict[str, Any]) -> str:
    browser = Client()
    browser.force_login(user)
    return browser.post(url, data, follow=True).content.decode()


def _rated(case: Case, rating: str, cdd_level: str = "standard") -> None:
    customer_risk_set(customer_id=case.customer_id, risk_rating=rating, cdd_level=cdd_level, next_review_date=None,
                      actor=SYSTEM, reason="tests")


def _due(case: Case, days_from_today: int) -> Case:
    fresh = services.case_get(case_id=case.case_id)
    fresh.due_date = (today() + timedelta(days=days_from_today)).isoformat()
    fresh.due_key = f"{fresh.due_date}#{fresh.case_id}"
    fresh.save()
    return fresh


def _events(case: Case) -> list[Any]:
    return audit_chain_events(chain=chain_key("case", case.case_id))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- whose case it is -------------------------------------------------------------------------------------------

def test_a_new_case_is_titled_with_its_customers_name(analyst: Any) -> None:
    case = _case("Qasem Soleimani", date_of_birth="1957-03-11", nationalities=["IR"], country_of_residence="IR")
    assert case.title == "Onboarding due diligence — Qasem Soleimani"
    assert "Onboarding due diligence — Qasem Soleimani" in _page(analyst, "/cases/?status=open")
    assert "<h1>Onboarding due diligence — Qasem Soleimani</h1>" in _page(analyst, f"/cases/{case.case_id}/")


def test_a_case_titled_before_names_were_shown_is_named_from_the_customer(analyst: Any) -> None:
    case = _case("Marco Rossi")
    case.title = "Onboarding due diligence"  # as the store holds cases opened before
    case.save()
    queue = _page(analyst, "/cases/?status=open")
    assert "Onboarding due diligence — Marco Rossi" in queue
    assert ">Onboarding due diligence</a>" not in queue


def test_the_case_page_links_to_the_customer_and_shows_its_essentials(reviewer: Any) -> None:
    case = _case("Giulia Bianchi", country_of_residence="IT")
    html = _page(reviewer, f"/cases/{case.case_id}/")
    head = html[html.index('id="case-customer"'):html.index('id="case-senior"')]
    assert f'href="/customers/{case.customer_id}/"' in head
    text = _text(head)
    for seen in ("Giulia Bianchi", "Type Individual", "Status onboarding", "Risk low", "CDD level",
                 "Country of residence Italy"):
        assert seen in text, seen


# --- due dates and breaches -------------------------------------------------------------------------------------

def test_a_case_is_due_by_the_service_level_of_its_kind_and_rating(settings: Any) -> None:
    onboarding = _case("Harriet Quennell-Abernathy")
    assert onboarding.due_date == (today() + timedelta(days=settings.CDD_CASE_SLA_DAYS["onboarding"]["unrated"])
                                   ).isoformat()
    _rated(onboarding, "high", "enhanced")
    settings.CDD_CASE_SLA_DAYS = {**settings.CDD_CASE_SLA_DAYS, "trigger": {"high": 3, "unrated": 15}}
    trigger = services.case_open(customer_id=onboarding.customer_id, kind="trigger", actor=SYSTEM, title="t")
    assert trigger.due_date == (today() + timedelta(days=3)).isoformat()


def test_a_breached_case_shows_overdue_and_comes_first(analyst: Any) -> None:
    on_time = _due(_case("Harriet Quennell-Abernathy"), 5)
    late = _due(_case("Marco Rossi"), -3)
    queue = _page(analyst, "/cases/?status=open")
    assert queue.index("Marco Rossi") < queue.index("Harriet Quennell-Abernathy")  # soonest due first
    row = queue[queue.index("Marco Rossi"):queue.index("Harriet Quennell-Abernathy")]
    assert "overdue by 3 days" in row
    assert "5 days left" in queue
    assert 'class="overdue"' in row
    assert "overdue by 3 days" in _page(analyst, f"/cases/{late.case_id}/")
    assert "overdue" not in _text(_page(analyst, f"/cases/{on_time.case_id}/")).split("Needs a senior")[1][:200]


def test_cases_opened_before_due_dates_get_one_from_the_backfill(analyst: Any) -> None:
    case = _case("Old Timer")
    case.due_date = None
    case.due_key = None
    case.save()
    assert "Old Timer" not in _page(analyst, "/cases/?status=open")
    assert services.cases_due_backfill(actor=SYSTEM) == {"set": 1, "already": 0, "changed_meanwhile": 0}
    assert "Old Timer" in _page(analyst, "/cases/?status=open")
    assert _events(case)[-1].action == "case.due_date_set"
    assert services.cases_due_backfill(actor=SYSTEM)["set"] == 0


# --- filters ----------------------------------------------------------------------------------------------------

def test_filters_narrow_the_queue(analyst: Any) -> None:
    plain = _case("Harriet Quennell-Abernathy")
    risky = _case("Marco Rossi")
    _rated(risky, "high", "enhanced")
    old = _case("Ivan Petrov")
    stored = services.case_get(case_id=old.case_id)
    stored.created_at = stored.created_at - timedelta(days=40)
    stored.save()
    trigger = services.case_open(customer_id=plain.customer_id, kind="trigger", actor=SYSTEM,
                                 title="Trigger review of Harriet Quennell-Abernathy: ownership changed")

    def names(query: str) -> set[str]:
        html = _page(analyst, f"/cases/?status=open&{query}")
        return {n for n in ("Harriet", "Marco Rossi", "Ivan Petrov") if n in html}

    assert names("") == {"Harriet", "Marco Rossi", "Ivan Petrov"}
    assert names("risk=high") == {"Marco Rossi"}
    assert names("risk=low") == {"Harriet", "Ivan Petrov"}
    assert names("age=30") == {"Ivan Petrov"}
    assert names("alerts=yes") == set()
    assert names("alerts=no") == {"Harriet", "Marco Rossi", "Ivan Petrov"}
    html = _page(analyst, "/cases/?status=open&kind=trigger")
    assert f"/cases/{trigger.case_id}/" in html and f"/cases/{plain.case_id}/" not in html
    assert "Trigger review — Harriet Quennell-Abernathy" in html
    assert names("kind=trigger&risk=high") == set()


def test_a_filter_it_cannot_use_is_named_and_refused(analyst: Any) -> None:
    browser = Client()
    browser.force_login(analyst)
    response = browser.get("/cases/?status=open&age=soon&risk=scary")
    assert response.status_code == 400
    html = response.content.decode()
    assert "age: &#x27;soon&#x27; is not a number of days" in html
    assert "risk: &#x27;scary&#x27; is not a risk rating" in html


# --- assignment -------------------------------------------------------------------------------------------------

def test_claim_hand_over_and_unassign_are_audited_with_names(analyst: Any, analyst2: Any, senior_reviewer: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    html = _post(analyst, f"/cases/{case.case_id}/claim", {"version": case.version})
    assert "You are working this case now" in html
    assert "ana.analyst (you)" in _text(html)
    assert "ana.analyst" in _page(analyst, "/cases/?status=open")  # the queue shows who has it
    html = _post(analyst, f"/cases/{case.case_id}/hand_over",
                 {"to": analyst2.pk, "reason": "I am away tomorrow"})
    assert "Handed over to andy.analyst." in html
    assert "Assigned to andy.analyst" in _text(html)
    html = _post(senior_reviewer, f"/cases/{case.case_id}/unassign", {"reason": "rebalancing"})
    assert "The case is unassigned" in html and "Assigned to nobody" in _text(html)
    events = [(e.action, e.actor["name"], e.reason, (e.data or {}).get("to")) for e in _events(case)[1:]]
    assert events == [("case.claimed", "ana.analyst", None, "ana.analyst"),
                      ("case.handed_over", "ana.analyst", "I am away tomorrow", "andy.analyst"),
                      ("case.unassigned", "sam.senior", "rebalancing", None)]
    assert "case.handed_over" in html  # in the timeline


def test_claiming_with_a_stale_version_is_refused(analyst: Any, analyst2: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst2))
    services.case_unassign(case_id=case.case_id, actor=Actor.from_user(analyst2))
    with pytest.raises(PreconditionFailed):
        services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst), expected_version=case.version)


def test_who_may_claim_what(analyst: Any, analyst2: Any, reviewer: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    with pytest.raises(Forbidden, match="analysts work open cases"):
        services.case_claim(case_id=case.case_id, actor=Actor.from_user(reviewer))
    services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst))
    with pytest.raises(Conflict, match=r"assigned to ana\.analyst"):
        services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst2))
    with pytest.raises(Conflict, match="only they can submit"):
        services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="done")
    submitted = services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    assert submitted.assignee is None  # submitting ends the analyst's part
    with pytest.raises(Forbidden, match="reviewers take submitted cases"):
        services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst2))
    assert services.case_claim(case_id=case.case_id, actor=Actor.from_user(reviewer)).assignee_name == "rita.reviewer"


def test_my_work_lists_only_my_cases(analyst: Any, analyst2: Any) -> None:
    mine = _case("Harriet Quennell-Abernathy")
    theirs = _case("Marco Rossi")
    _case("Ivan Petrov")  # nobody's
    services.case_claim(case_id=mine.case_id, actor=Actor.from_user(analyst))
    services.case_claim(case_id=theirs.case_id, actor=Actor.from_user(analyst2))
    html = _page(analyst, "/my-work/")
    assert "<h1>My work</h1>" in html
    assert "Harriet Quennell-Abernathy" in html
    assert "Marco Rossi" not in html and "Ivan Petrov" not in html
    assert "Marco Rossi" in _page(analyst2, "/my-work/")


def test_handing_over_to_someone_ineligible_or_to_a_preparer_is_refused(
        analyst: Any, analyst2: Any, reviewer: Any, senior_reviewer: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst))
    html = _post(analyst, f"/cases/{case.case_id}/hand_over", {"to": reviewer.pk})
    assert "cannot be handed to rita.reviewer: rita.reviewer is not an analyst" in html
    for nobody in ("9" * 40, "-1", "ana"):  # not a person: said on the page, never a server error
        assert "Choose who takes the case over." in _post(analyst, f"/cases/{case.case_id}/hand_over", {"to": nobody})
    assert services.case_get(case_id=case.case_id).assignee_name == "ana.analyst"
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    services.case_claim(case_id=case.case_id, actor=Actor.from_user(senior_reviewer))
    analyst.groups.add(Group.objects.get(name="reviewer"))  # the preparer, later a reviewer too
    analyst._cdd_roles = None
    with pytest.raises(FourEyesViolation, match=r"ana\.analyst submitted this case"):
        services.case_hand_over(case_id=case.case_id, actor=Actor.from_user(senior_reviewer),
                                to=Actor.from_user(analyst))
    page = _page(senior_reviewer, f"/cases/{case.case_id}/")
    options = page[page.index('id="hand-over-to"'):page.index("</select>", page.index('id="hand-over-to"'))]
    assert "rita.reviewer" in options
    assert "ana.analyst" not in options and "andy.analyst" not in options  # a preparer, an analyst
    services.case_hand_over(case_id=case.case_id, actor=Actor.from_user(senior_reviewer),
                            to=Actor.from_user(reviewer))
    with pytest.raises(Forbidden, match="only they or a senior reviewer"):
        services.case_unassign(case_id=case.case_id, actor=Actor.from_user(analyst2))


def test_a_high_risk_submitted_case_goes_only_to_a_senior_reviewer(analyst: Any, reviewer: Any,
                                                                   senior_reviewer: Any) -> None:
    case = _case("Marco Rossi")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    _rated(case, "high")
    with pytest.raises(Forbidden, match="not a senior reviewer"):
        services.case_claim(case_id=case.case_id, actor=Actor.from_user(reviewer))
    assert "Claim this case" not in _page(reviewer, f"/cases/{case.case_id}/")
    assert "Claim this case" in _page(senior_reviewer, f"/cases/{case.case_id}/")


# --- notes ------------------------------------------------------------------------------------------------------

def test_notes_appear_newest_first_with_their_author_and_are_audited(analyst: Any, reviewer: Any,
                                                                     auditor: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    _post(analyst, f"/cases/{case.case_id}/note", {"text": "Called the customer about the address."})
    html = _post(reviewer, f"/cases/{case.case_id}/note", {"text": "Proof of address still outstanding."})
    assert "Note added." in html
    notes = html[html.index('id="notes"'):]
    assert notes.index("Proof of address still outstanding.") < notes.index("Called the customer about the address.")
    assert "rita.reviewer" in notes and "ana.analyst" in notes
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", notes)
    assert [e.actor["name"] for e in _events(case) if e.action == "case.note_added"] == ["ana.analyst",
                                                                                          "rita.reviewer"]
    assert "Add a note" not in _page(auditor, f"/cases/{case.case_id}/")  # the auditor reads them only
    assert "Proof of address still outstanding." in _page(auditor, f"/cases/{case.case_id}/")
    assert "A note needs some text." in _post(analyst, f"/cases/{case.case_id}/note", {"text": "  "})
    with pytest.raises(Forbidden):
        services.case_note_add(case_id=case.case_id, author=Actor.from_user(auditor), text="x")


def test_a_note_is_not_lost_when_the_case_changed_meanwhile(analyst: Any, analyst2: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    services.case_claim(case_id=case.case_id, actor=Actor.from_user(analyst2))
    services.case_note_add(case_id=case.case_id, author=Actor.from_user(analyst), text="one")
    with pytest.raises(ValidationFailed):
        services.case_note_add(case_id=case.case_id, author=Actor.from_user(analyst), text="x" * 4001)
    assert [n["text"] for n in case_notes_of(case=services.case_get(case_id=case.case_id))] == ["one"]


def test_a_long_review_takes_any_number_of_notes_and_still_decides(analyst: Any, reviewer: Any) -> None:
    """A case's item holds at most 400 KB: notes kept on it made a long review impossible to decide."""
    case = _case("Harriet Quennell-Abernathy")
    text = "Spoke to the customer about the source of funds; documents to follow. " * 55  # ~3,900 characters
    for n in range(120):  # ~470 KB of notes
        services.case_note_add(case_id=case.case_id, author=Actor.from_user(analyst), text=f"{n}: {text}"[:4000])
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="reviewed")
    services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    decided = services.case_get(case_id=case.case_id)
    assert decided.status == "approved"
    notes = case_notes_of(case=decided)
    assert len(notes) == 120 and notes[0]["text"].startswith("0: ") and notes[-1]["text"].startswith("119: ")


def test_notes_kept_on_a_case_before_the_notes_table_are_still_shown(analyst: Any) -> None:
    case = _case("Harriet Quennell-Abernathy")
    stored = services.case_get(case_id=case.case_id)
    stored.notes = [{"note_id": "note_01AAAAAAAAAAAAAAAAAAAAAAAA", "by": "user:1", "name": "old.analyst",
                     "at": "2026-01-01T09:00:00+00:00", "text": "written in the case item"}]
    stored.save()
    services.case_note_add(case_id=case.case_id, author=Actor.from_user(analyst), text="written in the table")
    texts = [n["text"] for n in case_notes_of(case=services.case_get(case_id=case.case_id))]
    assert texts == ["written in the case item", "written in the table"]
    assert "written in the case item" in _page(analyst, f"/cases/{case.case_id}/")


# --- the senior flag and the refusal agree ----------------------------------------------------------------------

@pytest.mark.parametrize("make", ["high_rating", "enhanced", "escalated", "plain"])
def test_the_senior_flag_says_what_the_decision_enforces(make: str, analyst: Any, reviewer: Any) -> None:
    case = _case("Marco Rossi")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="done")
    if make == "high_rating":
        _rated(case, "high")
    elif make == "enhanced":
        _rated(case, "medium", "enhanced")
    elif make == "escalated":
        stored = services.case_get(case_id=case.case_id)
        stored.escalated_at = stored.created_at
        stored.save()
    html = _post(reviewer, f"/cases/{case.case_id}/approve", {"text": "looks fine"})
    senior = _text(html[html.index('id="case-senior"'):html.index("</td>", html.index('id="case-senior"'))])
    refused = "a senior reviewer must decide" in _text(html.split('id="case-head"')[0])
    if make == "plain":
        assert not refused and "no" in senior
        assert services.case_get(case_id=case.case_id).status == "approved"
    else:
        assert refused, "the decision is refused for want of a senior reviewer"
        assert "yes —" in senior and "a senior reviewer must decide" in senior
        assert services.case_get(case_id=case.case_id).status == "submitted"
