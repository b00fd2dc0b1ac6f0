"""Ownership through chains of entities: pure functions, no I/O, no Django.

The input is a graph: nodes (individuals and legal entities) and holdings (``owner`` holds
``percentage`` % of ``owned``). From one root entity the computation walks every path of
holders upwards, multiplies the percentages along each path and sums over paths, so a person
holding 50% of a company that holds 60% of the root, and 10% directly, holds 0.5 x 60 + 10 = 40%.

Circular ownership (A holds B holds A) is reported as a cycle and not followed a second time,
so the walk always ends. Individuals whose effective share reaches the threshold are the
computed beneficial owners; entities that reach it but whose own holders are unknown are
reported too, because their beneficial owners are still to be identified.

One person recorded more than once (the same normalised name and full date of birth, given as the
node's ``identity``) is one owner: the records are merged into the first node before the walk, so
20% held directly and 40% of a company that holds 60% add up to 44%, and the merge is reported.

The share of an entity not identified is 100 minus what individuals hold of it over all paths:
holdings recorded below 100%, and entities whose own holders are unknown, leave it unexplained.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALGORITHM_VERSION = "ownership-2"
MAX_DEPTH = 25
MAX_PATHS = 10_000
EPSILON = 1e-9
FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Words in a name or legal form that suggest someone holds for another (a trust, a nominee).
NOMINEE_OR_TRUST = re.compile(r"\b(trusts?|trustees?|nominees?|fiduciar(y|ies)|fiducie|fiduciaire|treuhand\w*)\b")
NOMINEE_OR_TRUST_ROLES = frozenset({"nominee", "trustee"})


@dataclass(frozen=True)
class OwnerNode:
    node_id: str
    kind: str  # individual | legal_entity
    name: str
    roles: tuple[str, ...] = ()  # declared roles (beneficial_owner, director, ...)
    identity: str | None = None  # person_identity() of an individual: equal identities are one person


@dataclass(frozen=True)
class Holding:
    owner: str
    owned: str
    percentage: float


@dataclass
class TreeNode:
    node_id: str
    percentage: float | None  # of its parent in the tree; None for the root
    effective_percentage: float  # of the root, along this path
    cycle: bool = False  # the node already appears above on this path; not followed
    children: list[TreeNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "percentage": self.percentage,
            "effective_percentage": round(self.effective_percentage, 4),
            "cycle": self.cycle,
            "children": [child.as_dict() for child in self.children],
        }


@dataclass
class OwnershipResult:
    root: str
    threshold: float
    effective: dict[str, float]  # node -> effective % of the root, summed over all paths
    paths: dict[str, list[tuple[tuple[str, ...], float]]]  # node -> [(path from root, effective % on it)]
    beneficial_owners: list[str]  # individuals at or above the threshold, largest first
    unresolved_entities: list[str]  # entities at or above the threshold with no known holders
    cycles: list[tuple[str, ...]]  # each cycle as a closed path: (a, b, ..., a)
    tree: TreeNode
    truncated: bool = False  # MAX_DEPTH or MAX_PATHS was reached
    algorithm: str = ALGORITHM_VERSION
    merged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kept node -> every node merged into it
    aliases: dict[str, str] = field(default_factory=dict)  # merged-away node -> the node kept for it
    edge_percentages: dict[tuple[str, str], float] = field(default_factory=dict)  # (owner, owned) -> %
    recorded_share: dict[str, float] = field(default_factory=dict)  # entity -> sum of its direct holdings
    unidentified: dict[str, float] = field(default_factory=dict)  # entity (and root) -> % not held by individuals
    unidentified_share: float = 0.0  # of the root
    layers: int = 0  # the longest chain of holdings from the root to a holder

    def canonical(self, node_id: str) -> str:
        """The node that stands for ``node_id`` after merging (itself unless it was merged away)."""
        return self.aliases.get(node_id, node_id)


def _canonical_cycle(cycle: tuple[str, ...]) -> tuple[str, ...]:
    """The same cycle found from different entry points compares equal: rotate to its smallest node."""
    ring = list(cycle[:-1])
    start = ring.index(min(ring))
    rotated = ring[start:] + ring[:start]
    return (*rotated, rotated[0])


def person_identity(*, name_norm: str, date_of_birth: str | None) -> str | None:
    """Who an individual is for merging: normalised name and full date of birth, or None if either is missing.

    A year or a month of birth is not enough: two people of one name born in one year are common.
    """
    if not name_norm or not date_of_birth or not FULL_DATE.match(date_of_birth):
        return None
    return f"{name_norm}|{date_of_birth}"


def nominee_or_trust_suggested(*, name: str, legal_form: str | None = None, roles: Iterable[str] = ()) -> bool:
    """Does a holder's role, name or legal form suggest it holds for someone else (trustee, nominee)?"""
    if NOMINEE_OR_TRUST_ROLES & set(roles):
        return True
    return bool(NOMINEE_OR_TRUST.search(f"{name} {legal_form or ''}".lower()))


