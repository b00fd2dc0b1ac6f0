"""The ownership picture of a customer as a layered drawing: pure layout, no I/O, no Django.

Input: an :class:`~apps.customers.ownership.OwnershipResult` and the names of its nodes. Output:
boxes and curves in SVG coordinates that ``templates/customers/_ownership_graph.html`` draws
(server-side, so no script is needed and the CSP stays as it is).

The layout is a small Sugiyama drawing: the customer on layer 0 at the top; every holder on the
layer of its longest chain of holdings from the customer (so each holding points upwards to what
is held); holdings that skip layers pass through invisible waypoints on the layers between; the
order within a layer is improved by a few barycentre sweeps, which removes most crossings of the
small graphs a customer has (at most ``MAX_OWNERSHIP_CUSTOMERS`` entities). Holdings the walk
found circular and did not follow are drawn apart, as dashed arcs on the right.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from apps.customers.ownership import OwnerNode, OwnershipResult, TreeNode

NODE_HEIGHT = 62
LAYER_GAP = 78
NODE_GAP = 28
WAYPOINT_WIDTH = 16
MARGIN = 24
CYCLE_BULGE = 70
CHAR_WIDTH = 7.0  # of the 13px system font, on average: boxes are sized from it
MIN_WIDTH, MAX_WIDTH = 176, 250
LINE_CHARS = 32  # a longer name wraps onto a second line
SWEEPS = 4


@dataclass
class GraphNode:
    node_id: str
    name: str
    kind: str  # individual | legal_entity
    layer: int
    is_root: bool
    effective: float  # % of the customer, summed over every path (100 for the customer)
    beneficial_owner: bool  # computed: an individual at or above the threshold
    declared_beneficial_owner: bool
    unresolved: bool  # an entity at or above the threshold whose own holders are unknown
    in_cycle: bool
    merged: bool  # one person recorded more than once, drawn once
    lines: list[str]
    width: float
    x: float = 0.0  # left
    y: float = 0.0  # top
    virtual: bool = False  # a waypoint of a holding that skips layers
    link_customer_id: str | None = None  # a holder that is a customer too: its page (set by the page)

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + NODE_HEIGHT

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def text_rows(self) -> list[tuple[float, str]]:
        """Where each line of the name goes (baselines), one or two lines above the share line."""
        first = self.y + (22 if len(self.lines) == 1 else 16)
        return [(round(first + 15 * i, 1), line) for i, line in enumerate(self.lines)]

    @property
    def share_y(self) -> float:
        return round(self.y + 51, 1)


@dataclass
class GraphEdge:
    owner: str
    owned: str
    owner_name: str
    owned_name: str
    percentage: float  # direct share: owner holds this % of owned
    cycle: bool  # the holding closes a circle of ownership: drawn dashed, not followed by the computation
    path: str = ""  # SVG path data
    label_x: float = 0.0
    label_y: float = 0.0

    @property
    def label_box(self) -> tuple[float, float]:
        """Top left of the white box behind the share label."""
        return round(self.label_x - 22, 1), round(self.label_y - 11, 1)

    @property
    def label_baseline(self) -> float:
        return round(self.label_y + 4, 1)


@dataclass
class OwnershipGraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: float
    height: float
    layers: int
    cycles: list[list[str]] = field(default_factory=list)  # each as names, closed: [a, b, a]

    @property
    def has_cycle(self) -> bool:
        return any(edge.cycle for edge in self.edges)

    @property
    def has_beneficial_owner(self) -> bool:
        return any(node.beneficial_owner for node in self.nodes)


def _wrap(name: str) -> list[str]:
    if len(name) <= LINE_CHARS:
        return [name]
    cut = name.rfind(" ", 0, LINE_CHARS)
    cut = cut if cut > 0 else LINE_CHARS
    rest = name[cut:].strip()
    return [name[:cut].strip(), rest if len(rest) <= LINE_CHARS else rest[: LINE_CHARS - 1] + "…"]


def _tree_edges(tree: TreeNode) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(owner, owned) holdings the walk followed, and those it stopped at because they close a cycle."""
    followed: set[tuple[str, str]] = set()
    circular: set[tuple[str, str]] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in node.children:
            (circular if child.cycle else followed).add((child.node_id, node.node_id))
            stack.append(child)
    return followed, circular


def _label(node: GraphNode) -> float:
    return max(MIN_WIDTH, min(MAX_WIDTH, CHAR_WIDTH * max(len(line) for line in node.lines) + 28))


