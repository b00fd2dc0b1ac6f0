"""Reviewer web UI: the work queue and the case page. Decisions go through the services,
which enforce four-eyes; the page only shows what they say."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import DomainError
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.core.web import role_required
from apps.reviews import services
from apps.reviews.models import STATUSES
from apps.reviews.selectors import case_queue

READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def _customer_summary(customer_id: str) -> dict[str, Any] | None:
    try:
        from apps.customers.selectors import customer_get

        customer = customer_get(customer_id=customer_id)
    except Exception:  # noqa: BLE001 - the page still shows the case if the customer cannot be read
        return None
    return {"legal_name": customer.legal_name, "customer_type": customer.customer_type,
            "status": customer.status, "risk_rating": customer.risk_rating, "cdd_level": customer.cdd_level}


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
    return render(request, "reviews/queue.html", {"cases": cases, "status": status, "statuses": STATUSES})


@role_required(*READERS)
def case_detail_view(request: HttpRequest, case_id: str) -> HttpResponse:
    try:
        case = services.case_get(case_id=case_id)
    except DomainError as exc:
        return render(request, "core/forbidden.html", {"roles": [exc.message]}, status=404)
    timeline = list(AuditEvent.query(f"case#{case_id}", AuditEvent.sk.startswith("E#"), scan_index_forward=False))
    roles = user_roles(request.user)
    return render(request, "reviews/case.html", {
        "case": case, "customer": _customer_summary(case.customer_id), "timeline": timeline,
        "checklist": _checklist(case.customer_id),
        "can_submit": ANALYST in roles and case.status == "open",
        "can_decide": bool({REVIEWER, SENIOR_REVIEWER} & roles) and case.status == "submitted",
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
        elif action in ("approve", "reject", "return"):
            decide = {"approve": services.case_approve, "reject": services.case_reject,
                      "return": services.case_return}[action]
            decide(case_id=case_id, reviewer=actor, rationale=text, expected_version=expected)
        else:
            messages.error(request, f"Unknown action {action}.")
            return redirect("case-page", case_id=case_id)
    except DomainError as exc:
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
        messages.error(request, f"{exc.message} {detail}".strip())
    else:
        messages.success(request, f"Case {action} recorded.")
    return redirect("case-page", case_id=case_id)
