"""Auditors' read-only pages on the web service: look up an object, read its timeline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.audit.selectors import audit_timeline_list
from apps.audit.services import chain_key
from apps.audit.verify import audit_chain_status, item_as_event
from apps.core.errors import ValidationFailed
from apps.core.roles import AUDITOR
from apps.core.web import role_required

PAGE = 50
# What an auditor looks up most, by the name a person knows it by (any other type can still be typed in).
OBJECT_TYPES = {"customer": "Customer", "case": "Case", "alert": "Screening alert", "document": "Document",
                "list": "Sanctions list", "risk_model": "Risk model", "user": "User account", "api_key": "API key",
                "webhook_endpoint": "Webhook endpoint", "webhook_delivery": "Webhook delivery",
                "mi_export": "Management information export", "mi": "Management information rebuild (id: aggregates)"}


def timeline_context(*, object_type: str, object_id: str, cursor: str | None = None,
                     newest_first: bool = False) -> dict[str, Any]:
    """What ``audit/_timeline.html`` needs (the page, and whether the chain it comes from verifies)."""
    page = audit_timeline_list(object_type=object_type, object_id=object_id, cursor=cursor, limit=PAGE,
                               newest_first=newest_first)
    status = audit_chain_status(chain=chain_key(object_type, object_id))
    events = [item_as_event(e) | {"flagged": e.seq in status.flagged} for e in page.events]
    return {"object_type": object_type, "object_id": object_id, "events": events, "next_cursor": page.next_cursor,
            "verification": status}


@require_GET
@role_required(AUDITOR)
def audit_lookup(request: HttpRequest) -> HttpResponse:
    object_type = request.GET.get("object_type", "").strip()
    object_id = request.GET.get("object_id", "").strip()
    error = "Give both the object type and its id." if bool(object_type) != bool(object_id) else None
    if "/" in object_type + object_id:
        error = "Object types and ids never contain '/'; check what you pasted."
    elif object_type and object_id:
        return redirect("audit-web-timeline", object_type=object_type, object_id=object_id)
    return render(request, "audit/lookup.html", {"error": error, "object_type": object_type,
                                                 "object_id": object_id, "object_types": OBJECT_TYPES})


@require_GET
@role_required(AUDITOR)
def audit_timeline(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    try:
        context = timeline_context(object_type=object_type, object_id=object_id,
                                   cursor=request.GET.get("cursor") or None,
                                   newest_first=request.GET.get("order") == "desc")
    except ValidationFailed as exc:
        return render(request, "audit/lookup.html", {"error": exc.message, "object_type": object_type,
                                                     "object_id": object_id, "object_types": OBJECT_TYPES},
                      status=400)
    context["order"] = request.GET.get("order", "asc")
    return render(request, "audit/timeline.html", context)
