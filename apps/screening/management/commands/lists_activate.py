"""Activate a held list version (a senior reviewer, four-eyes) or roll back to an earlier one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.screening.services.lists import list_version_activate


class Command(BaseCommand):
    help = (
        "Make a list version active: a held version (it lost more entries than CDD_LISTS_MAX_SHRINK allows) is "
        "activated by a senior reviewer who did not load it, with a reason; a superseded version is a roll-back. "
        "Audited on the list's chain as list_version.activated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", required=True, dest="list_key", metavar="KEY", help="list key, e.g. ofac_sdn")
        parser.add_argument("--list-version", required=True, dest="version_id", metavar="ID", help="the version id")
        parser.add_argument("--user", required=True, help="who decides (a senior reviewer's username)")
        parser.add_argument("--reason", required=True, help="why this version is right (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}; give the username of a senior reviewer.")
        try:
            version = list_version_activate(list_key=options["list_key"], version_id=options["version_id"],
                                            actor=Actor.from_user(user), reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{version.list_key}: version {version.version_id} is active "
                          f"({int(version.entity_count):,} entities)")
