"""Domain events on in-process moto: what recording them costs a write, and what counting and delivering them costs.

    .venv/bin/python bench/events.py                         # 150 customers, 3 endpoints
    .venv/bin/python bench/events.py --customers 400 --endpoints 5
    .venv/bin/python bench/events.py --help

Every change that is a domain event puts one more item (the ``events.publish`` outbox item) in
its transaction (apps/core/events.py). This creates customers through the customers service,
alternately with the events recorded and, as the reference, with the event hook switched off (so
both see tables of the same size), and prints the create latency and transaction size of each. Then it runs what the worker does with the
recorded events, one phase at a time:

* publish: the outbox item's handler (the MI aggregates' transaction per event and the webhook
  fan-out, which records one delivery per subscribed endpoint), per event;
* deliver: one attempt per delivery (target check, Standard Webhooks signature, HTTP POST to a
  receiver on 127.0.0.1, the attempt and the audit event of its outcome), per delivery, and the
  time from the customer's commit to the receiver for the whole run.

Reference: the issue's "nothing committed is lost" costs one item per transaction; the figure to
watch is that the create's p50 grows by less than 10 %, and that one worker delivers more events
per second than one API process creates customers (so deliveries do not fall behind). moto answers
in-process, so absolute times are CPU costs of pynamodb, botocore and moto, not DynamoDB's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.test")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def line(label: str, values: list[float], unit: str = "ms") -> str:
    return (f"{label:<44} n={len(values):<5} p50 {percentile(values, 0.5):8.2f} {unit}   "
            f"p99 {percentile(values, 0.99):8.2f} {unit}   mean {statistics.fmean(values):8.2f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=150, help="customers created per run (default 150)")
    parser.add_argument("--endpoints", type=int, default=3, help="endpoints subscribed to customer.created (default 3)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from moto import mock_aws

    from apps.audit import services as audit_services
    from apps.audit.actors import Actor
    from apps.core import aws as core_aws
    from apps.core import outbox
    from apps.core.bootstrap import aws_resources_ensure
    from apps.core.dynamo_models import OutboxItem
    from apps.core.events import TOPIC, events_group
    from apps.core.tables import tables_create_fast
    from apps.core.webhooks import services as webhooks
    from apps.customers import services as customers

    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                arrivals.setdefault(self.headers["webhook-id"], time.perf_counter())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    settings.AWS_ENDPOINT_URL = None
    settings.CDD_TABLE_PREFIX = "benchev"
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    # The worker's part is run here, phase by phase: nothing is handed to Celery.
    sent: list[Any] = []
    outbox.outbox_send = audit_services.outbox_send = customers.outbox_send = sent.extend  # type: ignore[assignment]
    webhooks._deliveries_send = lambda ids, countdown=0: None  # type: ignore[assignment]
    actor = Actor.system("bench")

    def person(n: int, run: str) -> dict[str, Any]:
        return {"customer_type": "individual", "legal_name": f"Bench Person {run}{n:05d}",
                "date_of_birth": "1980-01-01", "nationalities": ["GB"], "country_of_residence": "GB"}

    with mock_aws():
        core_aws.clients_reset()
        aws_resources_ensure()
        tables_create_fast()
        for i in range(args.endpoints):
            webhooks.webhook_endpoint_create(actor=actor, integration="bench", confined=False, url=url,
                                             events=["customer.created"], description=f"bench {i}")

        # The reference: the same creates without the event hook (events_for_entries returns nothing),
        # interleaved with the real ones so both see tables of the same size (moto's cost grows with them).
        from pynamodb.connection.base import Connection

        dispatch = Connection.dispatch
        tx_items: dict[bool, list[int]] = {False: [], True: []}
        hook = audit_services.events_for_entries
        mode = {"on": True}

        def counted(self: Any, operation_name: str, operation_kwargs: Any) -> Any:
            if operation_name == "TransactWriteItems":
                tx_items[mode["on"]].append(len(operation_kwargs.get("TransactItems", [])))
            return dispatch(self, operation_name, operation_kwargs)

        Connection.dispatch = counted  # type: ignore[method-assign]
        without: list[float] = []
        with_events: list[float] = []
        created: dict[str, float] = {}
        for n in range(2 * args.customers):
            mode["on"] = bool(n % 2)
            audit_services.events_for_entries = hook if mode["on"] else (  # type: ignore[assignment]
                lambda entries, now: [])
            started = time.perf_counter()
            customer = customers.customer_create(actor=actor, integration="bench", data=person(n, "E"))
            done = time.perf_counter()
            (with_events if mode["on"] else without).append((done - started) * 1000)
            if mode["on"]:
                created[customer.customer_id] = done
        audit_services.events_for_entries = hook
        Connection.dispatch = dispatch  # type: ignore[method-assign]

        items = [i for cid in created for i in OutboxItem.by_group.query(events_group(cid)) if i.topic == TOPIC]
        event_ids = {e["id"]: e["customer_id"] for i in items for e in i.payload["events"]}
        publish: list[float] = []
        publish_started = time.perf_counter()
        for item in items:
            started = time.perf_counter()
            outbox.outbox_process(outbox_id=item.outbox_id)
            publish.append((time.perf_counter() - started) * 1000 / max(1, len(item.payload["events"])))
        publish_wall = time.perf_counter() - publish_started

        due = webhooks.webhook_deliveries_due(now=webhooks.utcnow(), limit=100000)
        deliver: list[float] = []
        deliver_started = time.perf_counter()
        outcomes: dict[str, int] = {}
        for delivery_id in due:
            started = time.perf_counter()
            outcome = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
            deliver.append((time.perf_counter() - started) * 1000)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        deliver_wall = time.perf_counter() - deliver_started
    server.shutdown()

    p50_without, p50_with = percentile(without, 0.5), percentile(with_events, 0.5)
    creates_per_s = 1000 / statistics.fmean(with_events)
    deliveries_per_s = len(deliver) / deliver_wall if deliver_wall else 0.0
    events_per_s = len(event_ids) / (publish_wall + deliver_wall / max(1, args.endpoints)) if event_ids else 0.0
    print(f"Domain events benchmark — {args.customers} customers per run, {args.endpoints} endpoint(s) "
          f"subscribed to customer.created, in-process moto, one thread")
    print(line("customer create, events hook off (reference)", without))
    print(line("customer create, events recorded", with_events))
    print(f"{'  create p50 overhead':<44} {p50_with - p50_without:+.2f} ms "
          f"({(p50_with / p50_without - 1) * 100:+.1f} %; target < +10 %)")
    print(f"{'  items in the create transaction':<44} {statistics.fmean(tx_items[False]):.1f} without, "
          f"{statistics.fmean(tx_items[True]):.1f} with events (DynamoDB's limit: 100)")
    print(line("publish (MI + fan-out), per event", publish))
    print(line("deliver (sign, POST, record), per delivery", deliver))
    print(f"{'  outcomes':<44} {outcomes}")
    print(f"{'  received by the receiver':<44} {len(arrivals)} of {len(event_ids)} customer.created events")
    print(f"{'deliveries per second (one worker thread)':<44} {deliveries_per_s:8.1f}")
    print(f"{'events per second, publish + deliver':<44} {events_per_s:8.1f}   "
          f"vs creates per second (one API thread) {creates_per_s:.1f}")


if __name__ == "__main__":
    main()
