"""The customer file from the web service: the customer page's "Export the customer file" button posts here.

Same builder, same permission and the same presigned link as ``POST /api/v1/customers/{id}/file``
(``apps.audit.customer_file``); the builder records ``customer.file_exported``. Its own module, not
``views_web``: the builder stands on ``apps.customers.page_selectors``, which imports ``views_web``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.audit.customer_file import CUSTOMER_FILE_ROLES, CustomerFile, customer_file_export
from apps.core.views_web import not_found_page
from apps.core.web import role_required
from apps.customers.display import words
from apps.customers.errors import CustomerNotFound
from apps.customers.selectors import customer_get
from apps.documents.models import DOCUMENT_TYPES

WITH_FILES = {"true": True, "false": False}


def _result(exported: CustomerFile) -> dict[str, Any]:
    """What the result page shows: the manifest's summary in words, both hashes, the link."""
    manifest = exported.manifest
    labels = manifest["audit"].get("labels") or {}
    url, expires_at = exported.download_link()
    documents = [d | {"type": DOCUMENT_TYPES.get(d["document_type"], words(d["document_type"])),
                      "status_label": words(d["status"])} for d in manifest["documents"]]
    return {
        "exported": exported, "manifest": manifest, "created_at": datetime.fromisoformat(manifest["created_at"]), "contents": manifest["contents"],
        "file_count": len(manifest["files"]) + 2,  # + manifest.json and manifest.sha256
        "included": [d for d in documents if d["included"]], "withheld": [d for d in documents if not d["included"]],
        # the customer's own record first, then the others by what they are
        "chains": sorted([c | {"label": labels.get(c["chain"], c["chain"])} for c in manifest["audit"]["chains"]],
                         key=lambda c: (not str(c["chain"]).startswith("customer#"), str(c["label"]))),
        "not_verified": [f"{labels.get(c, c)} ({c})" for c in manifest["audit"]["not_verified"]],
        "url": url, "expires_at": expires_at,
        "minutes": max(1, round(int(settings.CDD_AUDIT_EXPORT_URL_SECONDS) / 60)),
    }


@require_POST
@role_required(*sorted(CUSTOMER_FILE_ROLES))
def customer_file_create(request: HttpRequest, customer_id: str) -> HttpResponse:
    back = reverse("customer-page", args=[customer_id])
    values = request.POST.getlist("with_files") or ["false"]
    if len(values) != 1 or values[0] not in WITH_FILES:
        try:
            customer = customer_get(customer_id=customer_id)
        except CustomerNotFound:
            return not_found_page(request, what=f"No customer {customer_id}.")
        shown = ", ".join(repr(v) for v in values)
        return render(request, "audit/customer_file.html", {
            "customer_name": customer.legal_name, "back": back,
            "error": f"with_files: {shown} is not a choice; tick “with document files” (true) or leave it (false)."},
            status=400)
    try:
        exported = customer_file_export(customer_id=customer_id, actor=Actor.from_user(request.user),
                                        with_files=WITH_FILES[values[0]])
    except CustomerNotFound:
        return not_found_page(request, what=f"No customer {customer_id}.")
    try:
        context = _result(exported)
    finally:
        exported.archive.close()
    return render(request, "audit/customer_file.html", {"customer_name": exported.customer_name, "back": back,
                                                         **context})
