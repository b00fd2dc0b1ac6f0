"""Ownership through chains: indirect shares multiply along paths and add up over paths."""

from __future__ import annotations

import pytest

from apps.customers.ownership import (
    Holding,
    OwnerNode,
    nominee_or_trust_suggested,
    ownership_compute,
    person_identity,
)


def person(node_id: str) -> OwnerNode:
    return OwnerNode(node_id, "individual", node_id.title())


def company(node_id: str) -> OwnerNode:
    return OwnerNode(node_id, "legal_entity", node_id.upper())


def nodes(*items: OwnerNode) -> dict[str, OwnerNode]:
    return {item.node_id: item for item in items}


def test_a_direct_holder_at_the_threshold_is_a_beneficial_owner_and_one_below_is_not() -> None:
    result = ownership_compute(
        root="root",
        nodes=nodes(company("root"), person("ann"), person("bob")),
        holdings=[Holding("ann", "root", 25.0), Holding("bob", "root", 24.99)],
        threshold=25.0,
    )
    assert result.effective == {"ann": 25.0, "bob": 24.99}
    assert result.beneficial_owners == ["ann"]


def test_indirect_ownership_multiplies_along_a_two_level_chain() -> None:
    # carol holds 60% of holdco, which holds 50% of root: 30% of root.
    result = ownership_compute(
        root="root",
        nodes=nodes(company("root"), company("holdco"), person("carol"), person("dan")),
        holdings=[Holding("holdco", "root", 50), Holding("carol", "holdco", 60), Holding("dan", "holdco", 40)],
        threshold=25.0,
    )
    assert result.effective["carol"] == pytest.approx(30.0)
    assert result.effective["dan"] == pytest.approx(20.0)
    assert result.beneficial_owners == ["carol"]
    assert result.paths["carol"] == [(("root", "holdco", "carol"), pytest.approx(30.0))]


def test_shares_over_several_paths_are_summed() -> None:
    # eve: 10% directly + 50% of a (which holds 20%) + 100% of b (which holds 10%) = 10 + 10 + 10 = 30%.
    result = ownership_compute(
        root="root",
        nodes=nodes(company("root"), company("a"), company("b"), person("eve")),
        holdings=[Holding("eve", "root", 10), Holding("a", "root", 20), Holding("b", "root", 10),
                  Holding("eve", "a", 50), Holding("eve", "b", 100)],
        threshold=25.0,
    )
    assert result.effective["eve"] == pytest.approx(30.0)
    assert len(result.paths["eve"]) == 3
    assert result.beneficial_owners == ["eve"]


def test_a_lower_threshold_flags_more_owners() -> None:
    holdings = [Holding("holdco", "root", 50), Holding("carol", "holdco", 60), Holding("dan", "holdco", 40)]
    graph = nodes(company("root"), company("holdco"), person("carol"), person("dan"))
    assert ownership_compute(root="root", nodes=graph, holdings=holdings, threshold=10.0).beneficial_owners == [
        "carol", "dan"]
    assert ownership_compute(root="root", nodes=graph, holdings=holdings, threshold=50.0).beneficial_owners == []


def test_a_cycle_is_reported_once_and_the_walk_ends() -> None:
    # root <- a (40%) <- b (50%) <- a (30%): a and b hold each other.
    result = ownership_compute(
        root="root",
        nodes=nodes(company("root"), company("a"), company("b"), person("fay")),
        holdings=[Holding("a", "root", 40), Holding("b", "a", 50), Holding("a", "b", 30), Holding("fay", "b", 70)],
        threshold=10.0,
    )
    assert result.cycles == [("a", "b", "a")]
    assert result.effective["fay"] == pytest.approx(0.4 * 0.5 * 0.7 * 100)
    assert result.beneficial_owners == ["fay"]
    a = result.tree.children[0]
    b = a.children[0]
    assert [child.node_id for child in b.children if child.cycle] == ["a"]


