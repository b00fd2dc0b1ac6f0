"""What each role sees in the web service's header: its own home, its tools, the search box.

One list, read by ``templates/base.html`` (a context processor) and by the home page, so the
header and the home never disagree about what a role may open. A tool whose page is not mounted
in this URLconf (the admin service, the API) is left out rather than linked to a 404; links to
the other service use ``CDD_WEB_URL`` / ``CDD_ADMIN_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from apps.core.roles import ANALYST, AUDITOR, PLATFORM_ADMIN, REVIEWER, SENIOR_REVIEWER, user_roles

# Who may search customers and open their pages (the same roles the search and customer pages check).
READERS = frozenset({ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR})

ROLE_LABELS = {
    ANALYST: "analyst", REVIEWER: "reviewer", SENIOR_REVIEWER: "senior reviewer", AUDITOR: "auditor",
    PLATFORM_ADMIN: "platform admin", "integration": "integration",
}


@dataclass(frozen=True)
class Tool:
    label: str
    url: str
    help: str
    roles: frozenset[str]


def _route(name: str, query: str = "") -> str | None:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


def web_url(path: str) -> str:
    """A link to a page of the web service from any service (relative when they share a host)."""
    return f"{settings.CDD_WEB_URL}{path}"


def admin_url(path: str = "/admin/") -> str:
    """A link to the admin service from any service (relative when they share a host)."""
    return f"{settings.CDD_ADMIN_URL}{path}"


def _tools() -> list[Tool]:
    """Every tool of the web service, in the order the header shows them."""
    candidates: list[tuple[str, str | None, str, frozenset[str]]] = [
        ("Cases to review", _route("case-queue", "?status=submitted"),
         "Cases analysts have submitted, waiting for a four-eyes decision.", frozenset({REVIEWER, SENIOR_REVIEWER})),
        ("Open cases", _route("case-queue", "?status=open"),
         "Cases being worked: screening alerts, documents, risk, then submission.", frozenset({ANALYST})),
        ("My work", _route("case-my-work"), "Cases assigned to you.", frozenset({ANALYST, REVIEWER, SENIOR_REVIEWER})),
        ("All cases", _route("case-queue", "?status=open"), "Every case by status, read-only.", frozenset({AUDITOR})),
        ("Audit trail", _route("audit-web-lookup"),
         "The tamper-evident trail of every change: look up any record's timeline, verify it, export it.",
         frozenset({AUDITOR})),
        ("Management information", _route("mi-page"),
         "Alerts, cases, reviews and documents in figures: trends, ageing against service levels, exports.",
         frozenset({SENIOR_REVIEWER, AUDITOR})),
    ]
    tools = [Tool(label, url, help_text, roles) for label, url, help_text, roles in candidates if url]
    tools.append(Tool("Admin", admin_url(), "Customers, alerts, lists, risk model (the compliance admin).",
                      frozenset({ANALYST, SENIOR_REVIEWER})))
    tools.append(Tool("Users and API keys", admin_url(), "Accounts, roles and integration keys, in the admin.",
                      frozenset({PLATFORM_ADMIN})))
    return tools


def tools_for(user: Any) -> list[Tool]:
    roles = user_roles(user)
    return [tool for tool in _tools() if tool.roles & roles]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``nav_tools`` for the header, ``nav_search_url`` when the user may search."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_tools": [], "nav_search_url": None}
    roles = user_roles(user)
    return {
        "nav_tools": tools_for(user),
        "nav_search_url": _route("customer-search") if roles & READERS else None,
        "nav_roles": sorted(ROLE_LABELS.get(r, r) for r in roles),
        "nav_path": request.path,
    }
