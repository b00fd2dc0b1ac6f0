"""Re-rating the book under the risk model: scoring throughput and the what-if report.

    .venv/bin/python bench/risk_rerate.py                         # 1,000,000 customers, 2 processes
    .venv/bin/python bench/risk_rerate.py --customers 100000 --workers 4 --seed 3

Target (from the issue): "Re-rating 1,000,000 customers on a model change: at least 5,000 per
second on 2 cores for the scoring itself; the what-if report for 1M customers in under 5 minutes."

It builds a synthetic book of RiskInputs (the shape ``apps/reviews/risk/inputs.py``
``risk_inputs_gather`` returns) deterministically from ``--seed`` (random.Random), then times the
pure scoring engine (``apps/reviews/risk/scoring.py``) under the shipped model
(``apps/reviews/data/risk_model_v1.json``) and the shipped country table
(``apps/reviews/data/country_risk.json``, read here without Django):

1. book generation (not counted in any figure);
2. ``CompiledModel.assess`` (the full result with every factor's explanation) over every customer,
   in this process, then with ``--workers`` processes (fork; each compiles the model once; the book
   is handed out in chunks of ``--chunk`` customers): customers/second;
3. the what-if report (``scoring.whatif``: every customer rated under the shipped model and under a
   proposed variant, online channel 8 -> 20 points and the medium band's upper bound 40 -> 30)
   with ``--workers`` processes: total seconds, including starting the processes, and the moves.

Only the arithmetic is timed: in the product the book is read from DynamoDB (one Query per book
shard) and each new assessment is written back, which this does not measure. The book is held in
memory and frozen out of the garbage collector (``gc.freeze``) before the processes are forked,
so that neither the collector nor copy-on-write walks a million resident dicts on every pass, as
a reader streaming the book would not have them resident either.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.reviews.risk.scoring import (  # noqa: E402 - after the sys.path line
    RATINGS,
    CompiledModel,
    CountryTable,
    RiskInputs,
    WhatIf,
    model_compile,
    whatif,
)

MODEL_FILE = ROOT / "apps" / "reviews" / "data" / "risk_model_v1.json"
COUNTRY_FILE = ROOT / "apps" / "reviews" / "data" / "country_risk.json"
TARGET_PER_SECOND = 5_000
TARGET_WHATIF_SECONDS = 300.0

# Countries in none of the table's categories (most of a European bank's book).
LOW_RISK_COUNTRIES = ("GB", "DE", "FR", "NL", "IE", "ES", "IT", "SE", "DK", "PL", "AT", "BE", "CH", "US", "CA",
                      "AU", "PT", "FI", "NO", "LU", "CZ", "JP", "SG", "NZ", "EE", "LT", "LV", "SK", "SI", "HR")
NEUTRAL_OCCUPATIONS = ("teacher", "software engineer", "nurse", "accountant", "retired", "student", "civil servant",
                       "doctor", "lawyer", "electrician", "shop assistant", "farmer", "driver", "engineer",
                       "pharmacist", "chef", "architect", "consultant", "homemaker", "unemployed")
NEUTRAL_INDUSTRIES = ("62.01", "47.11", "10.71", "41.20", "69.20", "86.10", "01.11", "49.41", "56.10", "70.22",
                      "43.21", "71.12", "85.59", "46.90", "52.10", "58.11", "74.10", "96.02")
NEUTRAL_LEGAL_FORMS = ("private limited company", "public limited company", "GmbH", "SARL", "BV", "AG", "SA",
                       "limited liability company", "sole proprietorship", "cooperative")
NEUTRAL_PRODUCTS = ("mortgage", "credit_card", "consumer_loan", "overdraft", "payment_card")
NEUTRAL_CHANNELS = ("mobile_app", "telephone")


def country_table_load(path: Path = COUNTRY_FILE) -> CountryTable:
    """The table as ``apps/reviews/risk/countries.py`` ``_load`` builds it (without Django or its checks)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    of: dict[str, set[str]] = {}
    for key, category in data["categories"].items():
        for code in category.get("countries") or []:
            of.setdefault(code, set()).add(key)
    return CountryTable(categories={c: frozenset(k) for c, k in of.items()},
                        labels={k: str(v["label"]) for k, v in data["categories"].items()})


