"""UK OFSI consolidated list parsing (CSV export and XLSX workbook), on the real shipped file."""

from __future__ import annotations

import csv
import io
from collections import Counter

import openpyxl
import pytest

from apps.screening.lists import ListParseError, parse_uk_ofsi, snapshot_files
from apps.screening.matching.types import Identifier, Name
from tests.screening.list_data import by_id, parsed


def test_it_groups_18798_name_rows_into_4688_targets():
    result = parsed("uk_ofsi")
    assert len(result.entities) == 4_688
    assert result.counts == {"person": 3_663, "organization": 1_010, "vessel": 15}
    assert any("Last Updated 2025-04-14 (18798 name rows)" in w for w in result.warnings)


def test_names_are_name1_to_5_then_name6_and_variations_are_strong_aliases():
    haq = by_id("uk_ofsi")["15672"]
    assert haq.schema == "person"
    assert haq.primary_name == "Mian Abdul HAQ"
    assert Name("Mian MITHOO", "strong_alias") in haq.names  # "Primary name variation"
    assert haq.nationalities == ["PK"]
    assert haq.listed_on == "2022-12-09"
    assert haq.programs == ["Global Human Rights"]


def test_low_quality_akas_are_weak_and_fkas_former():
    kony = by_id("uk_ofsi")["13378"]
    assert kony.primary_name == "ALI KONY"
    assert Name("Ali Mohammed KONY", "strong_alias") in kony.names  # AKA, Good quality
    assert Name("ONE-P", "weak_alias") in kony.names  # AKA, Low quality
    assert Name("ADF/NALU", "former") in by_id("uk_ofsi")["13189"].names
    kinds = Counter(n.kind for e in parsed("uk_ofsi").entities for n in e.names)
    assert kinds["primary"] == 4_688


def test_non_latin_names_are_original_script():
    irgc_qf = by_id("uk_ofsi")["11241"]
    assert Name("سپاه قدس", "original_script") in irgc_qf.names
    assert irgc_qf.primary_name == "ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC) QODS FORCE"
    # A second "Primary name" row of the same group becomes a strong alias.
    assert Name("ISLAMIC REVOLUTIONARY GUARDS CORPS - QODS FORCE", "strong_alias") in irgc_qf.names
    groups = sum(1 for e in parsed("uk_ofsi").entities if any(n.kind == "original_script" for n in e.names))
    assert groups >= 2_700  # PROVENANCE: 2,795 groups have a non-Latin name (some equal a Latin one)


def test_a_group_without_primary_row_takes_its_first_variation():
    assert by_id("uk_ofsi")["16789"].primary_name == "PREMERA (H.K.) INTERNATIONAL CO, LIMITED"


def test_ships_have_imo_number_and_flags():
    ship = by_id("uk_ofsi")["13651"]
    assert ship.schema == "vessel"
    assert ship.primary_name == "SAM JONG 2"
    assert Identifier("imo", "7408873") in ship.identifiers
    assert ship.countries == ["KP", "RU"]
    assert Name("RAINBOW CHASER", "strong_alias") in ship.names


def test_partial_dates_like_00_00_1961_keep_the_year():
    assert by_id("uk_ofsi")["6923"].birth_dates == ["1961"]  # "00/00/1961"
    dates = [d for e in parsed("uk_ofsi").entities for d in e.birth_dates]
    assert all(len(d) in (4, 7, 10) for d in dates)
    assert not any(d.startswith("0000") or "-00" in d for d in dates)


@pytest.fixture(scope="module")
def uk_rows() -> list[list[str]]:
    text = snapshot_files("uk_ofsi")["ConList.csv"].decode("utf-8")
    return list(csv.reader(io.StringIO(text)))[:80]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_the_xlsx_workbook_gives_the_same_entities_as_the_csv(uk_rows):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    for row in uk_rows:
        sheet.append([int(v) if v.isdigit() and i == len(row) - 1 else (v or None) for i, v in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    from_xlsx = parse_uk_ofsi(("ConList.xlsx", buffer.getvalue()))
    from_csv = parse_uk_ofsi(("ConList.csv", _csv_bytes(uk_rows)))
    assert len(from_csv.entities) > 10
    assert from_xlsx.entities == from_csv.entities


def test_a_file_without_the_group_id_column_is_refused_naming_the_column(uk_rows):
    header = uk_rows[1]
    keep = [i for i, name in enumerate(header) if name != "Group ID"]
    rows = [[row[i] for i in keep] for row in uk_rows]
    with pytest.raises(ListParseError) as err:
        parse_uk_ofsi(("ConList.csv", _csv_bytes(rows)))
    assert err.value.line == 2
    assert "lacks the column(s) Group ID" in str(err.value)


def test_a_truncated_csv_row_is_refused_with_its_line(uk_rows):
    rows = [*uk_rows[:30], uk_rows[30][:5]]
    data = _csv_bytes(rows)
    with pytest.raises(ListParseError) as err:
        parse_uk_ofsi(("ConList.csv", data))
    assert err.value.line == data.count(b"\n")  # the last line, as an editor numbers it
    assert "5 columns, the header has 36" in str(err.value)


def test_a_broken_workbook_is_refused():
    with pytest.raises(ListParseError, match="not a readable Excel workbook"):
        parse_uk_ofsi(("ConList.xlsx", b"PK\x03\x04" + b"\x00" * 100))
