"""The role matrix: every API operation against every role and key, deny by default.

For each route and method the view states the roles (sessions) and scopes (API keys) it admits.
Every persona outside them must be refused (401/403) before the view does anything; every persona
inside must get past the permission check (whatever the view then answers for made-up ids).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.core.roles import ANALYST, AUDITOR, PLATFORM_ADMIN, REVIEWER, SCOPES, SENIOR_REVIEWER
from apps.core.services import api_key_create
from tests.core.routes import api_routes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _roles_for(view: Any, method: str) -> set[str]:
    """The roles ``view`` states for ``method`` (some views compute them per method)."""
    instance = view()
    instance.request = SimpleNamespace(method=method)
    return set(getattr(instance, "required_roles", set()) or set())


def test_every_operation_admits_exactly_the_roles_and_scopes_it_states(
        analyst: User, reviewer: User, senior_reviewer: User, auditor: User, platform_admin: User,
        integration_user: User) -> None:
    people = {ANALYST: analyst, REVIEWER: reviewer, SENIOR_REVIEWER: senior_reviewer, AUDITOR: auditor,
              PLATFORM_ADMIN: platform_admin}
    sessions = {}
    for role, user in people.items():
        sessions[role] = APIClient()
        sessions[role].force_login(user)
    keys = {}
    for scope in SCOPES:  # one key per scope, each able to reach every integration's customers
        _, key = api_key_create(name=scope, user=integration_user, scopes=[scope, "integrations:all"],
                                actor=Actor.system("tests"))
        keys[scope] = APIClient()
        keys[scope].credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    checked, deviations = 0, []
    for route, view in api_routes():
        path = re.sub(r"<str:(\w+)>", lambda m: f"no-such-{m.group(1)}", route)
        handlers = [m for m in METHODS if hasattr(view, m.lower())]
        for method in handlers:
            if getattr(view, "public", False):
                continue
            admitted = _roles_for(view, method)
            scopes = getattr(view, "required_scopes", None) or {}
            needed = scopes.get(method) or scopes.get("*")
            anonymous = getattr(APIClient(), method.lower())(path, {}, format="json")
            checked += 1
            if anonymous.status_code not in (401, 403):
                deviations.append((method, route, "anonymous", anonymous.status_code))
            for role, client in sessions.items():
                response = getattr(client, method.lower())(path, {}, format="json")
                checked += 1
                refused = response.status_code == 403 and response.json().get("code") == "permission_denied"
                if refused == (role in admitted):
                    deviations.append((method, route, role, response.status_code))
            for scope, client in keys.items():
                response = getattr(client, method.lower())(path, {}, format="json")
                checked += 1
                refused = response.status_code == 403 and response.json().get("code") == "permission_denied"
                if refused == (scope == needed):
                    deviations.append((method, route, f"key:{scope}", response.status_code))
    print(f"role matrix: {checked} operation-persona checks, {len(deviations)} deviations")
    assert checked > 500
    assert deviations == []
