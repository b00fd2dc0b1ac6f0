"""Customer screening on the local stack: how soon a create shows its alerts, and a burst of creates.

    .venv/bin/python bench/customer_screening.py                  # starts its own `make run` stack
    .venv/bin/python bench/customer_screening.py --url http://127.0.0.1:4567 --api-key-file .local/demo-api-key.txt

Without --url it runs scripts/local_stack.py (what `make run` runs: moto, gunicorn api/web/admin,
a Celery worker with 2 processes on SQS, beat) on free ports in a temporary folder, without demo
data, and stops it at the end.

Two phases:

1. **create → alert visible**: ``--latency N`` customers named exactly like listed persons (with
   their date of birth and nationality) are created one at a time through the API; each is polled
   (GET /api/v1/customers/{id}/alerts every 50 ms) until its alert shows. Target: p95 < 5 s.
2. **burst**: ``--burst N`` creates with ``--concurrency`` clients (one in ten a listed name), then
   every customer is polled until its screening run is recorded. Target: all screened, none lost;
   each listed customer alerted, no alert twice.

moto applies DynamoDB requests one at a time on the local stack (scripts/moto_server.py) and copies
tables on each transaction, so absolute figures are far below DynamoDB's; read them as the local
stack's, and as relative figures between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TARGET_P95_SECONDS = 5.0


def free_base_port() -> int:
    for base in range(30000, 60000, 10):
        with contextlib.ExitStack() as stack:
            socks = [stack.enter_context(socket.socket()) for _ in range(4)]
            if all(s.connect_ex(("127.0.0.1", base + i)) != 0 for i, s in enumerate(socks)):
                return base
    raise SystemExit("no four free ports in a row")


@contextlib.contextmanager
def make_run(keep: bool) -> Iterator[tuple[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix="cdd-bench-screening-"))
    port = free_base_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_", "AWS_"))}
    out = open(workdir / "make-run.out", "wb")  # noqa: SIM115 - lives as long as the stack
    print(f"starting the local stack on 127.0.0.1:{port}-{port + 3} ({workdir})", file=sys.stderr)
    process = subprocess.Popen([PY, str(ROOT / "scripts" / "local_stack.py"), "--port", str(port), "--local-dir",
                                str(workdir), "--no-demo-data"], cwd=ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while b"Everything is up" not in (workdir / "make-run.out").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the stack did not start; see {workdir / 'make-run.out'}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port + 1}", (workdir / "demo-api-key.txt").read_text().strip()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        if keep:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def listed_people(count: int) -> list[dict[str, Any]]:
    """Customers built from listed persons of the bundled snapshot: exact name, date of birth, nationality."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from apps.screening.lists import snapshot_parse

    people = []
    for entity in snapshot_parse("un_sc").entities:
        dob = next((d for d in entity.birth_dates if len(d) == 10), None)
        if entity.schema == "person" and dob and entity.nationalities and entity.primary_name.isascii():
            people.append({"customer_type": "individual", "legal_name": entity.primary_name.title(),
                           "date_of_birth": dob, "nationalities": entity.nationalities[:1],
                           "country_of_residence": entity.nationalities[0], "_entity": entity.source_id})
    random.Random(7).shuffle(people)
    return people[:count]


