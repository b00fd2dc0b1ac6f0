from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.core.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part after 'cdd_'); requests with it get 401 at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")
        parser.add_argument("--reason", required=True, help="Why, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            api_key_revoke(prefix=options["prefix"], reason=options["reason"],
                           actor=Actor.system("manage.py api_key_revoke"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Revoked {options['prefix']}."))
