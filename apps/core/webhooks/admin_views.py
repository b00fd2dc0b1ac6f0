"""Admin pages for platform admins: webhook endpoints (register, change, rotate the secret, enable / disable, with
their deliveries and attempts) and the dead letter, where a dead delivery is replayed. Every change is a POST with
CSRF, made and audited by the service.

A signing secret (registration, rotation) is rendered once, in the answer to the POST that made it: never in a
URL, a message cookie or the session, and the admin's ``never_cache`` keeps the page out of every cache.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from apps.audit.actors import Actor
from apps.core.admin_site import AdminPage
from apps.core.errors import Conflict, DomainError, PreconditionFailed
from apps.core.events import BY_NAME
from apps.core.roles import INTEGRATION, PLATFORM_ADMIN
from apps.core.webhooks import selectors, services
from apps.core.webhooks.models import ACTIVE, DEAD, DISABLED, WebhookDelivery, WebhookEndpoint
from apps.core.webhooks.targets import MAX_URL_LENGTH

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
            "last_error": last.get("error") or "", "stopped": delivery.stopped_reason or "",
            "attempts": _attempt_rows(delivery),
            "attempt_total": len(delivery.attempts or []), "replays": int(delivery.replays or 0),
            "dead": delivery.status == DEAD, "integration": integration,
            "endpoint_active": bool(endpoint and endpoint.status == ACTIVE),
            "endpoint_url": endpoint.url if endpoint else None,
            "endpoint_link": reverse("admin:domain-webhook-endpoint", args=[delivery.endpoint_id]),
            "replay_url": reverse("admin:domain-webhook-replay", args=[delivery.delivery_id])}


# --- forms ---------------------------------------------------------------------------------------------------


def integration_choices() -> list[tuple[str, str]]:
    """The active integration service accounts, by full name (the account name only where two share one)."""
    users = get_user_model().objects.filter(groups__name=INTEGRATION, is_active=True).distinct().order_by(
        "first_name", "last_name", "username")
    named = [(u.get_username(), u.get_full_name() or u.get_username()) for u in users]
    shared = Counter(label for _, label in named)
    return [(name, f"{label} ({name})" if shared[label] > 1 else label) for name, label in named]


def _event_choices() -> list[tuple[str, str]]:
    return [(kind.name, format_html('{} <code>{}</code> <span class="wh-muted">version {}</span>',
                                    kind.description, kind.name, kind.version))
            for kind in selectors.webhook_event_catalogue()]


class AdminForm(forms.Form):
    """Rendered field by field with its label, help, and errors next to it (admin/cdd_webhook_form_fields.html)."""

    template_name = "admin/cdd_webhook_form_fields.html"
    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EndpointFieldsForm(AdminForm):
    """What the admin enters about an endpoint; the service checks the URL's target and the events."""

    url = forms.CharField(
        label="URL", max_length=MAX_URL_LENGTH, widget=forms.URLInput(attrs={"class": "vTextField wh-wide"}),
        help_text="Where the webhooks are POSTed: https:// with a public address (checked now and before every "
                  "attempt; redirects are not followed). Only where CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS is on "
                  "(local and test stacks) may it be http:// or a private address.",
        error_messages={"required": "Enter the URL the integration receives webhooks at."})
    events = forms.MultipleChoiceField(
        label="Events", widget=forms.CheckboxSelectMultiple, choices=_event_choices,
        help_text="The event types this endpoint receives; each carries ids and what changed, never personal data.",
        error_messages={"required": "Choose at least one event."})
    description = forms.CharField(
        label="Description", required=False, max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField wh-wide"}),
        help_text=f"Optional: what this endpoint is for (at most {services.MAX_DESCRIPTION} characters).")


