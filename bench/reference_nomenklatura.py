"""Score screening candidates with OpenSanctions' nomenklatura (the reference matcher).

Runs in its own interpreter (.venv-bench, see bench/setup_reference_venv.sh) because
nomenklatura brings its own pins. bench/screening.py feeds it a JSONL work file: one line per
query with the query entity and the candidate list entities that OUR index generated
(nomenklatura has no candidate generation of its own; yente uses Elasticsearch for that).
It prints one JSONL line per query and algorithm with the scores above the threshold and
the time spent scoring.

    .venv-bench/bin/python bench/reference_nomenklatura.py WORK.jsonl --algorithms logic-v2,logic-v1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from typing import Any

from followthemoney import model
from nomenklatura.matching import get_algorithm
from nomenklatura.matching.types import ScoringConfig

_STATE: dict[str, Any] = {}


def _entity(data: dict[str, Any]) -> Any:
    proxy = model.make_entity(data["schema"])
    proxy.id = data["id"]
    for prop, values in data["props"].items():
        for value in values:
            proxy.add(prop, value, cleaned=False, quiet=True)
    return proxy


def _init(algorithms: list[str], threshold: float) -> None:
    _STATE["algorithms"] = [(name, get_algorithm(name)) for name in algorithms]
    _STATE["config"] = ScoringConfig.defaults()
    _STATE["threshold"] = threshold
    # warm the name/territory tables once per worker, outside the measured time
    q = _entity({"schema": "Person", "id": "w1", "props": {"name": ["John Smith"]}})
    c = _entity({"schema": "Person", "id": "w2", "props": {"name": ["SMITH, John"]}})
    for _, algo in _STATE["algorithms"]:
        algo.compare(q, c, _STATE["config"])


def _score(line: str) -> list[dict[str, Any]]:
    work = json.loads(line)
    query = _entity(work["query"])
    candidates = [(c, _entity(c)) for c in work["candidates"]]
    out = []
    for name, algo in _STATE["algorithms"]:
        started = time.perf_counter()
        hits = []
        for meta, proxy in candidates:
            try:
                score = algo.compare(query, proxy, _STATE["config"]).score
            except Exception:  # noqa: BLE001 - incompatible schemata etc. count as no match
                score = 0.0
            if score >= _STATE["threshold"]:
                hits.append({"list": meta["list"], "list_entity_id": meta["list_entity_id"], "score": score})
        elapsed = time.perf_counter() - started
        hits.sort(key=lambda h: -h["score"])
        out.append({"id": work["id"], "algorithm": name, "seconds": elapsed, "hits": hits})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", help="JSONL work file written by bench/screening.py")
    parser.add_argument("--algorithms", default="logic-v2,logic-v1")
    parser.add_argument("--threshold", type=float, default=0.7, help="alert threshold (yente's default: 0.7)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    with open(args.work, encoding="utf-8") as fh:
        lines = fh.readlines()
    with Pool(args.workers, initializer=_init, initargs=(algorithms, args.threshold)) as pool:
        for results in pool.imap(_score, lines, chunksize=16):
            for result in results:
                sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