def test_a_cycle_back_to_the_root_is_detected() -> None:
    result = ownership_compute(
        root="root", nodes=nodes(company("root"), company("sub")),
        holdings=[Holding("sub", "root", 100), Holding("root", "sub", 100)], threshold=25.0,
    )
    assert result.cycles == [("root", "sub", "root")]
    assert result.unresolved_entities == []  # sub has holders (the root): nothing left unknown


def test_an_entity_above_the_threshold_without_known_holders_is_unresolved() -> None:
    result = ownership_compute(
        root="root", nodes=nodes(company("root"), company("shell"), person("gus")),
        holdings=[Holding("shell", "root", 80), Holding("gus", "root", 20)], threshold=25.0,
    )
    assert result.unresolved_entities == ["shell"]
    assert result.beneficial_owners == []


def test_a_root_without_holders_has_an_empty_result() -> None:
    result = ownership_compute(root="root", nodes=nodes(company("root")), holdings=[], threshold=25.0)
    assert result.effective == {}
    assert result.cycles == []
    assert result.tree.as_dict() == {"node_id": "root", "percentage": None, "effective_percentage": 100.0,
                                     "cycle": False, "children": []}


def test_records_of_one_person_are_merged_and_their_paths_summed() -> None:
    # ann (20% directly) and ann2 (40% of holdco, which holds 60%) are one person: 44%.
    same = "ann owner|1975-02-11"
    result = ownership_compute(
        root="root",
        nodes=nodes(company("root"), company("holdco"), OwnerNode("ann", "individual", "Ann", identity=same),
                    OwnerNode("ann2", "individual", "Ann", identity=same)),
        holdings=[Holding("ann", "root", 20), Holding("holdco", "root", 60), Holding("ann2", "holdco", 40)],
        threshold=25.0,
    )
    assert result.effective["ann"] == pytest.approx(44.0)
    assert "ann2" not in result.effective
    assert result.beneficial_owners == ["ann"]
    assert result.merged == {"ann": ("ann", "ann2")}
    assert result.canonical("ann2") == "ann"
    assert result.algorithm == "ownership-2"


def test_an_entity_whose_holders_add_up_to_60_percent_has_40_percent_unidentified() -> None:
    result = ownership_compute(
        root="root", nodes=nodes(company("root"), company("holdco"), person("ann"), person("bob")),
        holdings=[Holding("holdco", "root", 100), Holding("ann", "holdco", 35), Holding("bob", "holdco", 25)],
        threshold=25.0,
    )
    assert result.unidentified == {"root": 40.0, "holdco": 40.0}
    assert result.recorded_share == {"root": 100.0, "holdco": 60.0}
    assert result.unidentified_share == 40.0
    assert result.layers == 2


def test_a_cycle_counts_once_and_leaves_its_share_unidentified() -> None:
    result = ownership_compute(
        root="root", nodes=nodes(company("root"), company("a"), company("b"), person("fay")),
        holdings=[Holding("a", "root", 100), Holding("b", "a", 50), Holding("a", "b", 50), Holding("fay", "b", 50)],
        threshold=10.0,
    )
    assert result.cycles == [("a", "b", "a")]
    assert result.unidentified_share == pytest.approx(75.0)
    assert result.layers == 3


def test_only_a_full_date_of_birth_identifies_a_person() -> None:
    assert person_identity(name_norm="ann owner", date_of_birth="1975-02-11") == "ann owner|1975-02-11"
    assert person_identity(name_norm="ann owner", date_of_birth="1975") is None
    assert person_identity(name_norm="", date_of_birth="1975-02-11") is None


def test_names_roles_and_legal_forms_that_suggest_a_nominee_or_trust() -> None:
    assert nominee_or_trust_suggested(name="Smith Family Trust")
    assert nominee_or_trust_suggested(name="Acme Nominees Ltd")
    assert nominee_or_trust_suggested(name="Holdco", legal_form="Treuhandgesellschaft")
    assert nominee_or_trust_suggested(name="Jane Doe", roles=["trustee"])
    assert not nominee_or_trust_suggested(name="Trustworthy Widgets Ltd")