class EndpointRegisterForm(EndpointFieldsForm):
    integration = forms.ChoiceField(
        label="Integration", help_text="The integration service account the endpoint belongs to.",
        error_messages={"required": "Choose the integration."})
    every_customer = forms.BooleanField(
        label="Receives events about every integration's customers", required=False,
        help_text="Off (the default): the endpoint hears only about the customers this integration created, as an "
                  "API key without integrations:all registers it. On: it hears about every customer, whichever "
                  "integration onboarded them; only for a system trusted with the whole customer book, such as "
                  "core banking. This cannot be changed later (register a new endpoint instead).")

    field_order = ["integration", "url", "events", "description", "every_customer"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.integrations = integration_choices()
        cast(forms.ChoiceField, self.fields["integration"]).choices = [("", "— choose the integration —"),
                                                                        *self.integrations]


class EndpointEditForm(EndpointFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class SecretRotateForm(AdminForm):
    overlap_hours = forms.IntegerField(
        label="Overlap (hours)", min_value=0, max_value=services.MAX_OVERLAP_HOURS,
        widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
        help_text=f"How long the current secret stays valid beside the new one (0 to {services.MAX_OVERLAP_HOURS}; "
                  "0 ends it at once). Meanwhile every webhook carries both signatures, so the receiver can switch "
                  "to the new secret at any moment of that window.",
        error_messages={"required": "Enter the overlap in hours (0 ends the current secret at once)."})


def _service_errors(form: forms.Form, exc: DomainError) -> None:
    """The service's refusal next to the fields it names (the others above the form)."""
    for name, problems in (exc.errors or {"__all__": [exc.message]}).items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


# --- pages ---------------------------------------------------------------------------------------------------


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
        "dead_url": reverse("admin:domain-webhooks-dead"), "add_url": reverse("admin:domain-webhook-add")})


def endpoint_add_view(request: HttpRequest, *, site: Any) -> HttpResponse:
    """Register an endpoint for an integration; the answer shows its signing secret, this once."""
    form = EndpointRegisterForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.cleaned_data
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    actor=Actor.from_user(request.user), integration=values["integration"],
                    confined=not values["every_customer"], url=values["url"], events=values["events"],
                    description=values["description"])
            except DomainError as exc:
                _service_errors(form, exc)
                status = exc.status
            else:
                return _endpoint_page(request, endpoint, site=site, status=201, secret={
                    "value": secret, "made": "registered", "number": endpoint.secrets[0]["id"], "previous": None})
    return TemplateResponse(request, "admin/cdd_webhook_add.html", {
        **site.each_context(request), "title": "Add webhook endpoint", "form": form,
        "has_integrations": bool(form.integrations),
        "users_url": reverse("admin:auth_user_changelist"), "list_url": reverse("admin:domain-webhooks")},
        status=status)


def _not_found(request: HttpRequest, exc: DomainError, *, site: Any) -> HttpResponse:
    return TemplateResponse(request, "admin/cdd_table.html", {
        **site.each_context(request), "title": "Webhook endpoint", "headers": [], "rows": [],
        "empty": exc.message}, status=404)


def _endpoint_page(request: HttpRequest, endpoint: WebhookEndpoint, *, site: Any, status: int = 200,
                   edit_form: EndpointEditForm | None = None, rotate_form: SecretRotateForm | None = None,
                   secret: dict[str, Any] | None = None, stale: str | None = None) -> HttpResponse:
    """The endpoint page; ``secret`` (only in the answer to the POST that made it) shows the new secret once."""
    endpoint_id = endpoint.endpoint_id
    deliveries = selectors.webhook_deliveries_of_endpoint(endpoint_id=endpoint_id, limit=50)
    keys = [{"id": k["id"], "created": _when(k["created_at"]),
             "expires": _when(k.get("expires_at")) if k.get("expires_at") else "until the next rotation"}
            for k in endpoint.secrets or []]
    if edit_form is None:
        edit_form = EndpointEditForm(initial={"url": endpoint.url, "events": list(endpoint.events or []),
                                              "description": endpoint.description or "",
                                              "version": endpoint.version})
    if rotate_form is None:
        rotate_form = SecretRotateForm(initial={"overlap_hours": settings.CDD_WEBHOOKS_ROTATION_OVERLAP_HOURS})
    return TemplateResponse(request, "admin/cdd_webhook_endpoint.html", {
        **site.each_context(request), "title": f"Webhook endpoint: {endpoint.url}", "e": endpoint,
        "integration": integration_names({endpoint.integration})[endpoint.integration],
        "status": STATUS_TEXT.get(endpoint.status, endpoint.status),
        "events": [_event_text(str(name)) for name in endpoint.events or []], "keys": keys,
        "created": _when(endpoint.created_at), "updated": _when(endpoint.updated_at),
        "counts": selectors.webhook_delivery_counts(endpoint_id=endpoint_id),
        "cards": [_delivery_card(d, endpoint=endpoint) for d in deliveries], "active": endpoint.status == ACTIVE,
        "list_url": reverse("admin:domain-webhooks"),
        "back": reverse("admin:domain-webhook-endpoint", args=[endpoint_id]),
        "edit_form": edit_form, "rotate_form": rotate_form, "secret": secret, "stale": stale,
        "edit_url": reverse("admin:domain-webhook-edit", args=[endpoint_id]),
        "rotate_url": reverse("admin:domain-webhook-rotate", args=[endpoint_id]),
        "editing": edit_form.is_bound or stale is not None,
    }, status=status)


