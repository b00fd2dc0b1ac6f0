"""Request ids, the client's address behind the trusted proxies, the admin allow-list, health checks."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.context import context_reset, context_set

_SAFE_ID = re.compile(r"^[A-Za-z0-9=;:._-]{1,128}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the last ``CDD_TRUSTED_PROXY_HOPS`` proxies saw it; never what the client wrote.

    Each trusted proxy (the ALB, in "append" mode) adds the address of its peer to the right of
    ``X-Forwarded-For``; everything to the left of those entries was written by the client and proves
    nothing. With 0 hops (local, tests) the peer of this process is the client. A request that did not
    pass all the hops (fewer entries) is taken at its peer's address; an entry that is not an address
    gives none, so allow-lists refuse it. Axes reads the same function (``AXES_CLIENT_IP_CALLABLE``).
    """
    hops: int = settings.CDD_TRUSTED_PROXY_HOPS
    peer = request.META.get("REMOTE_ADDR") or None
    if hops <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return peer
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return None


class RequestIdMiddleware:
    """Give every request the server's own id; keep the id a client sent apart, as ``client_request_id``.

    A client's ``X-Request-Id`` (and the ``X-Amzn-Trace-Id`` the ALB passes on, whose root a client may
    choose) is never the id the audit trail and the logs file the request under.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        sent = request.headers.get("X-Request-Id") or ""
        client_request_id = sent if _SAFE_ID.match(sent) else None
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_request_id = client_request_id  # type: ignore[attr-defined]
        tokens = context_set(request_id=request_id, source_ip=client_ip(request), client_request_id=client_request_id)
        try:
            response = self.get_response(request)
        finally:
            context_reset(tokens)
        response["X-Request-Id"] = request_id
        return response


class TraceRefusedMiddleware:
    """TRACE and TRACK are not methods of this platform: 405 with the methods it has, on every path.

    Without this, CSRF checks answered 403 (a scanner reads "exists, forbidden") and some views 200.
    """

    ALLOWED = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("TRACE", "TRACK"):
            from apps.core.errors import error_body

            response = JsonResponse(error_body(code="method_not_allowed",
                                               message=f"{request.method} is not allowed; use one of {self.ALLOWED}."),
                                    status=405)
            response["Allow"] = self.ALLOWED
            return response
        return self.get_response(request)


class AdminAllowListMiddleware:
    """Defence in depth behind the ALB rule: the admin service answers only allow-listed networks.

    Active when ``CDD_ADMIN_ALLOWED_CIDRS`` is set and this process serves the admin URLconf;
    health endpoints stay open for the load balancer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.networks = [ipaddress.ip_network(c, strict=False) for c in settings.CDD_ADMIN_ALLOWED_CIDRS]
        self.active = bool(self.networks) and settings.CDD_SERVICE in ("admin", "all")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.active and request.path.startswith("/admin/"):
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
