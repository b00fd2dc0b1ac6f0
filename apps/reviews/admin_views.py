"""Admin pages over cases (analysts see their queue next to the rest of the domain data)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.core.admin_site import AdminPage
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.reviews.models import STATUSES
from apps.reviews.selectors import case_queue


def cases_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    rows = [
        {"cells": [case.title, case.case_id, case.customer_id, case.kind, case.submitted_by_name,
                   case.updated_at.strftime("%Y-%m-%d %H:%M")],
         "url": f"/cases/{case.case_id}/"}
        for case in case_queue(status=status, limit=200)
    ]
    base = reverse("admin:domain-cases")
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": f"Cases: {status}",
        "filters": [(s, f"{base}?status={s}", s == status) for s in STATUSES],
        "headers": ["Title", "Case", "Customer", "Kind", "Submitted by", "Updated"], "rows": rows,
        "empty": f"No {status} cases.",
    })


ADMIN_PAGES = [
    AdminPage(route="cases/", view=cases_view, name="cases", title="Cases",
              roles=(ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)),
]
