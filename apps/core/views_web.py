"""Sign-in, sign-out and the landing page of the web service."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import json_404, json_500
from apps.core.navigation import ROLE_LABELS, tools_for
from apps.core.roles import PLATFORM_ADMIN, ROLES, user_roles
from apps.core.signin import SignInView, signout_record


class LoginView(SignInView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    surface = "web"


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        signout_record(request=request, user=request.user, surface="web")
    logout(request)
    return redirect("login")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` (every service): the vendored icon, for clients that ask without reading the page's link."""
    return redirect(static("core/favicon.svg"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(user_roles(request.user))
    return render(request, "core/home.html", {
        "roles": [(ROLE_LABELS.get(r, r), ROLES[r]) for r in roles if r in ROLES], "tools": tools_for(request.user),
    })


# --- Error pages of the web service (handler403/404/500 in cdd/urls/web.py) -----------------------------------

def _role_words(roles: Any) -> str:
    words = [ROLE_LABELS.get(r, r.replace("_", " ")) + "s" for r in roles]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def forbidden_page(request: HttpRequest, *, roles: Any = (), what: str = "") -> HttpResponse:
    """403: who the page is for, who you are, and what to do — not the same words as a missing page."""
    mine = user_roles(request.user)
    if PLATFORM_ADMIN in mine:
        advice = ("Platform admins manage users, roles and API keys in the admin and hold no case role "
                  "(segregation of duties); this work is done by others.")
    elif roles:
        advice = "If your work needs it, ask a platform admin to give you one of these roles."
    else:
        advice = "If you think you should have access, ask a platform admin."
    return render(request, "core/forbidden.html", {
        "for_whom": _role_words(roles) if roles else "", "what": what, "advice": advice,
        "my_roles": sorted(ROLE_LABELS.get(r, r) for r in mine),
    }, status=403)


def not_found_page(request: HttpRequest, *, what: str = "", back: str = "/", back_label: str = "your home page",
                   ) -> HttpResponse:
    return render(request, "core/not_found.html", {
        "what": what or f"There is no page at {request.path}.", "back": back, "back_label": back_label,
    }, status=404)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):  # CDD_SERVICE=all: the API keeps its JSON errors
        return json_404(request, exception)
    return not_found_page(request)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return forbidden_page(request)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_500(request)
    # No context processors: whatever failed may be what they need.
    return HttpResponse(loader.get_template("core/server_error.html").render({}), status=500)
