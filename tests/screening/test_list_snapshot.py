"""The bundled snapshot, the source registry and country codes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from apps.screening.lists import (
    LIST_SOURCES,
    SNAPSHOT_LISTS,
    ListParseError,
    country_code,
    snapshot_entities,
    snapshot_files,
)
from apps.screening.lists.snapshot import SNAPSHOT_DIR
from tests.screening.list_data import parsed


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def provenance_blobs() -> dict[str, str]:
    """file name -> git blob id, from the snapshot's PROVENANCE.md tables."""
    text = (SNAPSHOT_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    blobs = dict(re.findall(r"\| `([\w.\-]+)` \|[^\n]*?`([0-9a-f]{40})`", text))
    un_section = text[text.index("`un_sc/UN_consolidated.xml`") :]
    blobs["UN_consolidated.xml"] = re.search(r"git blob `([0-9a-f]{40})`", un_section).group(1)
    return blobs


@pytest.mark.parametrize("list_key", SNAPSHOT_LISTS)
def test_snapshot_files_are_the_published_files_of_provenance(list_key):
    blobs = provenance_blobs()
    original = {"consolidated.xml": "UN_consolidated.xml"}
    for name, data in snapshot_files(list_key).items():
        if name == "ConList.csv":
            continue  # converted from the workbook here; PROVENANCE gives the recipe, not a blob
        assert git_blob_id(data) == blobs[original.get(name, name)], name


def test_the_snapshot_stays_small():
    size = sum(p.stat().st_size for p in Path(SNAPSHOT_DIR).rglob("*.xz"))
    assert size < 3_000_000


def test_snapshot_entities_loads_the_requested_lists():
    entities = snapshot_entities(["ofac_cons", "un_sc"])
    assert len(entities) == 442 + 1_003
    assert {e.list for e in entities} == {"ofac_cons", "un_sc"}


def test_all_shipped_lists_together_have_21098_entities():
    total = sum(len(parsed(key).entities) for key in SNAPSHOT_LISTS)
    assert total == 14_965 + 442 + 1_003 + 4_688
    keys = [e.key for key in SNAPSHOT_LISTS for e in parsed(key).entities]
    assert len(keys) == len(set(keys))


def test_every_official_source_has_the_urls_of_provenance():
    assert LIST_SOURCES["ofac_sdn"].urls()["sdn.csv"].endswith("/PublicationPreview/exports/SDN.CSV")
    assert LIST_SOURCES["ofac_cons"].urls()["cons_prim.csv"].endswith("/exports/CONS_PRIM.CSV")
    assert LIST_SOURCES["un_sc"].urls() == {
        "consolidated.xml": "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
    }
    assert LIST_SOURCES["uk_ofsi"].urls() == {
        "ConList.xlsx": "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.xlsx"
    }


def test_a_publication_missing_a_required_file_is_refused():
    files = snapshot_files("ofac_cons")
    del files["cons_alt.csv"]
    with pytest.raises(ListParseError) as err:
        LIST_SOURCES["ofac_cons"].parse(files)
    assert err.value.file == "cons_alt.csv"
    assert "needs this file and it is missing" in str(err.value)


def test_file_names_are_matched_case_insensitively_and_unknown_files_refused():
    files = {name.upper(): data for name, data in snapshot_files("ofac_cons").items()}
    assert len(LIST_SOURCES["ofac_cons"].parse(files).entities) == 442
    with pytest.raises(ListParseError, match="not a file of the ofac_cons list"):
        LIST_SOURCES["ofac_cons"].parse({**files, "notes.txt": b""})


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Iran", "IR"),
        ("Korea, North", "KP"),
        ("North Korea", "KP"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Burma", "MM"),
        ("Bahamas, The", "BS"),
        ("Türkiye", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("ir", "IR"),
        ("IRN", "IR"),
        ("Region: Crimea", "UA"),
        ("Palestinian", "PS"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_names_become_iso_alpha2_codes(value, code):
    assert country_code(value) == code


@pytest.mark.parametrize("list_key", SNAPSHOT_LISTS)
def test_snapshot_files_match_the_checksums_recorded_when_the_snapshot_was_built(list_key):
    from apps.screening.lists.snapshot import CHECKSUMS, SNAPSHOT_DIR

    recorded = dict(reversed(line.split("  ", 1)) for line in (SNAPSHOT_DIR / CHECKSUMS).read_text().splitlines())
    files = snapshot_files(list_key)
    assert files, f"the snapshot has no files for {list_key}"
    for name, data in files.items():
        assert hashlib.sha256(data).hexdigest() == recorded[f"{list_key}/{name}"], name


@pytest.mark.parametrize("list_key", SNAPSHOT_LISTS)
def test_snapshot_files_are_the_official_files_named_in_the_provenance(list_key):
    """Each file whose git blob PROVENANCE.md records is that very blob (UK's CSV is converted there)."""
    from apps.screening.lists.snapshot import SHARED_NAMES, SNAPSHOT_DIR

    provenance = (SNAPSHOT_DIR / "PROVENANCE.md").read_text()
    checked = 0
    for name, data in snapshot_files(list_key).items():
        shared_name = SHARED_NAMES.get((list_key, name), name)
        named = re.escape(shared_name)
        recorded = (re.search(rf"\| `{named}` \|[^\n]*?`([0-9a-f]{{40}})`", provenance)  # a table row
                    or re.search(rf"`(?:{list_key}/)?{named}`.{{0,400}}?git blob `([0-9a-f]{{40}})`", provenance,
                                 re.DOTALL))  # a section of its own
        if recorded is None:
            continue
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        assert blob == recorded.group(1), name
        checked += 1
    assert checked or list_key == "uk_ofsi", f"PROVENANCE.md names no git blob for {list_key}"
