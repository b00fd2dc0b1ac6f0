"""Admin pages for platform admins: webhook endpoints (with their deliveries and attempts) and the dead letter,
where a dead delivery is replayed (POST, CSRF, audited by the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import DomainError
from apps.core.events import BY_NAME
from apps.core.roles import PLATFORM_ADMIN
from apps.core.webhooks import selectors, services
from apps.core.webhooks.models import ACTIVE, DEAD, DISABLED, WebhookDelivery, WebhookEndpoint

ADMINS = (PLATFORM_ADMIN,)
STATUS_TEXT = {"pending": "pending", "delivered": "delivered", "dead": "dead (gave up)", ACTIVE: "active",
               DISABLED: "disabled"}


def _when(value: datetime | str | None) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%d %b %Y %H:%M:%S UTC")


def _event_text(name: str) -> str:
    kind = BY_NAME.get(name)
    return f"{kind.description} ({name}, v{kind.version})" if kind else name


def integration_names(usernames: set[str]) -> dict[str, str]:
    """Each integration's name as people know it: its service account's full name, else the account name."""
    users = get_user_model().objects.filter(username__in=usernames)
    named = {u.get_username(): (u.get_full_name() or u.get_username()) for u in users}
    return {name: named.get(name, f"{name} (account removed)") for name in usernames}


def _attempt_rows(delivery: WebhookDelivery) -> list[dict[str, Any]]:
    return [{"n": a.get("n"), "at": _when(a.get("at")), "status_code": a.get("status_code") or "no answer",
             "latency": f"{int(a.get('latency_ms') or 0):,} ms", "excerpt": a.get("response_excerpt") or "",
             "error": a.get("error") or ""} for a in reversed(delivery.attempts or [])]


def _delivery_card(delivery: WebhookDelivery, *, integration: str | None = None,
                   endpoint: WebhookEndpoint | None = None) -> dict[str, Any]:
    last = (delivery.attempts or [{}])[-1] if delivery.attempts else {}
    return {"d": delivery, "event": _event_text(delivery.event_type), "status": STATUS_TEXT.get(delivery.status,
                                                                                                delivery.status),
            "created": _when(delivery.created_at), "next": _when(delivery.next_attempt_at),
            "last_error": last.get("error") or "", "attempts": _attempt_rows(delivery),
            "attempt_total": len(delivery.attempts or []), "replays": int(delivery.replays or 0),
            "dead": delivery.status == DEAD, "integration": integration,
            "endpoint_url": endpoint.url if endpoint else None,
            "endpoint_link": reverse("admin:domain-webhook-endpoint", args=[delivery.endpoint_id]),
            "replay_url": reverse("admin:domain-webhook-replay", args=[delivery.delivery_id])}


def endpoints_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    endpoints = selectors.webhook_endpoints_all()
    names = integration_names({e.integration for e in endpoints})
    rows = []
    for endpoint in endpoints:
        counts = selectors.webhook_delivery_counts(endpoint_id=endpoint.endpoint_id)
        rows.append({"e": endpoint, "integration": names[endpoint.integration],
                     "status": STATUS_TEXT.get(endpoint.status, endpoint.status),
                     "events": [_event_text(str(name)) for name in endpoint.events or []], "counts": counts,
                     "url": reverse("admin:domain-webhook-endpoint", args=[endpoint.endpoint_id])})
    return TemplateResponse(request, "admin/cdd_webhook_endpoints.html", {
        **site.each_context(request), "title": "Webhook endpoints", "rows": rows,
        "dead_url": reverse("admin:domain-webhooks-dead")})


def endpoint_view(request: HttpRequest, endpoint_id: str, *, site: Any) -> HttpResponse:
    try:
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    except DomainError as exc:
        return TemplateResponse(request, "admin/cdd_table.html", {
            **site.each_context(request), "title": "Webhook endpoint", "headers": [], "rows": [],
            "empty": exc.message}, status=404)
    if request.method == "POST":
        wanted = request.POST.get("status", "")
        try:
            services.webhook_endpoint_update(endpoint_id=endpoint_id, actor=Actor.from_user(request.user),
                                             changes={"status": wanted})
            messages.success(request, f"The endpoint is now {STATUS_TEXT.get(wanted, wanted)}.")
        except DomainError as exc:
            messages.error(request, exc.text())
        return redirect(reverse("admin:domain-webhook-endpoint", args=[endpoint_id]))
    deliveries = selectors.webhook_deliveries_of_endpoint(endpoint_id=endpoint_id, limit=50)
    return TemplateResponse(request, "admin/cdd_webhook_endpoint.html", {
        **site.each_context(request), "title": f"Webhook endpoint: {endpoint.url}", "e": endpoint,
        "integration": integration_names({endpoint.integration})[endpoint.integration],
        "status": STATUS_TEXT.get(endpoint.status, endpoint.status),
        "events": [_event_text(str(name)) for name in endpoint.events or []],
        "keys": [{"id": k["id"], "created": _when(k["created_at"]),
                  "expires": _when(k.get("expires_at")) if k.get("expires_at") else "until the next rotation"}
                 for k in endpoint.secrets or []],
        "created": _when(endpoint.created_at), "updated": _when(endpoint.updated_at),
        "counts": selectors.webhook_delivery_counts(endpoint_id=endpoint_id),
        "cards": [_delivery_card(d) for d in deliveries], "active": endpoint.status == ACTIVE,
        "list_url": reverse("admin:domain-webhooks"), "back": request.get_full_path(),
    })


def dead_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    dead = selectors.webhook_deliveries_dead(limit=200)
    names = integration_names({d.integration for d in dead})
    endpoints: dict[str, WebhookEndpoint | None] = {}
    for endpoint_id in {d.endpoint_id for d in dead}:
        try:
            endpoints[endpoint_id] = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
        except DomainError:
            endpoints[endpoint_id] = None
    cards = [_delivery_card(d, integration=names[d.integration], endpoint=endpoints.get(d.endpoint_id))
             for d in dead]
    return TemplateResponse(request, "admin/cdd_webhook_dead.html", {
        **site.each_context(request), "title": "Webhook dead letter", "cards": cards,
        "list_url": reverse("admin:domain-webhooks"), "back": request.get_full_path()})


def replay_view(request: HttpRequest, delivery_id: str, *, site: Any) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        delivery = services.webhook_delivery_replay(delivery_id=delivery_id, actor=Actor.from_user(request.user))
        messages.success(request, f"Replaying {_event_text(delivery.event_type)}: it is pending again and a worker "
                                  "sends it now.")
    except DomainError as exc:
        messages.error(request, exc.text())
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False) or (
            not back.startswith(reverse("admin:domain-webhooks"))):
        back = reverse("admin:domain-webhooks-dead")
    return redirect(back)


ADMIN_PAGES = [
    AdminPage(route="webhooks/", view=endpoints_view, name="webhooks", title="Webhook endpoints", roles=ADMINS),
    AdminPage(route="webhooks/dead/", view=dead_view, name="webhooks-dead", title="Webhook dead letter",
              roles=ADMINS),
    AdminPage(route="webhooks/endpoints/<str:endpoint_id>/", view=endpoint_view, name="webhook-endpoint",
              title="Webhook endpoint", roles=ADMINS, listed=False),
    AdminPage(route="webhooks/deliveries/<str:delivery_id>/replay/", view=replay_view, name="webhook-replay",
              title="Replay a webhook delivery", roles=ADMINS, listed=False),
]
