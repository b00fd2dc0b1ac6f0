"""Screen every customer and related party again (full re-screening of the book)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.screening.services.rescreen import RescreenProgress, book_rescreen_request, rescreen_job_get

STALLED_SECONDS = 120


class Command(BaseCommand):
    help = (
        "Record a screening request for every subject of the book (customers and related parties), for the "
        "workers to screen against the active lists: after a change of the algorithm, the threshold or the set "
        "of lists, or on demand. Resumable: run it again with --job to finish a job that stopped; nothing is "
        "requested twice. Audited per chunk on the job's chain (rescreen#<job>)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", required=True, help="why the book is screened again (audited)")
        parser.add_argument("--job", metavar="ID", help="resume this job (printed when a job starts)")
        parser.add_argument("--watch", action="store_true",
                            help="then follow the workers' screening of the job with a progress bar until done")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(desc="subjects requested", unit="subject", file=sys.stderr, disable=None)

        def progress(state: RescreenProgress) -> None:
            bar.n = state.found
            bar.refresh()

        try:
            state = book_rescreen_request(actor=Actor.system(f"manage.py rescreen_book ({getpass.getuser()})"),
                                          reason=options["reason"],
                                          job_id=options["job"], progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        self.stdout.write(f"job {state.job_id}: {state.subjects} subjects, {state.requested} screening requests "
                          f"recorded, {state.already} already recorded by an earlier run, in {state.chunks} "
                          f"transaction{'s' if state.chunks != 1 else ''}")
        if options["watch"]:
            self._watch(state.job_id, state.subjects)

    def _watch(self, job_id: str, subjects: int) -> None:
        import time

        screened = tqdm(desc="subjects screened", unit="subject", total=subjects, file=sys.stderr, disable=None)
        moved_at, told = time.monotonic(), False
        try:
            while True:
                job = rescreen_job_get(job_id=job_id)
                count = int(job.screened or 0)
                if count != screened.n:
                    moved_at, told = time.monotonic(), False
                screened.n = count
                screened.refresh()
                if screened.n >= subjects:
                    break
                if not told and time.monotonic() - moved_at > STALLED_SECONDS:
                    told = True
                    screened.write(f"no subject of job {job_id} screened in the last {STALLED_SECONDS // 60} "
                                   f"minutes ({count} of {subjects}): check that the workers and beat run (beat "
                                   "sends unfinished requests again). Still watching; Ctrl-C stops watching, "
                                   "not the job.", file=sys.stderr)
                time.sleep(2)
        except KeyboardInterrupt:
            self.stdout.write(f"stopped watching; the workers go on. Watch again: rescreen_book --job {job_id} "
                              "--watch --reason …")
            return
        finally:
            screened.close()
        self.stdout.write(f"job {job_id}: all {subjects} subjects screened")
