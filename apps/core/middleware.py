"""Gives every request an id (from the load balancer's trace header or a new one)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core.context import context_reset, context_set

_SAFE_ID = re.compile(r"^[A-Za-z0-9=;:._-]{1,128}$")


def _client_ip(request: HttpRequest) -> str | None:
    # Behind the ALB the client is the first address of X-Forwarded-For.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id") or request.headers.get("X-Amzn-Trace-Id") or ""
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = context_set(request_id=request_id, source_ip=_client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            context_reset(tokens)
        response["X-Request-Id"] = request_id
        return response


class AdminAllowListMiddleware:
    """Defence in depth behind the ALB rule: the admin service answers only allow-listed networks.

    Active when ``CDD_ADMIN_ALLOWED_CIDRS`` is set and this process serves the admin URLconf;
    health endpoints stay open for the load balancer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        import ipaddress

        from django.conf import settings

        self.get_response = get_response
        self.networks = [ipaddress.ip_network(c, strict=False) for c in settings.CDD_ADMIN_ALLOWED_CIDRS]
        self.active = bool(self.networks) and settings.CDD_SERVICE in ("admin", "all")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.active and request.path.startswith("/admin/"):
            import ipaddress

            from apps.core.context import context_get

            ip = context_get().source_ip or ""
            try:
                allowed = any(ipaddress.ip_address(ip) in net for net in self.networks)
            except ValueError:
                allowed = False
            if not allowed:
                return HttpResponse("The admin is reachable only from the bank's allow-listed networks.",
                                    status=403, content_type="text/plain")
        return self.get_response(request)


class HealthCheckMiddleware:
    """Answer /healthz and /readyz before host validation.

    The load balancer's health checks address the task by its private IP, which is not (and
    should not be) in ALLOWED_HOSTS; every other request still goes through host checks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            from apps.core import health

            if request.path == "/healthz":
                return health.healthz(request)
            if request.path == "/readyz":
                return health.readyz(request)
        return self.get_response(request)
