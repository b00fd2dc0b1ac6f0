"""Admin pages for analysts: the alert queue (by status, list, score band, age) and the alert page; the lists
(versions, a version's diff, uploading a file that a senior reviewer activates) and the book's re-screening."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import DomainError, PayloadTooLarge, ValidationFailed
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.screening.dynamo_models import ALERT_STATUSES, OPEN
from apps.screening.matching.links import LIST_LABELS
from apps.screening.models import (
    AWAITING,
    STATUS_ACTIVE,
    STATUS_DISCARDED,
    STATUS_HELD,
    STATUS_REFUSED,
    STATUS_STAGED,
    STATUS_SUPERSEDED,
    ListVersion,
)
from apps.screening.selectors.alerts import alert_get, alert_queue
from apps.screening.selectors.lists import (
    list_changes_search,
    list_heads_get,
    list_keys_known,
    list_version_changes,
    list_version_get,
    list_versions_recent,
)
from apps.screening.services.lists import (
    LIST_UPLOADERS,
    list_source_for,
    list_upload_allowed,
    list_upload_max_bytes,
    list_version_activate,
    list_version_discard,
    list_version_loaded_by,
    list_version_may_activate,
    list_version_may_discard,
    list_version_upload,
)
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
DIFF_PAGE_SIZE = 50
DIFF_KINDS = {"": "all changes", "added": "added", "removed": "removed", "changed": "changed"}
VERSION_STATUS = {STATUS_ACTIVE: "active", STATUS_SUPERSEDED: "previous", STATUS_HELD: "held",
                  STATUS_REFUSED: "refused", STATUS_STAGED: "awaiting activation", STATUS_DISCARDED: "discarded"}
SOURCE_TEXT = {"snapshot": "the bundled snapshot", "upload": "uploaded in the admin", "url": "downloaded",
               "directory": "loaded from a folder"}


def _diff_text(diff: dict[str, Any] | None) -> str:
    diff = diff or {}
    return f"+{diff.get('added', 0)} -{diff.get('removed', 0)} ~{diff.get('changed', 0)}"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _who(actor: dict[str, Any] | None) -> str:
    actor = actor or {}
    if not actor:
        return "—"
    return f"{actor.get('name')} (job)" if actor.get("kind") == "system" else str(actor.get("name") or "—")


def _source_files(v: ListVersion) -> list[str]:
    """Each file of a version as it came: its uploaded name where it differed from the canonical one."""
    names = v.file_names or {}
    return [f"{names[n]} (as {n})" if names.get(n, n) != n else n for n in sorted(v.raw_keys or v.file_checksums or {})]


def _why(v: ListVersion) -> str:
    if v.status == STATUS_DISCARDED:
        return f"Discarded by {_who(v.discarded_by)} on {_when(v.discarded_at)}: {v.discard_reason}"
    if v.status in (STATUS_REFUSED, STATUS_HELD):
        return v.message or ""
    if v.status == STATUS_STAGED:
        return f"Uploaded by {_who(v.loaded_by)}; a senior reviewer who did not upload it activates it."
    if v.activated_at:
        return f"Activated by {_who(v.activated_by or v.loaded_by)} on {_when(v.activated_at)}"
    return ""


def _counts(v: ListVersion) -> str:
    if v.status == STATUS_REFUSED and not v.entity_count:
        return "— (not parsed)"
    by_schema = ", ".join(f"{k} {int(n):,}" for k, n in sorted((v.counts or {}).items()))
    return f"{int(v.entity_count or 0):,}" + (f" ({by_schema})" if by_schema else "")


def _version_card(v: ListVersion, actor: Actor) -> dict[str, Any]:
    """A version as the pages show it, with what this person may do with it (the services decide)."""
    diff = v.diff or {}
    return {
        "v": v, "status": VERSION_STATUS.get(v.status, v.status), "why": _why(v), "entries": _counts(v),
        "changes": _diff_text(v.diff) if v.diff is not None else "—",
        "added": int(diff.get("added", 0)), "removed": int(diff.get("removed", 0)),
        "changed": int(diff.get("changed", 0)),
        "source": SOURCE_TEXT.get(v.source, v.source), "source_url": v.source_url, "files": _source_files(v),
        "file_checksums": [{"name": n, "sha256": sha, "given": (v.file_names or {}).get(n) if
                            (v.file_names or {}).get(n, n) != n else None}
                           for n, sha in sorted((v.file_checksums or {}).items())],
        "loaded_at": _when(v.created_at),
        "loaded_by": _who(v.loaded_by), "url": reverse("admin:domain-list-version", args=[v.list_key, v.version_id]),
        "awaiting": v.status in AWAITING, "held": v.status == STATUS_HELD,
        "can_activate": list_version_may_activate(v, actor), "can_discard": list_version_may_discard(v, actor),
        "uploaded_it": list_version_loaded_by(v, actor),
    }


def _list_title(list_key: str) -> str:
    try:
        return list_source_for(list_key).title
    except DomainError:
        return list_key


def lists_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    heads = list_heads_get()
    rows = []
    for key in list_keys_known():
        head = heads.get(key)
        latest = next(iter(list_versions_recent(list_key=key, limit=1)), None)
        latest_text = (f"{VERSION_STATUS.get(latest.status, latest.status)}: "
                       f"{latest.message or latest.discard_reason or _diff_text(latest.diff)}"
                       f" ({_when(latest.created_at)})") if latest else "—"
        rows.append({"cells": [key, _list_title(key), f"{int(head.entity_count):,}" if head else
                               "none loaded (screening uses the bundled snapshot)", _when(head.activated_at) if head
                               else "—", latest_text],
                     "url": reverse("admin:domain-list", args=[key])})
    actor = Actor.from_user(request.user)
    links = [("Upload a new list file", reverse("admin:domain-list-upload"))] if list_upload_allowed(actor) else []
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": "Sanctions and watch lists", "links": links,
        "headers": ["List", "Name", "Active entries", "Activated", "Latest load"], "rows": rows,
    })


def _version_action(request: HttpRequest, list_key: str) -> None:
    """Activate or discard a version awaiting activation (POST of the list page and of the version page)."""
    version_id = request.POST.get("version_id", "")
    actor = Actor.from_user(request.user)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "discard":
            list_version_discard(list_key=list_key, version_id=version_id, actor=actor, reason=reason)
            messages.success(request, f"Version {version_id} of {list_key} is discarded; the active version stays.")
            return
        list_version_activate(list_key=list_key, version_id=version_id, actor=actor, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, f"Version {version_id} of {list_key} is active; its changes are being "
                                  "screened against the book.")


VERSIONS_PAGE = 50
VERSION_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID


def list_view(request: HttpRequest, list_key: str, *, site: Any) -> HttpResponse:
    """Every version of one list, newest first: counts, source, status and why; those awaiting activation."""
    if request.method == "POST":
        _version_action(request, list_key)
        return redirect(reverse("admin:domain-list", args=[list_key]))
    try:
        title = list_source_for(list_key).title
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "List", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    before = request.GET.get("before") or None
    if before is not None and not VERSION_ID.fullmatch(before):
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": f"{title}: versions", "headers": [], "rows": [],
            "empty": f"before: {before!r} is not a version id (26 letters and digits, as in a version's link); "
                     "open the list's versions from the Lists page."}, status=400)
    actor = Actor.from_user(request.user)
    versions = list_versions_recent(list_key=list_key, limit=VERSIONS_PAGE + 1, before=before)
    cards = [_version_card(v, actor) for v in versions[:VERSIONS_PAGE]]
    here = reverse("admin:domain-list", args=[list_key])
    return TemplateResponse(request, "admin/cdd_list_versions.html", {
        **site.each_context(request), "title": f"{title}: versions", "list_key": list_key, "list_title": title,
        "cards": cards, "paged": before is not None, "newest_url": here,
        "older_url": f"{here}?before={versions[VERSIONS_PAGE - 1].version_id}" if len(versions) > VERSIONS_PAGE
        else None,
        "awaiting": [c for c in cards if c["awaiting"]] if before is None else [],
        "lists_url": reverse("admin:domain-lists"),
        "upload_url": (reverse("admin:domain-list-upload") + f"?list={list_key}") if list_upload_allowed(actor)
        else None,
    })


def list_version_view(request: HttpRequest, list_key: str, version_id: str, *, site: Any) -> HttpResponse:
    """One version: its source and counts, its decision, and its diff against the version it replaced."""
    if request.method == "POST":
        _version_action(request, list_key)
        return redirect(reverse("admin:domain-list-version", args=[list_key, version_id]))
    try:
        version = list_version_get(list_key=list_key, version_id=version_id)
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "List version", "headers": [], "rows": [], "empty": exc.message,
        }, status=404)
    kind = request.GET.get("kind", "")
    kind = kind if kind in DIFF_KINDS else ""
    query = request.GET.get("q", "").strip()[:200]
    rows = list_version_changes(version=version)
    found = list_changes_search(rows, query=query, kind=kind)
    page = Paginator(found, DIFF_PAGE_SIZE).get_page(request.GET.get("page"))
    base = reverse("admin:domain-list-version", args=[list_key, version_id])

    def link(**change: Any) -> str:
        params = {"kind": kind, "q": query, **change}
        return base + "?" + urlencode({k: v for k, v in params.items() if v})

    card = _version_card(version, Actor.from_user(request.user))
    totals = {"": len(rows), **{k: sum(1 for r in rows if r["kind"] == k) for k in ("added", "removed", "changed")}}
    previous = None
    if version.previous_version_id:
        previous = {"url": reverse("admin:domain-list-version", args=[list_key, version.previous_version_id]),
                    "id": version.previous_version_id}
    return TemplateResponse(request, "admin/cdd_list_version.html", {
        **site.each_context(request), "title": f"{_list_title(list_key)}: version loaded {card['loaded_at']}",
        "c": card, "awaiting_one": [card] if card["awaiting"] else [],
        "list_url": reverse("admin:domain-list", args=[list_key]), "previous": previous,
        "tabs": [(f"{label} ({totals[k]:,})", link(kind=k), k == kind) for k, label in DIFF_KINDS.items()],
        "kind": kind, "query": query, "page": page, "found": len(found),
        "prev_url": link(page=page.previous_page_number()) if page.has_previous() else None,
        "next_url": link(page=page.next_page_number()) if page.has_next() else None,
    })


def list_upload_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    """Upload a list file: it is parsed, checked and diffed, and staged for a senior reviewer's activation."""
    keys = list_keys_known()
    chosen = request.POST.get("list_key") or request.GET.get("list", "")
    errors: dict[str, list[str]] = {}
    problem = ""
    status = 200
    if request.method == "POST":
        uploads = request.FILES.getlist("files")
        limit = list_upload_max_bytes()
        try:
            if chosen not in keys:
                raise ValidationFailed("Choose the list this file belongs to.", errors={"list_key": ["choose a list"]})
            too_big = [f.name or "file" for f in uploads if (f.size or 0) > limit]
            if too_big:  # refused before it is read into memory
                raise PayloadTooLarge(f"{', '.join(too_big)}: more than the {limit:,} bytes allowed per file.",
                                      errors={"files": [f"{n}: too large" for n in too_big]})
            files = {f.name or "file": f.read() for f in uploads}
            outcome = list_version_upload(list_key=chosen, files=files, actor=Actor.from_user(request.user))
        except DomainError as exc:
            problem, errors, status = exc.message, exc.errors, exc.status
        else:
            v = outcome.version
            if outcome.outcome == "unchanged":
                messages.info(request, f"These files are those of the active version of {chosen} (loaded "
                                       f"{_when(v.created_at)}); nothing was staged.")
                return redirect(reverse("admin:domain-list", args=[chosen]))
            if outcome.outcome == "refused":
                messages.error(request, f"Refused: {v.message} The active version stays.")
            elif outcome.outcome == "held":
                messages.warning(request, f"Held: {v.message} The active version stays until then.")
            else:
                messages.success(request, f"Staged: {int(v.entity_count):,} entries, {_diff_text(v.diff)} against the "
                                          "active version. A senior reviewer who did not upload it activates it.")
            return redirect(reverse("admin:domain-list-version", args=[chosen, v.version_id]))
    choices = []
    for key in keys:
        source = list_source_for(key)
        choices.append({"key": key, "title": source.title, "selected": key == chosen,
                        "files": ", ".join(f.name + ("" if f.required else " (optional)") for f in source.files)})
    return TemplateResponse(request, "admin/cdd_list_upload.html", {
        **site.each_context(request), "title": "Upload a list file", "choices": choices, "problem": problem,
        "errors": errors, "max_mb": f"{list_upload_max_bytes() / 1024 / 1024:g}",
        "lists_url": reverse("admin:domain-lists"),
    }, status=status)


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
                               f"{screened:,} of {subjects:,} ({share})", f"{int(job.requested or 0):,}"]})
    config = screening_config()
    return TemplateResponse(request, "admin/cdd_rescreen.html", {
        **site.each_context(request), "title": "Full re-screening of the book",
        "headers": ["Job", "Started", "By", "Trigger", "Reason", "Status", "Screened", "Requests"],
        "rows": rows, "empty": "No full re-screening yet.",
        "config": f"matching algorithm {config['algorithm']}, alert threshold {config['threshold']:g}, lists: "
                  + ", ".join(LIST_LABELS.get(key) or _list_title(key) for key in config["lists"]),
        "can_start": bool({ANALYST, SENIOR_REVIEWER} & user_roles(request.user)),
    })


ADMIN_PAGES = [
    AdminPage(route="rescreen/", view=rescreen_view, name="rescreen", title="Re-screening", roles=LIST_READERS),
    AdminPage(route="lists/", view=lists_view, name="lists", title="Lists", roles=LIST_READERS),
    AdminPage(route="lists/upload/", view=list_upload_view, name="list-upload", title="Upload a list file",
              roles=LIST_UPLOADERS, listed=False),
    AdminPage(route="lists/<str:list_key>/", view=list_view, name="list", title="List", roles=LIST_READERS,
              listed=False),
    AdminPage(route="lists/<str:list_key>/versions/<str:version_id>/", view=list_version_view,
              name="list-version", title="List version", roles=LIST_READERS, listed=False),
    AdminPage(route="alerts/", view=alerts_view, name="alerts", title="Alerts", roles=WORKERS),
    AdminPage(route="alerts/<str:alert_id>/", view=alert_view, name="alert", title="Alert", roles=WORKERS,
              listed=False),
]
