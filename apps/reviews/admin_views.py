"""Admin pages over cases (analysts see their queue next to the rest of the domain data) and the risk model:
its versions, a draft's editor and what-if report, and publication by a second senior reviewer."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import DomainError, ValidationFailed
from apps.core.navigation import web_url
from apps.core.outbox import outbox_for_group
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.customers.selectors import customer_get, customers_get
from apps.reviews.dynamo_models import DRAFT, RiskOverride
from apps.reviews.models import STATUSES
from apps.reviews.risk import services as risk
from apps.reviews.risk.countries import country_table_sources
from apps.reviews.risk.scoring import RATINGS
from apps.reviews.risk.selectors import risk_rerate_progress
from apps.reviews.selectors import case_queue
from apps.reviews.services import case_heading


def cases_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    cases = case_queue(status=status, limit=200)
    customers = customers_get(customer_ids=[case.customer_id for case in cases])
    # The case page is the reviewer UI's (the web service); the admin has none of its own.
    rows = [
        {"cells": [case_heading(case=case, customer=customers.get(case.customer_id)), case.case_id,
                   customers[case.customer_id].legal_name if case.customer_id in customers else case.customer_id,
                   case.kind.replace("_", " "), case.submitted_by_name, case.updated_at.strftime("%Y-%m-%d %H:%M")],
         "url": web_url(f"/cases/{case.case_id}/")}
        for case in cases
    ]
    base = reverse("admin:domain-cases")
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": f"Cases: {status}",
        "filters": [(s, f"{base}?status={s}", s == status) for s in STATUSES],
        "headers": ["Title", "Case", "Customer", "Kind", "Submitted by", "Updated"], "rows": rows,
        "empty": f"No {status} cases.",
    })


RISK_READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def risk_model_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    actor = Actor.from_user(request.user)
    if request.method == "POST":
        try:
            draft = risk.risk_model_draft_create(actor=actor, note=request.POST.get("note", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("admin:domain-risk-model"))
        messages.success(request, f"Version {int(draft.model_version)} is a draft: change it, run the what-if, "
                                  "and ask a senior reviewer who did not write it to publish it.")
        return redirect(reverse("admin:domain-risk-model-version", args=[int(draft.model_version)]))
    active = risk.risk_model_active()
    rows = [{"cells": [f"Version {int(v.model_version)}", v.status, v.note, v.created_by_name,
                       v.published_by_name, _when(v.published_at)],
             "url": reverse("admin:domain-risk-model-version", args=[int(v.model_version)])}
            for v in risk.risk_model_versions()]
    roles = user_roles(request.user)
    return TemplateResponse(request, "admin/cdd_risk_model.html", {
        **site.each_context(request), "title": f"Risk model (version {active.version} is active)",
        "headers": ["Version", "Status", "Note", "Written by", "Published by", "Published"], "rows": rows,
        "can_edit": bool({ANALYST, SENIOR_REVIEWER} & roles), "countries": country_table_sources(),
    })


def _definition_tables(definition: dict[str, Any]) -> list[dict[str, Any]]:
    factors = []
    for name, spec in (definition.get("factors") or {}).items():
        points = {k: v for k, v in spec.items() if k != "weight"}
        shown = "; ".join(
            f"{k.replace('_', ' ')}: " + (", ".join(f"{a.replace('_', ' ')} {b:g}" for a, b in v.items())
                                          if isinstance(v, dict) else f"{v:g}")
            for k, v in points.items())
        factors.append([name.replace("_", " "), f"{float(spec.get('weight', 1)):g}", shown])
    bands, lower = [], 0.0
    for b in definition.get("bands") or []:
        upper = b.get("below")
        bands.append([b["rating"], f"{lower:g} to below {upper:g}" if upper is not None else f"{lower:g} and above"])
        lower = float(upper) if upper is not None else lower
    rules = [[o["rule"].replace("_", " "), o["rating"] if "rating" in o else f"at least {o['at_least']}"]
             for o in definition.get("overrides") or []]
    years = definition.get("review_years") or {}
    duties = [[r, (definition.get("cdd_levels") or {}).get(r),
               f"{years.get(r):g} year{'' if years.get(r) == 1 else 's'}" if years.get(r) is not None else None]
              for r in ("low", "medium", "high", "prohibited")]
    return [
        {"title": "Factors (contribution = points x weight)", "headers": ["Factor", "Weight", "Points"],
         "rows": factors},
        {"title": "Bands (total score → rating)", "headers": ["Rating", "Score"], "rows": bands},
        {"title": "Override rules (above the score)", "headers": ["Rule", "Rating"], "rows": rules},
        {"title": "Obligations", "headers": ["Rating", "CDD level", "Review cycle"], "rows": duties},
    ]


def risk_model_version_view(request: HttpRequest, version: int, *, site: Any) -> HttpResponse:
    actor = Actor.from_user(request.user)
    here = reverse("admin:domain-risk-model-version", args=[version])
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                try:
                    definition = json.loads(request.POST.get("definition", ""))
                except json.JSONDecodeError as exc:
                    messages.error(request, f"The definition is not JSON (line {exc.lineno}, column {exc.colno}: "
                                            f"{exc.msg}); nothing was saved.")
                    return redirect(here)
                risk.risk_model_draft_update(actor=actor, version=version, definition=definition,
                                             note=request.POST.get("note"))
                messages.success(request, "Saved. Run the what-if report before asking for publication.")
            elif action == "whatif":
                risk.risk_model_whatif_request(actor=actor, version=version)
                messages.success(request, "What-if report requested: a worker rates the whole book under both "
                                          "versions; reload this page to see it.")
            elif action == "publish":
                risk.risk_model_publish(actor=actor, version=version, reason=request.POST.get("reason", ""))
                messages.success(request, f"Version {version} is active; the book is being re-rated.")
            elif action == "discard":
                risk.risk_model_draft_discard(actor=actor, version=version, reason=request.POST.get("reason", ""))
                messages.success(request, f"Version {version} was discarded.")
        except DomainError as exc:
            messages.error(request, exc.text())
        return redirect(here)
    try:
        record = risk._version_get(version)
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "Risk model", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    roles = user_roles(request.user)
    definition = dict(record.definition or {})
    whatif = record.whatif or None
    authors = [record.created_by, *(str(e) for e in record.edited_by or [])]
    computing = outbox_for_group(group_key=f"risk_model#{version}", topic_prefix="reviews.risk_whatif")
    rerate = risk_rerate_progress(version=version)
    return TemplateResponse(request, "admin/cdd_risk_model.html", {
        **site.each_context(request), "title": f"Risk model version {version} ({record.status})",
        "record": record, "is_draft": record.status == DRAFT, "sections": _definition_tables(definition),
        "definition_json": json.dumps(definition, indent=2), "whatif": whatif,
        "can_edit": bool({ANALYST, SENIOR_REVIEWER} & roles) and record.status == DRAFT,
        "can_publish": SENIOR_REVIEWER in roles and record.status == DRAFT
        and not any(actor.is_actor(a) for a in authors),
        "wrote_it": any(actor.is_actor(a) for a in authors), "models_url": reverse("admin:domain-risk-model"),
        "headers": [], "rows": [], "computing": computing, "rerate": rerate,
    })


def customer_risk_view(request: HttpRequest, customer_id: str, *, site: Any) -> HttpResponse:
    """A customer's risk: the current assessment, earlier ones, manual ratings (propose, decide), re-assess."""
    actor = Actor.from_user(request.user)
    here = reverse("admin:domain-customer-risk", args=[customer_id])
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "propose":
                try:
                    expires = date.fromisoformat(request.POST.get("expires_on", ""))
                except ValueError:
                    raise ValidationFailed("Give the expiry as YYYY-MM-DD.",
                                           errors={"expires_on": ["a date"]}) from None
                risk.risk_override_propose(customer_id=customer_id, rating=request.POST.get("rating", ""),
                                           reason=request.POST.get("reason", ""), expires_on=expires, actor=actor)
                messages.success(request, "Manual rating proposed: a senior reviewer who did not propose it decides.")
            elif action in ("confirm", "reject"):
                risk.risk_override_decide(customer_id=customer_id, override_id=request.POST.get("override_id", ""),
                                          confirm=action == "confirm", reason=request.POST.get("reason", ""),
                                          actor=actor)
                messages.success(request, f"Manual rating {'confirmed' if action == 'confirm' else 'rejected'}; "
                                          "the customer is rated again.")
            elif action == "reassess":
                risk.risk_reassess_request(customer_id=customer_id, actor=actor,
                                           reason=request.POST.get("reason", "") or "asked from the admin")
                messages.success(request, "A new assessment was requested; reload in a moment.")
        except DomainError as exc:
            messages.error(request, exc.text())
        return redirect(here)
    try:
        customer = customer_get(customer_id=customer_id)
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "Customer risk", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    history = [{"cells": [_when(a.created_at), a.rating, f"{float(a.score):g}", a.model_rating,
                          f"version {int(a.model_version)}", a.trigger.replace("_", " "), a.cdd_level,
                          a.next_review_date]}
               for a in risk.risk_assessments_of(customer_id=customer_id, limit=50)]
    overrides = list(RiskOverride.query(customer_id, scan_index_forward=False))
    roles = user_roles(request.user)
    return TemplateResponse(request, "admin/cdd_customer_risk.html", {
        **site.each_context(request), "title": f"Risk of {customer.legal_name}",
        "customer": customer, "customer_url": reverse("admin:domain-customer", args=[customer_id]),
        "headers": ["Assessed", "Rating", "Score", "Model says", "Model", "Trigger", "CDD level", "Next review"],
        "rows": history, "empty": "Not assessed yet: the risk model rates the customer once screening completes.",
        "overrides": overrides, "ratings": RATINGS,
        "can_propose": bool({ANALYST, REVIEWER, SENIOR_REVIEWER} & roles),
        "can_decide": SENIOR_REVIEWER in roles, "actor_key": actor.key,
        "max_days": settings.CDD_RISK_OVERRIDE_MAX_DAYS,
    })


ADMIN_PAGES = [
    AdminPage(route="customers/<str:customer_id>/risk/", view=customer_risk_view, name="customer-risk",
              title="Customer risk", roles=RISK_READERS, listed=False),
    AdminPage(route="risk-model/", view=risk_model_view, name="risk-model", title="Risk model", roles=RISK_READERS),
    AdminPage(route="risk-model/<int:version>/", view=risk_model_version_view, name="risk-model-version",
              title="Risk model version", roles=RISK_READERS, listed=False),
    AdminPage(route="cases/", view=cases_view, name="cases", title="Cases",
              roles=(ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)),
]
