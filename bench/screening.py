#!/usr/bin/env python
"""Benchmark of the screening matcher on the DEV evaluation sets, with its previous version and the reference.

Prints, for our matcher (apps/screening/matching) over the bundled list snapshot, on every dev set
(bench/eval/: positives, negatives, near negatives, cross-script; plus compound perturbations
generated here from the positives' list names): recall on the sets that should alert and the share
alerted on those that should not, each by family; snapshot parse time, index build time, peak
resident memory, per-query latency p50/p99 (single-threaded, warm index) and bulk throughput with
several worker processes.

In the same run, side by side on the same rows:

* our **previous** algorithm version: its files are read from git (``git show REV:apps/screening/
  matching/...``, ``--previous-rev``, by default the last commit of cdd-name-match/2.0; 1.0 with
  ``--previous-rev 0b53e0132acd``) into a
  temporary package and run in a child process (quality only; its speed is not measured);
* the OpenSanctions reference matcher (nomenklatura ``logic-v2`` and ``logic-v1``). nomenklatura only
  scores pairs, so it is given OUR index's candidates for every query (the output says so) and runs
  in its own interpreter (.venv-bench; create it with ``bench/setup_reference_venv.sh``).

    .venv/bin/python bench/screening.py                     # everything (reference: several minutes)
    .venv/bin/python bench/screening.py --no-reference      # ours and our previous version (~2 minutes)
    .venv/bin/python bench/screening.py --no-previous --no-reference   # ours only
    .venv/bin/python bench/screening.py --reference-sample 2000         # reference on the first 2000 rows of each set
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.screening.batch import RowError, query_from_row, screen_result  # noqa: E402
from apps.screening.lists import snapshot_entities  # noqa: E402
from apps.screening.matching import ALGORITHM_VERSION, DEFAULT_THRESHOLD, ListEntity, MatchIndex, Query  # noqa: E402

DEFAULT_EVAL_DIR = ROOT / "bench" / "eval"
# (key, file, should alert): the dev sets in bench/eval (copied from the shared dev sets, see its README)
SETS: tuple[tuple[str, str | None, bool], ...] = (
    ("positives", "screening_dev_positives.csv", True),
    ("negatives", "screening_dev_negatives.csv", False),
    ("near_negatives", "screening_dev_near_negatives.csv", False),
    ("cross_script", "screening_dev_cross_script.csv", True),
    ("compound", None, True),  # generated from the positives (compound_rows)
)
SHOULD_ALERT = {key: alert for key, _, alert in SETS}
# The last commit whose matcher is cdd-name-match/2.0 (the previous version in the side-by-side), and the
# last of 1.0 (``--previous-rev`` takes either, or any other revision).
PREVIOUS_REV = "b31b189a759ba38aebd871955d8134d5f8fc63a2"
REV_1_0 = "0b53e0132acd925fbd355c118b8c34f908b2f4b1"
FTM_SCHEMA = {"person": "Person", "organization": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}

_INDEX: MatchIndex | None = None
_THRESHOLD = DEFAULT_THRESHOLD


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def found(row: dict[str, str], hits: list[dict[str, Any]]) -> bool:
    """CONTRACT.md §4 recall rule for one positive row."""
    ids = set(row["expected_id"].split("|"))
    expected_name = (row.get("expected_name") or "").casefold()
    for hit in hits:
        if hit["list"] == row["expected_list"] and hit["list_entity_id"] in ids:
            return True
        if expected_name and hit.get("name", "").casefold() == expected_name:
            return True
    return False


def to_query(row: dict[str, str], line: int) -> Query:
    query = query_from_row(row, line=line)
    if isinstance(query, RowError):
        raise SystemExit(f"eval row refused: {query.as_output()}")
    return query


# --- compound perturbations (generated from the positives, deterministic) --------------------

_KEYBOARD = {
    c: n
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i, c in enumerate(row)
    for n in [row[max(0, i - 1)] if i else row[1]]
}
_ORG_DROPPABLE = {
    "LLC", "LTD", "LIMITED", "CO", "COMPANY", "CORP", "CORPORATION", "INC", "JSC", "PJSC", "OJSC", "CJSC", "OAO",
    "ZAO", "OOO", "AO", "PAO", "GMBH", "SA", "AG", "PLC", "FZE", "FZCO", "EST", "GROUP", "HOLDING", "HOLDINGS",
    "INTERNATIONAL", "TRADING", "THE", "AND", "OF", "SERVICES", "ENTERPRISES", "INDUSTRIES",
}
# words of multi-word legal forms: a word next to them is part of the phrase, not dropped
_LEGAL_PHRASE_WORDS = {"JOINT", "STOCK", "LIABILITY", "PUBLIC", "CLOSED", "OPEN", "LIMITED", "COMPANY", "FREE", "ZONE"}
_PARTICLE_WORDS = {"al", "el", "bin", "ibn", "bint", "abu", "de", "van", "von", "da", "di", "du", "der", "la", "le"}


def _typo(word: str, rng: random.Random) -> str:
    """One swap, insert, delete or keyboard-neighbour substitution inside ``word`` (4+ letters)."""
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "insert", "delete", "neighbour"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "insert":
        return word[:i] + word[i] + word[i:]
    if op == "delete":
        return word[:i] + word[i + 1 :]
    ch = word[i]
    sub = _KEYBOARD.get(ch.lower(), ch)
    return word[:i] + (sub.upper() if ch.isupper() else sub) + word[i + 1 :]


def _typo_one(tokens: list[str], rng: random.Random, avoid: int | None = None) -> list[str] | None:
    options = [k for k, t in enumerate(tokens) if len(t) >= 5 and t.isalpha() and k != avoid]
    if not options:
        return None
    k = rng.choice(options)
    return [_typo(t, rng) if n == k else t for n, t in enumerate(tokens)]


def compound_rows(pos_rows: list[dict[str, str]], seed: int = 17) -> list[dict[str, str]]:
    """Positives with two perturbations at once, made from the positives' list names.

    Persons (natural order ``First Middle LAST``): ``drop_typo`` (a middle name dropped and a
    typo in another name), ``reorder_typo`` (``LAST First`` with a typo), ``initial_drop``
    (the first name as an initial and the middle name dropped); organisations:
    ``org_drop_typo`` (a word other than the first dropped, a typo in another). Rows that a
    family cannot apply to are skipped. Same entities as the positives, other variations.
    """
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    for row in pos_rows:
        source = row["source_name"]
        person = row["entity_type"] == "person" or ("," in source and row["entity_type"] in ("", "unknown"))
        if person:
            if source.count(",") == 1:
                last, first = (p.strip() for p in source.split(","))
                given, surname = first.split(), last.split()
            else:
                words = source.split()
                given, surname = words[:-1], words[-1:]
            if not given or not surname:
                continue
            middles = [k for k in range(1, len(given)) if given[k].lower() not in _PARTICLE_WORDS
                       and given[k - 1].lower() not in _PARTICLE_WORDS]
            family = rng.choice(("drop_typo", "reorder_typo", "initial_drop"))
            if family in ("drop_typo", "initial_drop") and not middles:
                family = "reorder_typo"
            tokens: list[str] | None
            if family == "drop_typo":
                drop = rng.choice(middles)
                tokens = _typo_one([t for k, t in enumerate(given) if k != drop] + surname, rng)
            elif family == "initial_drop":
                drop = rng.choice(middles)
                tokens = [given[0][0] + "."] + [t for k, t in enumerate(given[1:], 1) if k != drop] + surname
            else:
                tokens = _typo_one(surname + given, rng)
            if tokens is None:
                continue
            name = " ".join(tokens)
        else:
            # the legal form or a generic word dropped (dropping the word that names the company
            # makes another name), a typo in another word
            words = source.split()
            bare = [w.strip(".,()").upper() for w in words]
            droppable = [
                k for k, w in enumerate(bare)
                if k and w in _ORG_DROPPABLE and not _LEGAL_PHRASE_WORDS & set(bare[max(0, k - 1) : k + 2]) - {w}
            ]
            if len(words) < 3 or not droppable:
                continue
            family = "org_drop_typo"
            drop = rng.choice(droppable)
            tokens = _typo_one([t for k, t in enumerate(words) if k != drop], rng)
            if tokens is None:
                continue
            name = " ".join(tokens)
        out.append({**row, "id": row["id"].replace("dev-pos", "dev-cmp"), "name": name, "perturbation": family})
    return out


# --- our matcher ----------------------------------------------------------------------------


def run_single(
    index: MatchIndex, rows: list[dict[str, str]], threshold: float
) -> tuple[list[dict], list[float], list[float]]:
    """Screen rows one by one: outputs, wall-clock latencies, CPU (thread) times."""
    outputs, latencies, cpu = [], [], []
    for n, row in enumerate(rows, start=2):
        started, started_cpu = time.perf_counter(), time.thread_time()
        query = to_query(row, n)
        out = screen_result(row["id"], index, query, threshold=threshold)
        cpu.append(time.thread_time() - started_cpu)
        latencies.append(time.perf_counter() - started)
        outputs.append(out)
    return outputs, latencies, cpu


def _bulk_chunk(chunk: list[tuple[int, dict[str, str]]]) -> tuple[int, float]:
    """Screen and serialise a chunk in a worker; return (rows, CPU seconds spent)."""
    assert _INDEX is not None
    started = time.thread_time()
    lines = [
        json.dumps(screen_result(row["id"], _INDEX, to_query(row, n), threshold=_THRESHOLD), ensure_ascii=False)
        for n, row in chunk
    ]
    return len(lines), time.thread_time() - started


def run_bulk(rows: list[dict[str, str]], workers: int) -> tuple[float, float]:
    """(rows per second, worker CPU seconds per row): every row screened and serialised,
    ``workers`` processes sharing the built index by fork, as screen_file does."""
    numbered = list(enumerate(rows, start=2))
    chunks = [numbered[i : i + 200] for i in range(0, len(numbered), 200)]
    ctx = get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(workers) as pool:
        results = list(pool.imap_unordered(_bulk_chunk, chunks))
    elapsed = time.perf_counter() - started
    total = sum(n for n, _ in results)
    return total / elapsed, sum(cpu for _, cpu in results) / total


# --- reference matcher ----------------------------------------------------------------------


def ftm_list_entity(entity: ListEntity) -> dict[str, Any]:
    props: dict[str, list[str]] = {"name": [], "alias": [], "weakAlias": []}
    for name in entity.names:
        key = {"primary": "name", "weak_alias": "weakAlias"}.get(name.kind, "alias")
        props[key].append(name.value)
    if entity.schema == "person":
        props["birthDate"] = list(entity.birth_dates)
        props["nationality"] = [c.lower() for c in entity.nationalities]
    props["country"] = [c.lower() for c in entity.countries]
    return {
        "schema": FTM_SCHEMA.get(entity.schema, "LegalEntity"),
        "id": entity.key,
        "list": entity.list,
        "list_entity_id": entity.source_id,
        "props": {k: v for k, v in props.items() if v},
    }


def ftm_query(row_id: str, query: Query) -> dict[str, Any]:
    schema = FTM_SCHEMA.get(query.entity_type or "", "LegalEntity")
    props: dict[str, list[str]] = {"name": [query.name]}
    if query.date_of_birth and schema == "Person":
        props["birthDate"] = [query.date_of_birth]
    if query.country:
        props["nationality" if schema == "Person" else "country"] = [query.country.lower()]
    return {"schema": schema, "id": f"q-{row_id}", "props": props}


def run_reference(
    index: MatchIndex,
    sets: dict[str, list[dict[str, str]]],
    *,
    python: Path,
    threshold: float,
    workers: int,
) -> dict[str, dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as work:
        n_candidates = []
        for rows in sets.values():
            for n, row in enumerate(rows, start=2):
                query = to_query(row, n)
                # generous candidates (as for a 0.5 threshold), so ours do not cap its recall
                candidates = index.candidate_entities(query, threshold=0.5)
                n_candidates.append(len(candidates))
                line = {
                    "id": row["id"],
                    "query": ftm_query(row["id"], query),
                    "candidates": [ftm_list_entity(e) for e in candidates],
                }
                work.write(json.dumps(line, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(python),
            str(ROOT / "bench" / "reference_nomenklatura.py"),
            work.name,
            "--threshold",
            str(threshold),
            "--workers",
            str(workers),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    os.unlink(work.name)
    if proc.returncode != 0:
        raise SystemExit(f"reference matcher failed:\n{proc.stderr[-3000:]}")
    by_algo: dict[str, dict[str, dict[str, Any]]] = {}
    for line in proc.stdout.splitlines():
        result = json.loads(line)
        by_algo.setdefault(result["algorithm"], {})[result["id"]] = result
    return {
        algo: {"results": results, "wall": wall, "candidates_mean": statistics.mean(n_candidates)}
        for algo, results in by_algo.items()
    }


# --- previous version -------------------------------------------------------------------


def load_previous(rev: str, workdir: Path) -> Any:
    """The matcher package as commit ``rev`` had it, imported from ``workdir`` under another name."""
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "apps/screening/matching/"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    package = workdir / "cdd_matching_previous"
    package.mkdir()
    for path in files:
        if path.endswith(".py"):
            source = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True, text=True, check=True
            ).stdout
            (package / Path(path).name).write_text(source, encoding="utf-8")
    sys.path.insert(0, str(workdir))
    import cdd_matching_previous  # type: ignore[import-not-found]

    return cdd_matching_previous


def previous_worker(rev: str, eval_dir: Path, threshold: float, out_path: Path) -> None:
    """(child process) Screen every set with the previous version; write its outputs as JSON."""
    workdir = Path(tempfile.mkdtemp(prefix="cdd-prev-matcher-"))
    try:
        previous = load_previous(rev, workdir)
        index = previous.MatchIndex.build(snapshot_entities())
        outputs = {
            key: [
                screen_result(row["id"], index, to_query(row, n), threshold=threshold)
                for n, row in enumerate(rows, start=2)
            ]
            for key, rows in load_sets(eval_dir).items()
        }
        out_path.write_text(json.dumps({"algorithm": previous.ALGORITHM_VERSION, "outputs": outputs}))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_previous(rev: str, eval_dir: Path, threshold: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out_path = Path(fh.name)
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--previous-worker", rev, "--eval-dir", str(eval_dir),
             "--threshold", str(threshold), "--previous-out", str(out_path)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"previous version failed:\n{proc.stderr[-3000:]}")
        return json.loads(out_path.read_text())
    finally:
        out_path.unlink(missing_ok=True)


# --- report ---------------------------------------------------------------------------------


def load_sets(eval_dir: Path) -> dict[str, list[dict[str, str]]]:
    sets = {key: read_rows(eval_dir / name) for key, name, _ in SETS if name}
    sets["compound"] = compound_rows(sets["positives"])
    return sets


def family(key: str, row: dict[str, str]) -> str:
    return row.get("perturbation") or "all"


def summarise(key: str, rows: list[dict[str, str]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of rows right per family: found (sets that should alert) or alerted (the others)."""
    should_alert = SHOULD_ALERT[key]
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for row, out in zip(rows, outputs, strict=True):
        fam = family(key, row)
        total[fam] += 1
        alerted = out["decision"] == "alert"
        if (alerted and found(row, out["hits"])) if should_alert else alerted:
            hit[fam] += 1
    return {
        "rows": sum(total.values()),
        "share": sum(hit.values()) / max(1, sum(total.values())),
        "count": sum(hit.values()),
        "by_family": {fam: (hit[fam], total[fam]) for fam in sorted(total)},
    }


