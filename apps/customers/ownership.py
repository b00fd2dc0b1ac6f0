"""Ownership through chains of entities: pure functions, no I/O, no Django.

The input is a graph: nodes (individuals and legal entities) and holdings (``owner`` holds
``percentage`` % of ``owned``). From one root entity the computation walks every path of
holders upwards, multiplies the percentages along each path and sums over paths, so a person
holding 50% of a company that holds 60% of the root, and 10% directly, holds 0.5 x 60 + 10 = 40%.

Circular ownership (A holds B holds A) is reported as a cycle and not followed a second time,
so the walk always ends. Individuals whose effective share reaches the threshold are the
computed beneficial owners; entities that reach it but whose own holders are unknown are
reported too, because their beneficial owners are still to be identified.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALGORITHM_VERSION = "ownership-1"
MAX_DEPTH = 25
MAX_PATHS = 10_000
EPSILON = 1e-9


@dataclass(frozen=True)
class OwnerNode:
    node_id: str
    kind: str  # individual | legal_entity
    name: str
    roles: tuple[str, ...] = ()  # declared roles (beneficial_owner, director, ...)


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


def _canonical_cycle(cycle: tuple[str, ...]) -> tuple[str, ...]:
    """The same cycle found from different entry points compares equal: rotate to its smallest node."""
    ring = list(cycle[:-1])
    start = ring.index(min(ring))
    rotated = ring[start:] + ring[:start]
    return (*rotated, rotated[0])


def ownership_compute(
    *, root: str, nodes: Mapping[str, OwnerNode], holdings: Iterable[Holding], threshold: float
) -> OwnershipResult:
    """Effective ownership of ``root`` by every node above it, beneficial owners, and cycles."""
    holders: dict[str, list[Holding]] = defaultdict(list)
    for holding in holdings:
        holders[holding.owned].append(holding)
    for owned in holders:
        holders[owned].sort(key=lambda h: (-h.percentage, h.owner))

    effective: dict[str, float] = defaultdict(float)
    paths: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    cycles: dict[tuple[str, ...], None] = {}
    state = {"paths": 0, "truncated": False}

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
            effective[holding.owner] += owner_share
            paths[holding.owner].append((owner_path, owner_share))
            walk(child, owner_path, owner_share)

    tree = TreeNode(root, None, 100.0)
    walk(tree, (root,), 100.0)

    def kind(node_id: str) -> str:
        node = nodes.get(node_id)
        return node.kind if node else "legal_entity"

    reached = [n for n, share in effective.items() if share + EPSILON >= threshold]
    beneficial = sorted((n for n in reached if kind(n) == "individual"), key=lambda n: (-effective[n], n))
    unresolved = sorted(
        (n for n in reached if kind(n) == "legal_entity" and not holders.get(n)), key=lambda n: (-effective[n], n)
    )
    return OwnershipResult(
        root=root,
        threshold=threshold,
        effective={n: round(share, 6) for n, share in effective.items()},
        paths=dict(paths),
        beneficial_owners=beneficial,
        unresolved_entities=unresolved,
        cycles=list(cycles),
        tree=tree,
        truncated=bool(state["truncated"]),
    )
