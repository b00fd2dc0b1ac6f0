"""The repository carries what it needs: nothing it documents, tests or benchmarks lives beside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|shared/data/|parents\[\d\]\.parent\s*/")
SKIP_DIRS = {".git", ".venv", ".venv-checkov", ".venv-bench", ".local", "node_modules", "staticfiles", "__pycache__"}


def repository_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and path.suffix in {".py", ".md", ".sh", ".txt", ".cfg", ".toml", ".yaml", ".yml"}:
            found.append(path)
    return found


def test_no_file_points_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in repository_files()
        if path != Path(__file__)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_benchmark_sets_and_their_contract_are_in_the_repository() -> None:
    eval_dir = ROOT / "bench" / "eval"
    for name in ("CONTRACT.md", "screening_dev_positives.csv", "screening_dev_negatives.csv",
                 "screening_dev_near_negatives.csv", "screening_dev_cross_script.csv"):
        assert (eval_dir / name).stat().st_size > 1000, name
    header = (eval_dir / "screening_dev_positives.csv").read_text().splitlines()[0]
    assert header.startswith("id,name,entity_type,date_of_birth,nationality")
