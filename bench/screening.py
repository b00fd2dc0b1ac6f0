#!/usr/bin/env python
"""Benchmark of the screening matcher on the DEV evaluation sets, with the reference matcher.

Prints, for our matcher (apps/screening/matching) over the bundled list snapshot:
recall on the positives (with a breakdown by perturbation), the share of negatives alerted,
snapshot parse time, index build time, peak resident memory, per-query latency p50/p99
(single-threaded, warm index) and bulk throughput with several worker processes.

Then, in the same run, the OpenSanctions reference matcher (nomenklatura ``logic-v2`` and
``logic-v1``) on the same rows. nomenklatura only scores pairs, so it is given OUR index's
candidates for every query (the output says so) and runs in its own interpreter
(.venv-bench; create it with ``bench/setup_reference_venv.sh``).

    .venv/bin/python bench/screening.py                     # everything (reference: several minutes)
    .venv/bin/python bench/screening.py --no-reference      # ours only (~1 minute)
    .venv/bin/python bench/screening.py --reference-sample 2000
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import resource
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
POSITIVES = "screening_dev_positives.csv"
NEGATIVES = "screening_dev_negatives.csv"
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


# --- report ---------------------------------------------------------------------------------


def summarise(pos_rows, pos_out, neg_out) -> dict[str, Any]:
    by_pert: Counter[str] = Counter()
    ok_pert: Counter[str] = Counter()
    for row, out in zip(pos_rows, pos_out, strict=True):
        by_pert[row["perturbation"]] += 1
        if out["decision"] == "alert" and found(row, out["hits"]):
            ok_pert[row["perturbation"]] += 1
    alerts = sum(1 for out in neg_out if out["decision"] == "alert")
    return {
        "recall": sum(ok_pert.values()) / max(1, len(pos_rows)),
        "by_pert": {k: (ok_pert[k], by_pert[k]) for k in sorted(by_pert)},
        "neg_alert": alerts / max(1, len(neg_out)),
        "neg_alerts": alerts,
        "neg_rows": len(neg_out),
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
        help="score only the first N positives and N negatives with the reference (0 = all)",
    )
    parser.add_argument(
        "--write-output",
        type=Path,
        default=None,
        help="write our JSONL outputs (CONTRACT.md §2) for the positives and negatives here",
    )
    args = parser.parse_args()

    pos_rows = read_rows(args.eval_dir / POSITIVES)
    neg_rows = read_rows(args.eval_dir / NEGATIVES)
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

    pos_out, pos_lat, pos_cpu = run_single(index, pos_rows, args.threshold)
    neg_out, neg_lat, neg_cpu = run_single(index, neg_rows, args.threshold)
    ours = summarise(pos_rows, pos_out, neg_out)
    latencies = pos_lat + neg_lat
    cpu_times = pos_cpu + neg_cpu
    if args.write_output:
        args.write_output.mkdir(parents=True, exist_ok=True)
        for name, outs in (("positives.jsonl", pos_out), ("negatives.jsonl", neg_out)):
            with open(args.write_output / name, "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(o, ensure_ascii=False) + "\n" for o in outs)

    index._expansions.clear()
    all_rows = pos_rows + neg_rows
    throughput, bulk_cpu_per_row = run_bulk(all_rows, args.workers)
    peak_total = peak_rss_mb()

    reference: dict[str, dict[str, Any]] = {}
    ref_rows = {"pos": pos_rows, "neg": neg_rows}
    if not args.no_reference:
        if not args.reference_python.exists():
            print(
                f"reference skipped: {args.reference_python} missing; run bench/setup_reference_venv.sh",
                file=sys.stderr,
            )
        else:
            if args.reference_sample:
                ref_rows = {"pos": pos_rows[: args.reference_sample], "neg": neg_rows[: args.reference_sample]}
            print(f"running nomenklatura on {len(ref_rows['pos']) + len(ref_rows['neg']):,} rows ...", file=sys.stderr)
            reference = run_reference(
                index, ref_rows, python=args.reference_python, threshold=args.reference_threshold, workers=args.workers
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
        pos = ref_rows["pos"]
        neg = ref_rows["neg"]
        pos_out_r = [
            {"decision": "alert" if results[r["id"]]["hits"] else "clear", "hits": results[r["id"]]["hits"]}
            for r in pos
        ]
        neg_out_r = [
            {"decision": "alert" if results[r["id"]]["hits"] else "clear", "hits": results[r["id"]]["hits"]}
            for r in neg
        ]
        summary = summarise(pos, pos_out_r, neg_out_r)
        secs = [results[r["id"]]["seconds"] for r in pos + neg]
        summary["p50"] = percentile(secs, 50) * 1e3
        summary["p99"] = percentile(secs, 99) * 1e3
        return summary

    cols = [("ours", ours)]
    for algo in ("logic-v2", "logic-v1"):
        if algo in reference:
            cols.append((f"nk {algo}", ref_summary(algo)))
    header = f"{'metric':34}" + "".join(f"{name:>16}" for name, _ in cols)
    print(header)
    print("-" * len(header))
    print(
        f"{'rows (positives / negatives)':34}"
        + f"{f'{len(pos_rows)}/{len(neg_rows)}':>16}"
        + "".join(f"{f'{len(ref_rows["pos"])}/{len(ref_rows["neg"])}':>16}" for _ in cols[1:])
    )
    print(f"{'threshold':34}" + f"{args.threshold:>16}" + "".join(f"{args.reference_threshold:>16}" for _ in cols[1:]))
    print(f"{'recall (positives)':34}" + "".join(f"{s['recall']:>16.4f}" for _, s in cols))
    for pert in ours["by_pert"]:
        cells = []
        for _, s in cols:
            ok, tot = s["by_pert"].get(pert, (0, 0))
            cells.append(f"{ok}/{tot}" if tot else "-")
        print(f"{'  ' + pert:34}" + "".join(f"{c:>16}" for c in cells))
    print(f"{'negatives alerted (share)':34}" + "".join(f"{s['neg_alert']:>16.4f}" for _, s in cols))
    print(f"{'negatives alerted (rows)':34}" + "".join(f"{s['neg_alerts']:>16}" for _, s in cols))
    p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    print(f"{'latency p50 ms (1 core)':34}" + f"{p50:>16.3f}" + "".join(f"{s['p50']:>16.3f}" for _, s in cols[1:]))
    print(f"{'latency p99 ms (1 core)':34}" + f"{p99:>16.3f}" + "".join(f"{s['p99']:>16.3f}" for _, s in cols[1:]))
    print(f"{'latency mean ms (1 core)':34}" + f"{statistics.mean(latencies) * 1e3:>16.3f}")
    print(f"{'CPU time/query p50 ms':34}" + f"{percentile(cpu_times, 50) * 1e3:>16.3f}")
    print(f"{'CPU time/query p99 ms':34}" + f"{percentile(cpu_times, 99) * 1e3:>16.3f}")
    print(f"{f'bulk rows/s ({args.workers} processes)':34}" + f"{throughput:>16.0f}")
    print(f"{'bulk CPU ms/row (in workers)':34}" + f"{bulk_cpu_per_row * 1e3:>16.3f}")
    print(f"{f'bulk rows/s if {args.workers} idle cores':34}" + f"{args.workers / bulk_cpu_per_row:>16.0f}")
    print()
    print("ours: latency = validation + candidate generation + scoring + explanation of one row, warm index;")
    print("      CPU time = the same, counting only this thread's CPU (robust to a busy machine);")
    print("      'if idle cores' = workers / CPU per row: the throughput without other load on the machine.")
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
