"""Version diffs and the collapse guard."""

from __future__ import annotations

import dataclasses

import pytest

from apps.screening.lists import ListCollapsed, entity_hash, list_diff, list_sanity_check
from apps.screening.matching.types import ListEntity, Name


def entity(source_id: str, name: str, **kw) -> ListEntity:
    return ListEntity(list="ofac_sdn", source_id=source_id, schema="person", names=[Name(name)], **kw)


def test_it_reports_added_removed_and_changed_keys():
    old = [entity("1", "ALPHA"), entity("2", "BRAVO"), entity("3", "CHARLIE", birth_dates=["1960"])]
    new = [entity("1", "ALPHA"), entity("3", "CHARLIE", birth_dates=["1961"]), entity("4", "DELTA")]
    diff = list_diff(old, new)
    assert diff.added == ["ofac_sdn:4"]
    assert diff.removed == ["ofac_sdn:2"]
    assert diff.changed == ["ofac_sdn:3"]
    assert diff.summary(sample=1) == {
        "added": 1,
        "removed": 1,
        "changed": 1,
        "added_sample": ["ofac_sdn:4"],
        "removed_sample": ["ofac_sdn:2"],
        "changed_sample": ["ofac_sdn:3"],
    }


def test_the_same_values_in_another_order_are_not_a_change():
    a = entity("1", "ALPHA", nationalities=["IR", "IQ"])
    a.names.append(Name("ALFA", "strong_alias"))
    b = dataclasses.replace(a, names=[Name("ALFA", "strong_alias"), Name("ALPHA")], nationalities=["IQ", "IR"])
    assert entity_hash(a) == entity_hash(b)
    assert list_diff([a], [b]).is_empty


def test_an_alias_changing_kind_is_a_change():
    a = entity("1", "ALPHA")
    b = dataclasses.replace(a, names=[Name("ALPHA"), Name("AL", "weak_alias")])
    c = dataclasses.replace(a, names=[Name("ALPHA"), Name("AL", "strong_alias")])
    assert list_diff([b], [c]).changed == ["ofac_sdn:1"]


def test_a_list_that_lost_more_than_half_its_entries_is_refused():
    with pytest.raises(ListCollapsed) as err:
        list_sanity_check(14_965, 7_000)
    assert "7000 entities, fewer than 50% of the 14965 in the active version" in str(err.value)
    assert "What to do" in str(err.value)


def test_a_normal_shrink_and_a_first_load_pass_the_check():
    list_sanity_check(14_965, 14_900)
    list_sanity_check(None, 10)
    list_sanity_check(100, 50)


def test_an_empty_list_is_always_refused():
    with pytest.raises(ListCollapsed, match="no entities"):
        list_sanity_check(None, 0)
