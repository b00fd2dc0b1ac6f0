"""The management-information page of the web service, and its CSV and XLSX exports.

For senior reviewers (who run the case work and decide escalations) and auditors (who oversee it):
there is no separate compliance-manager role (apps/core/roles.py).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.audit.actors import Actor
from apps.core.errors import ValidationFailed
from apps.core.mi.selectors import PRESETS, mi_period_parse, mi_report
from apps.core.mi.services import EXPORT_TYPES, mi_export
from apps.core.roles import AUDITOR, SENIOR_REVIEWER
from apps.core.web import role_required
from apps.customers.validation import RISK_RATINGS

MI_ROLES = (SENIOR_REVIEWER, AUDITOR)


def _refused(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return render(request, "mi/page.html", {
        "error": exc, "presets": PRESETS, "raw_from": request.GET.get("from", "")[:40],
        "raw_to": request.GET.get("to", "")[:40]}, status=400)


@require_GET
@role_required(*MI_ROLES)
def mi_page(request: HttpRequest) -> HttpResponse:
    try:
        period = mi_period_parse(request.GET)
    except ValidationFailed as exc:
        return _refused(request, exc)
    report = mi_report(period=period)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
    return render(request, "mi/page.html", {
        "report": report, "period": period, "presets": PRESETS, "data": report.chart_data(), "query": query,
        "raw_from": period.start.isoformat(), "raw_to": period.end.isoformat(), "ratings": RISK_RATINGS,
        "lead_days": settings.CDD_REVIEW_LEAD_DAYS, "expiring_days": settings.CDD_DOCUMENTS_EXPIRING_DAYS,
    })


@require_GET
@role_required(*MI_ROLES)
def mi_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        if fmt not in EXPORT_TYPES:
            raise ValidationFailed("Unknown export format.", errors={"format": ["csv or xlsx"]})
        period = mi_period_parse(request.GET)
    except ValidationFailed as exc:
        return _refused(request, exc)
    body, name, content_type = mi_export(period=period, fmt=fmt, actor=Actor.from_request(request))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
