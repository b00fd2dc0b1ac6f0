"""Sign-in protection and its audit trail: every surface that takes a password or an API key.

django-axes counts failed sign-ins in the identity database and locks out, for
``CDD_SIGNIN_LOCKOUT_MINUTES`` after the last failure, an account (its username) or an address
that reached ``CDD_SIGNIN_FAILURE_LIMIT`` failures; the address is the one the trusted proxies saw
(``apps.core.middleware.client_ip``). API keys are checked through a Django authentication backend
(``apps.core.auth.ApiKeyBackend``), so their failures count by address as well; they never lock a
key's prefix, which anybody who saw a log line knows.

The audit trail gets each sign-in, each failed one (also for usernames that do not exist), each
lockout and each sign-out, with the source IP of the request. Attempts refused while a lockout
lasts are logged, not audited: the trail holds at most the failures that led to the lockout.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.middleware import client_ip

logger = logging.getLogger(__name__)

SIGNIN_ACTOR = Actor.system("signin")  # failures and lockouts: nobody has proved who they are
API_KEY_CREDENTIAL = "presented_prefix"  # not a sensitive name, so Django's signal keeps it in clear
API_KEY_USERNAME = "api-key:"  # never a Django username (":" is not allowed in one)


# --- what axes calls (settings.AXES_*) ------------------------------------------------------


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt was for: the username typed, or ``api-key:<prefix>`` for an API key."""
    if credentials and API_KEY_CREDENTIAL in credentials:
        return f"{API_KEY_USERNAME}{credentials[API_KEY_CREDENTIAL] or '?'}"
    if credentials:
        value = credentials.get("username")
    else:
        value = request.POST.get("username") if request.method == "POST" else None
    return str(value).strip()[:150] if value else None


def axes_lockout_parameters(request: Any, credentials: dict[str, Any] | None) -> list[str]:
    """Password sign-ins lock by account and by address; API keys by address only."""
    if credentials and API_KEY_CREDENTIAL in credentials:
        return ["ip_address"]
    username = getattr(request, "username", None)  # an AccessAttempt when axes resets by record
    if isinstance(username, str) and username.startswith(API_KEY_USERNAME):
        return ["ip_address"]
    return ["ip_address", "username"]