def ownership_graph(*, result: OwnershipResult, nodes: Mapping[str, OwnerNode],
                    declared_beneficial_owners: list[str] | None = None) -> OwnershipGraph:
    """Lay out who holds whom above the customer, with direct shares on the holdings and effective shares on the holders."""
    root = result.root
    declared = set(declared_beneficial_owners or [])
    members = [root, *sorted(result.effective, key=lambda n: (-result.effective[n], n))]
    member_set = set(members)
    followed, circular = _tree_edges(result.tree)
    in_cycle = {node for cycle in result.cycles for node in cycle}

    layer: dict[str, int] = {root: 0}
    for node_id in members[1:]:
        layer[node_id] = max((len(path) - 1 for path, _ in result.paths.get(node_id, [])), default=1)

    def name_of(node_id: str) -> str:
        node = nodes.get(node_id)
        return node.name if node else node_id

    graph_nodes: dict[str, GraphNode] = {}
    for node_id in members:
        node = nodes.get(node_id)
        gn = GraphNode(
            node_id=node_id, name=name_of(node_id), kind=node.kind if node else "legal_entity", layer=layer[node_id],
            is_root=node_id == root, effective=100.0 if node_id == root else float(result.effective[node_id]),
            beneficial_owner=node_id in result.beneficial_owners, declared_beneficial_owner=node_id in declared,
            unresolved=node_id in result.unresolved_entities, in_cycle=node_id in in_cycle,
            merged=node_id in result.merged, lines=_wrap(name_of(node_id)), width=0.0,
        )
        gn.width = _label(gn)
        graph_nodes[node_id] = gn

    edges: list[GraphEdge] = []
    for (owner, owned), percentage in sorted(result.edge_percentages.items(),
                                             key=lambda item: (-item[1], item[0])):
        if owner not in member_set or owned not in member_set or owner == owned:
            continue
        is_cycle = (owner, owned) in circular and (owner, owned) not in followed
        edges.append(GraphEdge(owner=owner, owned=owned, owner_name=name_of(owner), owned_name=name_of(owned),
                               percentage=round(float(percentage), 4), cycle=is_cycle))

    # Holdings that point upwards are routed through the layers; the others (a circle back down) go round.
    chains: dict[int, list[str]] = {}  # edge index -> waypoints from the owned side to the owner side
    for index, edge in enumerate(edges):
        if layer[edge.owner] <= layer[edge.owned]:
            continue
        stops: list[str] = []
        for step in range(layer[edge.owned] + 1, layer[edge.owner]):
            virtual_id = f"_v{index}_{step}"
            graph_nodes[virtual_id] = GraphNode(
                node_id=virtual_id, name="", kind="", layer=step, is_root=False, effective=0.0,
                beneficial_owner=False, declared_beneficial_owner=False, unresolved=False, in_cycle=False,
                merged=False, lines=[], width=WAYPOINT_WIDTH, virtual=True)
            stops.append(virtual_id)
        chains[index] = stops

    # Neighbours between adjacent layers (upper = nearer the customer), for the ordering sweeps.
    above: dict[str, list[str]] = defaultdict(list)
    below: dict[str, list[str]] = defaultdict(list)
    for index, waypoints in chains.items():
        chain = [edges[index].owned, *waypoints, edges[index].owner]
        for upper, lower in pairwise(chain):
            above[lower].append(upper)
            below[upper].append(lower)

    depth = max(gn.layer for gn in graph_nodes.values())
    rows: list[list[str]] = [[] for _ in range(depth + 1)]
    for node_id, placed in graph_nodes.items():  # members first, largest share first: a stable first order
        rows[placed.layer].append(node_id)

    def reorder(row: list[str], neighbours: dict[str, list[str]], reference: list[str]) -> list[str]:
        position = {n: i for i, n in enumerate(reference)}

        def centre(node_id: str) -> float:
            linked = [position[n] for n in neighbours.get(node_id, []) if n in position]
            return sum(linked) / len(linked) if linked else float(row.index(node_id))

        return sorted(row, key=centre)

    for _ in range(SWEEPS):
        for k in range(1, depth + 1):
            rows[k] = reorder(rows[k], above, rows[k - 1])
        for k in range(depth - 1, 0, -1):
            rows[k] = reorder(rows[k], below, rows[k + 1])

    # Coordinates: each node over the middle of what it holds, pushed right past its left neighbour.
    for k, row in enumerate(rows):
        y = MARGIN + k * (NODE_HEIGHT + LAYER_GAP)
        right_edge: float = MARGIN - NODE_GAP
        for node_id in row:
            gn = graph_nodes[node_id]
            gn.y = y
            held = [graph_nodes[n].cx for n in above.get(node_id, [])]
            wanted = (sum(held) / len(held) - gn.width / 2) if held and k else right_edge + NODE_GAP
            gn.x = max(wanted, right_edge + NODE_GAP)
            right_edge = gn.right
    width = max((gn.right for gn in graph_nodes.values()), default=MIN_WIDTH) + MARGIN
    if depth:  # the customer over the middle of its direct holders
        first = [graph_nodes[n] for n in rows[1]]
        middle = (min(n.x for n in first) + max(n.right for n in first)) / 2
        graph_nodes[root].x = max(MARGIN, middle - graph_nodes[root].width / 2)
        width = max(width, graph_nodes[root].right + MARGIN)
    width += CYCLE_BULGE if len(chains) < len(edges) else 0
    height = MARGIN * 2 + (depth + 1) * NODE_HEIGHT + depth * LAYER_GAP

    # Where each holding meets a box: spread along its bottom (incoming) and top (outgoing) edges.
    incoming: dict[str, list[tuple[float, int]]] = defaultdict(list)
    outgoing: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for index, waypoints in chains.items():
        edge = edges[index]
        first_up = graph_nodes[waypoints[0] if waypoints else edge.owner].cx
        last_down = graph_nodes[waypoints[-1] if waypoints else edge.owned].cx
        incoming[edge.owned].append((first_up, index))
        outgoing[edge.owner].append((last_down, index))

    def spread(node_id: str, entries: list[tuple[float, int]]) -> dict[int, float]:
        gn = graph_nodes[node_id]
        ordered = sorted(entries)
        return {index: gn.x + gn.width * (i + 1) / (len(ordered) + 1) for i, (_, index) in enumerate(ordered)}

    ends_in = {i: x for n, entries in incoming.items() for i, x in spread(n, entries).items()}
    ends_out = {i: x for n, entries in outgoing.items() for i, x in spread(n, entries).items()}

    for index, edge in enumerate(edges):
        holder, held_box = graph_nodes[edge.owner], graph_nodes[edge.owned]
        if index in chains:
            points: list[tuple[float, float]] = [(ends_out[index], holder.y)]
            points += [(graph_nodes[v].cx, graph_nodes[v].y + NODE_HEIGHT / 2) for v in reversed(chains[index])]
            points.append((ends_in[index], held_box.bottom + 2))
            d = [f"M {points[0][0]:.1f} {points[0][1]:.1f}"]
            for (x0, y0), (x1, y1) in pairwise(points):
                middle = (y0 + y1) / 2
                d.append(f"C {x0:.1f} {middle:.1f} {x1:.1f} {middle:.1f} {x1:.1f} {y1:.1f}")
            edge.path = " ".join(d)
            (x0, y0), (x1, y1) = points[0], points[1]
            edge.label_x, edge.label_y = (x0 + x1) / 2, (y0 + y1) / 2
        else:  # round the right-hand side, from the holder's side to the side of what it holds
            start_x, start_y = holder.right, holder.y + NODE_HEIGHT * 0.7
            end_x, end_y = held_box.right + 2, held_box.y + NODE_HEIGHT * 0.3
            bulge = max(start_x, end_x) + CYCLE_BULGE
            edge.path = (f"M {start_x:.1f} {start_y:.1f} C {bulge:.1f} {start_y:.1f} {bulge:.1f} {end_y:.1f} "
                         f"{end_x:.1f} {end_y:.1f}")
            edge.label_x, edge.label_y = bulge - CYCLE_BULGE * 0.25, (start_y + end_y) / 2

    cycles = []
    for cycle in result.cycles:  # read from the customer where it is on the circle
        ring = list(cycle[:-1])
        start = ring.index(root) if root in ring else 0
        ring = ring[start:] + ring[:start]
        cycles.append([name_of(node) for node in [*ring, ring[0]]])
    drawn = [gn for gn in graph_nodes.values() if not gn.virtual]
    return OwnershipGraph(nodes=drawn, edges=edges, width=round(width, 1), height=round(height, 1),
                          layers=depth, cycles=cycles)