def endpoint_view(request: HttpRequest, endpoint_id: str, *, site: Any) -> HttpResponse:
    try:
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    except DomainError as exc:
        return _not_found(request, exc, site=site)
    if request.method == "POST":
        wanted = request.POST.get("status", "")
        try:
            services.webhook_endpoint_update(endpoint_id=endpoint_id, actor=Actor.from_user(request.user),
                                             changes={"status": wanted})
            messages.success(request, f"The endpoint is now {STATUS_TEXT.get(wanted, wanted)}.")
        except DomainError as exc:
            messages.error(request, exc.text())
        return redirect(reverse("admin:domain-webhook-endpoint", args=[endpoint_id]))
    return _endpoint_page(request, endpoint, site=site)


STALE = ("This endpoint was changed meanwhile (by another admin or by its integration), so your change was not "
         "saved. Reload the page to see the endpoint as it is now, then make your change again.")


def endpoint_edit_view(request: HttpRequest, endpoint_id: str, *, site: Any) -> HttpResponse:
    """Change the url, events and description, against the version the admin saw (optimistic locking)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    except DomainError as exc:
        return _not_found(request, exc, site=site)
    form = EndpointEditForm(request.POST)
    if not form.is_valid():
        return _endpoint_page(request, endpoint, site=site, edit_form=form, status=400)
    values = form.cleaned_data
    try:
        updated = services.webhook_endpoint_update(
            endpoint_id=endpoint_id, actor=Actor.from_user(request.user), expected_version=values["version"],
            changes={"url": values["url"], "events": values["events"], "description": values["description"]})
    except (PreconditionFailed, Conflict):
        return _endpoint_page(request, endpoint, site=site, edit_form=form, stale=STALE, status=409)
    except DomainError as exc:
        _service_errors(form, exc)
        return _endpoint_page(request, endpoint, site=site, edit_form=form, status=exc.status)
    if updated.version == endpoint.version:
        messages.info(request, "Nothing changed: the endpoint already had these values.")
    else:
        messages.success(request, "The endpoint's URL, events and description are saved (audited).")
    return redirect(reverse("admin:domain-webhook-endpoint", args=[endpoint_id]))


def endpoint_rotate_view(request: HttpRequest, endpoint_id: str, *, site: Any) -> HttpResponse:
    """A new signing secret, shown in this answer only; the current one stays valid for the overlap."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    except DomainError as exc:
        return _not_found(request, exc, site=site)
    form = SecretRotateForm(request.POST)
    if form.is_valid():
        try:
            rotated, secret = services.webhook_endpoint_secret_rotate(
                endpoint_id=endpoint_id, actor=Actor.from_user(request.user),
                overlap_hours=form.cleaned_data["overlap_hours"])
        except DomainError as exc:
            _service_errors(form, exc)
            return _endpoint_page(request, endpoint, site=site, rotate_form=form, status=exc.status)
        previous = rotated.secrets[1] if len(rotated.secrets or []) > 1 else None
        return _endpoint_page(request, rotated, site=site, secret={
            "value": secret, "made": "rotated", "number": rotated.secrets[0]["id"],
            "previous": {"number": previous["id"], "until": _when(previous.get("expires_at"))} if previous else None})
    return _endpoint_page(request, endpoint, site=site, rotate_form=form, status=400)


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
    AdminPage(route="webhook-dead-letter/", view=dead_view, name="webhooks-dead", title="Webhook dead letter",
              roles=ADMINS),
    AdminPage(route="webhooks/add/", view=endpoint_add_view, name="webhook-add", title="Add webhook endpoint",
              roles=ADMINS, listed=False),
    AdminPage(route="webhooks/endpoints/<str:endpoint_id>/", view=endpoint_view, name="webhook-endpoint",
              title="Webhook endpoint", roles=ADMINS, listed=False),
    AdminPage(route="webhooks/endpoints/<str:endpoint_id>/edit/", view=endpoint_edit_view, name="webhook-edit",
              title="Change a webhook endpoint", roles=ADMINS, listed=False),
    AdminPage(route="webhooks/endpoints/<str:endpoint_id>/rotate-secret/", view=endpoint_rotate_view,
              name="webhook-rotate", title="Rotate a webhook endpoint's secret", roles=ADMINS, listed=False),
    AdminPage(route="webhooks/deliveries/<str:delivery_id>/replay/", view=replay_view, name="webhook-replay",
              title="Replay a webhook delivery", roles=ADMINS, listed=False),
]
