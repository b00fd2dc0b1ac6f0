"""Create and read customers through the API, next to /healthz, and print throughput and latency.

    .venv/bin/python bench/customers_api.py                       # starts its own moto + gunicorn
    .venv/bin/python bench/customers_api.py --url http://127.0.0.1:4567 --api-key-file .local/demo-api-key.txt

Without --url it starts, on 127.0.0.1 and free ports, a moto server and the api service under
gunicorn (like `make run`, in a temporary directory it deletes afterwards), creates the tables and
an integration key, and stops what it started at the end. With --url it uses a running stack
(e.g. `make run`'s api on port 4567) and its key.

Three phases run one after another with the same concurrency: GET /healthz (the trivial
endpoint: the cost of gunicorn + Django + auth-free routing), POST /api/v1/customers (validate,
one DynamoDB transaction with the audit event, the seams), and GET /api/v1/customers/{id}
(API-key auth + one GetItem). The table shows requests per second and p50/p95 latency.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


@dataclass
class PhaseResult:
    name: str
    latencies: list[float]
    errors: int
    wall: float
    statuses: dict[int, int]

    def row(self) -> str:
        ok = len(self.latencies)
        rps = (ok + self.errors) / self.wall if self.wall else 0.0
        ordered = sorted(self.latencies) or [0.0]
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
        return f"{self.name:<34} {ok + self.errors:>8} {self.errors:>7} {rps:>9.1f} {p50:>9.1f} {p95:>9.1f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s; see the logs in the temporary directory.")


@contextlib.contextmanager
def local_stack(workers: int, threads: int, keep_logs: bool) -> Iterator[tuple[str, str]]:
    """moto + gunicorn (api service) on free ports; yields (base url, api key)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from local_stack import local_env  # the same environment `make run` uses

    workdir = Path(tempfile.mkdtemp(prefix="cdd-bench-"))
    moto_port, api_port = free_port(), free_port()
    env = local_env(moto_port, local_dir=workdir, prefix=f"bench{os.getpid()}")
    children: list[subprocess.Popen[bytes]] = []

    def start(name: str, cmd: list[str], extra: dict[str, str] | None = None) -> None:
        log = open(workdir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
        children.append(subprocess.Popen(cmd, cwd=ROOT, env={**env, **(extra or {})}, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True))

    def manage(*args: str) -> None:
        done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout.decode()}{done.stderr.decode()}")

    try:
        print(f"starting moto on 127.0.0.1:{moto_port} and the api on 127.0.0.1:{api_port} ({workdir})",
              file=sys.stderr)
        start("moto", [PY, str(ROOT / "scripts" / "moto_server.py"), "--port", str(moto_port)])
        wait_for(f"http://127.0.0.1:{moto_port}/moto-api/")
        for step in (("migrate", "--noinput", "-v", "0"), ("aws_bootstrap",), ("demo_setup", "--no-data")):
            manage(*step)
        key = (workdir / "demo-api-key.txt").read_text().strip()
        start("api", [PY, "-m", "gunicorn", "cdd.wsgi:application", "--bind", f"127.0.0.1:{api_port}",
                      "--workers", str(workers), "--threads", str(threads), "--timeout", "60"],
              {"CDD_SERVICE": "api", "CDD_LOG_LEVEL": "WARNING"})
        base = f"http://127.0.0.1:{api_port}"
        wait_for(f"{base}/healthz")
        yield base, key
    finally:
        for child in reversed(children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if keep_logs:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_phase(name: str, count: int, concurrency: int, call: Callable[[requests.Session, int], requests.Response],
              expect: int) -> tuple[PhaseResult, list[requests.Response]]:
    local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    responses: list[requests.Response] = []
    lock = threading.Lock()
    errors = 0
    bar = tqdm(total=count, desc=name, file=sys.stderr, leave=False)

    def one(i: int) -> None:
        nonlocal errors
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = call(session, i)
        elapsed = time.perf_counter() - started
        with lock:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == expect:
                latencies.append(elapsed)
                responses.append(response)
            else:
                errors += 1
            bar.update(1)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    bar.close()
    return PhaseResult(name, latencies, errors, wall, statuses), responses


def customer_body(i: int, run: str) -> dict[str, Any]:
    return {
        "customer_type": "individual", "legal_name": f"Bench Person {run} {i}", "date_of_birth": "1980-01-01",
        "nationalities": ["GB"], "country_of_residence": "GB", "external_reference": f"bench-{run}-{i}",
        "addresses": [{"type": "residential", "line1": f"{i} Test Street", "city": "London", "country": "GB"}],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Base URL of a running api service (default: start a local one).")
    parser.add_argument("--api-key", help="API key with customers:read and customers:write (with --url).")
    parser.add_argument("--api-key-file", type=Path, help="File holding the API key (e.g. .local/demo-api-key.txt).")
    parser.add_argument("-n", "--requests", type=int, default=300, help="Requests per phase (default 300).")
    parser.add_argument("-c", "--concurrency", type=int, default=4, help="Concurrent clients (default 4).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the started api (default 2).")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4).")
    parser.add_argument("--keep-logs", action="store_true", help="Keep the started stack's directory and logs.")
    args = parser.parse_args()

    if args.url:
        key = args.api_key or (args.api_key_file.read_text().strip() if args.api_key_file else "")
        if not key:
            parser.error("--url needs --api-key or --api-key-file (e.g. .local/demo-api-key.txt from make run).")
        stack: contextlib.AbstractContextManager[tuple[str, str]] = contextlib.nullcontext((args.url.rstrip("/"), key))
    else:
        stack = local_stack(args.workers, args.threads, args.keep_logs)

    with stack as (base, key):
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        run = f"{int(time.time())}"
        # warm-up: first requests pay for imports, connections, table descriptions
        for i in range(5):
            requests.get(f"{base}/healthz", timeout=10)
            requests.post(f"{base}/api/v1/customers", json=customer_body(i, f"warm{run}"), headers=headers,
                          timeout=30)
        health, _ = run_phase("GET /healthz", args.requests, args.concurrency,
                              lambda s, i: s.get(f"{base}/healthz", timeout=30), 200)
        create, created = run_phase(
            "POST /api/v1/customers", args.requests, args.concurrency,
            lambda s, i: s.post(f"{base}/api/v1/customers", json=customer_body(i, run), headers=headers, timeout=30),
            201)
        ids = [r.json()["customer_id"] for r in created]
        if not ids:
            raise SystemExit(f"No customer was created (status codes {create.statuses}); check the key's scopes.")
        read, _ = run_phase(
            "GET /api/v1/customers/{id}", args.requests, args.concurrency,
            lambda s, i: s.get(f"{base}/api/v1/customers/{ids[i % len(ids)]}", headers=headers, timeout=30), 200)

    print(f"\n{args.requests} requests per phase, {args.concurrency} concurrent clients, "
          f"{'api at ' + args.url if args.url else f'gunicorn {args.workers}x{args.threads} on a local moto server'}")
    print(f"{'endpoint':<34} {'requests':>8} {'errors':>7} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9}")
    for phase in (health, create, read):
        print(phase.row())
        if phase.errors:
            print(f"{'':<34} status codes: {phase.statuses}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