def clear_person(n: int) -> dict[str, Any]:
    rnd = random.Random(n)
    given = rnd.choice(["Amelia", "Oliver", "Isla", "Noah", "Freya", "Arthur", "Maeve", "Callum", "Elodie", "Tobias"])
    family = rnd.choice(["Featherstone", "Quennell", "Abernathy", "Whitcombe", "Harrowgate", "Pemberton", "Lockwood"])
    return {"customer_type": "individual", "legal_name": f"{given} {family}-{n}", "date_of_birth": "1988-04-02",
            "nationalities": ["GB"], "country_of_residence": "GB"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="api base URL of a running stack (default: start one)")
    parser.add_argument("--api-key-file", type=Path, help="file with an integration API key (with --url)")
    parser.add_argument("--latency", type=int, default=30, help="customers for create -> alert (default 30)")
    parser.add_argument("--burst", type=int, default=500, help="customers in the burst (default 500)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients in the burst (default 8)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the burst (default 900)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the started stack's folder")
    args = parser.parse_args()
    listed = listed_people(args.latency + args.burst // 10 + 1)
    if args.url:
        key = (args.api_key_file or Path(".local/demo-api-key.txt")).read_text().strip()
        run(args, args.url, key, listed)
    else:
        with make_run(args.keep_logs) as (url, key):
            run(args, url, key, listed)


def run(args: argparse.Namespace, url: str, key: str, listed: list[dict[str, Any]]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {key}"

    def create(data: dict[str, Any]) -> str:
        body = {k: v for k, v in data.items() if not k.startswith("_")}
        for attempt in range(5):
            response = session.post(f"{url}/api/v1/customers", json=body, timeout=60)
            if response.status_code == 201:
                return str(response.json()["customer_id"])
            if response.status_code != 503:
                raise SystemExit(f"create failed: {response.status_code} {response.text[:300]}")
            time.sleep(0.5 * (attempt + 1))
        raise SystemExit("create kept answering 503")

    def alerts(customer_id: str) -> list[dict[str, Any]]:
        return list(session.get(f"{url}/api/v1/customers/{customer_id}/alerts", timeout=30).json())

    def screened(customer_id: str) -> bool:
        return bool(session.get(f"{url}/api/v1/customers/{customer_id}/screenings", timeout=30).json())

    # Warm the worker's list index (built once per worker process), as a running stack has.
    warm = create(listed[-1])
    deadline = time.monotonic() + 120
    while not screened(warm) and time.monotonic() < deadline:
        time.sleep(0.5)

    latencies: list[float] = []
    for data in tqdm(listed[: args.latency], desc="create -> alert", file=sys.stderr):
        started = time.perf_counter()
        customer_id = create(data)
        while not alerts(customer_id):
            if time.perf_counter() - started > 60:
                raise SystemExit(f"no alert for {data['legal_name']} after 60 s")
            time.sleep(0.05)
        latencies.append(time.perf_counter() - started)

    burst = [listed[args.latency + n // 10] if n % 10 == 0 else clear_person(n) for n in range(args.burst)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        ids = list(tqdm(pool.map(create, burst), total=len(burst), desc="burst creates", file=sys.stderr))
    created_in = time.perf_counter() - started
    pending = set(ids)
    bar = tqdm(total=len(ids), desc="screened", file=sys.stderr)
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        done = {c for c in list(pending) if screened(c)}
        pending -= done
        bar.update(len(done))
        if pending:
            time.sleep(1)
    bar.close()
    all_screened_in = time.perf_counter() - started
    listed_ids = [c for c, d in zip(ids, burst, strict=True) if "_entity" in d]
    missing_alert = [c for c in listed_ids if not alerts(c)]
    duplicates = 0
    for customer_id in listed_ids:
        keys = [(a["subject"]["subject_id"], a["list"], a["list_entity_id"]) for a in alerts(customer_id)]
        duplicates += len(keys) - len(set(keys))

    print(f"\nCustomer screening on the local stack ({url}); load average {os.getloadavg()[0]:.1f}")
    print(f"create -> alert visible, {len(latencies)} listed persons one at a time: "
          f"p50 {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s (target p95 < {TARGET_P95_SECONDS:.0f} s: "
          f"{'met' if percentile(latencies, 0.95) < TARGET_P95_SECONDS else 'NOT met'})")
    print(f"burst of {len(ids)} creates with {args.concurrency} clients: created in {created_in:.1f} s "
          f"({len(ids) / created_in:.1f}/s); all screened after {all_screened_in:.1f} s; "
          f"screened {len(ids) - len(pending)}, lost {len(pending)}; listed {len(listed_ids)}, "
          f"alerted {len(listed_ids) - len(missing_alert)}, duplicate alerts {duplicates}")
    if pending or duplicates:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
