from __future__ import annotations

import os
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.roles import ANALYST, AUDITOR, INTEGRATION, PLATFORM_ADMIN, REVIEWER, SCOPES, SENIOR_REVIEWER
from apps.core.services import api_key_create, roles_ensure, user_create

DEMO_USERS: list[tuple[str, tuple[str, ...]]] = [
    ("analyst", (ANALYST,)),
    ("analyst2", (ANALYST,)),
    ("reviewer", (REVIEWER,)),
    ("senior", (REVIEWER, SENIOR_REVIEWER)),
    ("auditor", (AUDITOR,)),
    ("admin", (PLATFORM_ADMIN,)),
    ("portal", (INTEGRATION,)),
]
# Apps that ship demo data provide ``demo.py`` with ``demo_load(*, actor) -> str``.
DEMO_APPS = ("customers", "screening", "documents", "reviews")


class Command(BaseCommand):
    help = (
        "Local stack only: create the role groups, one demo user per role, an integration API key "
        "(printed once) and the demo data of every app. Safe to run again: what exists is kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-data", action="store_true", help="Users and key only, no demo records.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CDD_ENV not in ("local", "test"):
            raise CommandError("demo_setup creates known demo accounts; it runs only with CDD_ENV=local.")
        actor = Actor.system("demo_setup")
        roles_ensure()
        credentials = settings.LOCAL_DIR / "demo-users.txt"
        if User.objects.filter(username="analyst").exists():
            self.stdout.write(f"Demo users exist; their passwords are in {credentials}.")
        else:
            lines = []
            for username, roles in DEMO_USERS:
                password = None if INTEGRATION in roles else secrets.token_urlsafe(12)
                user_create(username=username, password=password, roles=roles, actor=actor)
                if password:
                    lines.append(f"{username:<10} {password:<20} {', '.join(roles)}")
            credentials.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write("\n".join(lines) + "\n")
            self.stdout.write("Demo users (username, password, roles) — also saved in " + str(credentials) + ":")
            for line in lines:
                self.stdout.write("  " + line)
            _, full = api_key_create(name="demo onboarding portal", user=User.objects.get(username="portal"),
                                     scopes=[s for s in SCOPES if s != "integrations:all"], actor=actor)
            self.stdout.write(self.style.WARNING(
                "Integration API key (shown once; send as 'Authorization: Api-Key <key>'):"))
            self.stdout.write("  " + full)
            key_file = settings.LOCAL_DIR / "demo-api-key.txt"
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(full + "\n")
        if options["no_data"]:
            return
        for app in DEMO_APPS:
            try:
                module = import_module(f"apps.{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name == f"apps.{app}.demo":
                    continue
                raise
            self.stdout.write(f"{app}: {module.demo_load(actor=actor)}")
