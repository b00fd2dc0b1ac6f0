"""OFAC SDN and consolidated (non-SDN) legacy CSV parsing, on the real shipped files."""

from __future__ import annotations

import pytest

from apps.screening.lists import ListParseError, parse_ofac_sdn, snapshot_files
from apps.screening.matching.types import Identifier, Name
from tests.screening.list_data import by_id, parsed


def names_of(entity, kind):
    return [n.value for n in entity.names if n.kind == kind]


def test_sdn_has_the_entries_and_types_counted_in_provenance():
    result = parsed("ofac_sdn")
    assert len(result.entities) == 14_965
    assert result.counts == {"person": 6_854, "organization": 6_884, "vessel": 851, "aircraft": 376}
    assert max(int(e.source_id) for e in result.entities) == 48907


def test_sdn_orphan_rows_are_reported_with_provenance_counts_and_skipped():
    result = parsed("ofac_sdn")
    assert result.orphan_counts() == {
        "alt.csv": {"rows": 1_468, "ids": 945},
        "add.csv": {"rows": 2_474, "ids": 2_111},
        "sdn_comments.csv": {"rows": 2, "ids": 2},
    }
    # 85 of the orphan alias rows have an ent_num within sdn.csv's range (delisted before it was taken).
    assert sum(1 for o in result.orphans if o.file == "alt.csv" and int(o.source_id) <= 48907) == 85
    listed = {e.source_id for e in result.entities}
    assert not listed & {o.source_id for o in result.orphans}
    assert any("1468 rows for 945 entries" in w for w in result.warnings)


def test_sdn_aliases_come_from_alt_csv_for_7246_entries():
    # PROVENANCE: 7,246 sdn.csv entries have at least one alt.csv alias.
    with_alias = [e for e in parsed("ofac_sdn").entities if any(n.kind in ("strong_alias", "former") for n in e.names)]
    assert len(with_alias) >= 7_246


def test_an_individual_keeps_the_printed_name_aliases_dobs_and_passport():
    nasrallah = by_id("ofac_sdn")["2686"]
    assert nasrallah.schema == "person"
    assert nasrallah.primary_name == "NASRALLAH, Hasan"
    assert names_of(nasrallah, "strong_alias") == ["NASRALLAH, Hasan Abd-al-Karim"]
    assert nasrallah.birth_dates == ["1960-08-31", "1953-08-31", "1955-08-31", "1958-08-31"]
    assert Identifier("passport", "042833", "LB") in nasrallah.identifiers
    assert nasrallah.programs == ["SDGT", "SYRIA"]


def test_quoted_akas_in_remarks_are_weak_aliases_and_alt_csv_akas_strong():
    marzook = by_id("ofac_sdn")["3754"]
    assert "MARZOUK, Musa Abu" in names_of(marzook, "strong_alias")
    assert names_of(marzook, "weak_alias") == ["ABU-'UMAR"]
    assert Identifier("ssn", "523-33-8386", "US") in marzook.identifiers
    assert marzook.birth_dates == ["1951-02-09"]


def test_nationality_and_citizenship_become_country_codes():
    soleimani = by_id("ofac_sdn")["10481"]
    assert soleimani.nationalities == ["IR"]
    assert soleimani.birth_dates == ["1957-03-11"]
    # "Diplomatic Passport 008827 (Iran) issued 1999": the number without the issue note.
    assert Identifier("passport", "008827", "IR") in soleimani.identifiers
    terlikov = by_id("ofac_sdn")["48884"]
    assert terlikov.nationalities == ["RU"]
    assert terlikov.birth_dates == ["1962-02-22"]


def test_partial_circa_and_range_dates_of_birth_keep_the_source_precision():
    entities = by_id("ofac_sdn")
    assert entities["7782"].birth_dates == ["1951"]  # "DOB circa 1951"
    assert entities["15496"].birth_dates == ["1929", "1930"]  # "DOB 1929 to 1930"
    assert "1961-04" in entities["12057"].birth_dates  # "DOB Apr 1961"


def test_a_vessel_has_its_imo_number_flag_and_former_names():
    ebano = by_id("ofac_sdn")["4243"]
    assert ebano.schema == "vessel"
    assert Identifier("imo", "7406784") in ebano.identifiers
    assert ebano.countries == ["PA"]
    assert names_of(ebano, "former") == ["ANA I", "SAND SWAN"]


def test_fka_rows_of_alt_csv_are_former_names():
    saderat = by_id("ofac_sdn")["4642"]
    assert "IRAN OVERSEAS INVESTMENT BANK PLC" in names_of(saderat, "former")


def test_remark_continuations_from_sdn_comments_are_joined():
    sberbank = by_id("ofac_sdn")["17018"]
    assert sberbank.remarks.endswith("a.k.a. 'SBERBANK INDIA'; a.k.a. 'SBERBANK MUMBAI'.")
    assert names_of(sberbank, "weak_alias") == ["SBERBANK INDIA", "SBERBANK MUMBAI"]
    assert Name("PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", "primary") in sberbank.names


def test_entity_type_placeholder_is_an_organization_with_address_countries():
    bnc = by_id("ofac_sdn")["306"]
    assert bnc.schema == "organization"
    assert bnc.primary_name == "BANCO NACIONAL DE CUBA"
    assert set(bnc.countries) >= {"CH", "ES", "JP"}


def test_consolidated_list_has_442_entries_and_no_orphans():
    result = parsed("ofac_cons")
    assert len(result.entities) == 442
    assert result.counts == {"person": 79, "organization": 363}
    assert result.orphans == []
    programs = [p for e in result.entities for p in e.programs]
    assert programs.count("UKRAINE-EO13662") == 286
    haniya = by_id("ofac_cons")["9639"]
    assert haniya.list == "ofac_cons"
    assert haniya.birth_dates == ["1962"]
    assert names_of(haniya, "strong_alias") == ["HANIYA, Ismail", "HANIYYA, Ismaeel"]


@pytest.fixture(scope="module")
def sdn_head() -> bytes:
    return b"\n".join(snapshot_files("ofac_sdn")["sdn.csv"].splitlines()[:50])


def test_a_truncated_sdn_file_is_refused_naming_the_file_and_line(sdn_head):
    cut = sdn_head[: sdn_head.rindex(b'"') - 5]  # ends inside a quoted field
    with pytest.raises(ListParseError) as err:
        parse_ofac_sdn(sdn=cut)
    message = str(err.value)
    assert message.startswith("<bytes>, line ")
    assert "download it again" in message


def test_a_row_with_missing_columns_is_refused_with_its_line_number(tmp_path, sdn_head):
    lines = sdn_head.splitlines()
    lines[9] = b'999999,"SHORT ROW","individual"'
    path = tmp_path / "sdn.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ListParseError) as err:
        parse_ofac_sdn(sdn=path)
    assert err.value.file == "sdn.csv"
    assert err.value.line == 10
    assert "expected 12 comma-separated fields, found 3" in str(err.value)


def test_a_file_with_a_header_row_is_not_taken_for_the_legacy_format():
    with pytest.raises(ListParseError) as err:
        parse_ofac_sdn(
            sdn=b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\n"
        )
    assert err.value.line == 1
    assert "numeric entry id" in str(err.value)


def test_an_empty_download_is_refused():
    with pytest.raises(ListParseError, match="the file is empty"):
        parse_ofac_sdn(sdn=b"\x1a")
