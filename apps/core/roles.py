"""Roles are Django groups; this module is their single list."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ANALYST = "analyst"
REVIEWER = "reviewer"
SENIOR_REVIEWER = "senior_reviewer"
AUDITOR = "auditor"
INTEGRATION = "integration"
PLATFORM_ADMIN = "platform_admin"

ROLES: dict[str, str] = {
    ANALYST: "Works cases: customers, alerts, documents; submits cases for review.",
    REVIEWER: "Approves or rejects cases submitted by someone else (four-eyes).",
    SENIOR_REVIEWER: "Reviewer who also decides high-risk and escalated cases.",
    AUDITOR: "Reads the audit trail and exports it; changes nothing.",
    INTEGRATION: "Service account of an integration, acting through API keys.",
    PLATFORM_ADMIN: "Manages users, roles and API keys; no case decisions.",
}

# Segregation of duties: pairs of roles one person may never hold together, with why. A grant that
# would give someone both is refused (``apps.core.services.roles_conflicts``): a platform admin holds
# no case or alert role, whoever prepares work cannot also hold the role that approves it, the
# auditor is independent of what it audits, and a service account is never a person.
ROLE_CONFLICTS: dict[frozenset[str], str] = {
    frozenset({PLATFORM_ADMIN, ANALYST}): "a platform admin holds no case or alert role",
    frozenset({PLATFORM_ADMIN, REVIEWER}): "a platform admin holds no case or alert role",
    frozenset({PLATFORM_ADMIN, SENIOR_REVIEWER}): "a platform admin holds no case or alert role",
    frozenset({PLATFORM_ADMIN, AUDITOR}): "the auditor is independent of who manages access",
    frozenset({ANALYST, REVIEWER}): "whoever prepares cases and proposes dispositions cannot also approve them",
    frozenset({ANALYST, SENIOR_REVIEWER}): "whoever prepares cases and proposes dispositions cannot also approve them",
    frozenset({AUDITOR, ANALYST}): "the auditor is independent of the work it audits",
    frozenset({AUDITOR, REVIEWER}): "the auditor is independent of the work it audits",
    frozenset({AUDITOR, SENIOR_REVIEWER}): "the auditor is independent of the work it audits",
    **{frozenset({INTEGRATION, role}): "an integration's service account is not a person"
       for role in (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR, PLATFORM_ADMIN)},
}
# A senior reviewer is a reviewer who also decides high-risk cases: the one role needs the other.
ROLE_NEEDS: dict[str, str] = {SENIOR_REVIEWER: REVIEWER}

# What each scope lets an API key do; views name the scope they need.
SCOPES: dict[str, str] = {
    "customers:read": "Read customers and related parties.",
    "customers:write": "Create and update customers and related parties.",
    "screening:read": "Search and compare names against the lists; read alerts.",
    "screening:write": "Queue screening runs.",
    "documents:read": "List documents and get download links.",
    "documents:write": "Upload documents and change their status.",
    "cases:read": "Read cases and their decisions.",
    "tasks:write": "Send diagnostic tasks to the workers.",
    "webhooks:manage": "Register, change and rotate the secrets of this integration's webhook endpoints; read "
                       "their deliveries and replay dead ones.",
    "integrations:all": "See and change the customers of every integration, not only this integration's own "
                        "(a core banking system); without it a key reaches only the customers its integration created.",
}


def user_roles(user: AbstractBaseUser | AnonymousUser | None) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_cdd_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user._cdd_roles = cached  # type: ignore[union-attr,attr-defined]
    return cached
