"""UN Security Council consolidated list XML parsing, on the real shipped file."""

from __future__ import annotations

from collections import Counter

import pytest

from apps.screening.lists import ListParseError, parse_un_sc, snapshot_files
from apps.screening.matching.types import Identifier, Name
from tests.screening.list_data import by_id, parsed


def test_it_reads_730_individuals_and_273_entities():
    result = parsed("un_sc")
    assert result.counts == {"person": 730, "organization": 273}
    assert result.warnings == []
    assert {e.source_id for e in result.entities} >= {"QDi.001", "CDi.001", "QDe.004"}


def test_regimes_become_programs_with_provenance_counts():
    programs = Counter(p for e in parsed("un_sc").entities for p in e.programs)
    assert programs["Al-Qaida"] == 341
    assert programs["DPRK"] == 155
    assert programs["Taliban"] == 140


def test_good_aliases_are_strong_low_aliases_weak_and_original_script_kept():
    zidane = by_id("un_sc")["QDi.001"]
    assert zidane.primary_name == "MOHAMMED SALAHALDIN ABD EL HALIM ZIDANE"
    assert Name("Sayf-Al Adl", "strong_alias") in zidane.names
    assert Name("Seif al Adel", "weak_alias") in zidane.names
    assert Name("محمد صلاح الدين عبدالحليم زيدان", "original_script") in zidane.names
    assert zidane.birth_dates == ["1963-04-11", "1960-04-11"]
    assert zidane.nationalities == ["EG"]
    assert zidane.listed_on == "2001-01-25"


def test_every_record_with_an_original_script_name_keeps_it_unless_it_is_the_latin_name():
    with_script = [e for e in parsed("un_sc").entities if any(n.kind == "original_script" for n in e.names)]
    # 378 records have NAME_ORIGINAL_SCRIPT; QDe.164's is its Latin primary name again.
    assert len(with_script) == 377
    assert by_id("un_sc")["QDe.164"].primary_name == "JAMAAH ANSHARUT DAULAH"


def test_entity_aliases_aka_are_strong_and_fka_former():
    adf = by_id("un_sc")["CDe.001"]
    assert Name("Allied Democratic Forces", "strong_alias") in adf.names
    assert Name("ADF/NALU", "former") in adf.names
    assert sum(1 for e in parsed("un_sc").entities for n in e.names if n.kind == "former") >= 18


def test_exact_approximate_and_between_dates_of_birth():
    un = by_id("un_sc")
    assert un["CDi.001"].birth_dates == ["1971"]  # EXACT, YEAR only
    assert un["KPi.066"].birth_dates == ["1967", "1968", "1969"]  # BETWEEN 1967 and 1969
    assert un["CDi.030"].birth_dates == ["1973", "1974"]
    assert "1961-08" in un["CFi.009"].birth_dates  # only a NOTE "August 1961"


def test_documents_become_identifiers_with_the_issuing_country():
    assert by_id("un_sc")["CDi.021"].identifiers == [Identifier("passport", "OB 0243318", "CD")]


def test_a_multi_name_entity_is_searchable_under_each_name():
    cagl = by_id("un_sc")["CDe.003"]
    assert cagl.primary_name == "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES BUSINESS COMPANY (GLBC)"
    assert Name("GREAT LAKES BUSINESS COMPANY (GLBC)", "strong_alias") in cagl.names


def test_a_truncated_xml_file_is_refused_naming_the_line():
    data = snapshot_files("un_sc")["consolidated.xml"]
    with pytest.raises(ListParseError) as err:
        parse_un_sc(("consolidated.xml", data[: len(data) // 2]))
    assert err.value.file == "consolidated.xml"
    assert (err.value.line or 0) > 1000
    assert "invalid XML" in str(err.value)
    assert "download it again" in str(err.value)


def test_an_xml_file_of_another_kind_is_refused():
    with pytest.raises(ListParseError, match="expected <CONSOLIDATED_LIST>"):
        parse_un_sc(b"<?xml version='1.0'?><sdnList></sdnList>")


def test_entity_expansion_attacks_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><CONSOLIDATED_LIST>&b;</CONSOLIDATED_LIST>'
    with pytest.raises(ListParseError, match="forbidden construct"):
        parse_un_sc(bomb)
