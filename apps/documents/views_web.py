"""Evidence on the case page: the checklist, uploads, verification, waivers, requests and previews.

The forms post here and go back to the page they came from. Every rule (four-eyes on verification,
reasons, waivers being analyst work, file checks and the malware scan) lives in the services; a view
only checks the role, reads the form, calls one service and says what it answered.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import IO, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from apps.audit.actors import Actor
from apps.core.dynamo import utcnow
from apps.core.errors import DomainError, PayloadTooLarge, ValidationFailed
from apps.core.models import ApiKey
from apps.core.roles import ANALYST, user_roles
from apps.core.web import role_required
from apps.customers.countries import COUNTRIES
from apps.documents import selectors, services
from apps.documents.models import DOCUMENT_TYPES, PENDING_SCAN, RECEIVED, REQUESTED, VERIFIED, Document

MULTIPART_OVERHEAD = 64 * 1024
REQUEST_DUE_DAYS = 14  # the due date a request form proposes


def _names(keys: set[str]) -> dict[str, str]:
    """Actor keys (``user:7``, ``api_key:ab12``, ``system:job``) as the names people know."""
    users = {f"user:{u.pk}": (u.get_full_name() or u.get_username())
             for u in get_user_model().objects.filter(pk__in=[k[5:] for k in keys if k.startswith("user:")
                                                              and k[5:].isdigit()])}
    api_keys = {f"api_key:{k.prefix}": f"integration key {k.name}"
                for k in ApiKey.objects.filter(prefix__in=[k[8:] for k in keys if k.startswith("api_key:")])}
    out = {k: f"system ({k.split(':', 1)[-1]})" for k in keys if k.startswith("system:")}
    return {**out, **users, **api_keys}


_DOCUMENT_STATUS = {RECEIVED: "uploaded, not verified yet", **selectors.STATE_LABELS}


def _document_row(document: Document, *, names: dict[str, str], requests: dict[str, Any], analyst: bool,
                  me: Actor, today: date) -> dict[str, Any]:
    expiry = date.fromisoformat(document.expiry_date) if document.expiry_date else None
    request = requests.get(document.request_id or "")
    return {
        "document": document,
        "type_label": DOCUMENT_TYPES.get(document.document_type, document.document_type),
        "status_label": _DOCUMENT_STATUS.get(document.status, document.status),
        "scan_label": selectors.document_scan_label(document),
        "country": COUNTRIES.get(document.issuing_country or "", document.issuing_country),
        "expiry": expiry,
        "expired": expiry is not None and expiry < today,
        "uploaded_by": names.get(document.uploaded_by or "", "") if document.uploaded_by else None,
        "verified_by": names.get(document.verified_by or "", "") if document.verified_by else None,
        "requested_on": request.created_at if request is not None else None,
        "due_on": date.fromisoformat(request.due_date) if request is not None else None,
        "previewable": bool(document.s3_key) and document.content_type in services.PREVIEWABLE
                       and document.status not in (PENDING_SCAN, "infected"),
        "can_verify": analyst and document.status == RECEIVED and not me.is_actor(document.uploaded_by),
        "own_upload": me.is_actor(document.uploaded_by),
        "can_reject": analyst and document.status in (PENDING_SCAN, RECEIVED, VERIFIED),
    }


_STATE_TEXT = {"missing": "missing", REQUESTED: "requested", RECEIVED: "uploaded, awaiting verification",
               VERIFIED: "verified", "waived": "waived", "rejected": "rejected", "expired": "expired"}


def _state_text(item: selectors.ChecklistItem) -> str:
    text = _STATE_TEXT.get(item.state) or item.state_label
    return f"{text} (not scanned for malware)" if item.unscanned and item.state in _STATE_TEXT else text


def case_evidence(*, customer_id: str, user: Any, case: Any) -> dict[str, Any]:
    """What the case page's evidence section shows, for ``user``: rows per requirement and what they may do."""
    today = utcnow().date()
    try:
        checklist = selectors.document_checklist(customer_id=customer_id, today=today)
        requests = {r.request_id: r for r in selectors.document_request_list(customer_id=customer_id)}
    except DomainError as exc:
        return {"error": exc.message, "items": [], "gap": None}
    analyst = ANALYST in user_roles(user)
    me = Actor.from_user(user)
    keys = {k for item in checklist for d in item.documents for k in (d.uploaded_by, d.verified_by) if k}
    names = _names(keys)
    items = []
    for item in checklist:
        rows = [_document_row(d, names=names, requests=requests, analyst=analyst, me=me, today=today)
                for d in item.documents]
        requested = [r for r in rows if r["document"].status == REQUESTED]
        items.append({
            "item": item, "rows": rows, "state_text": _state_text(item),
            "types": [(code, DOCUMENT_TYPES.get(code, code)) for code in item.any_of],
            "requested": requested[0] if requested else None,
            "expiring_days": (item.expires_on - today).days if item.expiring and item.expires_on else None,
        })
    gap = selectors.document_checklist_gap(customer_id=customer_id, today=today)
    return {
        "customer_id": customer_id, "items": items, "gap": gap,
        "can_edit": analyst and getattr(case, "status", "open") == "open",
        "analyst": analyst, "expiring_window": settings.CDD_DOCUMENTS_EXPIRING_DAYS,
        "max_mb": round(settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES / (1024 * 1024), 1),
        "accept": ",".join(settings.CDD_DOCUMENTS_ALLOWED_TYPES),
        "due_default": (today + timedelta(days=REQUEST_DUE_DAYS)).isoformat(), "today": today.isoformat(),
    }


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("case-queue")
    return redirect(f"{target}#evidence")


