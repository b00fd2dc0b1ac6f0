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

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from apps.core.roles import user_roles


def admin_roles() -> frozenset[str]:
    """The roles that may sign in to the admin (``CDD_ADMIN_ROLES``), whatever a user's staff flag says.

    Analysts (domain data) and platform admins (users, roles, keys); by default also senior reviewers, whose
    four-eyes duties (publishing a risk model, releasing a held list version, confirming a manual rating) are
    admin pages, and auditors, whose read-only evidence pages are. Plain reviewers work in the web service.
    """
    return frozenset(settings.CDD_ADMIN_ROLES)

DOMAIN_APPS = ("customers", "screening", "documents", "reviews", "audit", "webhooks")
# Where an app's admin_views live when it is not ``apps.<label>`` (packages inside core).
DOMAIN_APP_PACKAGES = {"webhooks": "apps.core.webhooks"}


@dataclass(frozen=True)
class AdminPage:
    route: str  # below /admin/domain/
    view: Callable[..., HttpResponse]
    name: str
    title: str = ""
    roles: tuple[str, ...] = ()
    listed: bool = True  # shown on the admin index (detail pages are not)


def admin_page_groups() -> dict[str, list[AdminPage]]:
    """Each domain app's admin pages, by app label."""
    groups: dict[str, list[AdminPage]] = {}
    for app in DOMAIN_APPS:
        try:
            package = DOMAIN_APP_PACKAGES.get(app, f"apps.{app}")
            module = import_module(f"{package}.admin_views")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.admin_views":
                raise
            continue
        groups[app] = list(module.ADMIN_PAGES)
    return groups


def admin_pages() -> list[AdminPage]:
    return [page for pages in admin_page_groups().values() for page in pages]


class CddAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form: a right password of a reviewer or auditor still does not open it."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not admin_roles() & user_roles(user):
            raise ValidationError(
                "This admin is for %(roles)s. Reviewers work in the reviewer web app; ask a platform admin if you "
                "need one of these roles.", code="not_admin_role",
                params={"roles": ", ".join(sorted(admin_roles()))})


class OwnPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" for the signed-in user, through the identity service (audited)."""

    def save(self, commit: bool = True) -> Any:
        from apps.audit.actors import Actor
        from apps.core.services import user_password_set

        return user_password_set(user=self.user, password=self.cleaned_data["new_password1"],
                                 actor=Actor.from_user(self.user))


class CddAdminSite(admin.AdminSite):
    site_header = "CDD platform administration"
    site_title = "CDD admin"
    index_title = "Compliance administration"
    login_form = CddAdminAuthenticationForm
    password_change_form = OwnPasswordChangeForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and admin_roles() & user_roles(user))

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Django's admin sign-in (same context and redirects) through the audited, lockout-aware view."""
        from apps.core.signin import SignInView

        redirect_url = SignInView().get_redirect_url(request) or reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(redirect_url)
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            REDIRECT_FIELD_NAME: redirect_url,
            **(extra_context or {}),
        }
        request.current_app = self.name
        view = SignInView.as_view(extra_context=context, authentication_form=self.login_form,
                                  template_name=self.login_template or "admin/login.html", surface="admin")
        return view(request)  # type: ignore[return-value]  # a TemplateResponse or a redirect

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        if request.method == "POST" and request.user.is_authenticated:
            from apps.core.signin import signout_record

            signout_record(request=request, user=request.user, surface="admin")
        return super().logout(request, extra_context)

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
        from apps.core.navigation import web_url

        # "View site" opens the reviewer UI (the web service), not this service's own root.
        return {**super().each_context(request), "site_url": web_url("/")}

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        """Django's apps (users, API keys) and, beside them, each domain app's pages the user may open.

        The index and the navigation sidebar list these, so an analyst sees Customers, Screening, ... rather
        than Django's "You don't have permission to view or edit anything" (no ORM model is theirs).
        """
        apps = super().get_app_list(request, app_label) if app_label is None or app_label not in DOMAIN_APPS else []
        roles = user_roles(request.user)
        for app, pages in admin_page_groups().items():
            if app_label is not None and app_label != app:
                continue
            shown = [p for p in pages if p.listed and (not p.roles or set(p.roles) & roles)]
            if not shown:
                continue
            models = [{"name": page.title, "object_name": page.name, "perms": {"view": True},
                       "admin_url": reverse(f"{self.name}:domain-{page.name}", current_app=self.name),
                       "add_url": None, "view_only": True} for page in shown]
            apps.append({"name": app.capitalize(), "app_label": app, "app_url": models[0]["admin_url"],
                         "has_module_perms": True, "models": models})
        return apps
