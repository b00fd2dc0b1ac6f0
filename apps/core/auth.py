"""API-key authentication and the deny-by-default role/scope permission of every endpoint.

A view states who may use it:

    required_roles = {"analyst", "reviewer"}      # session users in one of these groups
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}  # API keys

A view that states neither is closed to everybody.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any, NoReturn

from django.contrib.auth import authenticate as django_authenticate
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from apps.core.models import KEY_PREFIX, ApiKey, key_hash
from apps.core.roles import INTEGRATION, user_roles


class ApiKeyLockedOut(exceptions.Throttled):
    """429: this address failed too many API-key checks; ``Retry-After`` says when to try again."""

    default_code = "locked_out"


class ApiKeyBackend:
    """Django authentication backend for API keys, so that axes counts (and locks out) failed keys.

    ``authenticate(request, api_key=..., presented_prefix=...)``: the key's user, or None with the
    reason on ``request.cdd_api_key_error``. Django then signals the failure, which axes records
    against the request's address.
    """

    def authenticate(self, request: HttpRequest | None, api_key: str | None = None,
                     presented_prefix: str | None = None, **kwargs: Any) -> Any:
        if api_key is None or request is None:
            return None
        key, error = _api_key_check(api_key)
        request.cdd_api_key = key  # type: ignore[attr-defined]
        request.cdd_api_key_error = error  # type: ignore[attr-defined]
        return key.user if key is not None and error is None else None

    def get_user(self, user_id: int) -> None:
        return None  # never a session's backend


def _api_key_check(raw: str) -> tuple[ApiKey | None, str | None]:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None, "The API key is malformed; expected cdd_<prefix>_<secret>."
    key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
    if key is None:
        return None, "The API key is not valid."
    if not hmac.compare_digest(key.hashed_secret, key_hash(raw)):
        return key, "The API key is not valid."
    if key.revoked_at is not None:
        return key, "The API key has been revoked; ask a platform admin for a new one."
    if not key.is_active:
        return key, "The API key has expired; ask a platform admin for a new one."
    if not key.user.is_active:
        return key, "The API key's account is disabled."
    return key, None


def _attempt_request(request: Request) -> HttpRequest:
    """A bare copy of the request for the sign-in checks: its address, path and agent, never its body."""
    attempt = HttpRequest()
    attempt.method = request.method
    attempt.path = attempt.path_info = request._request.path
    attempt.META = {name: request.META[name] for name in _ATTEMPT_META if name in request.META}
    attempt.META["PATH_INFO"] = attempt.path_info
    return attempt


_ATTEMPT_META = ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_USER_AGENT", "HTTP_ACCEPT", "SERVER_NAME",
                 "SERVER_PORT")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.headers.get("Authorization", "")
        raw = ""
        if header.startswith(f"{self.keyword} "):
            raw = header[len(self.keyword) + 1 :].strip()
        elif request.headers.get("X-Api-Key"):
            raw = request.headers["X-Api-Key"].strip()
        if not raw:
            return None
        from apps.core import signin

        parts = raw.split("_", 2)
        prefix = parts[1][:16] if len(parts) == 3 and parts[0] == KEY_PREFIX else None
        attempt = _attempt_request(request)
        user = django_authenticate(attempt, api_key=raw, presented_prefix=prefix)
        key: ApiKey | None = getattr(attempt, "cdd_api_key", None)
        if signin.refused_while_locked_out(attempt):
            self._locked_out(attempt, prefix)
        if user is None:
            error = getattr(attempt, "cdd_api_key_error", None) or "The API key is not valid."
            signin.api_key_failure_record(request=attempt, prefix=prefix, key_exists=key is not None, reason=error)
            if signin.newly_locked_out(attempt):
                signin.signin_lockout_record(request=attempt, username=None, surface="api")
                self._locked_out(attempt, prefix)
            raise exceptions.AuthenticationFailed(error)
        assert key is not None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return user, key

    def _locked_out(self, attempt: HttpRequest, prefix: str | None) -> NoReturn:
        from apps.core import signin

        signin.logger.warning("API key refused: the address is locked out", extra={"prefix": prefix})
        until = signin.lockout_until(attempt, {signin.API_KEY_CREDENTIAL: prefix})
        wait = max(1, int((until - timezone.now()).total_seconds()))
        raise ApiKeyLockedOut(wait=wait, detail=signin.lockout_message(until) + (
            " Check that the client sends a current key; a platform admin can unlock the address sooner."))

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class RoleScopePermission(permissions.BasePermission):
    """Deny unless the view names the roles (sessions) or scopes (API keys) it admits."""

    message = "You do not have a role that may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        roles: set[str] = set(getattr(view, "required_roles", set()) or set())
        scopes = getattr(view, "required_scopes", None) or {}
        if getattr(view, "public", False):
            return True
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Authentication required: send 'Authorization: Api-Key <key>' or sign in."
            )
        if isinstance(request.auth, ApiKey):
            needed = scopes.get(request.method) or scopes.get("*")
            if request.method in ("HEAD", "OPTIONS"):
                needed = needed or scopes.get("GET")
            if not needed or INTEGRATION not in user_roles(request.user):
                self.message = "API keys cannot use this endpoint."
                return False
            if needed not in (request.auth.scopes or []):
                self.message = f"The API key lacks the scope '{needed}'."
                return False
            return True
        if roles & user_roles(request.user):
            return True
        self.message = "Your role does not allow this; ask a platform admin if you need it."
        return False
