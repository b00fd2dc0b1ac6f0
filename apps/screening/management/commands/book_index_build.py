from __future__ import annotations

import sys
import time
import tracemalloc
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.screening.services.book_index import book_index_rebuild, book_index_snapshot_save, snapshot_key


class Command(BaseCommand):
    help = (
        "Rebuild the customer-side screening index (every customer and related party the screening has seen, "
        "table screening_subjects) from scratch with the current matching algorithm, and store it in S3 as the "
        "snapshot workers start from. Run it after a change of the matching algorithm; workers keep the index "
        "up to date from the writes in between. Reads the whole subject table once: an offline job."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-save", action="store_true", help="Build and report only; keep the snapshot.")
        parser.add_argument("--memory", action="store_true",
                            help="Also measure the build's peak Python memory (slower).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["memory"]:
            tracemalloc.start()
        started = time.perf_counter()

        def progress(n: int) -> None:
            sys.stderr.write(f"\r  {n:,} subjects read…")
            sys.stderr.flush()

        book = book_index_rebuild(progress=progress)
        sys.stderr.write("\n")
        built = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if options["memory"] else None
        line = f"built: {len(book.refs):,} subjects in {built:.1f} s"
        if peak is not None:
            line += f", peak {peak / 1e6:,.0f} MB"
        self.stdout.write(line)
        if not options["no_save"]:
            saved = book_index_snapshot_save()
            self.stdout.write(f"saved: s3://…/{snapshot_key()} ({int(saved['bytes']) / 1e6:,.1f} MB, "  # type: ignore[call-overload]
                              f"watermark {saved['watermark'] or 'none'})")
