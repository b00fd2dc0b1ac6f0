"""Admin for users and API keys: every change goes through the identity services, so each is audited.

Django's stock user admin is replaced: it edits groups, permissions and the superuser flag freely and
records only Django's LogEntry. Here roles are chosen from the platform's role list, checked for
segregation of duties in the service, and every save is an event in the audit trail; permissions
and the superuser and staff flags are shown, never edited. Groups (the roles) are defined in code.
"""

from __future__ import annotations

import contextvars
from typing import Any

import axes.admin  # registers the attempts' admin first, so that it is replaced below
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.core.models import ApiKey
from apps.core.roles import INTEGRATION, ROLES, SCOPES
from apps.core.services import (
    api_key_create,
    api_key_revoke,
    roles_check,
    roles_ensure,
    user_change,
    user_change_check,
    user_create,
    user_password_set,
)
from apps.core.signin import signin_lockout_label, unlocking

_ROLE_CHOICES = [(name, f"{name.replace('_', ' ')}: {text}") for name, text in ROLES.items()]
# The admin user behind a password change (the form is built by Django's view, which passes no request).
_password_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("password_actor", default=None)


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=_ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Roles that one person may not hold together (segregation of duties) are refused.")


class _ActorFormMixin:
    """Checks the change with the identity service before Django saves, so a refusal is a form error."""

    cdd_actor: Actor

    def _service_errors(self, exc: DomainError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if not exc.errors:
            form.add_error(None, exc.message)
        for name, problems in exc.errors.items():
            form.add_error(name if name in form.fields else None, [f"{exc.message.rstrip('.')}: {p}." for p in problems])


class UserAddForm(_ActorFormMixin, AdminUserCreationForm):
    roles = _roles_field()

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "email", "first_name", "last_name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        try:

            roles_check(data.get("roles") or [])
        except DomainError as exc:
            self._service_errors(exc)
        return data


class UserEditForm(_ActorFormMixin, UserChangeForm):
    roles = _roles_field()

    class Meta(UserChangeForm.Meta):
        fields = ("username", "email", "first_name", "last_name", "is_active")  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.groups.values_list("name", flat=True))
        self.fields["username"].disabled = True  # the trail refers to accounts by name as well as id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        try:
            user_change_check(user=User.objects.get(pk=self.instance.pk), actor=self.cdd_actor,
                              roles=data.get("roles") or [], is_active=data.get("is_active", self.instance.is_active))
        except DomainError as exc:
            self._service_errors(exc)
        return data


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        actor = _password_actor.get()
        assert actor is not None, "password changes go through CddUserAdmin.user_change_password"
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return user_password_set(user=self.user, password=password, actor=actor)


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name.replace("_", " ")) for name in ROLES]

    def queryset(self, request: Any, queryset: QuerySet[User]) -> QuerySet[User]:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


admin.site.unregister(User)
admin.site.unregister(AccessAttempt)
admin.site.unregister(Group)


@admin.register(User)
class CddUserAdmin(UserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    change_password_form = AuditedPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("roles", "is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "first_name", "last_name", "email", "roles",
                                                 "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    list_display = ("username", "full_name", "email", "role_list", "is_active", "last_login")
    list_filter = ("is_active", RoleFilter)
    filter_horizontal = ()

    @admin.display(description="name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description="roles")
    def role_list(self, obj: User) -> str:
        return ", ".join(sorted(g.name.replace("_", " ") for g in obj.groups.all())) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"cdd_actor": Actor.from_user(request.user)})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are deactivated, never deleted: the trail keeps referring to them

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        actor = Actor.from_user(request.user)
        data = form.cleaned_data
        if change:
            saved = user_change(user=obj, actor=actor, roles=data.get("roles") or [],
                                **{name: data[name] for name in ("email", "first_name", "last_name", "is_active")
                                   if name in data})
        else:
            roles_ensure()
            password = data.get("password1") if data.get("set_usable_password", True) else None
            saved = user_create(username=data["username"], password=password or None, roles=data.get("roles") or [],
                                email=data.get("email", ""), first_name=data.get("first_name", ""),
                                last_name=data.get("last_name", ""), actor=actor)
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """Roles were saved with the account by the service; nothing else is related."""

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> HttpResponse:
        token = _password_actor.set(Actor.from_user(request.user))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)


class ApiKeyIssueForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'onboarding portal'.")
    user = forms.ModelChoiceField(queryset=User.objects.filter(groups__name=INTEGRATION, is_active=True),
                                  help_text="An integration-role service user.")
    scopes = forms.MultipleChoiceField(choices=[(s, f"{s}: {d}") for s, d in SCOPES.items()],
                                       widget=forms.CheckboxSelectMultiple)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("name", "prefix", "user", "scopes", "created_at", "created_by", "expires_at",
                       "revoked_at", "last_used_at")
    exclude = ("hashed_secret",)
    actions = ("revoke",)

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are revoked, never deleted: the trail keeps referring to them

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = ApiKeyIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                key, full = api_key_create(name=form.cleaned_data["name"], user=form.cleaned_data["user"],
                                           scopes=form.cleaned_data["scopes"], actor=Actor.from_user(request.user))
            except DomainError as exc:
                messages.error(request, exc.text())
            else:
                # The key is in this answer only: not in a message (a cookie), the session or a URL.
                return TemplateResponse(request, "admin/core/apikey/issue.html", {
                    **self.admin_site.each_context(request), "title": "API key issued", "issued": key,
                    "issued_key": full, "opts": self.model._meta,
                    "list_url": reverse("admin:core_apikey_changelist")}, status=201)
        context = {**self.admin_site.each_context(request), "title": "Issue an API key", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/core/apikey/issue.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(prefix=key.prefix, actor=Actor.from_user(request.user), reason="revoked in admin")
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes.admin.AccessAttemptAdmin):
    """Axes's attempts, where deleting one lifts its lockout: recorded on the trail as the admin's doing.

    The list says per row whether its account or its address is locked out now (axes counts the failures
    of all the rows of an account, or of an address, together), and leaves out the user agent and path
    that pushed those columns out of sight. The form data of an attempt is not shown.
    """

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "lockout"]
    list_filter = ["attempt_time"]
    fieldsets = ((None, {"fields": ("username", "ip_address", "failures_since_start", "attempt_time",
                                    "expiration")}),
                 ("Browser", {"fields": ("user_agent", "path_info")}))

    @admin.display(description="Lockout now")
    def lockout(self, obj: AccessAttempt) -> str:
        return signin_lockout_label(username=obj.username, ip_address=obj.ip_address)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with unlocking(actor=Actor.from_user(request.user), reason="deleted in the admin (Access attempts)"):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with unlocking(actor=Actor.from_user(request.user), reason="deleted in the admin (Access attempts)"):
            super().delete_queryset(request, queryset)
