"""``manage.py createsuperuser``, replacing Django's: the account is a platform admin and the trail records it."""

from __future__ import annotations

import getpass
import os
import socket
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.errors import DomainError


def command_actor(command: str) -> Actor:
    """Who ran a command: the command, the operating-system account and the host it ran on."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.system(f"{command} ({who}@{socket.gethostname()})")


class Command(BaseCommand):
    help = (
        "Create a superuser: a platform admin (users, roles, API keys) with every admin permission and no case "
        "or alert role. The creation is an event in the audit trail (user.created, actor: this command, the "
        "operating-system account and host). Roles and the superuser flag cannot be given in the admin; "
        "this command is the only way to make a superuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="The account's name (asked for when missing).")
        parser.add_argument("--email", default="", help="Its email address.")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="Ask nothing: the password comes from DJANGO_SUPERUSER_PASSWORD.")

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.core.services import superuser_create

        username = options["username"]
        if options["interactive"]:
            username = username or input("Username: ").strip()
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ; run the command again.")
        else:
            password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
            if not password:
                raise CommandError("With --noinput, set the password in DJANGO_SUPERUSER_PASSWORD.")
        if not username:
            raise CommandError("Give a username (--username).")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("The password is refused: " + " ".join(exc.messages)) from None
        try:
            user = superuser_create(username=username, email=options["email"], password=password,
                                    actor=command_actor("createsuperuser"))
        except DomainError as exc:
            raise CommandError(exc.text()) from None
        self.stdout.write(self.style.SUCCESS(
            f"Superuser {user.get_username()} created (platform admin); the audit trail records it as user.created."))