def main() -> None:
    global _INDEX, _THRESHOLD
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR, help=f"default: {DEFAULT_EVAL_DIR}")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"our alert threshold (default {DEFAULT_THRESHOLD}, = CDD_SCREENING_THRESHOLD)",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes for the bulk throughput run (default 2)")
    parser.add_argument("--no-reference", action="store_true", help="skip nomenklatura")
    parser.add_argument("--no-previous", action="store_true", help="skip our previous algorithm version")
    parser.add_argument(
        "--previous-rev",
        default=PREVIOUS_REV,
        help=f"git revision whose matcher is the previous version (default {PREVIOUS_REV[:12]}, 2.0; "
        f"{REV_1_0[:12]} is 1.0)",
    )
    parser.add_argument("--previous-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--previous-out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reference-python", type=Path, default=ROOT / ".venv-bench" / "bin" / "python")
    parser.add_argument(
        "--reference-threshold",
        type=float,
        default=0.7,
        help="nomenklatura alert threshold (default 0.7, yente's default)",
    )
    parser.add_argument(
        "--reference-sample",
        type=int,
        default=0,
        help="score only the first N rows of each set with the reference (0 = all)",
    )
    parser.add_argument(
        "--write-output",
        type=Path,
        default=None,
        help="write our JSONL outputs (CONTRACT.md §2) for every set here",
    )
    args = parser.parse_args()
    if args.previous_worker:
        previous_worker(args.previous_worker, args.eval_dir, args.threshold, args.previous_out)
        return

    sets = load_sets(args.eval_dir)
    _THRESHOLD = args.threshold

    gc.collect()
    rss_start = current_rss_mb()
    started = time.perf_counter()
    entities = snapshot_entities()
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchIndex.build(entities)
    build_s = time.perf_counter() - started
    rss_built = current_rss_mb()
    peak_build = peak_rss_mb()
    gc.collect()
    gc.freeze()  # the index lives as long as the process: keep the collector off it
    _INDEX = index

    # warm-up on synthetic names (not eval rows), so imports and allocator are warm
    for name in ("John Smith", "ACME TRADING LLC", "Maria Garcia Lopez", "Ivan Petrov") * 10:
        index.screen(Query(name), threshold=args.threshold)

    ours_out: dict[str, list[dict[str, Any]]] = {}
    latencies: list[float] = []
    cpu_times: list[float] = []
    for key, rows in sets.items():
        ours_out[key], lat, cpu = run_single(index, rows, args.threshold)
        latencies += lat
        cpu_times += cpu
    ours = {key: summarise(key, rows, ours_out[key]) for key, rows in sets.items()}
    if args.write_output:
        args.write_output.mkdir(parents=True, exist_ok=True)
        for key, outs in ours_out.items():
            with open(args.write_output / f"{key}.jsonl", "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(o, ensure_ascii=False) + "\n" for o in outs)

    index._expansions.clear()
    all_rows = [row for key in ("positives", "negatives") for row in sets[key]]
    throughput, bulk_cpu_per_row = run_bulk(all_rows, args.workers)
    peak_total = peak_rss_mb()

    previous: dict[str, Any] | None = None
    if not args.no_previous:
        print(f"running the previous version ({args.previous_rev[:12]}) ...", file=sys.stderr)
        prev = run_previous(args.previous_rev, args.eval_dir, args.threshold)
        previous = {
            "algorithm": prev["algorithm"],
            "sets": {key: summarise(key, rows, prev["outputs"][key]) for key, rows in sets.items()},
        }

    reference: dict[str, dict[str, Any]] = {}
    ref_sets = sets
    if not args.no_reference:
        if not args.reference_python.exists():
            print(
                f"reference skipped: {args.reference_python} missing; run bench/setup_reference_venv.sh",
                file=sys.stderr,
            )
        else:
            if args.reference_sample:
                ref_sets = {key: rows[: args.reference_sample] for key, rows in sets.items()}
            n_ref = sum(len(rows) for rows in ref_sets.values())
            print(f"running nomenklatura on {n_ref:,} rows ...", file=sys.stderr)
            reference = run_reference(
                index, ref_sets, python=args.reference_python, threshold=args.reference_threshold, workers=args.workers
            )

    # --- print ---------------------------------------------------------------------------------
    n_names = len(index.names)
    print(f"\nScreening benchmark — {ALGORITHM_VERSION}, threshold {args.threshold}, eval dir {args.eval_dir}")
    print(f"CPU cores: {os.cpu_count()}; load average at end: {os.getloadavg()[0]:.2f}")
    print(
        f"lists: bundled snapshot, {len(entities):,} entities, {n_names:,} names, "
        f"{len(index.postings):,} distinct tokens"
    )
    print()
    print(f"{'index':34} {'value':>12}")
    print(f"{'snapshot parse (4 lists)':34} {parse_s:>11.2f}s")
    print(f"{'index build':34} {build_s:>11.2f}s")
    print(f"{'parse + build':34} {parse_s + build_s:>11.2f}s")
    print(f"{'RSS before parse':34} {rss_start:>10.0f}MB")
    print(f"{'RSS after build':34} {rss_built:>10.0f}MB")
    print(f"{'peak RSS (parse+build)':34} {peak_build:>10.0f}MB")
    print(f"{'peak RSS (whole single-thread run)':34} {peak_total:>10.0f}MB")
    print()

    def ref_summary(algo: str) -> dict[str, Any]:
        results = reference[algo]["results"]
        summary: dict[str, Any] = {}
        secs = []
        for key, rows in ref_sets.items():
            outs = [
                {"decision": "alert" if results[r["id"]]["hits"] else "clear", "hits": results[r["id"]]["hits"]}
                for r in rows
            ]
            summary[key] = summarise(key, rows, outs)
            secs += [results[r["id"]]["seconds"] for r in rows]
        summary["p50"] = percentile(secs, 50) * 1e3
        summary["p99"] = percentile(secs, 99) * 1e3
        return summary

    cols: list[tuple[str, dict[str, Any]]] = [(f"ours {ALGORITHM_VERSION.split('/')[-1]}", ours)]
    if previous is not None:
        cols.append((f"ours {previous['algorithm'].split('/')[-1]}", previous["sets"]))
    n_ours = len(cols)
    for algo in ("logic-v2", "logic-v1"):
        if algo in reference:
            cols.append((f"nk {algo}", ref_summary(algo)))
    header = f"{'set / family (share right)':38}" + "".join(f"{name:>16}" for name, _ in cols)
    print(header)
    print("-" * len(header))
    print(f"{'threshold':38}" + "".join(
        f"{args.threshold if n < n_ours else args.reference_threshold:>16}" for n in range(len(cols))
    ))
    for key in sets:
        what = "recall" if SHOULD_ALERT[key] else "alerted"
        print(f"{f'{key} ({what})':38}" + "".join(
            f"{s[key]['share']:>10.4f}{f' /{s[key]['rows']}':>6}" if key in s else f"{'-':>16}" for _, s in cols
        ))
        families = ours[key]["by_family"]
        if len(families) > 1:
            for fam in families:
                cells = []
                for _, s in cols:
                    ok, tot = s[key]["by_family"].get(fam, (0, 0)) if key in s else (0, 0)
                    cells.append(f"{ok / tot:.3f} {ok}/{tot}" if tot else "-")
                print(f"{'  ' + fam:38}" + "".join(f"{c:>16}" for c in cells))
    p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    pad = "".join(f"{'':>16}" for _ in cols[1:n_ours])
    print(f"{'latency p50 ms (1 core)':38}" + f"{p50:>16.3f}" + pad
          + "".join(f"{s['p50']:>16.3f}" for _, s in cols[n_ours:]))
    print(f"{'latency p99 ms (1 core)':38}" + f"{p99:>16.3f}" + pad
          + "".join(f"{s['p99']:>16.3f}" for _, s in cols[n_ours:]))
    print(f"{'latency mean ms (1 core)':38}" + f"{statistics.mean(latencies) * 1e3:>16.3f}")
    print(f"{'CPU time/query p50 ms':38}" + f"{percentile(cpu_times, 50) * 1e3:>16.3f}")
    print(f"{'CPU time/query p99 ms':38}" + f"{percentile(cpu_times, 99) * 1e3:>16.3f}")
    print(f"{f'bulk rows/s ({args.workers} processes)':38}" + f"{throughput:>16.0f}")
    print(f"{'bulk CPU ms/row (in workers)':38}" + f"{bulk_cpu_per_row * 1e3:>16.3f}")
    print(f"{f'bulk rows/s if {args.workers} idle cores':38}" + f"{args.workers / bulk_cpu_per_row:>16.0f}")
    print()
    print("share right: recall (alert with the expected entity among the hits) on positives, cross_script and")
    print("      compound; share of rows alerted on negatives and near_negatives (lower is better).")
    print("compound: generated here from the positives' list names (compound_rows, seed 17), not a shared dev set.")
    print("ours: latency = validation + candidate generation + scoring + explanation of one row, warm index, over")
    print("      every set; CPU time = the same, counting only this thread's CPU (robust to a busy machine);")
    print("      bulk = positives + negatives; 'if idle cores' = workers / CPU per row.")
    if previous is not None:
        print(f"previous: {previous['algorithm']} from git {args.previous_rev[:12]} (quality only).")
    if reference:
        first = next(iter(reference.values()))
        print(
            f"nk = nomenklatura {', '.join(reference)} scoring the candidates that OUR index generated "
            f"(mean {first['candidates_mean']:.1f} entities per query; no candidate generation of its own); "
            f"its latency counts scoring only. Reference wall time: {first['wall']:.0f}s for both algorithms "
            f"on {args.workers} processes."
        )


if __name__ == "__main__":
    main()
