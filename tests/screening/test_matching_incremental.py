"""The matcher's index takes additions and removals one entity at a time (the customer-side index of the book)."""

from __future__ import annotations

from apps.screening.matching import ListEntity, MatchIndex, Name, Query


def person(key: str, *names: str, dob: str | None = None) -> ListEntity:
    return ListEntity(list="book", source_id=key, schema="person", names=[Name(n, "primary") for n in names],
                      birth_dates=[dob] if dob else [])


def found(index: MatchIndex, name: str) -> list[str]:
    return [hit.entity.source_id for hit in index.search(Query(name=name, entity_type="person"), threshold=0.8)]


def test_an_added_subject_is_found_like_a_built_one_and_a_removed_one_is_not() -> None:
    built = MatchIndex.build([person("c1", "Harriet Quennell"), person("c2", "Jonas Weber")])
    built.add(person("c3", "Parvin Ahmadi Tehrani", dob="1980-04-02"))
    assert found(built, "Parvin Ahmadi Tehrani") == ["c3"]
    assert found(built, "Parvin Ahmady Tehrani") == ["c3"]  # a typo reaches a token added after the build
    assert found(built, "Jonas Weber") == ["c2"]
    assert built.remove("book:c2") == 1 and found(built, "Jonas Weber") == []
    assert len(built) == 2
    # A changed subject: its old state removed, its new one added under the same key.
    built.remove("book:c3")
    built.add(person("c3", "Parvin Karimi", dob="1980-04-02"))
    assert found(built, "Parvin Ahmadi Tehrani") == [] and found(built, "Parvin Karimi") == ["c3"]


def test_an_index_grown_one_by_one_finds_what_a_fresh_build_finds() -> None:
    people = [person(f"c{i}", name) for i, name in enumerate(
        ["Maria Garcia Lopez", "Mohammed Al Rashid", "Anna Schmidt", "Li Wei", "Olga Petrova", "John Smith"])]
    fresh = MatchIndex.build(people)
    grown = MatchIndex.build(people[:1])
    for p in people[1:]:
        grown.add(p)
    for query in ("Muhammad Al-Rashid", "Olga Petrowa", "Maria Garcia", "Smith John"):
        assert found(grown, query) == found(fresh, query), query
