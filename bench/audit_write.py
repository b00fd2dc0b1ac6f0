"""Audit writes under concurrency: events per second, retries, and whether any chain broke.

    .venv/bin/python bench/audit_write.py [--threads 8] [--events 800] [--hot-chains 2] [--hot-share 0.3]
                                          [--endpoint http://127.0.0.1:4566] [--moto-threaded]

Several threads write audit events through ``audit_event_record``, each together with a change
(a small item in another table, in the same transaction, as every service does). A share of the
events go to a few "hot" chains every thread writes to (same object, so writers race on the chain
head and retry); the rest go to chains of each thread's own. At the end the verifier recomputes
every chain written (hashes, links, the last event's MAC under the audit KMS key) and compares
each chain's last seq with the per-chain write counts. Each event costs one KMS GenerateMac call
besides its transaction; the bench times that call on its own too (``kms GenerateMac`` line).

Without ``--endpoint`` a moto server is started on 127.0.0.1 (a free port) in its own process.
By default it serves one request at a time: real DynamoDB isolates transactions (serializable),
but moto's threaded server does not (a cancelled transaction restores a copy of the whole table,
which can wipe a concurrent commit). ``--moto-threaded`` runs moto as ``make run`` does, to show
that difference. moto also deep-copies every table a transaction touches (O(table size)); the
bench's moto replaces that copy with an exact, cheaper one for put-only transactions unless
``--moto-full-copy``. Figures measure moto on this machine, not DynamoDB; the point is the shape
(contention costs retries, never a fork) and that no chain breaks.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_serve(port: int, *, threaded: bool, full_copy: bool) -> None:
    """The moto server process (``--serve-moto``): one request at a time unless ``threaded``."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    if not full_copy:
        _moto_cheap_rollback()
    run_simple("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=threaded,
               use_reloader=False)


def _moto_cheap_rollback() -> None:
    """Make moto's transaction rollback copy the item maps instead of deep-copying whole tables.

    moto deep-copies every table a transaction touches before applying it (so it can roll back),
    which makes each transaction cost O(table size): ~0.3 ms per stored item on this machine,
    and the figures would measure that copy rather than the audit write. This bench only puts
    items (puts replace Item objects, never mutate them), so copying the item maps two levels deep
    is an exact rollback. Bench-only; ``--moto-full-copy`` turns it off.
    """
    import copy as copy_module
    from collections import defaultdict

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    real_deepcopy = copy_module.deepcopy

    def snapshot(value: object, memo: object = None) -> object:
        if isinstance(value, Table):
            clone = copy_module.copy(value)
            clone.items = defaultdict(dict, {k: dict(v) if isinstance(v, dict) else v for k, v in value.items.items()})
            return clone
        return real_deepcopy(value, memo)  # type: ignore[arg-type]

    dynamodb_models.copy.deepcopy = snapshot  # type: ignore[attr-defined]


def moto_start(*, threaded: bool, full_copy: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, __file__, "--serve-moto", str(port)]
    command += ["--moto-threaded"] if threaded else []
    command += ["--moto-full-copy"] if full_copy else []
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("The moto server did not start; is moto[server] installed in .venv?")


