"""Run the hostile-file corpus (tests/documents/corpus.py) through the file checks and the stand-in scanner.

``manage.py documents_hostile_files`` prints one line per file and the figure
"files with active content or malware refused N/N". Offline: no AWS, nothing stored. A
development tool: it needs the repository's tests/ tree (the corpus is built there, in memory).
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.documents import checks
from apps.documents.scanning import eicar_found


def verdict_of(data: bytes) -> str:
    """What the platform does with these bytes: ``refused (<code>)`` or ``accepted``."""
    try:
        checks.file_check(stream=io.BytesIO(data), max_bytes=settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES,
                          allowed=settings.CDD_DOCUMENTS_ALLOWED_TYPES)
    except checks.Rejection as rejection:
        return f"refused ({rejection.code})"
    return "refused (malware found by the scanner)" if eicar_found(data) else "accepted"


class Command(BaseCommand):
    help = "Print how many hostile files the document checks and the scanner refuse (and that clean ones pass)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from tests.documents import corpus
        except ImportError as exc:
            raise CommandError("The corpus lives in tests/documents/corpus.py; run this from a checkout.") from exc
        refused = 0
        for sample in corpus.MALICIOUS:
            outcome = verdict_of(sample.build())
            refused += outcome.startswith("refused")
            self.stdout.write(f"  hostile  {sample.name:<48} {outcome}")
        accepted = 0
        for sample in corpus.BENIGN:
            outcome = verdict_of(sample.build())
            accepted += outcome == "accepted"
            self.stdout.write(f"  ordinary {sample.name:<48} {outcome}")
        self.stdout.write(f"files with active content or malware refused {refused}/{len(corpus.MALICIOUS)}; "
                          f"ordinary evidence accepted {accepted}/{len(corpus.BENIGN)}")
        if refused != len(corpus.MALICIOUS) or accepted != len(corpus.BENIGN):
            raise CommandError("Some hostile file was accepted, or some ordinary file refused.")
