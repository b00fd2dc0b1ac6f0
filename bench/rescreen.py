#!/usr/bin/env python
"""Re-screening the book: a list delta through the customer-side index, next to the naive method; the full
re-screen rate; the customer-side index's build, memory and incremental updates.

    .venv/bin/python bench/rescreen.py                                  # 1,000,000 subjects (5-7 minutes)
    .venv/bin/python bench/rescreen.py --subjects 100000 --seed 3       # a smaller book
    .venv/bin/python bench/rescreen.py --naive-sample 20000             # naive method on a sample, extrapolated
    .venv/bin/python bench/rescreen.py --help

Targets (from the issue; printed side by side with the NAIVE method, every subject screened against the
new version):

* a book of 1,000,000 synthetic subjects with a known number of perturbed list names planted, and a list
  delta of 100 changed entries: alerts for every planted match within 5 minutes on this 2-core machine,
  and 0 alerts missed;
* full re-screen: at least 2,000 subjects per second on 2 cores; memory stated for 1M subjects;
* customer-side index: build time and memory for 1M subjects; incremental update per customer write
  under 5 ms.

What is run (the product's own functions, with the bundled list snapshot; no AWS, no DynamoDB):

1. the list index: ``screening_index_get()`` (``apps/screening/index_provider.py``) over the bundled
   snapshot, built here (its pickle cache is not read or written);
2. the book (generation not counted): ``--subjects`` subjects in the ``inputs`` shape of
   ``services/subjects.py`` (customers and related parties; 90% persons, 10% organisations; dates of birth,
   nationalities, a few other names), names recombined from the name pools of
   ``bench/eval/screening_dev_negatives.csv`` (given names x surnames of the same script); the delta is
   ``--delta`` real person entries of the snapshot (OFAC SDN and UN), and ``--planted`` subjects carry a
   perturbed name of one of them (typo, reordered tokens, dropped middle name, case/punctuation, reorder
   plus typo) with the entry's date of birth (the year's date when the list gives only a year) and
   nationality;
3. the customer-side index (``services/book_index.py``): ``MatchIndex.build`` over ``subject_entity`` of
   every subject, its memory (RSS), its pickled size (as ``book_index_snapshot_save`` pickles it), then
   ``--updates`` customer writes applied one at a time with ``book_index_apply`` (a removal plus an addition
   each): ms per write;
4. delta re-screening (``services/delta.py``): ``candidates_for`` of every delta entry against the book
   index (threshold CDD_SCREENING_THRESHOLD - CDD_DELTA_CANDIDATE_MARGIN), then every candidate screened as
   a run screens it (``services/subjects.py`` ``_screen``: every name against the full list index at
   CDD_SCREENING_THRESHOLD), in one process; planted subjects alerted on their entry, and misses explained;
5. NAIVE, which is also the full re-screen: every subject (or ``--naive-sample`` of them, extrapolated)
   screened with ``_screen`` against the FULL list index by ``--workers`` processes forked after the index
   is built (gc.freeze first); its alerts on the delta's entries are the ground truth the delta must match.
   Also timed on a sample: every subject against an index of only the delta's entries (the naive method's
   cheapest form; its scores are not the product's, so it is timed only);
6. the targets met or not, the machine, the load average.

Not timed: reading the book or the changed subjects from DynamoDB, the outbox/SQS hop of each screening
request, and the writes of each run (``_record``): these figures are the matching work only.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import multiprocessing as mp
import os
import pickle
import platform
import random
import resource
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.test")

import django  # noqa: E402 - after the sys.path line

django.setup()

from django.conf import settings  # noqa: E402

# The index provider caches the built snapshot index as a pickle signed with the installation's key: this
# benchmark runs under other settings, so it neither reads nor (re)writes that cache.
settings.CDD_SCREENING_INDEX_CACHE_DIR = ""
settings.CDD_SCREENING_LIST_SOURCE = "snapshot"

from apps.screening.index_provider import screening_index_get  # noqa: E402
from apps.screening.lists import SNAPSHOT_LISTS, country_code, snapshot_entities  # noqa: E402
from apps.screening.matching import ALGORITHM_VERSION, ListEntity, MatchIndex, Query  # noqa: E402
from apps.screening.matching import index as match_index_module  # noqa: E402
from apps.screening.matching.normalize import PARTICLES, parse_partial_date  # noqa: E402
from apps.screening.services.book_index import BookIndex, book_index_apply, subject_entity  # noqa: E402
from apps.screening.services.delta import candidates_for  # noqa: E402
from apps.screening.services.subjects import (  # noqa: E402
    CUSTOMER_SUBJECT,
    MAX_ALERTS_PER_RUN,
    Subject,
    _screen,
    subject_key,
    subject_queries,
)

NEGATIVES = ROOT / "bench" / "eval" / "screening_dev_negatives.csv"
TARGET_DELTA_SECONDS = 300.0
TARGET_RESCREEN_PER_SECOND = 2_000
TARGET_UPDATE_MS = 5.0
DELTA_LISTS = ("ofac_sdn", "un_sc")
FAMILIES = ("typo", "reorder", "drop_middle", "reorder_typo", "case_punct")

SECTORS = ("Trading", "Logistics", "Holdings", "Consulting", "Foods", "Textiles", "Engineering", "Properties",
           "Capital", "Technologies", "Marine", "Energy", "Pharma", "Construction", "Import Export", "Services",
           "Group", "Partners", "Agro", "Media", "Motors", "Furniture", "Travel", "Software", "Retail")
LEGAL_FORMS = ("Ltd", "Limited", "LLC", "GmbH", "S.A.", "B.V.", "Inc.", "PLC", "AG", "SARL", "Pte Ltd",
               "Co., Ltd", "S.r.l.", "Sp. z o.o.", "A/S")
KEYBOARD = dict(zip("qwertyuiopasdfghjklzxcvbnm",
                    ("wa", "qes", "wrd", "etf", "ryg", "tuh", "yij", "uok", "ipl", "o", "qsz", "awdx", "sefc", "drgv",
                     "fthb", "gyjn", "hukm", "jil", "kop", "asx", "zdc", "xfv", "cgb", "vhn", "bjm", "nk"), strict=True))


# --- measuring -------------------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def smaps_mb() -> dict[str, float]:
    """Rss, Pss and private memory of this process (MB), from /proc/self/smaps_rollup."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/smaps_rollup") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and parts[0].rstrip(":") in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                    out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    except OSError:
        pass
    out["Private"] = out.get("Private_Clean", 0.0) + out.get("Private_Dirty", 0.0)
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