def model_definitions() -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped model and the proposed variant the what-if report compares it with."""
    current = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    proposed = copy.deepcopy(current)
    proposed["factors"]["channels"]["points"]["online"] = 20
    for band in proposed["bands"]:
        if band["rating"] == "medium":
            band["below"] = 30
    return current, proposed


def _pad_code(prefix: str, rnd: random.Random) -> str:
    """An industry code (NN.NN) under ``prefix``: "92" -> "92.00", "25.4" -> "25.40", "64.19" stays."""
    code = prefix if "." in prefix else f"{prefix}.{rnd.randint(0, 9)}"
    while len(code) < 5:
        code += str(rnd.randint(0, 9))
    return code


class BookMaker:
    """A synthetic but plausible book of RiskInputs, the same for the same seed."""

    def __init__(self, *, seed: int, definition: dict[str, Any], countries: CountryTable) -> None:
        self.rnd = random.Random(seed)
        factors = definition["factors"]
        self.risky_countries = sorted(countries.categories)
        self.occupations = list(NEUTRAL_OCCUPATIONS)
        self.risky_occupations = list(factors["occupation"]["contains"])
        self.industries = list(NEUTRAL_INDUSTRIES)
        self.risky_industries = list(factors["industry"]["prefixes"])
        self.legal_forms = list(NEUTRAL_LEGAL_FORMS)
        self.risky_legal_forms = [f"{word} company" if word in ("bearer", "nominee") else word
                                  for word in factors["legal_form"]["contains"]]
        self.risky_products = [p for p, v in factors["products"]["points"].items() if v > 0]
        self.risky_channels = [c for c, v in factors["channels"]["points"].items() if v > 0]
        self.peps = list(factors["pep"]["points"])
        self.alert_seq = 0

    def country(self) -> str:
        r = self.rnd
        return r.choice(self.risky_countries) if r.random() < 0.03 else r.choice(LOW_RISK_COUNTRIES)

    def countries(self, n: int) -> list[str]:
        out: list[str] = []
        for _ in range(n):
            code = self.country()
            if code not in out:
                out.append(code)
        return out

    def products(self, entity: bool) -> list[str]:
        r = self.rnd
        out = ["business_account" if entity else "current_account"]
        if not entity and r.random() < 0.45:
            out.append("savings")
        if r.random() < 0.30:
            out.append(r.choice(NEUTRAL_PRODUCTS))
        if r.random() < (0.12 if entity else 0.04):
            out.append(r.choice(self.risky_products))
        return out

    def channels(self) -> list[str]:
        r = self.rnd
        x = r.random()
        if x < 0.45:
            out = ["online"]
        elif x < 0.80:
            out = ["branch"]
        elif x < 0.88:
            out = ["relationship_manager"]
        elif x < 0.94:
            out = [r.choice(NEUTRAL_CHANNELS)]
        else:
            out = [r.choice(self.risky_channels)]
        if r.random() < 0.15:
            second = r.choice(("branch", "online", *NEUTRAL_CHANNELS))
            if second not in out:
                out.append(second)
        return out

    def ownership(self, legal_form: str) -> dict[str, Any]:
        r = self.rnd
        layers = r.choices((1, 2, 3, 4), weights=(55, 28, 12, 5))[0]
        trustish = any(w in legal_form.casefold() for w in ("trust", "nominee", "foundation", "stiftung"))
        return {
            "layers": layers,
            "cycles": 1 if layers > 1 and r.random() < 0.03 else 0,
            "unidentified_share": 0.0 if r.random() < 0.6 else round(r.uniform(0, 60), 2),
            "nominee_or_trust": trustish or r.random() < 0.02,
            "beneficial_owners": r.randint(0, 4),
            "parties": layers + r.randint(0, 6),
        }

    def screening(self) -> dict[str, Any]:
        r = self.rnd
        x = r.random()
        open_alerts = 0 if x < 0.97 else 1 if x < 0.99 else r.randint(2, 4)
        confirmed = 1 if r.random() < 0.0005 else 0
        ids = []
        for _ in range(confirmed):
            self.alert_seq += 1
            ids.append(f"ALR{self.alert_seq:012d}")
        return {"open_alerts": open_alerts, "confirmed_matches": confirmed, "confirmed_alerts": ids}

    def customer(self) -> RiskInputs:
        r = self.rnd
        entity = r.random() < 0.15
        if entity:
            legal_form = r.choice(self.risky_legal_forms) if r.random() < 0.06 else r.choice(self.legal_forms)
            countries = {
                "residence": [self.country()] if r.random() < 0.5 else [],
                "nationality": [],
                "incorporation": [self.country()],
                "operations": self.countries(r.choices((0, 1, 2, 3), weights=(30, 40, 20, 10))[0]),
                "related_party": self.countries(r.randint(1, 4)),
            }
            occupation = None
            industry = _pad_code(r.choice(self.risky_industries), r) if r.random() < 0.10 \
                else r.choice(self.industries)
            pep = None
            ownership = self.ownership(legal_form)
        else:
            legal_form = None
            residence = self.country()
            nationality = [residence] if r.random() < 0.8 else self.countries(1 if r.random() < 0.9 else 2)
            countries = {
                "residence": [residence],
                "nationality": nationality,
                "incorporation": [],
                "operations": self.countries(1) if r.random() < 0.05 else [],
                "related_party": [],
            }
            occupation = r.choice(self.risky_occupations) if r.random() < 0.07 else r.choice(self.occupations)
            industry = None
            pep = r.choice(self.peps) if r.random() < 0.012 else None  # about 1% of the whole book
            ownership = None
        x = r.random()
        return {
            "customer_type": "legal_entity" if entity else "individual",
            "legal_form": legal_form,
            "countries": {role: codes for role, codes in countries.items() if codes},
            "occupation": occupation,
            "industry_code": industry,
            "products": self.products(entity),
            "channels": self.channels(),
            "pep": pep,
            "pep_source": "declared" if pep else None,
            "screening": self.screening(),
            "ownership": ownership,
            "relationship_years": round(r.uniform(0, 20), 2),
            "documents": {"expired": 0 if x < 0.95 else 1 if x < 0.99 else 2},
        }

    def book(self, n: int) -> list[RiskInputs]:
        return [self.customer() for _ in range(n)]


# --- worker processes (fork: they inherit BOOK and the definitions) ---------------------------------

BOOK: list[RiskInputs] = []
DEFINITIONS: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
_models: tuple[CompiledModel, CompiledModel] | None = None


def _worker_init() -> None:
    global _models
    table = country_table_load()
    _models = (model_compile(version=1, definition=DEFINITIONS[0], countries=table),
               model_compile(version=2, definition=DEFINITIONS[1], countries=table))


def _assess_chunk(bounds: tuple[int, int]) -> tuple[Counter[str], float]:
    assert _models is not None
    c0 = time.process_time()
    model = _models[0]
    counts: Counter[str] = Counter()
    for inputs in BOOK[bounds[0]:bounds[1]]:
        counts[model.assess(inputs).rating] += 1
    return counts, time.process_time() - c0


def _whatif_chunk(bounds: tuple[int, int]) -> tuple[WhatIf, float]:
    assert _models is not None
    c0 = time.process_time()
    report = whatif(current=_models[0], proposed=_models[1], book=BOOK[bounds[0]:bounds[1]])
    return report, time.process_time() - c0


def _parallel(fn: Any, n: int, workers: int, chunk: int) -> tuple[list[Any], float, float]:
    """Run ``fn`` over the book in chunks with ``workers`` processes: (results, start seconds, total seconds)."""
    bounds = [(i, min(i + chunk, n)) for i in range(0, n, chunk)]
    ctx = mp.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        pool.map(int, range(workers), chunksize=1)  # every process started and its models compiled
        ready = time.perf_counter()
        results = list(pool.imap_unordered(fn, bounds))
    return results, ready - started, time.perf_counter() - started


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    global BOOK, DEFINITIONS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the book (default 1000000)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel runs (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic book (default 1)")
    parser.add_argument("--chunk", type=int, default=10_000, help="customers per task (default 10000)")
    args = parser.parse_args()
    n, workers = args.customers, args.workers

    print(f"Risk re-rating benchmark: {n:,} customers, {workers} worker process(es), seed {args.seed}")
    print(f"machine: os.cpu_count() {os.cpu_count()}, usable CPUs {len(os.sched_getaffinity(0))}, "
          f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.2f}")

    DEFINITIONS = model_definitions()
    table = country_table_load()
    current = model_compile(version=1, definition=DEFINITIONS[0], countries=table)

    # (1) the book: not counted
    t0 = time.perf_counter()
    BOOK = BookMaker(seed=args.seed, definition=DEFINITIONS[0], countries=table).book(n)
    generated = time.perf_counter() - t0
    gc.collect()
    gc.freeze()
    entities = sum(1 for i in BOOK if i["customer_type"] == "legal_entity")
    print(f"\n(1) book generated in {generated:.1f} s (not counted): {n - entities:,} individuals, "
          f"{entities:,} legal entities, {sum(1 for i in BOOK if i['pep']):,} PEPs, "
          f"{sum(1 for i in BOOK if i['screening']['confirmed_matches']):,} confirmed matches, "
          f"{sum(1 for i in BOOK if i['screening']['open_alerts']):,} with open alerts; "
          f"RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    # (2) assess, one process, then W processes
    print("\n(2) full scoring with explanations (CompiledModel.assess), shipped model")
    ratings: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    overridden = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for inputs in BOOK:
        result = current.assess(inputs)
        ratings[result.rating] += 1
        bands[result.score_rating] += 1
        overridden += bool(result.overrides)
    single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  1 process:   {n:,} in {single:.1f} s = {n / single:,.0f} customers/s "
          f"({single_cpu / n * 1e6:.1f} us CPU each)")
    results, start, total = _parallel(_assess_chunk, n, workers, args.chunk)
    parallel_ratings: Counter[str] = sum((r for r, _ in results), Counter())
    assert parallel_ratings == ratings, "the processes rated the book differently"
    cpu = sum(c for _, c in results)
    print(f"  {workers} processes: {n:,} in {total:.1f} s = {n / total:,.0f} customers/s "
          f"(of which {start:.2f} s starting the processes; workers' CPU {cpu:.1f} s, "
          f"{cpu / n * 1e6:.1f} us each = {n / cpu:,.0f}/s per busy core)")

    print("\n  rating distribution (shipped model):")
    print(f"    {'rating':<11} {'by score':>10} {'after overrides':>16} {'share':>7}")
    for rating in RATINGS:
        print(f"    {rating:<11} {bands[rating]:>10,} {ratings[rating]:>16,} {ratings[rating] / n:>7.2%}")
    print(f"    {overridden:,} customers with an override rule applied")

    # (3) the what-if report
    print("\n(3) what-if report (scoring.whatif: rated under both models), shipped model -> proposed "
          "(online channel 8 -> 20 points, medium band below 40 -> 30)")
    results, start, total_whatif = _parallel(_whatif_chunk, n, workers, args.chunk)
    report = WhatIf()
    for part, _ in results:
        report.merge(part)
    assert report.total == n
    cpu = sum(c for _, c in results)
    print(f"  {workers} processes: {n:,} customers in {total_whatif:.1f} s = {n / total_whatif:,.0f} customers/s "
          f"(of which {start:.2f} s starting the processes; workers' CPU {cpu:.1f} s, "
          f"{cpu / n * 1e6:.1f} us each for both ratings)")
    summary = report.as_dict()
    print(f"  changed: {summary['changed']:,} of {summary['total']:,} ({summary['changed'] / n:.2%})")
    print(f"    {'from':<11} {'to':<11} {'customers':>10}")
    for move in summary["moves"]:
        mark = "" if move["from"] == move["to"] else "  *"
        print(f"    {move['from']:<11} {move['to']:<11} {move['customers']:>10,}{mark}")
    print(f"    {'rating':<11} {'current':>10} {'proposed':>10}")
    for rating in RATINGS:
        print(f"    {rating:<11} {summary['current'][rating]:>10,} {summary['proposed'][rating]:>10,}")

    # (4) against the target
    rate_w = n / total
    print(f"\n(4) target ({n:,} customers, {workers} processes on {os.cpu_count()} CPUs)")
    print(f"  scoring: {rate_w:,.0f} customers/s with {workers} processes "
          f"(1 process: {n / single:,.0f}/s) — target ≥ {TARGET_PER_SECOND:,}/s: "
          f"{_verdict(rate_w >= TARGET_PER_SECOND)}")
    print(f"  what-if: {total_whatif:.1f} s for {n:,} customers"
          f"{f' (scaled to 1M: {total_whatif * 1_000_000 / n:.1f} s)' if n != 1_000_000 else ''}"
          f" — target < {TARGET_WHATIF_SECONDS:.0f} s: "
          f"{_verdict(total_whatif * 1_000_000 / n < TARGET_WHATIF_SECONDS)}")
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
