"""FollowTheMoney JSON lines (OpenSanctions format) under a configurable list key."""

from __future__ import annotations

import json

import pytest

from apps.screening.lists import (
    ListParseError,
    entities_dump_jsonl_gz,
    entities_load_jsonl_gz,
    ftm_source,
    parse_ftm,
)
from apps.screening.matching.types import Identifier, Name

ENTITIES = [
    {
        "id": "Q123-pep",
        "schema": "Person",
        "target": True,
        "first_seen": "2023-05-01T10:00:00",
        "properties": {
            "name": ["Viktor Ivanovich PETROV"],
            "alias": ["Viktor Petrov"],
            "weakAlias": ["The Bear"],
            "previousName": ["Viktor Ivanovich SIDOROV"],
            "birthDate": ["1961-07-04", "1962"],
            "nationality": ["ru"],
            "citizenship": ["Cyprus"],
            "passportNumber": ["7201234567"],
            "topics": ["role.pep"],
            "position": ["Deputy Minister"],
        },
    },
    {
        "id": "acme-co",
        "schema": "Company",
        "properties": {
            "name": ["ACME TRADING LLC"],
            "jurisdiction": ["ae"],
            "registrationNumber": ["12345"],
            "topics": ["sanction"],
            "program": ["EU-UKR"],
        },
    },
    {
        "id": "ship-1",
        "schema": "Vessel",
        "properties": {"name": ["OCEAN STAR"], "imoNumber": ["9123456"], "flag": ["pa"]},
    },
    {"id": "sanction-1", "schema": "Sanction", "properties": {"entity": ["acme-co"], "program": ["EU-UKR"]}},
    {"id": "relative-1", "schema": "Person", "target": False, "properties": {"name": ["Anna PETROVA"]}},
]


def _jsonl(entities) -> bytes:
    return "\n".join(json.dumps(e, ensure_ascii=False) for e in entities).encode("utf-8")


@pytest.fixture(scope="module")
def result():
    return parse_ftm(("entities.ftm.json", _jsonl(ENTITIES)), list_key="pep_demo")


def test_it_keeps_persons_companies_and_vessels_and_skips_the_rest(result):
    assert [e.key for e in result.entities] == ["pep_demo:Q123-pep", "pep_demo:acme-co", "pep_demo:ship-1"]
    assert result.counts == {"person": 1, "organization": 1, "vessel": 1}
    assert any("2 entities skipped" in w and "non-target x1" in w and "Sanction" in w for w in result.warnings)


def test_a_person_has_names_by_kind_dates_countries_and_passport(result):
    person = result.entities[0]
    assert person.names == [
        Name("Viktor Ivanovich PETROV", "primary"),
        Name("Viktor Petrov", "strong_alias"),
        Name("Viktor Ivanovich SIDOROV", "former"),
        Name("The Bear", "weak_alias"),
    ]
    assert person.birth_dates == ["1961-07-04", "1962"]
    assert person.nationalities == ["RU", "CY"]
    assert person.identifiers == [Identifier("passport", "7201234567")]
    assert person.programs == ["role.pep"]
    assert person.listed_on == "2023-05-01"


def test_companies_and_vessels_keep_jurisdiction_flag_and_identifiers(result):
    company, ship = result.entities[1], result.entities[2]
    assert company.schema == "organization"
    assert company.countries == ["AE"]
    assert company.identifiers == [Identifier("registration", "12345")]
    assert company.programs == ["EU-UKR", "sanction"]
    assert ship.identifiers == [Identifier("imo", "9123456")]
    assert ship.countries == ["PA"]


def test_normalised_entities_survive_a_jsonl_round_trip(result):
    assert entities_load_jsonl_gz(entities_dump_jsonl_gz(result.entities)) == result.entities


def test_a_configured_source_parses_its_file_under_its_key():
    source = ftm_source("os_peps", url="https://example.invalid/entities.ftm.json")
    parsed = source.parse({"entities.ftm.json": _jsonl(ENTITIES)})
    assert {e.list for e in parsed.entities} == {"os_peps"}
    assert source.urls() == {"entities.ftm.json": "https://example.invalid/entities.ftm.json"}


def test_a_broken_json_line_is_refused_with_its_line_number():
    data = _jsonl(ENTITIES[:2]) + b'\n{"id": "x", "schema": "Person", "prop'
    with pytest.raises(ListParseError) as err:
        parse_ftm(("entities.ftm.json", data), list_key="pep_demo")
    assert err.value.file == "entities.ftm.json"
    assert err.value.line == 3
    assert "not valid JSON" in str(err.value)


def test_a_line_without_schema_is_refused():
    with pytest.raises(ListParseError, match="'id' and a 'schema'"):
        parse_ftm(b'{"id": "x", "properties": {}}', list_key="pep_demo")


def test_a_file_with_no_screenable_entity_is_refused():
    with pytest.raises(ListParseError, match="no person, organization"):
        parse_ftm(_jsonl(ENTITIES[3:]), list_key="pep_demo")
