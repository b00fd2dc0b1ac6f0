"""The admin site of the admin service, with pages over the domain data in DynamoDB.

Django's ModelAdmin needs ORM models, and domain data is not in the ORM, so each app that
shows domain data to analysts provides ``admin_views.py`` with ``ADMIN_PAGES``: a list of
``AdminPage`` (URL, view, title, roles). The pages call the app's selectors and services, like
every other surface, and are listed on the admin index for the roles that may use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from apps.core.roles import user_roles

DOMAIN_APPS = ("customers", "screening", "documents", "reviews", "audit")


@dataclass(frozen=True)
class AdminPage:
    route: str  # below /admin/domain/
    view: Callable[..., HttpResponse]
    name: str
    title: str = ""
    roles: tuple[str, ...] = ()
    listed: bool = True  # shown on the admin index (detail pages are not)


def admin_pages() -> list[AdminPage]:
    pages: list[AdminPage] = []
    for app in DOMAIN_APPS:
        try:
            module = import_module(f"apps.{app}.admin_views")
        except ModuleNotFoundError as exc:
            if exc.name != f"apps.{app}.admin_views":
                raise
            continue
        pages.extend(module.ADMIN_PAGES)
    return pages


class CddAdminSite(admin.AdminSite):
    site_header = "CDD platform administration"
    site_title = "CDD admin"
    index_title = "Compliance administration"
    index_template = "admin/cdd_index.html"

    def get_urls(self) -> list[Any]:
        extra: list[URLPattern] = []
        for page in admin_pages():
            extra.append(path(f"domain/{page.route}", self.admin_view(self._role_view(page)),
                              name=f"domain-{page.name}"))
        return extra + super().get_urls()

    def _role_view(self, page: AdminPage) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if page.roles and not set(page.roles) & user_roles(request.user):
                return TemplateResponse(request, "admin/cdd_forbidden.html",
                                        {**self.each_context(request), "roles": page.roles}, status=403)
            return page.view(request, *args, site=self, **kwargs)

        return view

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        roles = user_roles(request.user)
        context["domain_pages"] = [
            p for p in admin_pages() if p.listed and (not p.roles or set(p.roles) & roles)
        ]
        return context
