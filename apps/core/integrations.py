"""Integration isolation: an API key sees and changes only its own integration's customers.

An integration is the service account an API key belongs to; customers it creates carry that
account's name (``Customer.integration``). A key is *confined* to them unless it holds the scope
``integrations:all`` (a core banking system that serves every channel). Staff signed in with a
session are never confined: their roles decide.

Every view that API keys may call states how it is confined, deny by default:

    integration_scope = "customer"   # the object belongs to one customer: ``integration_owner``
                                     # (from apps.customers.access.CustomerOwned) names its integration
    integration_scope = "filtered"   # a list that keeps only the caller's customers itself
    integration_scope = "unrelated"  # reads no customer's data (name search, diagnostics)

A confined key asking for another integration's customer gets the same 404 as for a customer that
does not exist, so it cannot even learn that the customer is there.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import permissions
from rest_framework.request import Request

from apps.core.models import ApiKey

ALL_INTEGRATIONS_SCOPE = "integrations:all"
SCOPE_KINDS = ("customer", "filtered", "unrelated")


def integration_confined(request: Request) -> str | None:
    """The integration a request is confined to (its key's service account), or None when it sees all."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, ApiKey) or ALL_INTEGRATIONS_SCOPE in (auth.scopes or []):
        return None
    return str(request.user.get_username())


class IntegrationScopePermission(permissions.BasePermission):
    """Runs after ``RoleScopePermission``: a confined key reaches only its own integration's customers."""

    message = "This endpoint is not open to API keys confined to their own integration's customers."

    def has_permission(self, request: Request, view: Any) -> bool:
        confined = integration_confined(request)
        if confined is None or getattr(view, "public", False):
            return True
        kind = getattr(view, "integration_scope", None)
        if kind not in SCOPE_KINDS:
            return False  # deny by default: the view has not said how it is confined
        if kind != "customer":
            return True
        owner = getattr(view, "integration_owner", None)
        if owner is None:
            raise ImproperlyConfigured(f"{type(view).__name__} has integration_scope 'customer' but no "
                                       "integration_owner (use apps.customers.access.CustomerOwned)")
        found = owner(request, view.kwargs)  # raises the object's 404 when it does not exist
        if found != confined:
            owner_missing = getattr(view, "integration_not_found", None)
            if owner_missing is not None:
                owner_missing(request, view.kwargs)  # the same 404 as for an object that is not there
            return False
        return True
