"""Time parsing of the bundled list snapshot (the list-ingestion share of the index-build budget).

    .venv/bin/python bench/lists.py [--repeat N]

Prints, per list, the time to decompress and to parse it (best of N, wall clock and CPU time of
this process: on a busy machine the CPU time is the steadier figure), the entity counts, then the
totals and the peak resident memory. The first list also pays for loading the country table.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.screening.lists.registry import LIST_SOURCES
from apps.screening.lists.snapshot import SNAPSHOT_LISTS, snapshot_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs per list; the best time is printed")
    args = parser.parse_args()
    totals = [0.0, 0.0, 0.0]
    entities = 0
    print(f"{'list':<10} {'unxz s':>7} {'parse s':>8} {'parse cpu s':>11} {'entities':>9}  by schema")
    for key in SNAPSHOT_LISTS:
        best = [float("inf")] * 3
        result = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            files = snapshot_files(key)
            t1, c1 = time.perf_counter(), time.process_time()
            result = LIST_SOURCES[key].parse(files)
            t2, c2 = time.perf_counter(), time.process_time()
            best = [min(best[0], t1 - t0), min(best[1], t2 - t1), min(best[2], c2 - c1)]
        assert result is not None
        totals = [a + b for a, b in zip(totals, best, strict=True)]
        entities += len(result.entities)
        print(f"{key:<10} {best[0]:>7.3f} {best[1]:>8.3f} {best[2]:>11.3f} {len(result.entities):>9}  {result.counts}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'total':<10} {totals[0]:>7.3f} {totals[1]:>8.3f} {totals[2]:>11.3f} {entities:>9}  peak RSS {peak_mb:.0f} MB"
    )
    print(f"decompress + parse, wall: {totals[0] + totals[1]:.2f} s")


if __name__ == "__main__":
    main()
