"""The pinned lock installs on a machine that has only Python 3.13: every package from a wheel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"(?m)^([A-Za-z0-9_.\-\[\]]+)==(\S+)", text)}


@pytest.mark.parametrize("lock", ["base.txt", "dev.txt"])
def test_the_lock_has_no_source_only_icu_binding_and_bundles_icu_instead(lock: str) -> None:
    pinned = pins(lock)
    assert "pyicu" not in pinned, "pyicu is source-only on PyPI: it needs ICU headers to build"
    assert "icukit-pyicu" in pinned


@pytest.mark.parametrize("lock", ["base.txt", "dev.txt"])
def test_every_package_of_the_lock_resolves_to_a_wheel_for_python_3_13(lock: str, tmp_path: Path) -> None:
    target = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=60)
    command = [str(UV), "pip", "sync", "--dry-run", "--only-binary", ":all:", "--python", str(target / "bin" / "python"),
               str(ROOT / "requirements" / lock)]
    # Offline from uv's cache (filled by `make venv`); the package index only if the cache lacks something.
    result = subprocess.run([*command, "--offline"], capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = {m.group(1).lower() for m in re.finditer(r"(?m)^ \+ ([A-Za-z0-9_.\-]+)==", result.stderr + result.stdout)}
    assert planned == set(pins(lock)) - {"pip"}, sorted(set(pins(lock)) ^ planned)
