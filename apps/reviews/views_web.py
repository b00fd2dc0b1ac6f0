"""Reviewer web UI: the work queue and the case page. Decisions go through the services,
which enforce four-eyes; the page only shows what they say."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.audit.services import chain_key
from apps.audit.verify import audit_chain_status
from apps.core.errors import DomainError, ValidationFailed
from apps.core.outbox import outbox_for_group
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.core.web import role_required
from apps.customers.display import TYPE_LABELS, country_name
from apps.customers.models import Customer
from apps.customers.selectors import customer_get
from apps.documents.views_web import case_evidence
from apps.reviews import services
from apps.reviews.models import KIND_LABELS, KINDS, STATUSES
from apps.reviews.risk.scoring import RATINGS
from apps.reviews.risk.selectors import risk_view
from apps.reviews.selectors import QueueFilters, QueueRow, case_notes_of, case_work_queue, cases_assigned_to
from apps.reviews.sla import UNRATED
from apps.screening.selectors.alerts import (
    alerts_of_customer,
    screening_blockers,
    screening_runs_of_subject,
)
from apps.screening.services.subjects import customer_screening_request
from apps.screening.web import alert_card

READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)
WORKERS = (ANALYST, REVIEWER, SENIOR_REVIEWER)
AGE_CHOICES = (1, 7, 14, 30, 60, 90)


def _customer(customer_id: str) -> Customer | None:
    try:
        return customer_get(customer_id=customer_id)
    except DomainError:  # the page still shows the case if the customer cannot be read
        return None


def _customer_summary(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    entity = customer.customer_type == "legal_entity"
    return {"legal_name": customer.legal_name, "customer_type": customer.customer_type,
            "type_label": TYPE_LABELS.get(customer.customer_type, customer.customer_type),
            "status": customer.status, "risk_rating": customer.risk_rating, "cdd_level": customer.cdd_level,
            "confirmed_match": bool(customer.confirmed_match_alerts),
            "country_label": "Country of incorporation" if entity else "Country of residence",
            "country": country_name(customer.jurisdiction if entity else customer.country_of_residence) or None,
            "url": reverse("customer-page", args=[customer.customer_id])}


def _queue_rows(rows: list[QueueRow]) -> list[dict[str, Any]]:
    return [{"case": r.case, "customer": r.customer, "open_alerts": r.open_alerts, "age_days": r.age_days,
             "days_left": r.days_left, "overdue_days": r.overdue_days,
             "due_date": date.fromisoformat(r.case.due_date) if r.case.due_date else None,
             "heading": services.case_heading(case=r.case, customer=r.customer),
             "kind_label": KIND_LABELS.get(r.case.kind, r.case.kind),
             "type_label": TYPE_LABELS.get(r.customer.customer_type, "") if r.customer else "",
             # the same rule the decision services enforce, from the customer just read
             "senior": services.case_senior_reason(case=r.case, customer=r.customer) is not None}
            for r in rows]


def _queue_filters(request: HttpRequest) -> tuple[QueueFilters, dict[str, str], dict[str, str]]:
    """The queue's filters from the query string, what was chosen, and a problem per field it could not use."""
    problems: dict[str, str] = {}
    chosen = {k: request.GET.get(k, "").strip() for k in ("status", "kind", "risk", "alerts", "age")}
    chosen["status"] = chosen["status"] or "submitted"

    def pick(field: str, allowed: tuple[str, ...], what: str) -> str | None:
        value = chosen[field]
        if value and value not in allowed:
            problems[field] = f"{value!r} is not {what} (one of {', '.join(allowed)})"
            chosen[field] = ""
            return None
        return value or None

    status = pick("status", STATUSES, "a case status") or "submitted"
    chosen["status"] = status
    kind = pick("kind", KINDS, "a case kind")
    risk = pick("risk", (*RATINGS, UNRATED), "a risk rating")
    alerts = pick("alerts", ("yes", "no"), "an alerts choice")
    age: int | None = None
    if chosen["age"]:
        if chosen["age"].isdigit() and 0 < int(chosen["age"]) <= 36500:  # up to a hundred years
            age = int(chosen["age"])
        else:
            problems["age"] = f"{chosen['age']!r} is not a number of days"
            chosen["age"] = ""
    filters = QueueFilters(status=status, kind=kind, risk=risk, older_than_days=age,
                           alerts=None if alerts is None else alerts == "yes")
    return filters, chosen, problems


