"""The search page of the web UI: find a customer by any name, a related party's name, a reference or an id.

Analysts, reviewers, senior reviewers and auditors use it; the header's search box of every page
submits ``q`` here by GET.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.core.web import role_required
from apps.customers.display import TYPE_LABELS
from apps.customers.search import Q_MAX_LENGTH, Q_MIN_LENGTH, SearchResult, customer_search, search_query_problem

SEARCHERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)
MATCHED_BY_LABELS = {"id": "customer id", "external_reference": "external reference"}


def _row(result: SearchResult) -> dict[str, object]:
    customer = result.customer
    return {
        "result": result,
        "url": reverse("customer-page", args=[customer.customer_id]),
        "type_label": TYPE_LABELS.get(customer.customer_type, customer.customer_type),
        "status_label": (customer.status or "").replace("_", " "),
        "matched_by_label": MATCHED_BY_LABELS.get(result.matched_by),
    }


@role_required(*SEARCHERS)
def customer_search_view(request: HttpRequest) -> HttpResponse:
    """GET ?q=: the best matches, with what matched; an empty q shows the form only."""
    q = request.GET.get("q", "")
    context: dict[str, object] = {"search_query": q, "q_min": Q_MIN_LENGTH, "q_max": Q_MAX_LENGTH}
    status = 200
    if q.strip():
        problem = search_query_problem(q)
        if problem:
            context["problem"] = problem
            status = 400
        else:
            outcome = customer_search(q=q)
            context.update(outcome=outcome, rows=[_row(r) for r in outcome.results])
    return render(request, "customers/search.html", context, status=status)
