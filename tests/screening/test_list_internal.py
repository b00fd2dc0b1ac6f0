"""The internal watch-list CSV (docs/lists.md)."""

from __future__ import annotations

import pytest

from apps.screening.lists import (
    ListParseError,
    entities_dump_jsonl_gz,
    entities_load_jsonl_gz,
    internal_source,
    parse_internal_csv,
)
from apps.screening.matching.types import Name

WATCHLIST = """id,name,entity_type,aliases,date_of_birth,nationality,country,notes
W-001,"DOE, John",person,Johnny Doe; J. Doe,1970-03;1971,Iran,GB,"Fraud case 2024-17"
W-002,Shell Holdings Ltd,organization,,,,"Cyprus; ae",Exited relationship
W-003,NORTHERN LIGHT,vessel,NORTH LIGHT,,,PA,
"""


def parse(text: str):
    return parse_internal_csv(("watchlist.csv", text.encode("utf-8")), list_key="bank_internal")


def test_it_reads_entities_with_aliases_dates_and_countries():
    result = parse(WATCHLIST)
    doe, shell, ship = result.entities
    assert doe.key == "bank_internal:W-001"
    assert doe.names == [
        Name("DOE, John", "primary"),
        Name("Johnny Doe", "strong_alias"),
        Name("J. Doe", "strong_alias"),
    ]
    assert doe.birth_dates == ["1970-03", "1971"]
    assert doe.nationalities == ["IR"]
    assert doe.countries == ["GB"]
    assert doe.remarks == "Fraud case 2024-17"
    assert shell.schema == "organization"
    assert shell.countries == ["CY", "AE"]
    assert ship.schema == "vessel"
    assert result.counts == {"person": 1, "organization": 1, "vessel": 1}


def test_watch_list_entities_survive_the_normalised_jsonl_round_trip():
    entities = parse(WATCHLIST).entities
    assert entities_load_jsonl_gz(entities_dump_jsonl_gz(entities)) == entities


def test_a_configured_internal_source_uses_its_own_key():
    result = internal_source("acme_bank_watch").parse({"watchlist.csv": WATCHLIST.encode()})
    assert {e.list for e in result.entities} == {"acme_bank_watch"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("W-9,Someone,alien,,,,,", "entity_type 'alien' is not one of person, organization, vessel, aircraft"),
        ("W-9,Someone,person,,31/02/ninety,,,", "date_of_birth '31/02/ninety' is not a date"),
        ("W-9,Someone,person,,,Atlantis,,", "nationality 'Atlantis' is not a country"),
        ("W-001,Someone,person,,,,,", "duplicate id 'W-001'"),
        (",Someone,person,,,,,", "'id' and 'name' are required"),
    ],
)
def test_a_bad_row_refuses_the_file_naming_line_and_problem(row, message):
    with pytest.raises(ListParseError) as err:
        parse(WATCHLIST + row + "\n")
    assert err.value.file == "watchlist.csv"
    assert err.value.line == 5
    assert message in str(err.value)


def test_a_header_without_required_columns_is_refused():
    with pytest.raises(ListParseError) as err:
        parse("identifier,full_name\nA,B\n")
    assert "lacks the column(s) id, name, entity_type" in str(err.value)
