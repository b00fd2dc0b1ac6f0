"""screen_file and screen_pairs as an operator runs them: CSV in, one JSON line per row out."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.screening import index_provider
from tests.screening.screening_fixtures import small_index  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("small_index")

HEADER = "id,name,entity_type,date_of_birth,nationality,expected_list\n"


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, "--no-progress", stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_screen_file_writes_one_line_per_row_to_stdout(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + 'r1,"ABBAS, Yasir",person,1978-08-22,Syria,ofac_sdn\n'
        "r2,Maria Garcia Lopez,person,1990,ES,\n"
        "r3,hong kong intertrade co.,organization,,,ofac_sdn\n",
    )
    lines, _ = run("screen_file", str(path), "--workers", "1")
    assert [line["id"] for line in lines] == ["r1", "r2", "r3"]
    assert [line["decision"] for line in lines] == ["alert", "clear", "alert"]
    hit = lines[0]["hits"][0]
    assert (hit["list"], hit["list_entity_id"], hit["name"]) == ("ofac_sdn", "24904", "'ABBAS, Yasir")
    assert 0.8 <= hit["score"] <= 1.0
    assert hit["explanation"]["features"]["date_of_birth"]["result"] == "exact"
    assert lines[1]["hits"] == []


def test_a_bad_row_gets_an_error_line_naming_it_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "r1,,person,,,\n"
        "r2,Yasir ABBAS,martian,1978-13-01,Narnia,\n"
        "r3,Yasir ABBAS,person,,,\n"
        "r3,Yasir ABBAS,person,,,\n",
    )
    lines, err = run("screen_file", str(path), "--workers", "1")
    assert len(lines) == 4
    assert lines[0] == {
        "id": "r1",
        "error": {"line": 2, "message": "name: is required", "fields": {"name": "is required"}},
    }
    assert set(lines[1]["error"]["fields"]) == {"entity_type", "date_of_birth", "nationality"}
    assert lines[1]["error"]["line"] == 3
    assert lines[2]["decision"] == "alert"
    assert lines[3]["error"]["fields"] == {"id": "is a duplicate"}
    assert "row r1 (line 2): name: is required" in err
    assert "3 refused" in err


def test_screen_file_writes_to_output_and_nothing_to_stdout(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "r1,Alexander DENISOV,person,,,\n")
    target = tmp_path / "out.jsonl"
    lines, err = run("screen_file", str(path), "--output", str(target), "--workers", "1")
    assert lines == []
    written = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert written[0]["decision"] == "alert"
    assert written[0]["hits"][0]["list_entity_id"] == "15929"
    assert f"written to {target}" in err


def test_the_threshold_option_decides_what_alerts(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "r1,Alexandr DENISOFF,person,,,\n")
    loose, _ = run("screen_file", str(path), "--threshold", "0.5", "--workers", "1")
    strict, _ = run("screen_file", str(path), "--threshold", "0.99", "--workers", "1")
    assert loose[0]["decision"] == "alert"
    assert strict[0]["decision"] == "clear"
    with pytest.raises(CommandError, match="between 0 and 1"):
        run("screen_file", str(path), "--threshold", "7")


def test_two_workers_keep_the_input_order(tmp_path: Path) -> None:
    rows = "".join(f"r{i},{'Yasir ABBAS' if i % 3 == 0 else 'Jane Doe'},person,,,\n" for i in range(450))
    path = write(tmp_path, HEADER + rows)
    lines, _ = run("screen_file", str(path), "--workers", "2")
    assert [line["id"] for line in lines] == [f"r{i}" for i in range(450)]
    assert [line["decision"] == "alert" for line in lines] == [i % 3 == 0 for i in range(450)]


def test_a_file_without_the_required_columns_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "identifier,full_name\n1,Yasir ABBAS\n")
    with pytest.raises(CommandError, match="lacks column\\(s\\) id, name"):
        run("screen_file", str(path))
    with pytest.raises(CommandError, match="no such file"):
        run("screen_file", str(tmp_path / "missing.csv"))


def test_screen_pairs_scores_each_pair(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,schema,name1,name2,is_match\n"
        'p1,Person,"SMITH, John",John Smith,true\n'
        "p2,Company,ACME TRADING LLC,Acme Trading Limited Liability Company,true\n"
        "p3,Person,John Smith,Maria Garcia,false\n"
        "p4,Planet,Mars,Venus,false\n",
        "pairs.csv",
    )
    lines, err = run("screen_pairs", str(path))
    assert [line["id"] for line in lines] == ["p1", "p2", "p3", "p4"]
    assert lines[0]["match"] is True and lines[0]["score"] == 1.0
    assert lines[1]["match"] is True
    assert lines[2]["match"] is False and lines[2]["score"] < 0.5
    assert "schema" in lines[3]["error"]["fields"]
    assert "1 refused" in err


def test_screen_file_works_on_the_bundled_snapshot(tmp_path: Path, settings: object) -> None:
    """The one test that builds the full index: a fresh checkout, no AWS, the shipped lists."""
    index_provider.screening_index_reset()
    settings.CDD_SCREENING_INDEX_CACHE_DIR = ""  # type: ignore[attr-defined]
    path = write(
        tmp_path,
        HEADER + 'r1,"\'ABBAS, General Yasir",person,1978-08-22,Syria,\n'
        "r2,Patricia Lucas Wheeler,person,2002-07-14,Ethiopia,\n",
    )
    lines, err = run("screen_file", str(path), "--lists", "snapshot", "--workers", "1")
    assert "from snapshot lists" in err
    assert lines[0]["decision"] == "alert"
    assert ("ofac_sdn", "24904") in {(h["list"], h["list_entity_id"]) for h in lines[0]["hits"]}
    assert lines[1]["decision"] == "clear"


def test_screen_file_runs_on_a_fresh_checkout_with_no_configuration_and_writes_only_json(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    rows = tmp_path / "in.csv"
    rows.write_text("id,name,entity_type,date_of_birth,nationality\n"
                    "r1,HONG KONG INTERTRADE COMPANY,organization,,\n"
                    "r2,Patricia Lucas Wheeler,person,2002-07-14,Ethiopia\n"
                    "r3,,person,,\n", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CDD_LOCAL_DIR": str(tmp_path / "local")}
    result = subprocess.run([sys.executable, "manage.py", "screen_file", str(rows)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["r1", "r2", "r3"]
    assert lines[0]["decision"] == "alert"
    assert lines[0]["hits"][0]["list"] == "ofac_sdn"
    assert lines[1]["decision"] == "clear"
    assert "name" in json.dumps(lines[2]["error"])


def test_a_tampered_index_cache_is_not_loaded(tmp_path: Path, settings: Any) -> None:
    from apps.screening import index_provider

    settings.CDD_SCREENING_INDEX_CACHE_DIR = str(tmp_path)
    first = index_provider._snapshot_index()
    cache = next(tmp_path.glob("screening-index-*.pickle"))
    forged = bytearray(cache.read_bytes())
    forged[-10] ^= 0xFF  # a changed byte in the pickled payload
    cache.write_bytes(bytes(forged))
    rebuilt = index_provider._snapshot_index()
    assert rebuilt.index is not first.index
    assert cache.read_bytes() != bytes(forged)  # rebuilt and re-signed