@role_required(*READERS)
def case_queue_view(request: HttpRequest) -> HttpResponse:
    filters, chosen, problems = _queue_filters(request)
    rows = _queue_rows(case_work_queue(filters=filters, limit=100))
    return render(request, "reviews/queue.html", {
        "rows": rows, "chosen": chosen, "problems": problems, "statuses": STATUSES,
        "kinds": [(k, KIND_LABELS[k]) for k in KINDS], "ratings": [*RATINGS, UNRATED], "ages": AGE_CHOICES,
        "live": filters.status in ("open", "submitted"), "mine": False,
        "can_work": bool(set(WORKERS) & user_roles(request.user)),
    }, status=400 if problems else 200)


@role_required(*WORKERS)
def case_my_work_view(request: HttpRequest) -> HttpResponse:
    """The cases assigned to the signed-in person, soonest due first."""
    rows = _queue_rows(cases_assigned_to(assignee=Actor.from_user(request.user).key))
    return render(request, "reviews/queue.html", {"rows": rows, "mine": True, "live": True, "can_work": True})


def _people() -> list[Actor]:
    """Everyone who could work a case (analysts, reviewers), for the hand-over list; the service decides who fits."""
    users = (get_user_model().objects.filter(is_active=True, groups__name__in=WORKERS)
             .distinct().prefetch_related("groups").order_by("username"))
    return [Actor.from_user(u) for u in users]


@role_required(*READERS)
def case_detail_view(request: HttpRequest, case_id: str) -> HttpResponse:
    try:
        case = services.case_get(case_id=case_id)
    except DomainError:
        return render(request, "core/not_found.html", {
            "what": f"No case {case_id}.", "back": reverse("case-queue"), "back_label": "the work queue"}, status=404)
    me = Actor.from_user(request.user)
    chain = chain_key("case", case_id)
    timeline = list(reversed(audit_chain_events(chain=chain)))
    verification = audit_chain_status(chain=chain)  # whether what the timeline shows verifies
    roles = user_roles(request.user)
    customer_record = _customer(case.customer_id)
    customer = _customer_summary(customer_record)
    views = alerts_of_customer(customer_id=case.customer_id)
    views.sort(key=lambda v: (not v.is_open, v.alert.created_key))  # open alerts first
    blockers = screening_blockers(customer_id=case.customer_id)
    # what the decision services enforce, asked the same way (one answer: the flag and a refusal cannot differ)
    senior_reason = services.case_senior_reason_now(case=case)
    working = bool(set(WORKERS) & roles)
    live = case.status in ("open", "submitted")
    mine = me.is_actor(case.assignee)
    may_reassign = working and live and bool(case.assignee) and (mine or SENIOR_REVIEWER in roles)
    try:
        risk = risk_view(case.customer_id)
    except DomainError:
        risk = None  # not assessed yet: the page says so
    return render(request, "reviews/case.html", {
        "risk": risk, "senior_reason": senior_reason, "needs_senior": senior_reason is not None,
        "case": case, "customer": customer, "heading": services.case_heading(case=case, customer=customer_record),
        "kind_label": KIND_LABELS.get(case.kind, case.kind), "due": _due(case),
        "notes": list(reversed(case_notes_of(case=case))), "can_note": working, "assigned_to_me": mine,
        "can_claim": working and live and not case.assignee
                     and services.case_work_refusal(case=case, person=me) is None,
        "can_unassign": may_reassign,
        "senior_only": senior_reason if senior_reason and SENIOR_REVIEWER not in roles else None,
        "hand_over_to": services.case_hand_over_candidates(case=case, people=_people()) if may_reassign else [],
        "timeline": timeline, "verification": verification,
        "evidence": case_evidence(customer_id=case.customer_id, user=request.user, case=case),
        "alerts": [alert_card(v, request.user) for v in views], "blockers": blockers,
        "open_alerts": sum(1 for v in views if v.is_open),
        "failing": [i for i in outbox_for_group(group_key=case.customer_id, topic_prefix="screening.") if i.attempts],
        "runs": screening_runs_of_subject(customer_id=case.customer_id, subject_id="customer", limit=5),
        "can_submit": ANALYST in roles and case.status == "open",
        "can_rescreen": ANALYST in roles and case.status in ("open", "submitted"),
        "can_decide": bool({REVIEWER, SENIOR_REVIEWER} & roles) and case.status == "submitted",
        "next": request.path,
    })


