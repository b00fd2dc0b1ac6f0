"""Customer search ("find anyone") on in-process moto: query latency and the index's write amplification.

    .venv/bin/python bench/name_search.py                      # 2,000 customers, 400 queries
    .venv/bin/python bench/name_search.py --customers 5000 --queries 1000 --seed 3
    .venv/bin/python bench/name_search.py --help

Creates a synthetic book, a third of them legal entities with two related parties: the first
``--through-services`` customers through the customers services (the index written in each
customer's or party's transaction, as in production: what a create adds to its transaction is
measured on them), the rest written directly and indexed by ``name_index_rebuild`` (in-process
moto copies every table on each transaction, so a book of thousands built through transactions
takes very long; the index items are the same either way). Then it runs searches for a surname, a one-typo surname, a word of a company
name, a party's name, two words and an external reference, and prints:

* write amplification: index items per customer/party, per distinct word, and what a create adds
  to its transaction;
* per-query latency p50/p99 by kind (single-threaded client; the selector's own key lookups run on
  its thread pool) and the DynamoDB calls per query.

moto answers in-process, so latencies are CPU costs of pynamodb, botocore and moto, not network
round trips — and moto answers a Query by walking every item of the table, so its latency grows
with the book (DynamoDB reads only the key's items: a few milliseconds per Query, issued 8 at a
time). The DynamoDB calls per query are the figure that carries over.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.test")

GIVEN = ["Amelia", "Jonas", "Sofia", "Dariush", "Elena", "Pieter", "Ingrid", "Lars", "Anouk", "Tom", "Maria",
         "José", "Zoë", "Mohammed", "Fatima", "Olga", "Hiroshi", "Chen", "Aisha", "Lukas", "Marta", "Kofi"]
FAMILY = ["Hartley", "Weber", "Rossi", "Karimi", "Petrova", "de Vries", "Solberg", "Haugen", "Jansen", "Evans",
          "García López", "Müller", "Soleimani", "Nakamura", "Okafor", "Kowalski", "Novak", "Ivanova", "Haddad",
          "Lindqvist", "Moreau", "Schmidt", "Bianchi", "O'Brien", "Fernández", "Dubois", "Yilmaz", "Andersen"]
ORG_WORDS = ["Harbour", "Logistics", "Meridian", "Holdings", "Blue", "Fjord", "Shipping", "Cobalt", "Crest",
             "Aurora", "Nominees", "Northwind", "Trading", "Kestrel", "Maritime", "Atlas", "Capital", "Granite",
             "Pacific", "Ventures", "Summit", "Energy", "Orion", "Textiles", "Beacon", "Foods", "Silver", "Leaf"]
FORMS = ["Ltd", "BV", "AS", "GmbH", "SA", "LLC", "plc"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "sub"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000, help="synthetic customers to create (default 2000)")
    parser.add_argument("--queries", type=int, default=400, help="searches to time (default 400)")
    parser.add_argument("--through-services", type=int, default=50, metavar="N",
                        help="customers created through the services, with transactions (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from moto import mock_aws
    from pynamodb.connection.base import Connection
    from tqdm import tqdm

    from apps.audit.actors import Actor
    from apps.core import aws as core_aws
    from apps.core.bootstrap import aws_resources_ensure
    from apps.core.tables import tables_create_fast
    from apps.customers.models import Customer, NameToken, RelatedParty
    from apps.customers.name_index import name_index_rebuild
    from apps.customers.search import customer_search
    from apps.customers.search_keys import name_words
    from apps.customers.services import customer_create, related_party_add
    from apps.customers.validation import name_normalise, name_prefix_key

    rng = random.Random(args.seed)
    settings.AWS_ENDPOINT_URL = None
    settings.CDD_TABLE_PREFIX = "bench"
    calls: Counter[str] = Counter()
    dispatch = Connection.dispatch

    def counted(self: Any, operation_name: str, operation_kwargs: Any) -> Any:
        calls[operation_name] += 1
        return dispatch(self, operation_name, operation_kwargs)

    with mock_aws():
        core_aws.clients_reset()
        aws_resources_ensure()
        tables_create_fast()
        actor = Actor.system("bench")
        subjects = words_total = 0
        create_items: list[int] = []
        queries: list[tuple[str, str]] = []
        direct: list[str] = []
        now = time.time()

        def create(data: dict[str, Any], n: int) -> Any:
            if n < args.through_services:
                return customer_create(actor=actor, integration="bench", data=data)
            from datetime import UTC, datetime

            at = datetime.fromtimestamp(now, tz=UTC)
            norm = name_normalise(data["legal_name"])
            customer = Customer(f"cus_BENCH{n:021d}", integration="bench", status="prospect", created_at=at,
                                updated_at=at, created_by="system:bench", name_norm=norm,
                                name_prefix=name_prefix_key(norm), **data)
            customer.save()
            direct.append(customer.customer_id)
            return customer

        def add_party(customer: Any, name: str, n: int, i: int) -> None:
            if n < args.through_services:
                related_party_add(customer_id=customer.customer_id, actor=actor, data={
                    "party_type": "individual", "name": name, "roles": ["director"]})
            else:
                RelatedParty(customer.customer_id, f"rp_BENCH{n:09d}{i}",
                             party_type="individual", name=name, roles=["director"]).save()

        started = time.perf_counter()
        for n in tqdm(range(args.customers), desc="creating customers", unit="customer"):
            if n % 3 == 2:
                name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_WORDS)} {rng.choice(FORMS)}"
                customer = create({
                    "customer_type": "legal_entity", "legal_name": name, "registration_number": f"R{n:07d}",
                    "jurisdiction": "GB", "external_reference": f"BENCH-{n:06d}"}, n)
                parties = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(2)]
                for i, party in enumerate(parties):
                    add_party(customer, party, n, i)
                subjects += 3
                words_total += sum(len(name_words(x)) for x in [name, *parties])
                if len(queries) < args.queries:
                    queries += [("org word", rng.choice(name.split()[:2])), ("party name", parties[0])]
            else:
                name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
                other = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"] if n % 5 == 0 else []
                customer = create({
                    "customer_type": "individual", "legal_name": name, "other_names": other,
                    "date_of_birth": "1980-01-01", "nationalities": ["GB"], "country_of_residence": "GB",
                    "external_reference": f"BENCH-{n:06d}"}, n)
                subjects += 1
                words_total += sum(len(name_words(x)) for x in [name, *other])
                surname = name_words(name)[-1]
                if len(queries) < args.queries:
                    queries += [("surname", surname), ("two words", name), ("reference", f"bench-{n:06d}")]
                    if len(surname) >= 5:
                        queries.append(("one-typo surname", typo(surname, rng)))
            if n < args.through_services:
                create_items.append(len(list(NameToken.by_subject.query(f"{customer.customer_id}#customer"))))
        rebuild = name_index_rebuild(customer_ids=direct)
        build = time.perf_counter() - started
        items = sum(1 for _ in NameToken.scan())  # offline count, not a request path

        latencies: dict[str, list[float]] = {}
        per_query_calls: list[int] = []
        hits = Counter[str]()
        Connection.dispatch = counted  # type: ignore[method-assign]
        try:
            for kind, q in tqdm(queries[: args.queries], desc="searching", unit="query"):
                before = sum(calls.values())
                t0 = time.perf_counter()
                outcome = customer_search(q=q)
                latencies.setdefault(kind, []).append(time.perf_counter() - t0)
                per_query_calls.append(sum(calls.values()) - before)
                hits[kind] += bool(outcome.results)
        finally:
            Connection.dispatch = dispatch  # type: ignore[method-assign]

    print()
    print(f"book: {args.customers} customers, {subjects} subjects (customers + parties), {words_total} name words; "
          f"built in {build:.1f}s ({min(args.through_services, args.customers)} through the services, "
          f"{rebuild.customers} indexed by name_index_rebuild)")
    print(f"index items: {items}  =  {items / subjects:.1f} per subject, {items / max(words_total, 1):.1f} per "
          f"name word (a word of n letters: itself + up to n deletions; words under 4 letters: 1)")
    print(f"a customer create adds {statistics.mean(create_items):.1f} index items to its transaction on average "
          f"(max {max(create_items)} of the {100} a transaction may hold)")
    print()
    print(f"{'query kind':<18} {'n':>5} {'found':>6} {'p50 ms':>8} {'p99 ms':>8}")
    everything: list[float] = []
    for kind, values in latencies.items():
        everything += values
        print(f"{kind:<18} {len(values):>5} {hits[kind]:>6} {statistics.median(values) * 1000:>8.1f} "
              f"{percentile(values, 0.99) * 1000:>8.1f}")
    print(f"{'all':<18} {len(everything):>5} {sum(hits.values()):>6} {statistics.median(everything) * 1000:>8.1f} "
          f"{percentile(everything, 0.99) * 1000:>8.1f}")
    print(f"DynamoDB calls per query: mean {statistics.mean(per_query_calls):.1f}, max {max(per_query_calls)}; "
          f"by operation: {dict(calls)}")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine)")


if __name__ == "__main__":
    main()