class ByteCounter:
    """A file-like sink that only counts what pickle writes to it."""

    def __init__(self) -> None:
        self.n = 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return len(data)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- the synthetic book ----------------------------------------------------------------------------------

def script_of(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            return unicodedata.name(ch, "?").split()[0]
    return "?"


def is_latin(text: str) -> bool:
    return all(ord(ch) < 0x250 for ch in text if ch.isalpha())


class Pools:
    """Given names, middle names and surnames of the negatives set, by script; nationalities as drawn there."""

    def __init__(self, path: Path = NEGATIVES) -> None:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        given: dict[str, list[str]] = defaultdict(list)
        middle: dict[str, list[str]] = defaultdict(list)
        last: dict[str, list[str]] = defaultdict(list)
        three: Counter[str] = Counter()
        count: Counter[str] = Counter()
        self.nationalities: list[str] = []
        codes: dict[str, str | None] = {}
        for row in rows:
            tokens = row["name"].split()
            if len(tokens) < 2:
                continue
            script = script_of(row["name"])
            count[script] += 1
            given[script].append(tokens[0])
            middle[script].extend(tokens[1:-1])
            last[script].append(tokens[-1])
            three[script] += len(tokens) >= 3
            nat = row["nationality"]
            if nat not in codes:
                codes[nat] = country_code(nat)
            if codes[nat]:
                self.nationalities.append(codes[nat])  # type: ignore[arg-type]
        self.scripts = sorted(count)
        self.script_weights = [count[s] for s in self.scripts]
        self.given = {s: sorted(set(v)) for s, v in given.items()}
        self.middle = {s: sorted(set(v)) for s, v in middle.items()}
        self.last = {s: sorted(set(v)) for s, v in last.items()}
        self.middle_share = {s: three[s] / count[s] for s in count}
        self.latin_last = self.last["LATIN"]

    def describe(self) -> str:
        return ", ".join(f"{s.lower()} {len(self.given[s])}x{len(self.last[s])}" for s in self.scripts
                         if self.script_weights[self.scripts.index(s)] >= 100)


class BookMaker:
    """Subjects in the ``inputs`` shape the screening records (``_inputs_of_customer`` / ``_inputs_of_party``)."""

    def __init__(self, pools: Pools, rnd: random.Random) -> None:
        self.p, self.r = pools, rnd
        self.customers = 0

    def dob(self, first: int = 1935, last: int = 2005) -> str:
        r = self.r
        return f"{r.randint(first, last)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"

    def person_name(self, script: str | None = None) -> tuple[str, str]:
        p, r = self.p, self.r
        script = script or r.choices(p.scripts, weights=p.script_weights)[0]
        parts = [r.choice(p.given[script])]
        if p.middle[script] and r.random() < p.middle_share[script]:
            parts.append(r.choice(p.middle[script]))
        parts.append(r.choice(p.last[script]))
        return " ".join(parts), script

    def person(self) -> dict[str, Any]:
        r = self.r
        name, script = self.person_name()
        names = [name]
        if r.random() < 0.04:  # a former or other name: another surname
            names.append(f"{name.rsplit(' ', 1)[0]} {r.choice(self.p.last[script])}")
        nat = r.choice(self.p.nationalities)
        nationalities = [nat] if r.random() < 0.93 else []
        if nationalities and r.random() < 0.05:
            nationalities.append(r.choice(self.p.nationalities))
        residence = nat if r.random() < 0.8 else r.choice(self.p.nationalities)
        return {"type": "individual", "names": names, "date_of_birth": self.dob() if r.random() < 0.97 else None,
                "nationalities": nationalities, "countries": [residence], "identifiers": []}

    def organisation(self) -> dict[str, Any]:
        r = self.r
        last = self.p.latin_last
        x = r.random()
        if x < 0.5:
            stem = f"{r.choice(last)} {r.choice(SECTORS)}"
        elif x < 0.8:
            stem = f"{r.choice(last)} & {r.choice(last)}"
        else:
            stem = f"{r.choice(last)} {r.choice(last)} {r.choice(SECTORS)}"
        jurisdiction = r.choice(self.p.nationalities)
        return {"type": "legal_entity", "names": [f"{stem} {r.choice(LEGAL_FORMS)}"],
                "date_of_birth": self.dob(1950, 2024), "nationalities": [], "countries": [jurisdiction],
                "identifiers": [f"REG{r.randint(10**7, 10**8 - 1)}"]}

    def subject_id(self) -> tuple[str, str]:
        """A customer (85%) or a related party of an earlier customer."""
        r = self.r
        if self.customers and r.random() < 0.15:
            return f"cu_{r.randrange(self.customers):07d}", f"rp_{r.getrandbits(40):010x}"
        self.customers += 1
        return f"cu_{self.customers - 1:07d}", CUSTOMER_SUBJECT

    def subject(self) -> tuple[str, str, dict[str, Any]]:
        customer_id, subject_id = self.subject_id()
        return customer_id, subject_id, self.organisation() if self.r.random() < 0.10 else self.person()


def typo(name: str, r: random.Random) -> str | None:
    """One swap, insert, delete or keyboard-neighbour substitution in one token of 4 or more letters."""
    tokens = name.split(" ")
    options = [i for i, t in enumerate(tokens) if sum(c.isalpha() for c in t) >= 4]
    if not options:
        return None
    i = r.choice(options)
    tok = tokens[i]
    letters = [j for j, c in enumerate(tok) if c.isalpha()]
    j = r.choice(letters[1:])  # never the first letter (as people mistype)
    op = r.choice(("swap", "insert", "delete", "sub"))
    c = tok[j]
    near = KEYBOARD.get(c.lower(), "e")
    repl = r.choice(near)
    repl = repl.upper() if c.isupper() else repl
    if op == "swap" and j + 1 < len(tok) and tok[j + 1].isalpha() and tok[j + 1] != c:
        tok = tok[:j] + tok[j + 1] + c + tok[j + 2:]
    elif op == "insert":
        tok = tok[:j] + repl + tok[j:]
    elif op == "delete":
        tok = tok[:j] + tok[j + 1:]
    else:
        tok = tok[:j] + repl + tok[j + 1:]
    tokens[i] = tok
    return " ".join(tokens)


def reorder(name: str) -> str | None:
    """``LAST, First Middle`` -> ``First Middle LAST``; otherwise the last token moved to the front."""
    if "," in name:
        last, _, given = name.partition(",")
        return f"{given.strip()} {last.strip()}" if given.strip() else None
    tokens = name.split()
    return " ".join([tokens[-1], *tokens[:-1]]) if len(tokens) >= 2 else None


def drop_middle(name: str, r: random.Random) -> str | None:
    """One middle/given name dropped: never the first given name, a particle, or the word after one."""
    def droppable(tokens: list[str], first: int, end: int) -> list[int]:
        out = []
        for i in range(first, end):
            low = tokens[i].strip(".,'-").casefold()
            prev = tokens[i - 1].strip(".,'-").casefold() if i > 0 else ""
            if low and low not in PARTICLES and prev not in PARTICLES and "-" not in tokens[i]:
                out.append(i)
        return out

    if "," in name:
        last, _, given = name.partition(",")
        tokens = given.split()
        options = droppable(tokens, 1, len(tokens))
        if not options:
            return None
        i = r.choice(options)
        return f"{last.strip()}, {' '.join(tokens[:i] + tokens[i + 1:])}"
    tokens = name.split()
    options = droppable(tokens, 1, len(tokens) - 1)
    if len(tokens) < 3 or not options:
        return None
    i = r.choice(options)
    return " ".join(tokens[:i] + tokens[i + 1:])


def case_punct(name: str, r: random.Random) -> str:
    text = name.lower() if r.random() < 0.5 else name.title()
    for ch in ",.'\"()":
        text = text.replace(ch, "")
    return " ".join(text.replace("-", " ").split())


def perturb(name: str, family: str, r: random.Random) -> str | None:
    if family == "typo":
        return typo(name, r)
    if family == "reorder":
        return reorder(name)
    if family == "drop_middle":
        return drop_middle(name, r)
    if family == "case_punct":
        return case_punct(name, r)
    if family == "reorder_typo":
        moved = reorder(name)
        return typo(moved, r) if moved else None
    raise ValueError(family)


def dob_like(entry: ListEntity, r: random.Random) -> str | None:
    """A customer's full date of birth agreeing with the entry's first one (the year's date if only a year)."""
    for value in entry.birth_dates:
        parsed = parse_partial_date(value)
        if parsed is None:
            continue
        year, month, day = parsed
        return f"{year}-{month or r.randint(1, 12):02d}-{day or r.randint(1, 28):02d}"
    return None


def delta_pool(entities: list[ListEntity]) -> list[ListEntity]:
    """Person entries of OFAC SDN and the UN list with a Latin primary name of two tokens or more."""
    return [e for e in entities if e.list in DELTA_LISTS and e.schema == "person"
            and is_latin(e.primary_name) and len(e.primary_name.replace(",", " ").split()) >= 2]


def plant(entry: ListEntity, n: int, r: random.Random, pools: Pools) -> tuple[dict[str, Any], str, str]:
    """A subject named by a perturbed name of ``entry``: (inputs, family, the list name it came from)."""
    strong = [nm.value for nm in entry.names if nm.kind == "strong_alias" and is_latin(nm.value)
              and len(nm.value.replace(",", " ").split()) >= 2]
    source = r.choice(strong) if strong and r.random() < 0.2 else entry.primary_name
    start = n % len(FAMILIES)
    for k in range(len(FAMILIES)):
        family = FAMILIES[(start + k) % len(FAMILIES)]
        name = perturb(source, family, r)
        if (name and name != source) or family == "case_punct":
            break
    assert name is not None
    nationalities = list(entry.nationalities[:1]) or [r.choice(pools.nationalities)]
    inputs = {"type": "individual", "names": [name], "date_of_birth": dob_like(entry, r),
              "nationalities": nationalities, "countries": list(entry.countries[:1]) or nationalities,
              "identifiers": []}
    if inputs["date_of_birth"] is None:
        inputs["date_of_birth"] = f"{r.randint(1940, 1995)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    return inputs, family, source


def namesake(entry: ListEntity, r: random.Random, pools: Pools) -> dict[str, Any]:
    """Another person with the entry's exact name (as a bank writes it), born 20+ years apart, elsewhere."""
    name = reorder(entry.primary_name) or entry.primary_name
    dob = dob_like(entry, r)
    year = int(dob[:4]) if dob else 1960
    year = year - 25 if year > 1960 else year + 25
    nat = r.choice([c for c in pools.nationalities if c not in entry.nationalities] or pools.nationalities)
    return {"type": "individual", "names": [name], "date_of_birth": f"{year}-{r.randint(1, 12):02d}-"
            f"{r.randint(1, 28):02d}", "nationalities": [nat], "countries": [nat], "identifiers": []}


def why_not_candidate(index: MatchIndex, entry: ListEntity, key: str, threshold: float) -> tuple[str, str]:
    """Why ``candidates_for`` did not propose subject ``key`` for ``entry``: which cut dropped it.

    Looks the entry's names up again as ``candidates_for`` does, without its ``limit=50``, and then with the
    matcher's candidate cap (``index._TOP_CANDIDATES``, names kept by their name-only estimate) lifted for the
    look-up (a runtime change in this process, restored at once; no file is changed).
    """
    dob = next(iter(entry.birth_dates), None)
    country = next(iter([*entry.nationalities, *entry.countries]), None)
    out: list[str] = []
    cut = ""
    for nm in entry.names:
        q = Query(nm.value, entity_type="person", date_of_birth=dob if dob and len(dob) >= 4 else None,
                  country=country)
        hits = index.search(q, threshold=threshold, limit=None)
        rank = next((k for k, h in enumerate(hits, 1) if h.entity.source_id == key), None)
        if rank:
            out.append(f"{nm.value!r}: rank {rank} of {len(hits)} subjects >= {threshold:.2f} "
                       f"(candidates_for keeps 50 per name)")
            cut = cut or "candidates_for limit=50"
            break
        cap = match_index_module._TOP_CANDIDATES
        match_index_module._TOP_CANDIDATES = 1_000_000
        try:
            wide = index.search(q, threshold=threshold, limit=None)
        finally:
            match_index_module._TOP_CANDIDATES = cap
        rank = next((k for k, h in enumerate(wide, 1) if h.entity.source_id == key), None)
        if rank:
            out.append(f"{nm.value!r}: not among the {cap} candidate names generated; with that cap lifted, "
                       f"rank {rank} of {len(wide)} subjects >= {threshold:.2f}")
            cut = cut or f"_TOP_CANDIDATES={cap}"
            break
    if not out:
        return "below the candidate threshold", f"not found by any of the entry's names at {threshold:.2f}, even " \
            "without the caps"
    return cut, "; ".join(out)


# --- worker processes (fork: they inherit the list index and the book) -----------------------------------

IDS: list[tuple[str, str]] = []  # (customer id, subject id)
INPUTS: list[dict[str, Any]] = []
DELTA_KEYS: frozenset[str] = frozenset()
DELTA_INDEX: MatchIndex | None = None
THRESHOLD = 0.8


def subject_of(i: int) -> Subject:
    return make_subject(IDS[i], INPUTS[i])


def make_subject(ref: tuple[str, str], inputs: dict[str, Any]) -> Subject:
    customer_id, subject_id = ref
    kind = "customer" if subject_id == CUSTOMER_SUBJECT else "related_party"
    return Subject(customer_id, subject_id, kind, (inputs.get("names") or [""])[0], inputs)


def screen_against(index: MatchIndex, inputs: dict[str, Any]) -> list[Any]:
    """What ``_screen`` does, against another index (the naive method's delta-only index)."""
    best: dict[str, Any] = {}
    for query in subject_queries(inputs):
        for hit in index.screen(query, threshold=THRESHOLD, limit=MAX_ALERTS_PER_RUN).hits:
            if hit.entity.key not in best or hit.score > best[hit.entity.key].score:
                best[hit.entity.key] = hit
    return list(best.values())


# A chunk carries its subjects (pickled through the pool's pipe, as a worker reads each subject from the
# table): the workers never touch the parent's copy of the book, so their private memory is their own.
Chunk = list[tuple[int, tuple[str, str], dict[str, Any]]]


def _chunk_full(chunk: Chunk) -> dict[str, Any]:
    """Screen subjects as a run does (every name against the full list index)."""
    c0 = time.process_time()
    alerted = hits = 0
    delta_pairs: list[tuple[int, str]] = []
    for i, ref, inputs in chunk:
        found = _screen(make_subject(ref, inputs))[0]
        if found:
            alerted += 1
            hits += len(found)
            delta_pairs.extend((i, h.entity.key) for h in found if h.entity.key in DELTA_KEYS)
    return {"n": len(chunk), "alerted": alerted, "hits": hits, "delta_pairs": delta_pairs,
            "cpu": time.process_time() - c0}


def _chunk_delta_only(chunk: Chunk) -> dict[str, Any]:
    assert DELTA_INDEX is not None
    c0 = time.process_time()
    alerted = sum(1 for _, _, inputs in chunk if screen_against(DELTA_INDEX, inputs))
    return {"n": len(chunk), "alerted": alerted, "hits": 0, "delta_pairs": [], "cpu": time.process_time() - c0}


def _memory(_: int) -> tuple[int, dict[str, float]]:
    """A worker's memory once its chunks are done (read once: smaps_rollup walks every page of a large process)."""
    time.sleep(0.3)  # so that every worker of the pool takes one of these
    return os.getpid(), smaps_mb()


def parallel(fn: Any, indices: list[int], workers: int,
             size: int = 1_000) -> tuple[list[dict[str, Any]], float, dict[int, dict[str, float]]]:
    """Run ``fn`` over chunks with ``workers`` forked processes: (results, seconds, memory of each worker)."""
    gc.collect()
    gc.freeze()  # the index and the book live on: keep the collector (and copy-on-write) off them
    started = time.perf_counter()
    chunks = ([(i, IDS[i], INPUTS[i]) for i in indices[k:k + size]] for k in range(0, len(indices), size))
    with mp.get_context("fork").Pool(workers) as pool:
        results = list(pool.imap_unordered(fn, chunks))
        elapsed = time.perf_counter() - started
        memory = dict(pool.map(_memory, range(workers * 2), chunksize=1))
    return results, elapsed, memory


# --- the run ---------------------------------------------------------------------------------------------

def main() -> None:
    global IDS, INPUTS, DELTA_KEYS, DELTA_INDEX, THRESHOLD
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000, help="subjects in the book (default 1000000)")
    parser.add_argument("--planted", type=int, default=100, help="subjects named after delta entries (default 100)")
    parser.add_argument("--delta", type=int, default=100, help="changed entries in the list delta (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the naive / full re-screen (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the book and the delta (default 1)")
    parser.add_argument("--updates", type=int, default=1_000, help="customer writes applied to the book index "
                        "one at a time (default 1000)")
    parser.add_argument("--naive-sample", type=int, default=0, help="screen only this many random subjects with "
                        "the naive method / full re-screen and extrapolate (default 0: every subject)")
    parser.add_argument("--delta-only-sample", type=int, default=20_000, help="subjects screened against an index "
                        "of only the delta's entries (timing only; default 20000, 0 to skip)")
    parser.add_argument("--namesakes", type=int, default=0, help="also add this many namesakes (exact name, other "
                        "date of birth and nationality) of every planted entry, to crowd its candidates (default 0)")
    parser.add_argument("--no-pickle", action="store_true", help="skip pickling the book index (size and time)")
    args = parser.parse_args()
    n, workers = args.subjects, args.workers
    if not 0 <= args.planted <= args.delta:
        parser.error("--planted must be between 0 and --delta")
    if args.planted * (1 + args.namesakes) > n:
        parser.error("--subjects too small for the planted subjects and their namesakes")
    THRESHOLD = float(settings.CDD_SCREENING_THRESHOLD)
    margin = float(settings.CDD_DELTA_CANDIDATE_MARGIN)
    r = random.Random(args.seed)
    started_all = time.perf_counter()

    print(f"Re-screening benchmark: {n:,} subjects, delta of {args.delta} entries, {args.planted} planted, "
          f"{workers} worker process(es), seed {args.seed}; {ALGORITHM_VERSION}, threshold {THRESHOLD}, "
          f"candidates at {THRESHOLD - margin:.2f} (margin {margin})")
    print(f"machine: os.cpu_count() {os.cpu_count()}, usable CPUs {len(os.sched_getaffinity(0))}, "
          f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # (1) the list index -------------------------------------------------------------------------------
    gc.collect()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    current = screening_index_get()
    list_build = time.perf_counter() - t0
    list_rss = rss_mb() - rss0
    list_index = current.index
    print(f"\n(1) list index: bundled snapshot {', '.join(SNAPSHOT_LISTS)}: {len(list_index):,} entities, "
          f"{len(list_index.names):,} names; parsed and built in {list_build:.1f} s; RSS +{list_rss:.0f} MB")

    # (2) the book -------------------------------------------------------------------------------------
    gc.disable()  # a million dicts that all live on: the collector would rescan them over and over
    t0 = time.perf_counter()
    rss0 = rss_mb()
    pools = Pools()
    maker = BookMaker(pools, r)
    ids: list[tuple[str, str]] = []
    inputs: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    while len(ids) < n:
        customer_id, subject_id, data = maker.subject()
        if (customer_id, subject_id) in seen:
            continue
        seen.add((customer_id, subject_id))
        ids.append((customer_id, subject_id))
        inputs.append(data)
    del seen
    entities = snapshot_entities()
    pool = delta_pool(entities)
    delta = r.sample(pool, args.delta)
    DELTA_KEYS = frozenset(e.key for e in delta)
    slots = r.sample(range(n), args.planted * (1 + args.namesakes))
    planted: dict[int, tuple[ListEntity, str, str]] = {}  # subject index -> (entry, family, source name)
    for k, entry in enumerate(delta[:args.planted]):
        data, family, source = plant(entry, k, r, pools)
        i = slots[k]
        inputs[i] = data
        planted[i] = (entry, family, source)
    namesakes = 0
    for k, entry in enumerate(delta[:args.planted]):
        for j in range(args.namesakes):
            inputs[slots[args.planted + k * args.namesakes + j]] = namesake(entry, r, pools)
            namesakes += 1
    del entities
    IDS, INPUTS = ids, inputs
    generated = time.perf_counter() - t0
    gc.enable()
    gc.collect()
    book_rss = rss_mb() - rss0
    orgs = sum(1 for d in inputs if d["type"] == "legal_entity")
    parties = sum(1 for _, s in ids if s != CUSTOMER_SUBJECT)
    print(f"\n(2) book generated in {generated:.1f} s (not counted): {n:,} subjects ({n - parties:,} customers, "
          f"{parties:,} related parties; {n - orgs:,} persons, {orgs:,} organisations), "
          f"{sum(len(d['names']) for d in inputs):,} names; inputs held in memory: +{book_rss:.0f} MB "
          f"({book_rss * 2**20 / n:.0f} B per subject)")
    print(f"    name pools (negatives set, given x surnames): {pools.describe()}")
    print(f"    delta: {len(delta)} person entries of {'/'.join(DELTA_LISTS)} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(Counter(e.list for e in delta).items()))}); "
          f"planted: {len(planted)} subjects ({', '.join(f'{f} {c}' for f, c in sorted(Counter(v[1] for v in planted.values()).items()))})"
          + (f"; namesakes: {namesakes}" if namesakes else ""))
    for i in list(planted)[:3]:
        entry, family, source = planted[i]
        print(f"      e.g. {entry.key} {source!r} -> {inputs[i]['names'][0]!r} ({family}), "
              f"dob {entry.birth_dates[:1]} -> {inputs[i]['date_of_birth']}")

    # (3) the customer-side index ----------------------------------------------------------------------
    gc.collect()
    rss0 = rss_mb()
    peak0 = peak_rss_mb()
    t0 = time.perf_counter()
    book_entities = [subject_entity(SimpleNamespace(subject_key=subject_key(*ids[i]), inputs=inputs[i]))
                     for i in range(n)]
    to_entities = time.perf_counter() - t0
    rss_entities = rss_mb() - rss0
    t0 = time.perf_counter()
    index = MatchIndex.build(book_entities)
    book_build = time.perf_counter() - t0
    gc.collect()
    rss_index = rss_mb() - rss0 - rss_entities
    peak_build = peak_rss_mb()
    del book_entities
    now = datetime.now(UTC).isoformat()
    book = BookIndex(refs={subject_key(*ids[i]): ids[i] for i in range(n)}, watermark=f"{now}#",
                     index=index, built_at=now, source="built")
    gc.collect()
    gc.freeze()
    print("\n(3) customer-side index (MatchIndex.build over subject_entity of every subject)")
    print(f"    build: {book_build:.1f} s for {n:,} subjects ({len(index.names):,} names, {len(index.postings):,} "
          f"distinct tokens, {len(index.deletes):,} delete keys); subject_entity: {to_entities:.1f} s")
    print(f"    memory: ListEntity objects +{rss_entities:.0f} MB, index structures +{rss_index:.0f} MB, "
          f"together {rss_entities + rss_index:.0f} MB = {(rss_entities + rss_index) * 2**20 / n:,.0f} B per subject "
          f"(RSS deltas); peak RSS of the process {peak_build:.0f} MB (before the build {peak0:.0f} MB)")
    if not args.no_pickle:
        sink = ByteCounter()
        t0 = time.perf_counter()
        pickle.dump(book, sink, protocol=pickle.HIGHEST_PROTOCOL)
        dumped = time.perf_counter() - t0
        print(f"    pickled (as book_index_snapshot_save, protocol {pickle.HIGHEST_PROTOCOL}): {sink.n / 2**20:,.0f} MB "
              f"in {dumped:.1f} s; peak RSS now {peak_rss_mb():.0f} MB")

    # incremental updates: customer writes, one book_index_apply each (a removal and an addition)
    planted_set = set(planted) | set(slots)
    candidates_upd = [i for i in r.sample(range(n), min(n, args.updates + len(planted_set) + 10))
                      if i not in planted_set][:args.updates]
    apply_ms: list[float] = []
    kinds: Counter[str] = Counter()
    aliases: list[tuple[int, str]] = []
    for i in candidates_upd:
        old = inputs[i]
        new = dict(old, names=list(old["names"]))
        x = r.random()
        if x < 0.4:
            kinds["same names (another field)"] += 1
        elif x < 0.7 and new["type"] == "individual":
            script = script_of(new["names"][0])
            new["names"][0] = f"{new['names'][0].rsplit(' ', 1)[0]} {r.choice(pools.last.get(script, pools.latin_last))}"
            kinds["surname changed"] += 1
        else:
            alias = maker.person_name()[0] if new["type"] == "individual" else maker.organisation()["names"][0]
            new["names"].append(alias)
            aliases.append((i, alias))
            kinds["other name added"] += 1
        key = subject_key(*ids[i])
        row = SimpleNamespace(subject_key=key, customer_id=ids[i][0], subject_id=ids[i][1], inputs=new,
                              removed=False, updated_key=f"{datetime.now(UTC).isoformat()}#{key}")
        t0 = time.perf_counter()
        book_index_apply(book, [row])
        apply_ms.append((time.perf_counter() - t0) * 1e3)
        inputs[i] = new
    raw_ms: list[float] = []
    for i in candidates_upd:
        key = subject_key(*ids[i])
        t0 = time.perf_counter()
        index.remove(f"book:{key}")
        index.add(subject_entity(SimpleNamespace(subject_key=key, inputs=inputs[i])))
        raw_ms.append((time.perf_counter() - t0) * 1e3)
    def finds(i: int, alias: str) -> bool:
        hits = index.search(Query(alias, entity_type=None), threshold=THRESHOLD - margin, limit=None)
        return subject_key(*ids[i]) in {h.entity.source_id for h in hits}

    visible = sum(1 for i, alias in aliases if finds(i, alias))
    cap = match_index_module._TOP_CANDIDATES
    match_index_module._TOP_CANDIDATES = 1_000_000  # runtime only, restored below
    try:
        visible_wide = sum(1 for i, alias in aliases if finds(i, alias))
    finally:
        match_index_module._TOP_CANDIDATES = cap
    if apply_ms:
        print(f"    incremental: {len(apply_ms):,} customer writes ({', '.join(f'{k} {v}' for k, v in kinds.items())}), "
              f"book_index_apply one row each: mean {statistics.mean(apply_ms):.3f} ms, p50 {percentile(apply_ms, 50):.3f}, "
              f"p99 {percentile(apply_ms, 99):.3f}, max {max(apply_ms):.3f} ms; MatchIndex.remove+add alone: mean "
              f"{statistics.mean(raw_ms):.3f} ms, p99 {percentile(raw_ms, 99):.3f} ms; added other names found by "
              f"search: {visible}/{len(aliases)} ({visible_wide}/{len(aliases)} with the {cap}-name candidate cap "
              f"lifted); entries now {len(index.entities):,} "
              f"({len(index.removed):,} marked removed)")

    # (4) delta re-screening -------------------------------------------------------------------------
    t0 = time.perf_counter()
    candidate_keys: set[str] = set()
    per_entry: dict[str, set[str]] = {}
    lookups = 0
    for entry in delta:
        found = candidates_for(entry, book)
        lookups += len(entry.names)
        per_entry[entry.key] = found
        candidate_keys |= found
    lookup_s = time.perf_counter() - t0
    position = {subject_key(*ids[i]): i for i in range(n)}
    t0 = time.perf_counter()
    delta_pairs: set[tuple[int, str]] = set()
    delta_alerted = delta_hits = 0
    for key in sorted(candidate_keys):
        i = position[key]
        found_hits = _screen(subject_of(i))[0]
        if found_hits:
            delta_alerted += 1
            delta_hits += len(found_hits)
            delta_pairs.update((i, h.entity.key) for h in found_hits if h.entity.key in DELTA_KEYS)
    screen_s = time.perf_counter() - t0
    delta_total = lookup_s + screen_s
    planted_found = {i for i, (entry, _, _) in planted.items() if (i, entry.key) in delta_pairs}
    # the planted subjects screened directly (what any full screening finds)
    direct = {i for i, (entry, _, _) in planted.items()
              if entry.key in {h.entity.key for h in _screen(subject_of(i))[0]}}
    print(f"\n(4) delta re-screening ({len(delta)} entries, {lookups} names looked up in the book index, "
          f"candidates_for; then each candidate screened with _screen in 1 process)")
    print(f"    book lookups {lookup_s:.1f} s, {len(candidate_keys):,} candidate subjects "
          f"(per entry: median {statistics.median(len(v) for v in per_entry.values()):.0f}, "
          f"max {max(len(v) for v in per_entry.values())}); screening them {screen_s:.1f} s; total {delta_total:.1f} s")
    print(f"    alerts: {delta_alerted:,} subjects alerted ({delta_hits:,} hits), {len(delta_pairs):,} on the delta's "
          f"entries; planted alerted on their entry: {len(planted_found)}/{len(planted)}; planted that alert when "
          f"screened directly: {len(direct)}/{len(planted)}")
    missed_planted = sorted(set(planted) - planted_found)
    entry_of = {e.key: e for e in delta}
    if missed_planted:
        print("    planted subjects the delta did not alert on their entry:")
        for i in missed_planted[:25]:
            entry, family, source = planted[i]
            key = subject_key(*ids[i])
            reasons = [why_not_candidate(index, entry, key, THRESHOLD - margin)[1]] \
                if key not in per_entry[entry.key] else ["a candidate, but its screening did not alert on the entry"]
            if i not in direct:
                reasons.append("does not alert on the entry even when screened directly (matcher recall)")
            print(f"      {entry.key} {source!r} -> {inputs[i]['names'][0]!r} ({family}, dob "
                  f"{inputs[i]['date_of_birth']} vs {entry.birth_dates[:2]}): {'; '.join(reasons)}")

    # (5) NAIVE = full re-screen: every subject against the full list index --------------------------
    everyone = list(range(n))
    sample = everyone if not args.naive_sample or args.naive_sample >= n else sorted(r.sample(everyone, args.naive_sample))
    results, naive_s, worker_mem = parallel(_chunk_full, sample, workers)
    m = len(sample)
    naive_pairs = {p for res in results for p in res["delta_pairs"]}
    naive_alerted = sum(res["alerted"] for res in results)
    naive_hits = sum(res["hits"] for res in results)
    naive_cpu = sum(res["cpu"] for res in results)
    rate = m / naive_s
    naive_full_s = n / rate
    sample_set = set(sample)
    delta_in_sample = {p for p in delta_pairs if p[0] in sample_set}
    missed = naive_pairs - delta_pairs
    extra = delta_in_sample - naive_pairs
    scaled = m != n
    print(f"\n(5) NAIVE method = full re-screen: {'a random sample of ' if scaled else 'every one of the '}{m:,} "
          f"subjects screened with _screen against the FULL list index ({len(list_index):,} entities), "
          f"{workers} processes")
    print(f"    {m:,} in {naive_s:.1f} s = {rate:,.0f} subjects/s (workers' CPU {naive_cpu:.1f} s = "
          f"{naive_cpu / m * 1e3:.3f} ms per subject = {m / naive_cpu:,.0f}/s per busy core)"
          + (f"; {n:,} subjects EXTRAPOLATED: {naive_full_s:.0f} s" if scaled else ""))
    print(f"    alerts: {naive_alerted:,} subjects alerted ({naive_alerted / m:.2%}, {naive_hits:,} hits); "
          f"{len(naive_pairs):,} alerts on the delta's entries ({len({i for i, _ in naive_pairs} & set(planted))} "
          f"of them planted subjects)")
    print(f"    delta vs naive on {'the sample' if scaled else 'the whole book'}: alerts on delta entries the delta "
          f"method missed: {len(missed)}; the delta found and the naive did not: {len(extra)}")
    if missed:
        cuts: Counter[str] = Counter()
        shown = 0
        examined = sorted(missed)
        r.shuffle(examined)
        for i, key in examined[:200]:
            skey = subject_key(*ids[i])
            if skey in per_entry[key]:
                cut, text = "a candidate; its screening did not alert", ""
            else:
                cut, text = why_not_candidate(index, entry_of[key], skey, THRESHOLD - margin)
            cuts[cut] += 1
            if shown < 8:
                shown += 1
                print(f"      missed: {skey} ({'planted' if i in planted else 'not planted'}) {inputs[i]['names']!r} "
                      f"dob {inputs[i]['date_of_birth']} -> {key}: {text or cut}")
        print(f"      why (of {min(200, len(missed))} missed alerts examined): "
              f"{', '.join(f'{c} {k}' for c, k in cuts.most_common())}")
    if workers:
        mems = list(worker_mem.values())
        print(f"    worker memory at the end (smaps_rollup, max of {len(mems)}): RSS {max(x.get('Rss', 0) for x in mems):.0f} MB, "
              f"PSS {max(x.get('Pss', 0) for x in mems):.0f} MB, private {max(x['Private'] for x in mems):.0f} MB")
    delta_only_s = None
    if args.delta_only_sample:
        DELTA_INDEX = MatchIndex.build(delta)
        sub = sorted(r.sample(everyone, min(n, args.delta_only_sample)))
        _, t_sub, _ = parallel(_chunk_delta_only, sub, workers)
        delta_only_rate = len(sub) / t_sub
        delta_only_s = n / delta_only_rate
        print(f"    naive against an index of only the {len(delta)} delta entries (timing only): {len(sub):,} random "
              f"subjects in {t_sub:.1f} s = {delta_only_rate:,.0f}/s -> {n:,} EXTRAPOLATED: {delta_only_s:.0f} s")

    # memory of a full re-screen of 1M subjects
    worker_private = max((x["Private"] for x in worker_mem.values()), default=0.0)
    shared_mb = list_rss + workers * worker_private
    own_mb = workers * (list_rss + worker_private)
    print(f"    memory of a full re-screen: subjects are read and screened one at a time (one outbox request each), "
          f"so nothing grows with the book; per worker host: the list index ({list_rss:.0f} MB RSS) plus each "
          f"process's own memory ({worker_private:.0f} MB private, measured above). Forked after the build as here: "
          f"{list_rss:.0f} + {workers} x {worker_private:.0f} = {shared_mb:.0f} MB; as the Celery prefork worker runs "
          f"(each child builds its own list index on first use): at most {workers} x ({list_rss:.0f} + "
          f"{worker_private:.0f}) = {own_mb:.0f} MB, for 1M subjects as for any number. (This script also holds every "
          f"subject's inputs: {book_rss * 2**20 / n * 1e6 / 2**20:,.0f} MB per 1M subjects, not counted.)")

    # (6) targets ------------------------------------------------------------------------------------
    per_million = 1_000_000 / n
    print(f"\n(6) targets ({n:,} subjects, {workers} processes on {os.cpu_count()} CPUs; delta in 1 process)")
    print(f"    {'':40}{'delta (book index)':>20}{'naive (full list)':>24}")
    print(f"    {'subjects screened':40}{len(candidate_keys):>20,}{n:>24,}")
    print(f"    {'time for the list change':40}{f'{delta_total:.1f} s':>20}"
          f"{f'{naive_full_s:.0f} s' + (' (extrapolated)' if scaled else ''):>24}")
    print(f"    {'planted alerted on their entry':40}{f'{len(planted_found)}/{len(planted)}':>20}"
          f"{f'{len(direct)}/{len(planted)}':>24}")
    print(f"    {'alerts on the delta entries':40}{len(delta_pairs):>20,}"
          f"{f'{len(naive_pairs):,}' + (' in the sample' if scaled else ''):>24}")
    print(f"    {'of these missed by the delta':40}{len(missed):>20,}{'(reference)':>24}")
    if delta_only_s is not None:
        print(f"    (naive against an index of the delta's entries only: {delta_only_s:.0f} s, extrapolated)")
    all_found = direct <= planted_found and not missed
    print(f"  delta: every planted match alerted (every planted subject that alerts when screened directly), "
          f"0 missed, < {TARGET_DELTA_SECONDS:.0f} s: {verdict(all_found and delta_total < TARGET_DELTA_SECONDS)} "
          f"({len(planted_found & direct)}/{len(direct)} planted, {len(missed)} missed"
          + (" in the sample" if scaled else "") + f", {delta_total:.1f} s"
          + (f"; with {n:,} subjects, not 1M" if n != 1_000_000 else "") + ")")
    print(f"  full re-screen: {rate:,.0f} subjects/s with {workers} processes — target ≥ "
          f"{TARGET_RESCREEN_PER_SECOND:,}/s: {verdict(rate >= TARGET_RESCREEN_PER_SECOND)}; memory for 1M: "
          f"{shared_mb:.0f} MB forked, at most {own_mb:.0f} MB as the worker runs (see (5))")
    if apply_ms:
        p99 = percentile(apply_ms, 99)
        print(f"  customer-side index: build {book_build:.0f} s and {rss_entities + rss_index:,.0f} MB for {n:,} subjects"
              + (f" (NOT 1M: about {book_build * per_million:.0f} s and {(rss_entities + rss_index) * per_million:,.0f}"
                 f" MB scaled linearly)" if n != 1_000_000 else "")
              + f"; update per write p99 {p99:.2f} ms (mean {statistics.mean(apply_ms):.2f}, max {max(apply_ms):.1f})"
              f" — target < {TARGET_UPDATE_MS:.0f} ms: {verdict(p99 < TARGET_UPDATE_MS)}")
    print(f"  whole run {time.perf_counter() - started_all:.0f} s; peak RSS of this process {peak_rss_mb():.0f} MB; "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
