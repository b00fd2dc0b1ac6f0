"""API-key authentication and the deny-by-default role/scope permission of every endpoint.

A view states who may use it:

    required_roles = {"analyst", "reviewer"}      # session users in one of these groups
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}  # API keys

A view that states neither is closed to everybody.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from apps.core.models import KEY_PREFIX, ApiKey, key_hash
from apps.core.roles import INTEGRATION, user_roles


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
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            raise exceptions.AuthenticationFailed("The API key is malformed; expected cdd_<prefix>_<secret>.")
        key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.hashed_secret, key_hash(raw)):
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The API key has been revoked; ask a platform admin for a new one.")
        if not key.is_active:
            raise exceptions.AuthenticationFailed("The API key has expired; ask a platform admin for a new one.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("The API key's account is disabled.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

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