def _due(case: Any) -> dict[str, Any] | None:
    if not case.due_date:
        return None
    days_left = (date.fromisoformat(case.due_date) - datetime.now(tz=UTC).date()).days
    live = case.status in ("open", "submitted")
    return {"date": date.fromisoformat(case.due_date), "days_left": days_left if live else None,
            "overdue_days": -days_left if live and days_left < 0 else 0}


def _assign_action(request: HttpRequest, case_id: str, action: str, actor: Actor, expected: int | None) -> str:
    """Claim, hand over or unassign; returns what the page says it did."""
    reason = request.POST.get("reason", "")
    if action == "claim":
        services.case_claim(case_id=case_id, actor=actor, expected_version=expected)
        return "You are working this case now; it is in your work."
    if action == "unassign":
        services.case_unassign(case_id=case_id, actor=actor, reason=reason, expected_version=expected)
        return "The case is unassigned and back in the queue."
    to_id = request.POST.get("to", "")
    valid = to_id.isdigit() and len(to_id) <= 18  # a user's primary key; anything else names nobody
    person = get_user_model().objects.filter(pk=int(to_id), is_active=True).first() if valid else None
    if person is None:
        raise ValidationFailed("Choose who takes the case over.", errors={"to": ["choose a person from the list"]})
    to = Actor.from_user(person)
    services.case_hand_over(case_id=case_id, actor=actor, to=to, reason=reason, expected_version=expected)
    return f"Handed over to {to.name}."


@require_POST
@role_required(ANALYST, REVIEWER, SENIOR_REVIEWER)
def case_action_view(request: HttpRequest, case_id: str, action: str) -> HttpResponse:
    actor = Actor.from_user(request.user)
    text = request.POST.get("text", "")
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    try:
        if action == "submit":
            services.case_submit(case_id=case_id, analyst=actor, summary=text, expected_version=expected)
        elif action == "rescreen":
            case = services.case_get(case_id=case_id)
            items = customer_screening_request(customer_id=case.customer_id, actor=actor)
            messages.success(request, f"Screening of {len(items)} subject(s) requested; results appear here shortly.")
            return redirect("case-page", case_id=case_id)
        elif action in ("claim", "hand_over", "unassign"):
            messages.success(request, _assign_action(request, case_id, action, actor, expected))
            return redirect("case-page", case_id=case_id)
        elif action == "note":
            services.case_note_add(case_id=case_id, author=actor, text=text)
            messages.success(request, "Note added.")
            return redirect("case-page", case_id=case_id)
        elif action in ("approve", "reject", "return"):
            decide = {"approve": services.case_approve, "reject": services.case_reject,
                      "return": services.case_return}[action]
            decide(case_id=case_id, reviewer=actor, rationale=text, expected_version=expected)
        else:
            messages.error(request, f"Unknown action {action}.")
            return redirect("case-page", case_id=case_id)
    except DomainError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, f"Case {action} recorded.")
    return redirect("case-page", case_id=case_id)
