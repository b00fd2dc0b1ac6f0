"""Disposition forms of the reviewer UI (their alerts are shown on the case page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.core.web import role_required
from apps.screening.web import alert_action_run


@require_POST
@role_required(ANALYST, REVIEWER, SENIOR_REVIEWER)
def alert_action_view(request: HttpRequest, alert_id: str) -> HttpResponse:
    alert_action_run(request, alert_id, request.POST.get("action", ""))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/cases/"
    return redirect(f"{target}#{alert_id}")
