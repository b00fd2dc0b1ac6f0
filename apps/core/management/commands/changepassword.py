"""``manage.py changepassword``, replacing Django's: the change is an event in the audit trail."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.management.commands.createsuperuser import command_actor


class Command(BaseCommand):
    help = ("Set a user's password (asked twice, checked by the password validators). The change is an event in "
            "the audit trail (user.password_set, actor: this command, the operating-system account and host).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Whose password.")

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.core.services import user_password_set

        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}; check the name in the admin's Users page.")
        for _ in range(3):
            password = getpass.getpass(f"New password for {user.get_username()}: ")
            if password != getpass.getpass("Again: "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as exc:
                self.stderr.write("Refused: " + " ".join(exc.messages))
                continue
            user_password_set(user=user, password=password, actor=command_actor("changepassword"))
            self.stdout.write(self.style.SUCCESS(f"Password of {user.get_username()} changed; the trail records it."))
            return
        raise CommandError("Three attempts failed; the password is unchanged.")
