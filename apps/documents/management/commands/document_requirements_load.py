from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.audit.actors import Actor
from apps.documents.services import DEFAULT_REQUIREMENTS, requirements_default_load


class Command(BaseCommand):
    help = (
        "Load the default document requirements matrix (which documents each customer type and CDD level needs). "
        "Lines that exist are kept as they are, so analysts' edits survive; safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added = requirements_default_load(actor=Actor.system("document_requirements_load"))
        self.stdout.write(f"{added} of {len(DEFAULT_REQUIREMENTS)} default requirements added; the rest existed.")