class RetryCounter(logging.Handler):
    """Counts the service's 'chain moved on; retrying' log lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.count = 0
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying" in record.getMessage():
            with self._lock:
                self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--events", type=int, default=800, help="events in total (default 800)")
    parser.add_argument("--hot-chains", type=int, default=2, help="chains every thread writes to (default 2)")
    parser.add_argument("--hot-share", type=float, default=0.3,
                        help="share of events going to the hot chains, 0..1 (default 0.3)")
    parser.add_argument("--own-chains", type=int, default=20, help="chains of each thread's own (default 20)")
    parser.add_argument("--endpoint", help="URL of a running moto server (default: start one on 127.0.0.1)")
    parser.add_argument("--moto-threaded", action="store_true",
                        help="start moto with its threaded server (as make run does) instead of serialized")
    parser.add_argument("--moto-full-copy", action="store_true",
                        help="keep moto's whole-table deep copy per transaction (slow, O(table size))")
    parser.add_argument("--serve-moto", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=7, help="random seed for the chain choice")
    parser.add_argument("--baseline", type=int, default=50,
                        help="events written first by one thread alone, for comparison (default 50; 0: none)")
    args = parser.parse_args()

    if args.serve_moto:
        moto_serve(args.serve_moto, threaded=args.moto_threaded, full_copy=args.moto_full_copy)
        return
    proc = None
    if args.endpoint:
        url = args.endpoint
    else:
        proc, url = moto_start(threaded=args.moto_threaded, full_copy=args.moto_full_copy)
    os.environ["AWS_ENDPOINT_URL"] = url
    os.environ["CDD_TABLE_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.test")
    try:
        run(args, url)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


def run(args: argparse.Namespace, url: str) -> None:
    import django

    django.setup()
    from tqdm import tqdm

    from apps.audit.actors import Actor
    from apps.audit.services import AuditEntry, audit_event_record
    from apps.audit.verify import audit_trail_verify
    from apps.core.bootstrap import aws_resources_ensure
    from apps.core.dynamo_models import DiagnosticPing
    from apps.core.errors import Conflict
    from apps.core.tables import tables_ensure

    aws_resources_ensure()
    tables_ensure(create=True)
    counter = RetryCounter()
    service_log = logging.getLogger("apps.audit.services")
    service_log.setLevel(logging.INFO)
    service_log.propagate = False
    service_log.addHandler(counter)

    rng = random.Random(args.seed)
    plan: list[list[str]] = [[] for _ in range(args.threads)]
    for n in range(args.events):
        thread = n % args.threads
        if rng.random() < args.hot_share:
            plan[thread].append(f"hot-{rng.randrange(args.hot_chains)}")
        else:
            plan[thread].append(f"t{thread}-{rng.randrange(args.own_chains)}")
    written: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    bar = tqdm(total=args.events, file=sys.stderr, unit="event", leave=False)
    start_day = datetime.now(tz=UTC).date()
    go = threading.Barrier(args.threads)

    def writer(index: int) -> None:
        actor = Actor(kind="system", id=f"bench-{index}", name=f"bench writer {index}", roles=("system",))
        go.wait()
        for n, object_id in enumerate(plan[index]):
            ping = DiagnosticPing(f"{index}-{n}", sent_at=datetime.now(tz=UTC), sent_by=f"bench-{index}")
            began = time.perf_counter()
            try:
                audit_event_record(
                    entry=AuditEntry(actor=actor, action="customer.updated", object_type="customer",
                                     object_id=object_id, before={"n": n - 1}, after={"n": n}),
                    writes=[lambda tx, p=ping: tx.save(p, condition=DiagnosticPing.ping_id.does_not_exist())],
                )
            except Conflict:
                with lock:
                    failures[object_id] += 1
            except Exception as exc:  # noqa: BLE001 (count it, keep the writer going)
                with lock:
                    errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
            else:
                with lock:
                    written[object_id] += 1
                    latencies.append(time.perf_counter() - began)
            bar.update()

    from apps.audit.services import event_mac

    t0 = time.perf_counter()
    for n in range(100):
        event_mac(f"{n:064x}")
    mac_ms = (time.perf_counter() - t0) * 10  # per call, of 100
    if args.baseline:
        solo = Actor.system("bench-solo")
        t0 = time.perf_counter()
        for n in range(args.baseline):
            audit_event_record(entry=AuditEntry(actor=solo, action="customer.updated", object_type="customer",
                                                object_id=f"solo-{n % 5}", after={"n": n}),
                               writes=[lambda tx, n=n: tx.save(DiagnosticPing(
                                   f"solo-{n}", sent_at=datetime.now(tz=UTC), sent_by="solo"))])
        solo_rate = args.baseline / (time.perf_counter() - t0)
        written.update({f"solo-{k}": len(range(k, args.baseline, 5)) for k in range(min(5, args.baseline))})

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.threads)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    bar.close()

    solo_chains = [k for k in written if k.startswith("solo-")]
    solo_ok = sum(written[k] for k in solo_chains)
    ok = sum(written.values()) - solo_ok
    hot_ok = sum(v for k, v in written.items() if k.startswith("hot-"))
    mode = "given endpoint" if args.endpoint else ", ".join([
        "moto", "threaded" if args.moto_threaded else "serialized",
        "whole-table copy per transaction" if args.moto_full_copy else "item-map rollback copy"])
    print(f"endpoint            {url} ({mode})")
    print(f"writers             {args.threads} threads, {args.events} events, {len(written) - len(solo_chains)} chains "
          f"({args.hot_chains} hot chains took {hot_ok} events)")
    if args.baseline:
        print(f"one writer alone    {args.baseline} events at {solo_rate:.1f} events/s (baseline)")
    print(f"written             {ok} events in {elapsed:.2f} s = {ok / elapsed:.1f} events/s")
    print(f"retries             {counter.count} ({counter.count / max(ok, 1):.2f} per event); "
          f"gave up (409) {sum(failures.values())}; other errors {sum(errors.values())}")
    for error, count in errors.most_common(3):
        print(f"  {count} x {error}")
    print(f"kms GenerateMac     {mac_ms:.2f} ms per call (100 calls, one thread; part of every event's latency)")
    if latencies:
        cuts = statistics.quantiles(latencies, n=100)
        print(f"latency per event   p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms")

    report = audit_trail_verify(since=start_day, progress=lambda items, **kw: tqdm(
        items, file=sys.stderr, leave=False, **kw))
    lengths = {}
    from apps.audit.selectors import audit_chain_last_get

    for object_id in written:
        last = audit_chain_last_get(chain=f"customer#{object_id}")
        lengths[object_id] = int(last.seq or 0) if last else 0
    short = {k: (lengths[k], v) for k, v in written.items() if lengths[k] != v}
    changes = sum(1 for _ in DiagnosticPing.scan())  # bench only: count the changes committed
    broken = {p.chain for p in report.problems}
    print(f"verifier            {report.events} events in {report.chains} chains recomputed: "
          f"{len(broken)} chain(s) broken, {len(report.problems)} problem(s)")
    print(f"completeness        changes committed {changes}, events written {ok + solo_ok}, "
          f"chains whose last seq disagrees with the writes: {len(short)}")
    for problem in report.problems[:10]:
        print(f"  {problem}")
    if report.problems or short or changes != ok + solo_ok or errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
