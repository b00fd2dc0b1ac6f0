"""Role checks for web pages: sign-in first, then one of the roles, else 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.core.roles import user_roles


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not set(roles) & user_roles(request.user):
                from apps.core.views_web import forbidden_page

                return forbidden_page(request, roles=roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
