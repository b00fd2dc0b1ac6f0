"""Reviewer web UI: the work queue and the case page. Decisions go through the services,
which enforce four-eyes; the page only shows what they say."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.audit.services import chain_key
from apps.audit.verify import audit_chain_status
from apps.core.errors import DomainError
from apps.core.outbox import outbox_for_group
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.core.web import role_required
from apps.customers.models import Customer
from apps.customers.selectors import customer_get, customers_get
from apps.reviews import services
from apps.reviews.models import STATUSES
from apps.reviews.risk.selectors import risk_view
from apps.reviews.selectors import case_queue
from apps.screening.selectors.alerts import (
    alert_states_open_count,
    alerts_of_customer,
    screening_blockers,
    screening_runs_of_subject,
)
from apps.screening.services.subjects import customer_screening_request
from apps.screening.web import alert_card

READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def _customer(customer_id: str) -> Customer | None:
    try:
        return customer_get(customer_id=customer_id)
    except DomainError:  # the page still shows the case if the customer cannot be read
        return None


def _customer_summary(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"legal_name": customer.legal_name, "customer_type": customer.customer_type,
            "status": customer.status, "risk_rating": customer.risk_rating, "cdd_level": customer.cdd_level,
            "confirmed_match": bool(customer.confirmed_match_alerts)}


def _checklist(customer_id: str) -> list[Any]:
    """The documents the customer's CDD level requires, and which are verified (the case's checklist)."""
    try:
        from apps.documents.selectors import document_checklist

        return list(document_checklist(customer_id=customer_id))
    except DomainError:
        return []


@role_required(*READERS)
def case_queue_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "submitted")
    if status not in STATUSES:
        status = "submitted"
    cases = case_queue(status=status, limit=100)
    customers = customers_get(customer_ids=[c.customer_id for c in cases])
    now = timezone.now()
    rows = [{"case": case, "customer": customers.get(case.customer_id),
             "open_alerts": alert_states_open_count(customer_id=case.customer_id),
             "senior": services.case_senior_reason(case=case, customer=customers.get(case.customer_id)) is not None,
             "age_days": (now - case.created_at).days} for case in cases]
    return render(request, "reviews/queue.html", {"rows": rows, "status": status, "statuses": STATUSES})


@role_required(*READERS)
def case_detail_view(request: HttpRequest, case_id: str) -> HttpResponse:
    try:
        case = services.case_get(case_id=case_id)
    except DomainError:
        return render(request, "core/not_found.html", {
            "what": f"No case {case_id}.", "back": reverse("case-queue"), "back_label": "the work queue"}, status=404)
    chain = chain_key("case", case_id)
    timeline = list(reversed(audit_chain_events(chain=chain)))
    verification = audit_chain_status(chain=chain)  # whether what the timeline shows verifies
    roles = user_roles(request.user)
    customer_record = _customer(case.customer_id)
    customer = _customer_summary(customer_record)
    views = alerts_of_customer(customer_id=case.customer_id)
    views.sort(key=lambda v: (not v.is_open, v.alert.created_key))  # open alerts first
    blockers = screening_blockers(customer_id=case.customer_id)
    senior_reason = services.case_senior_reason(case=case, customer=customer_record)
    try:
        risk = risk_view(case.customer_id)
    except DomainError:
        risk = None  # not assessed yet: the page says so
    return render(request, "reviews/case.html", {
        "risk": risk, "senior_reason": senior_reason, "needs_senior": senior_reason is not None,
        "case": case, "customer": customer, "timeline": timeline, "verification": verification,
        "checklist": _checklist(case.customer_id),
        "alerts": [alert_card(v, request.user) for v in views], "blockers": blockers,
        "open_alerts": sum(1 for v in views if v.is_open),
        "failing": [i for i in outbox_for_group(group_key=case.customer_id, topic_prefix="screening.") if i.attempts],
        "runs": screening_runs_of_subject(customer_id=case.customer_id, subject_id="customer", limit=5),
        "can_submit": ANALYST in roles and case.status == "open",
        "can_rescreen": ANALYST in roles and case.status in ("open", "submitted"),
        "can_decide": bool({REVIEWER, SENIOR_REVIEWER} & roles) and case.status == "submitted",
        "next": request.path,
    })


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
