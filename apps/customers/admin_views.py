"""Admin pages over customers for analysts: search, and the full profile (an audited read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import DomainError
from apps.core.navigation import web_url
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.customers.display import TYPE_LABELS
from apps.customers.page_selectors import profile_fields
from apps.customers.search import customer_search, search_query_problem
from apps.customers.selectors import CustomerFilters, customer_list, ownership_get
from apps.customers.services import customer_profile_view
from apps.customers.validation import STATUSES

READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def customers_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "" if query else "onboarding")
    base = reverse("admin:domain-customers")
    rows: list[dict[str, Any]] = []
    error = ""
    customers: list[Any] = []
    if query:  # any word of any name, a related party's name, a reference or an id (the web's search)
        problem = search_query_problem(query)
        if problem:
            error = f"Search: {problem}"
        else:
            customers = [r.customer for r in customer_search(q=query).results]
    else:
        try:
            customers = list(customer_list(filters=CustomerFilters(status=status or "onboarding"), limit=100).results)
        except DomainError as exc:
            error = f"{exc.message} {'; '.join(', '.join(v) for v in exc.errors.values())}"
    rows = [
        {"cells": [c.legal_name, TYPE_LABELS.get(c.customer_type, c.customer_type), c.status, c.risk_rating,
                   c.cdd_level, c.next_review_date, c.external_reference],
         "url": reverse("admin:domain-customer", args=[c.customer_id])}
        for c in customers
    ]
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": f"Customers matching '{query}'" if query else f"Customers: {status}",
        "search": {"value": query, "placeholder": "Any word of a name, a party's name, a reference or an id"},
        "filters": [(s, f"{base}?status={s}", s == status and not query) for s in STATUSES],
        "headers": ["Name", "Type", "Status", "Risk", "CDD level", "Next review", "External reference"],
        "rows": rows, "empty": error or "No customers match.",
    })


def customer_view(request: HttpRequest, customer_id: str, *, site: Any) -> HttpResponse:
    try:
        customer, parties = customer_profile_view(customer_id=customer_id, actor=Actor.from_user(request.user))
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "Customer", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    ownership = ownership_get(customer_id=customer_id)
    result = ownership.result
    names = {p.party_id: p.name for p in parties}

    def held(party: Any) -> str:
        return "; ".join(f"{h['percentage']:g}% of {names.get(h['parent_party_id'] or '', customer.legal_name)}"
                         for h in party.holding_list)

    def path_text(steps: list[Any], product: float) -> str:
        chain = " → ".join(f"{step.name} ({step.percentage:g}%)" for step in steps)
        return f"{chain} → {customer.legal_name} = {product:.2f}%"

    fields = [(f.label, "; ".join(f.value) if f.is_list else f.value) for f in profile_fields(customer)]
    sections: list[dict[str, Any]] = [] if customer.customer_type != "legal_entity" else [
        {"title": "Related parties", "headers": ["Name", "Type", "Roles", "Holds"],
         "rows": [[p.name, p.party_type.replace("_", " "), ", ".join(str(r).replace("_", " ") for r in p.roles),
                   held(p) or None]
                  for p in parties if p.party_type]},
        {"title": f"Owners (a person holding {result.threshold:g}% or more is a beneficial owner)",
         "headers": ["Owner", "Type", "Effective %", "Beneficial owner", "Paths", "Recorded as"],
         "rows": [[owner.node.name, owner.node.kind, f"{owner.effective_percentage:.2f}",
                   "yes" if owner.beneficial_owner else "no",
                   "\n".join(path_text(path.steps, path.product) for path in owner.paths),
                   f"{len(owner.merged_party_ids)} records, merged" if owner.merged_party_ids else "one record"]
                  for owner in ownership.owners()]},
        {"title": "Ownership not identified", "headers": ["Measure", "Value"],
         "rows": [["Not traced to individuals", f"{result.unidentified_share:.2f}% ("
                   f"{'above' if ownership.unidentified_above_limit else 'within'} the "
                   f"{ownership.unidentified_limit:g}% limit)"],
                  ["Layers", result.layers], ["Cycles", len(result.cycles)]]},
    ]
    sections[:0] = _risk_sections(customer_id)
    if result.cycles:
        sections.append({"title": "Circular ownership", "headers": ["Cycle"],
                         "rows": [[" → ".join(ownership.name_of(n) for n in cycle)] for cycle in result.cycles]})
    try:
        from apps.documents.selectors import document_checklist

        sections.append({"title": "Document checklist", "headers": ["Requirement", "State", "Satisfied"],
                         "rows": [[item.label, item.state_label, "yes" if item.satisfied else "no"]
                                  for item in document_checklist(customer_id=customer_id)]})
    except DomainError:
        pass
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": customer.legal_name,
        "headers": ["Field", "Value"], "rows": [{"cells": [k, v]} for k, v in fields], "sections": sections,
        "links": [("Risk history and manual ratings", reverse("admin:domain-customer-risk", args=[customer_id])),
                  ("Customer page in the reviewer UI", web_url(f"/customers/{customer_id}/"))],
    })


def _risk_sections(customer_id: str) -> list[dict[str, Any]]:
    """The risk assessment (the reviews app rates customers; this page composes what every app knows)."""
    from apps.reviews.risk.selectors import risk_view

    try:
        risk = risk_view(customer_id)
    except DomainError as exc:
        return [{"title": "Risk assessment", "headers": ["State"], "rows": [[exc.message]]}]
    summary = [["Rating", f"{risk['rating']} ({risk['cdd_level']} due diligence)"],
               ["Score", f"{risk['score']} → {risk['score_rating']} under model version {risk['model_version']}"],
               ["Rules that hold", "; ".join(f"{o.get('label') or o['rule']} ({o['why']})" for o in risk["overrides"])
                or None],
               ["Manual rating", (f"{risk['manual_override']['rating']} until {risk['manual_override'].get('expires_on')}"
                                  if risk["manual_override"] else None)],
               ["Next review", risk["next_review_date"]],
               ["Assessed", f"{risk['assessed_at'][:16].replace('T', ' ')} ({risk['trigger'].replace('_', ' ')})"]]
    factors = [[f["label"], f["value_text"], f["detail"], f"{f['contribution']:g}"] for f in risk["factors"]]
    return [{"title": "Risk assessment", "headers": ["Measure", "Value"], "rows": summary},
            {"title": "Risk factors", "headers": ["Factor", "Input", "Why", "Contribution"], "rows": factors}]




ADMIN_PAGES = [
    AdminPage(route="customers/", view=customers_view, name="customers", title="Customers", roles=READERS),
    AdminPage(route="customers/<str:customer_id>/", view=customer_view, name="customer", title="Customer",
              roles=READERS, listed=False),
]
