"""checkov finds nothing wrong in deploy/ and docker/, and every skip says why next to its resource.

checkov runs from its own virtualenv (.venv-checkov, created on first use by
deploy/scripts/checkov.sh from requirements/checkov.txt) with --skip-download: offline.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "scripts" / "checkov.sh"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(.*)")


def _reports(text: str) -> list[dict]:
    """checkov prints one JSON document per scanned directory; collect the reports of all."""
    decoder, i, reports = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return reports
        doc, i = decoder.raw_decode(text, i)
        reports.extend(doc if isinstance(doc, list) else [doc])


def _run_checkov() -> dict[str, dict[str, set[tuple[str, str, str]]]]:
    result = subprocess.run(
        [str(SCRIPT), "--output", "json"], capture_output=True, text=True, timeout=900, check=False, cwd=ROOT
    )
    assert result.stdout.strip(), f"checkov printed nothing: {result.stderr[-2000:]}"
    by_type: dict[str, dict[str, set[tuple[str, str, str]]]] = {}
    for report in _reports(result.stdout):
        kinds = by_type.setdefault(report["check_type"], {"passed": set(), "failed": set(), "skipped": set()})
        for kind in kinds:
            for check in report["results"][f"{kind}_checks"]:
                reason = (check.get("check_result") or {}).get("suppress_comment") or ""
                kinds[kind].add((check["check_id"], f"{check['file_path']}:{check['resource']}", reason))
    return by_type


def test_checkov_fails_nothing_in_terraform_and_the_dockerfile_and_every_skip_has_a_reason():
    # One test, one checkov run (about 20 s; the first run also creates .venv-checkov).
    results = _run_checkov()
    assert {"terraform", "dockerfile"} <= set(results)
    assert len(results["terraform"]["passed"]) > 300
    assert len(results["dockerfile"]["passed"]) > 10
    failed = {t: sorted(r["failed"]) for t, r in results.items() if r["failed"]}
    assert not failed, "checkov failed checks:\n" + "\n".join(f"{t}: {c}" for t, cs in failed.items() for c in cs)
    for check_type, found in results.items():
        for check_id, where, reason in found["skipped"]:
            assert len(reason.strip()) >= 20, f"{check_type} {check_id} at {where} is skipped without a reason"


def test_every_skip_comment_sits_in_the_code_with_its_reason():
    files = [*ROOT.joinpath("deploy").rglob("*.tf"), ROOT / "docker" / "Dockerfile"]
    seen = 0
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = SKIP_COMMENT.search(line)
            if not match:
                continue
            seen += 1
            check_id, rest = match.groups()
            assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check_id), f"{path}:{number} bad check id {check_id}"
            assert rest.startswith(":") and len(rest) > 20, f"{path}:{number} skips {check_id} without a reason"
    assert seen > 0
    config = (ROOT / ".checkov.yaml").read_text()
    assert "skip-check" not in config, "skip checks next to the resource, not globally in .checkov.yaml"
