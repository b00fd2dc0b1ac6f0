"""The hostile-file corpus through the document checks and the stand-in scanner: refused N/N.

    .venv/bin/python bench/hostile_files.py

Offline (no AWS, nothing stored). Prints one line per file of ``tests/documents/corpus.py`` and
"files with active content or malware refused N/N; ordinary evidence accepted M/M"; exits non-zero
when a hostile file is accepted or an ordinary one refused. A development script: it needs the
repository's tests/ tree, so it lives here rather than among the product's commands.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CDD_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.test")


def verdict_of(data: bytes) -> str:
    """What the platform does with these bytes: ``refused (<code>)`` or ``accepted``."""
    from django.conf import settings

    from apps.documents import checks
    from apps.documents.scanning import eicar_found

    try:
        checks.file_check(stream=io.BytesIO(data), max_bytes=settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES,
                          allowed=settings.CDD_DOCUMENTS_ALLOWED_TYPES)
    except checks.Rejection as rejection:
        return f"refused ({rejection.code})"
    return "refused (malware found by the scanner)" if eicar_found(data) else "accepted"


def main() -> int:
    import argparse

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    import django

    django.setup()
    from tests.documents import corpus

    refused = 0
    for sample in corpus.MALICIOUS:
        outcome = verdict_of(sample.build())
        refused += outcome.startswith("refused")
        print(f"  hostile  {sample.name:<48} {outcome}")
    accepted = 0
    for sample in corpus.BENIGN:
        outcome = verdict_of(sample.build())
        accepted += outcome == "accepted"
        print(f"  ordinary {sample.name:<48} {outcome}")
    print(f"files with active content or malware refused {refused}/{len(corpus.MALICIOUS)}; "
          f"ordinary evidence accepted {accepted}/{len(corpus.BENIGN)}")
    return 0 if refused == len(corpus.MALICIOUS) and accepted == len(corpus.BENIGN) else 1


if __name__ == "__main__":
    sys.exit(main())