def lockout_until(request: HttpRequest, credentials: dict[str, Any] | None = None) -> datetime:
    """When the lockout of this request's account or address ends (the last failure plus the cool-off)."""
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    condition = Q(ip_address=ip)
    username = axes_username(request, credentials)
    if username and "username" in axes_lockout_parameters(request, credentials):
        condition |= Q(username=username)
    latest = AccessAttempt.objects.filter(condition).aggregate(last=Max("attempt_time"))["last"]
    return (latest or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_message(until: datetime) -> str:
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    return (f"Too many failed sign-in attempts for this account or from this address. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}, after {until:%H:%M} UTC.")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """What a locked-out person or client is told: when to come back, and who can unlock them sooner."""
    until = lockout_until(request, credentials)
    retry_after = max(1, int((until - timezone.now()).total_seconds()))
    message = lockout_message(until)
    if request.path.startswith("/api/"):
        from apps.core.errors import error_body

        response: HttpResponse = JsonResponse(error_body(code="locked_out", message=message), status=429)
    else:
        context: dict[str, Any] = {"message": message, "until": until,
                                   "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
                                   "failure_limit": settings.AXES_FAILURE_LIMIT}
        template = "registration/locked_out.html"
        if request.path.startswith("/admin/"):
            from django.contrib import admin

            context = {**admin.site.each_context(request), **context, "title": "Sign-in locked"}
            template = "admin/cdd_locked_out.html"
        response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# --- the audit trail of sign-ins -------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    """Whose sign-in an attempt claimed, and the chain its events go to."""

    username: str
    user: Any | None

    @property
    def chain(self) -> tuple[str, str]:
        if self.user is not None:
            return "user", str(self.user.pk)
        return "signin", f"username:{self.username}"


def _claim(username: str) -> _Claim:
    user = get_user_model().objects.filter(username=username).first() if username else None
    return _Claim(username=username, user=user)


def _record(*, actor: Actor, action: str, chain: tuple[str, str], data: dict[str, Any],
            reason: str | None = None) -> None:
    audit_event_record(entry=AuditEntry(actor=actor, action=action, object_type=chain[0], object_id=chain[1],
                                        data=data, reason=reason))


def signin_success_record(*, request: HttpRequest, user: Any, surface: str) -> None:
    """Record that ``user`` signed in to ``surface`` (web, admin)."""
    _record(actor=Actor.from_user(user), action="user.signed_in", chain=("user", str(user.pk)),
            data={"surface": surface, "username": user.get_username()})


def signout_record(*, request: HttpRequest, user: Any, surface: str) -> None:
    """Record that ``user`` signed out of ``surface``."""
    _record(actor=Actor.from_user(user), action="user.signed_out", chain=("user", str(user.pk)),
            data={"surface": surface, "username": user.get_username()})


def signin_failure_record(*, request: HttpRequest, username: str, surface: str, reason: str) -> None:
    """Record a failed password sign-in (never the password), on the claimed user's chain if it exists."""
    claim = _claim(username)
    _record(actor=SIGNIN_ACTOR, action="signin.failed", chain=claim.chain,
            data={"surface": surface, "username": username, "reason": reason, "known_user": claim.user is not None,
                  "failures": getattr(request, "axes_failures_since_start", None)})


def signin_lockout_record(*, request: HttpRequest, username: str | None, surface: str) -> None:
    """Record that an account or an address is now locked out of sign-in."""
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    until = lockout_until(request, {"username": username} if username else None)
    chain = _claim(username).chain if username else ("signin", f"address:{ip}")
    _record(actor=SIGNIN_ACTOR, action="signin.locked_out", chain=chain,
            data={"surface": surface, "username": username, "address": ip, "until": until.isoformat(),
                  "failure_limit": settings.AXES_FAILURE_LIMIT,
                  "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)})


def api_key_failure_record(*, request: HttpRequest, prefix: str | None, key_exists: bool, reason: str) -> None:
    """Record a refused API key: on the key's chain if it exists, else on the address's."""
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    chain = ("api_key", prefix) if key_exists and prefix else ("signin", f"address:{ip}")
    _record(actor=SIGNIN_ACTOR, action="api_key.authentication_failed", chain=chain,
            data={"surface": "api", "prefix": prefix, "reason": reason, "address": ip,
                  "failures": getattr(request, "axes_failures_since_start", None)})


def newly_locked_out(request: HttpRequest) -> bool:
    """Whether this very attempt locked the account or address (not one refused during a lockout)."""
    return bool(getattr(request, "axes_locked_out", False)) and \
        getattr(request, "axes_failures_since_start", None) is not None


def refused_while_locked_out(request: HttpRequest) -> bool:
    return bool(getattr(request, "axes_locked_out", False)) and \
        getattr(request, "axes_failures_since_start", None) is None


# --- lifting a lockout before it runs out -----------------------------------------------------


@dataclass
class _Batch:
    """The attempts one deletion removes (Django sends every ``pre_delete`` of a deletion before its
    ``post_delete``s): recorded together once the last is gone, inside the deletion's transaction."""

    rows: list[AccessAttempt] = field(default_factory=list)
    pending: int = 0


_unlocking: contextvars.ContextVar[tuple[Actor, str] | None] = contextvars.ContextVar("unlocking", default=None)
_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("unlock_batch", default=None)


@contextlib.contextmanager
def unlocking(*, actor: Actor, reason: str) -> Iterator[None]:
    """Attribute the sign-in attempts deleted inside this block to ``actor``, with ``reason``, on the trail."""
    token = _unlocking.set((actor, reason))
    try:
        yield
    finally:
        _unlocking.reset(token)


def _command_actor() -> Actor:
    """Deleted outside ``unlocking`` (axes's own ``axes_reset*`` commands): the command and the OS user."""
    if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py"):
        return Actor.system(f"manage.py {sys.argv[1]} ({getpass.getuser()})")
    return Actor.system("axes")


def attempt_deleting(*, sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    """``pre_delete`` of an axes attempt: it joins its deletion's batch."""
    batch = _batch.get()
    if batch is None:
        batch = _Batch()
        _batch.set(batch)
    batch.rows.append(instance)
    batch.pending += 1


def attempt_deleted(*, sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    """``post_delete`` of an axes attempt: the last of its batch records what the deletion lifted.

    Runs inside the deletion's own database transaction (Django's deletion collector is atomic), so an
    audit write that fails keeps the attempts, as every identity change here.
    """
    batch = _batch.get() or _Batch(rows=[instance], pending=1)
    batch.pending -= 1
    if batch.pending > 0:
        return
    _batch.set(None)
    actor, reason = _unlocking.get() or (_command_actor(), "")
    _lifted_record(rows=batch.rows, actor=actor, reason=reason)


def _live_failures(**match: Any) -> int:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(attempt_time__gt=since, **match).aggregate(n=Sum("failures_since_start"))
    return int(total["n"] or 0)


def signin_lockout_label(*, username: str | None, ip_address: str | None) -> str:
    """Whether an account or an address is locked out now, and until when (the admin's attempts list)."""
    limit, parts = int(settings.AXES_FAILURE_LIMIT), []
    for what, match in (("account", {"username": username}), ("address", {"ip_address": ip_address})):
        if not next(iter(match.values())):
            continue
        failures = _live_failures(**match)
        if failures >= limit:
            latest = AccessAttempt.objects.filter(**match).aggregate(last=Max("attempt_time"))["last"]
            parts.append(f"{what} locked out until {(latest + settings.AXES_COOLOFF_TIME):%H:%M} UTC")
        elif failures:
            parts.append(f"{what}: {failures} of {limit} failures counted")
    return "; ".join(parts) or "expired"


def _lifted_record(*, rows: list[AccessAttempt], actor: Actor, reason: str) -> None:
    """Record what the deleted attempts lifted: per account, and per address that was locked out.

    Failures that had run out are cleared by axes as time passes; nobody changed anything: not recorded.
    """
    now, limit = timezone.now(), int(settings.AXES_FAILURE_LIMIT)
    live = [a for a in rows if a.attempt_time + settings.AXES_COOLOFF_TIME > now]
    groups: dict[tuple[str, str], list[AccessAttempt]] = {}
    for attempt in live:
        if attempt.username and not attempt.username.startswith(API_KEY_USERNAME):
            groups.setdefault(("username", attempt.username), []).append(attempt)
        if attempt.ip_address:
            groups.setdefault(("ip_address", attempt.ip_address), []).append(attempt)
    for (kind, value), attempts in sorted(groups.items()):
        removed = sum(int(a.failures_since_start or 0) for a in attempts)
        remaining = _live_failures(**{kind: value})
        locked_before, locked_after = removed + remaining >= limit, remaining >= limit
        if kind == "ip_address" and not locked_before:
            continue  # the address was not locked out: the accounts' events say what was cleared
        chain = _claim(value).chain if kind == "username" else ("signin", f"address:{value}")
        _record(actor=actor, action="signin.unlocked" if locked_before and not locked_after
                else "signin.failures_cleared", chain=chain, reason=reason or None,
                data={"lockout_of": "account" if kind == "username" else "address", kind: value,
                      "addresses" if kind == "username" else "usernames": sorted(
                          {str(a.ip_address if kind == "username" else a.username) for a in attempts}),
                      "failures_cleared": removed, "failures_left": remaining, "failure_limit": limit,
                      "would_have_ended": (max(a.attempt_time for a in attempts)
                                           + settings.AXES_COOLOFF_TIME).isoformat()})


# --- the sign-in page of the web and admin services ------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with lockouts answered by what to do and every outcome on the audit trail."""

    surface = "web"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        signin_success_record(request=self.request, user=form.get_user(), surface=self.surface)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        request = self.request
        username = str(form.data.get("username", "")).strip()[:150]
        if not getattr(request, "axes_updated", False) or not username:
            return super().form_invalid(form)  # a field was missing: no sign-in was attempted
        if refused_while_locked_out(request):
            logger.warning("sign-in refused during a lockout", extra={"surface": self.surface})
            return lockout_response(request, None, {"username": username})
        reason = "not_allowed" if form.get_user() is not None else "invalid_credentials"
        signin_failure_record(request=request, username=username, surface=self.surface, reason=reason)
        if newly_locked_out(request):
            signin_lockout_record(request=request, username=username, surface=self.surface)
            return lockout_response(request, None, {"username": username})
        return super().form_invalid(form)