def _date(request: HttpRequest, name: str, errors: dict[str, list[str]]) -> date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [f"{raw!r} is not a date; use the date picker or YYYY-MM-DD."]
        return None


def _run(request: HttpRequest, done: str, call: Any) -> HttpResponse:
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, done)
    return _back(request)


@require_POST
@role_required(ANALYST)
def evidence_upload_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Upload a file for a requirement through the same service (checks, scan) as the API."""
    limit = settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit + MULTIPART_OVERHEAD:  # before Django reads the body
        messages.error(request, PayloadTooLarge(f"The file is larger than {limit} bytes, the limit for uploads here.",
                                                errors={"file": [f"At most {limit} bytes."]}).text())
        return _back(request)
    errors: dict[str, list[str]] = {}
    upload = request.FILES.get("file")
    if upload is None:
        errors["file"] = ["Choose a file to upload."]
    document_type = request.POST.get("document_type", "")
    if document_type not in DOCUMENT_TYPES:
        errors["document_type"] = ["Choose the type of document."]
    expiry_date = _date(request, "expiry_date", errors)
    issue_date = _date(request, "issue_date", errors)
    country = request.POST.get("issuing_country", "").strip().upper() or None
    number = request.POST.get("number", "").strip() or None
    document_id = request.POST.get("document_id", "").strip() or None
    if errors:
        messages.error(request, ValidationFailed("The upload is not complete: check " + ", ".join(sorted(errors))
                                                 + ".", errors=errors).text())
        return _back(request)
    assert upload is not None
    meta = services.DocumentMeta(document_type=document_type, issuing_country=country, number=number,
                                 issue_date=issue_date, expiry_date=expiry_date)

    def call() -> None:
        document = services.document_upload(customer_id=customer_id, file=cast("IO[bytes]", upload.file),
                                            filename=upload.name,
                                            meta=meta, actor=Actor.from_user(request.user), document_id=document_id)
        if document.status == PENDING_SCAN:
            messages.info(request, f"{upload.name} is stored and awaiting its malware scan; it can be opened and "
                                   "verified once the scanner reports it clean.")

    return _run(request, f"{upload.name} uploaded as {DOCUMENT_TYPES[document_type].lower()}.", call)



@require_POST
@role_required(ANALYST)
def evidence_document_action_view(request: HttpRequest, customer_id: str, document_id: str,
                                  action: str) -> HttpResponse:
    """Verify or reject one document (reject needs a reason; the uploader cannot verify: the service says so)."""
    actor = Actor.from_user(request.user)
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() else None
    if action == "verify":
        return _run(request, "Document verified.", lambda: services.document_verify(
            customer_id=customer_id, document_id=document_id, actor=actor, expected_version=expected))
    if action == "reject":
        return _run(request, "Document rejected.", lambda: services.document_reject(
            customer_id=customer_id, document_id=document_id, reason=request.POST.get("reason"), actor=actor,
            expected_version=expected))
    messages.error(request, f"Unknown action {action!r}: verify or reject.")
    return _back(request)


@require_POST
@role_required(ANALYST)
def evidence_waiver_view(request: HttpRequest, customer_id: str, code: str, action: str) -> HttpResponse:
    """Record or withdraw the waiver of one requirement, with a reason (both audited)."""
    actor = Actor.from_user(request.user)
    reason = request.POST.get("reason")
    if action == "waive":
        return _run(request, "Waiver recorded.", lambda: services.requirement_waive(
            customer_id=customer_id, code=code, reason=reason, actor=actor))
    if action == "withdraw":
        return _run(request, "Waiver withdrawn: the requirement needs its evidence again.",
                    lambda: services.requirement_waiver_withdraw(customer_id=customer_id, code=code, reason=reason,
                                                                 actor=actor))
    messages.error(request, f"Unknown action {action!r}: waive or withdraw.")
    return _back(request)


@require_POST
@role_required(ANALYST)
def evidence_request_view(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Ask the customer for a missing document by a date (the request service writes the letter, audited)."""
    errors: dict[str, list[str]] = {}
    due = _date(request, "due_date", errors)
    types = [t for t in request.POST.getlist("document_types") if t]
    if due is None and "due_date" not in errors:
        errors["due_date"] = ["Choose the date it is due by."]
    if not types:
        errors["document_types"] = ["Choose the document to ask for."]
    if errors:
        messages.error(request, ValidationFailed("The request is not complete: check " + ", ".join(sorted(errors))
                                                 + ".", errors=errors).text())
        return _back(request)
    assert due is not None
    labels = ", ".join(DOCUMENT_TYPES.get(t, t).lower() for t in types)
    return _run(request, f"Requested {labels} by {due:%d %B %Y}.", lambda: services.document_request_create(
        customer_id=customer_id, document_types=types, due_date=due, note=request.POST.get("note", "").strip() or None,
        actor=Actor.from_user(request.user)))


@require_GET
@role_required(*selectors.EVIDENCE_READERS)
def document_preview_view(request: HttpRequest, customer_id: str, document_id: str) -> HttpResponse:
    """The document's file in the page, through a presigned link minted (and audited) for this view."""
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("case-queue")
    try:
        document = selectors.document_get(customer_id=customer_id, document_id=document_id)
        link = selectors.document_preview_url(document, request.user)
    except DomainError as exc:
        return render(request, "documents/preview.html", {"error": exc.message, "back": back},
                      status=exc.status if exc.status in (404, 409, 415) else 400)
    context = {"document": document, "link": link, "back": back,
               "type_label": DOCUMENT_TYPES.get(document.document_type, document.document_type)}
    # The file is shown from storage's origin: this page alone lets the browser load it from there.
    @csp_override(link.page_policy())
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "documents/preview.html", context)

    return page(request)
