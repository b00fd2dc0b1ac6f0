from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.core.roles import SCOPES
from apps.core.services import api_key_create


class Command(BaseCommand):
    help = "Issue an API key for an integration user. The key is printed once; only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username of an integration-role user.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'onboarding portal'.")
        parser.add_argument("--scope", action="append", dest="scopes", required=True, choices=sorted(SCOPES),
                            help="A scope to grant; repeat for several.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user '{options['user']}'. Create it first (admin service, Users).")
        try:
            key, full = api_key_create(name=options["name"], user=user, scopes=options["scopes"],
                                       actor=Actor.system("manage.py api_key_create"))
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.errors}") from exc
        self.stdout.write(f"API key {key.prefix} for {user.username} ({', '.join(key.scopes)}):")
        self.stdout.write(full)
        self.stderr.write("Store it now: it cannot be shown again.")
