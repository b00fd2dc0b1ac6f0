"""Admin pages for analysts: the alert queue (by status, list, score band, age) and the alert page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import DomainError
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.screening.dynamo_models import ALERT_STATUSES, OPEN
from apps.screening.models import STATUS_HELD
from apps.screening.selectors.alerts import alert_get, alert_queue
from apps.screening.selectors.lists import list_heads_get, list_keys_known, list_versions_recent
from apps.screening.services.lists import list_version_activate
from apps.screening.services.rescreen import rescreen_job_start, rescreen_jobs, screening_config
from apps.screening.web import STATUS_LABELS, alert_action_run, alert_card

WORKERS = (ANALYST, REVIEWER, SENIOR_REVIEWER)
SCORE_BANDS = {"": (0.0, 1.01), "high": (0.95, 1.01), "medium": (0.88, 0.95), "low": (0.0, 0.88)}
AGES: dict[str, int | None] = {"": None, "1d": 1, "7d": 7, "30d": 30}


def alerts_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    status = request.GET.get("status", OPEN)
    status = status if status in ALERT_STATUSES else OPEN
    list_key = request.GET.get("list", "")
    band = request.GET.get("score", "")
    band = band if band in SCORE_BANDS else ""
    age = request.GET.get("older_than", "")
    age = age if age in AGES else ""
    low, high = SCORE_BANDS[band]
    min_days = AGES[age] or 0
    now = timezone.now()
    states = alert_queue(status=status, limit=500)
    rows = []
    for state in states:
        days = (now - state.created_at).days
        if (list_key and state.list_key != list_key) or not low <= float(state.score) < high or days < min_days:
            continue
        rows.append({"cells": [state.subject_name, state.list_key, state.list_entity_id,
                               f"{float(state.score):.2f}", STATUS_LABELS.get(state.status, state.status),
                               f"{days} d", state.updated_at.strftime("%Y-%m-%d %H:%M")],
                     "url": reverse("admin:domain-alert", args=[state.alert_id])})
    base = reverse("admin:domain-alerts")

    def link(**change: str) -> str:
        params = {"status": status, "list": list_key, "score": band, "older_than": age, **change}
        return base + "?" + "&".join(f"{k}={v}" for k, v in params.items() if v)

    lists = sorted({s.list_key for s in states})
    filters = ([(STATUS_LABELS[s], link(status=s), s == status) for s in ALERT_STATUSES]
               + [("any list", link(list=""), not list_key)] + [(k, link(list=k), k == list_key) for k in lists]
               + [(f"score {b or 'any'}", link(score=b), b == band) for b in SCORE_BANDS]
               + [(f"older than {a}" if a else "any age", link(older_than=a), a == age) for a in AGES])
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": f"Alerts: {STATUS_LABELS[status]}", "filters": filters,
        "headers": ["Subject", "List", "Entry", "Score", "Status", "Age", "Changed"], "rows": rows,
        "empty": f"No {STATUS_LABELS[status]} alerts match.",
    })


def alert_view(request: HttpRequest, alert_id: str, *, site: Any) -> HttpResponse:
    if request.method == "POST":
        alert_action_run(request, alert_id, request.POST.get("action", ""))
        return redirect(reverse("admin:domain-alert", args=[alert_id]))
    try:
        view = alert_get(alert_id=alert_id)
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "Alert", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    return TemplateResponse(request, "admin/cdd_alert.html", {
        **site.each_context(request), "title": f"Alert: {view.alert.subject_name} — {view.alert.list_key} "
                                               f"{view.alert.list_entity_id}",
        "c": alert_card(view, request.user), "queue_url": reverse("admin:domain-alerts"),
        "customer_url": reverse("admin:domain-customer", args=[view.alert.customer_id]),
    })


LIST_READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


def _diff_text(diff: dict[str, Any] | None) -> str:
    diff = diff or {}
    return f"+{diff.get('added', 0)} -{diff.get('removed', 0)} ~{diff.get('changed', 0)}"


def lists_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    heads = list_heads_get()
    rows = []
    for key in list_keys_known():
        head = heads.get(key)
        latest = next(iter(list_versions_recent(list_key=key, limit=1)), None)
        rows.append({"cells": [key, head.active_version_id if head else "none (the bundled snapshot is used)",
                               f"{int(head.entity_count):,}" if head else "—",
                               head.activated_at.strftime("%Y-%m-%d %H:%M") if head else "—",
                               f"{latest.status}: {latest.message or _diff_text(latest.diff)}" if latest else "—"],
                     "url": reverse("admin:domain-list", args=[key])})
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": "Sanctions and watch lists",
        "headers": ["List", "Active version", "Entities", "Activated", "Latest load"], "rows": rows,
    })


def list_view(request: HttpRequest, list_key: str, *, site: Any) -> HttpResponse:
    if request.method == "POST":
        version_id = request.POST.get("version_id", "")
        try:
            list_version_activate(list_key=list_key, version_id=version_id, actor=Actor.from_user(request.user),
                                  reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Version {version_id} of {list_key} is active; its changes are being "
                                      "screened against the book.")
        return redirect(reverse("admin:domain-list", args=[list_key]))
    versions = list_versions_recent(list_key=list_key, limit=50)
    held = [v for v in versions if v.status == STATUS_HELD]
    rows = [{"cells": [v.version_id, v.status, f"{int(v.entity_count or 0):,}", _diff_text(v.diff),
                       v.created_at.strftime("%Y-%m-%d %H:%M") if v.created_at else "—",
                       (v.loaded_by or {}).get("name", "—"), v.message or ""]} for v in versions]
    return TemplateResponse(request, "admin/cdd_list.html", {
        **site.each_context(request), "title": f"List {list_key}: versions", "list_key": list_key,
        "headers": ["Version", "Status", "Entities", "Diff", "Loaded", "By", "Why refused or held"], "rows": rows,
        "held": held, "can_release": SENIOR_REVIEWER in user_roles(request.user), "empty": f"No version of {list_key} was loaded; the bundled snapshot is used.",
        "lists_url": reverse("admin:domain-lists"),
    })


def rescreen_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    """Full re-screenings of the book: each job's progress, and a form to start one."""
    if request.method == "POST":
        try:
            item = rescreen_job_start(actor=Actor.from_user(request.user), reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, f"Re-screening job {(item.payload or {})['job_id']} started: a worker records "
                                      "a screening request per subject, and the workers share them.")
        return redirect(reverse("admin:domain-rescreen"))
    rows = []
    for job in rescreen_jobs():
        subjects, screened = int(job.subjects or 0), int(job.screened or 0)
        share = f"{min(100.0, 100.0 * screened / subjects):.0f}%" if subjects else "—"
        status = "done" if subjects and screened >= subjects and job.status == "screening" else job.status
        rows.append({"cells": [job.job_id, job.created_at.strftime("%Y-%m-%d %H:%M") if job.created_at else "—",
                               job.requested_by, (job.trigger or "").replace("_", " "), job.reason, status,
                               f"{screened:,} of {subjects:,} ({share})", f"{int(job.requested or 0):,}",
                               int(job.chunks or 0)]})
    config = screening_config()
    return TemplateResponse(request, "admin/cdd_rescreen.html", {
        **site.each_context(request), "title": "Full re-screening of the book",
        "headers": ["Job", "Started", "By", "Trigger", "Reason", "Status", "Screened", "Requests", "Chunks"],
        "rows": rows, "empty": "No full re-screening yet.",
        "config": f"algorithm {config['algorithm']}, threshold {config['threshold']:g}, lists "
                  f"{', '.join(config['lists'])}",
        "can_start": bool({ANALYST, SENIOR_REVIEWER} & user_roles(request.user)),
    })


ADMIN_PAGES = [
    AdminPage(route="rescreen/", view=rescreen_view, name="rescreen", title="Re-screening", roles=LIST_READERS),
    AdminPage(route="lists/", view=lists_view, name="lists", title="Lists", roles=LIST_READERS),
    AdminPage(route="lists/<str:list_key>/", view=list_view, name="list", title="List", roles=LIST_READERS,
              listed=False),
    AdminPage(route="alerts/", view=alerts_view, name="alerts", title="Alerts", roles=WORKERS),
    AdminPage(route="alerts/<str:alert_id>/", view=alert_view, name="alert", title="Alert", roles=WORKERS,
              listed=False),
]
