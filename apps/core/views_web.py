"""Sign-in, sign-out and the landing page of the web service."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.roles import ROLES, user_roles
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


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(user_roles(request.user))
    return render(request, "core/home.html", {"roles": [(r, ROLES[r]) for r in roles if r in ROLES]})