def _merge_people(nodes: Mapping[str, OwnerNode]) -> dict[str, str]:
    """Individuals with one identity: every later node maps to the first one seen."""
    first: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for node in nodes.values():
        if node.kind != "individual" or not node.identity:
            continue
        kept = first.setdefault(node.identity, node.node_id)
        if kept != node.node_id:
            aliases[node.node_id] = kept
    return aliases


@dataclass
class _Walk:
    effective: dict[str, float]
    paths: dict[str, list[tuple[tuple[str, ...], float]]]
    cycles: dict[tuple[str, ...], None]
    tree: TreeNode
    truncated: bool
    layers: int


def _walk(root: str, holders: Mapping[str, list[Holding]]) -> _Walk:
    effective: dict[str, float] = defaultdict(float)
    paths: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    cycles: dict[tuple[str, ...], None] = {}
    state = {"paths": 0, "truncated": False, "layers": 0}

    def walk(node: TreeNode, path: tuple[str, ...], share: float) -> None:
        if len(path) > MAX_DEPTH:
            state["truncated"] = True
            return
        for holding in holders.get(node.node_id, []):
            owner_share = share * holding.percentage / 100.0
            if holding.owner in path:
                cycle = (*path[path.index(holding.owner):], holding.owner)
                cycles[_canonical_cycle(cycle)] = None
                node.children.append(TreeNode(holding.owner, holding.percentage, owner_share, cycle=True))
                continue
            if state["paths"] >= MAX_PATHS:
                state["truncated"] = True
                return
            state["paths"] += 1
            child = TreeNode(holding.owner, holding.percentage, owner_share)
            node.children.append(child)
            owner_path = (*path, holding.owner)
            state["layers"] = max(int(state["layers"]), len(owner_path) - 1)
            effective[holding.owner] += owner_share
            paths[holding.owner].append((owner_path, owner_share))
            walk(child, owner_path, owner_share)

    tree = TreeNode(root, None, 100.0)
    walk(tree, (root,), 100.0)
    return _Walk(dict(effective), dict(paths), cycles, tree, bool(state["truncated"]), int(state["layers"]))


def ownership_compute(
    *, root: str, nodes: Mapping[str, OwnerNode], holdings: Iterable[Holding], threshold: float
) -> OwnershipResult:
    """Effective ownership of ``root`` by every node above it, beneficial owners, cycles and what is unidentified."""
    aliases = _merge_people(nodes)
    edges: dict[tuple[str, str], float] = defaultdict(float)
    for holding in holdings:
        # Two records of one person holding one entity are one holding of their sum.
        edges[(aliases.get(holding.owner, holding.owner), aliases.get(holding.owned, holding.owned))] += (
            holding.percentage)
    holders: dict[str, list[Holding]] = defaultdict(list)
    for (owner, owned), percentage in edges.items():
        holders[owned].append(Holding(owner, owned, percentage))
    for owned in holders:
        holders[owned].sort(key=lambda h: (-h.percentage, h.owner))

    def kind(node_id: str) -> str:
        node = nodes.get(node_id)
        return node.kind if node else "legal_entity"

    found = _walk(root, holders)
    effective = found.effective

    def unidentified_of(walked: _Walk) -> float:
        held = sum(share for node_id, share in walked.effective.items() if kind(node_id) == "individual")
        return round(max(0.0, 100.0 - held), 4)

    # An individual customer is its own owner: nothing of it is unidentified.
    entities = [root, *(n for n in effective if kind(n) == "legal_entity")] if kind(root) == "legal_entity" else []
    unidentified = {entity: unidentified_of(found if entity == root else _walk(entity, holders))
                    for entity in entities}
    recorded = {entity: round(sum(h.percentage for h in holders.get(entity, [])), 4) for entity in entities}

    reached = [n for n, share in effective.items() if share + EPSILON >= threshold]
    beneficial = sorted((n for n in reached if kind(n) == "individual"), key=lambda n: (-effective[n], n))
    unresolved = sorted(
        (n for n in reached if kind(n) == "legal_entity" and not holders.get(n)), key=lambda n: (-effective[n], n)
    )
    merged: dict[str, list[str]] = defaultdict(list)
    for alias, kept in aliases.items():
        merged[kept].append(alias)
    return OwnershipResult(
        root=root,
        threshold=threshold,
        effective={n: round(share, 6) for n, share in effective.items()},
        paths=found.paths,
        beneficial_owners=beneficial,
        unresolved_entities=unresolved,
        cycles=list(found.cycles),
        tree=found.tree,
        truncated=found.truncated,
        merged={kept: (kept, *others) for kept, others in merged.items()},
        aliases=aliases,
        edge_percentages=dict(edges),
        recorded_share=recorded,
        unidentified=unidentified,
        unidentified_share=unidentified.get(root, 0.0),
        layers=found.layers,
    )
