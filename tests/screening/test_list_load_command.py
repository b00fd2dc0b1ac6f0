"""``manage.py lists_load``: from the snapshot and from a folder with one sub-folder per list key."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from apps.screening.lists import snapshot_files
from apps.screening.models import ListHead


def test_it_loads_lists_from_the_snapshot_and_reports_them(aws, capsys):
    call_command("lists_load", "--from-snapshot", "--list", "ofac_cons", "--list", "un_sc")
    out = capsys.readouterr().out
    assert "ofac_cons: activated version" in out
    assert "442 entities" in out
    assert "un_sc: activated version" in out
    assert ListHead.get("un_sc").entity_count == 1_003
    call_command("lists_load", "--from-snapshot", "--list", "ofac_cons")
    assert "ofac_cons: unchanged: the files are those of active version" in capsys.readouterr().out


def test_it_loads_a_folder_with_dated_file_names(aws, tmp_path, capsys):
    folder = tmp_path / "un_sc"
    folder.mkdir()
    (folder / "UN_consolidated.xml").write_bytes(snapshot_files("un_sc")["consolidated.xml"])
    call_command("lists_load", "--dir", str(tmp_path), "--list", "un_sc")
    assert "un_sc: activated version" in capsys.readouterr().out


def test_a_refused_list_fails_the_command_and_says_why(aws, tmp_path, capsys):
    folder = tmp_path / "un_sc"
    folder.mkdir()
    (folder / "consolidated.xml").write_bytes(snapshot_files("un_sc")["consolidated.xml"][:5000])
    with pytest.raises(CommandError, match="1 of 1 lists were not loaded"):
        call_command("lists_load", "--dir", str(tmp_path), "--list", "un_sc")
    assert "un_sc: REFUSED version" in capsys.readouterr().err


def test_an_unknown_list_is_rejected_with_the_known_keys(aws):
    with pytest.raises(CommandError, match="unknown list 'eu_fsf'"):
        call_command("lists_load", "--from-snapshot", "--list", "eu_fsf")
