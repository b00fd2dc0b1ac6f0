"""Admin for API keys: issued and revoked through the services, so both are audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.core.models import ApiKey
from apps.core.roles import INTEGRATION, SCOPES
from apps.core.services import api_key_create, api_key_revoke


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
                messages.error(request, f"{exc.message} {exc.errors}")
            else:
                messages.warning(request, f"API key {key.prefix} issued. Copy it now, it is not shown again: {full}")
                return HttpResponseRedirect(reverse("admin:core_apikey_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Issue an API key", "form": form,
                   "opts": self.model._meta}
        from django.template.response import TemplateResponse

        return TemplateResponse(request, "admin/core/apikey/issue.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(prefix=key.prefix, actor=Actor.from_user(request.user), reason="revoked in admin")
        messages.success(request, f"Revoked {queryset.count()} key(s).")
