"""The customer page of the web service: one customer, everything about it, for analysts, reviewers and auditors.

The view is thin: the profile is read through the audited ``customer_profile_view`` (a full profile
view is a sensitive read), everything else through ``page_selectors``; a document preview asks the
documents service for a short-lived link, which that service audits.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.audit.actors import Actor
from apps.audit.customer_file import customer_file_allowed
from apps.core.errors import DomainError
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.core.web import role_required
from apps.customers.errors import CustomerNotFound
from apps.customers.page_selectors import customer_page
from apps.customers.services import customer_profile_view
from apps.documents.selectors import document_get, document_preview_url

READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def _preview(request: HttpRequest, *, customer_id: str, document_id: str,
             documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The document to show inline, with a link minted (and audited) now; or why it cannot be shown."""
    row = next((d for d in documents if d["document_id"] == document_id), None)
    if row is None:
        return {"error": f"No document {document_id} of this customer to preview; pick one from the list."}
    if not row["can_preview"]:
        return {"row": row, "error": f"{row['type']} cannot be shown here ({row['status']})."}
    try:
        document = document_get(customer_id=customer_id, document_id=document_id)
        link = document_preview_url(document, request.user)
    except DomainError as exc:
        return {"row": row, "error": exc.text()}
    return {"row": row, "link": link}


@require_GET
@role_required(*READERS)
def customer_page_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    try:
        customer, parties = customer_profile_view(customer_id=customer_id, actor=Actor.from_user(request.user))
    except CustomerNotFound:
        return render(request, "core/not_found.html", {
            "what": f"No customer {customer_id}.", "back": reverse("home"), "back_label": "your home page"},
            status=404)
    roles = user_roles(request.user)
    context = customer_page(customer=customer, parties=parties, roles=roles)
    context["is_auditor"] = AUDITOR in roles  # the whole trail is the auditors' page
    context["may_export_file"] = customer_file_allowed(request.user)
    preview_id = request.GET.get("preview", "").strip()
    status = 200
    if preview_id:
        if context["may_open_documents"]:
            context["preview"] = _preview(request, customer_id=customer_id, document_id=preview_id,
                                          documents=context["documents"])
            if "row" not in context["preview"]:
                status = 404
        else:
            context["preview"] = {"error": "Your role reads the documents' records, not their files."}
            status = 403
    response = render(request, "customers/customer.html", context, status=status)
    link = (context.get("preview") or {}).get("link")
    if link is not None:  # this response alone may load the file from storage's origin
        response._csp_config = link.page_policy()  # type: ignore[attr-defined]
    return response
