"""Server-side layouts sent to Cytoscape as `preset` positions (pure functions).

* ``layered_layout``: left-to-right layers for paths and tours. Nodes are ordered by first appearance;
  every edge is oriented forwards in that order (so the layering is acyclic), a node's layer is one
  past its furthest predecessor, and layers wrap onto a new row after ``per_row`` columns so a long
  tour stays readable.
* ``force_layout``: a spring (Fruchterman–Reingold) layout for neighbourhoods, grown in stages: each
  expansion places only the new neighbours and keeps earlier nodes fixed, so clicking a node never
  reshuffles what the reader was looking at.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Position = tuple[float, float]

LAYER_DX = 200.0
LAYER_DY = 110.0
ROW_GAP = 70.0
FORCE_SCALE = 120.0


def layered_layout(order: Sequence[str], edges: Iterable[tuple[str, str]], first: Sequence[str] = (),
                   per_row: int = 7, dx: float = LAYER_DX, dy: float = LAYER_DY) -> dict[str, Position]:
    """Left-to-right layered positions.

    Nodes in ``first`` (a highlighted path) sit on the top row in consecutive layers, so the path reads
    as a straight line; every other node goes one layer past its furthest predecessor, below them.
    """
    first_seen = list(dict.fromkeys(order))
    pairs = [(u, v) for u, v in edges if u != v and u in first_seen and v in first_seen]
    index = {node: i for i, node in enumerate(_topological(first_seen, pairs))}
    preds: dict[str, set[str]] = {node: set() for node in index}
    for u, v in pairs:
        a, b = (u, v) if index[u] < index[v] else (v, u)
        preds[b].add(a)
    priority = {node: i for i, node in enumerate(dict.fromkeys(first)) if node in index}
    layer: dict[str, int] = {}
    for node in index:  # index order is a topological order of the oriented edges
        if node in priority:
            layer[node] = priority[node]
        else:
            layer[node] = max((layer[p] + 1 for p in preds[node] if p in layer), default=0)
    by_layer: dict[int, list[str]] = {}
    for node in index:
        by_layer.setdefault(layer[node], []).append(node)
    rank: dict[str, int] = {}
    for lay in sorted(by_layer):
        members = by_layer[lay]

        def key(node: str) -> tuple[int, float, int]:
            ranks = [rank[p] for p in preds[node] if p in rank]
            barycentre = sum(ranks) / len(ranks) if ranks else 0.0
            return (0 if node in priority else 1, barycentre, index[node])

        members.sort(key=key)
        # Keep the top row for the highlighted path: other nodes start one row down.
        offset = 1 if priority and not any(m in priority for m in members) else 0
        for i, node in enumerate(members):
            rank[node] = i + offset
    rows: dict[int, int] = {}
    for node, lay in layer.items():
        row = lay // per_row
        rows[row] = max(rows.get(row, 0), rank[node] + 1)
    row_top: dict[int, float] = {}
    top = 0.0
    for row in sorted(rows):
        row_top[row] = top
        top += rows[row] * dy + ROW_GAP
    return {node: ((layer[node] % per_row) * dx, row_top[layer[node] // per_row] + rank[node] * dy)
            for node in index}


def _topological(nodes: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Nodes in an order that respects the edges when they form no cycle (ties by first appearance)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    if not nx.is_directed_acyclic_graph(graph):
        return nodes
    rank = {node: i for i, node in enumerate(nodes)}
    return list(nx.lexicographical_topological_sort(graph, key=rank.__getitem__))


def _ring(center: Position, count: int, radius: float, start: float) -> list[Position]:
    """Evenly spaced points on a circle (or an outward arc) around a centre."""
    if count == 0:
        return []
    return [(center[0] + radius * math.cos(start + 2 * math.pi * i / count),
             center[1] + radius * math.sin(start + 2 * math.pi * i / count)) for i in range(count)]


def force_layout(stages: Sequence[tuple[str | None, Sequence[str]]], edges: Iterable[tuple[str, str]],
                 seed: int = 7, iterations: int = 60, scale: float = FORCE_SCALE) -> dict[str, Position]:
    """Spring layout grown stage by stage: ``stages`` are (centre, new nodes); earlier nodes stay fixed."""
    import networkx as nx

    graph = nx.Graph()
    edge_list = [(u, v) for u, v in edges if u != v]
    pos: dict[str, Position] = {}
    for centre, new in stages:
        fresh = [n for n in dict.fromkeys(new) if n not in pos and n != centre]
        if centre is not None and centre not in pos:
            pos[centre] = (0.0, 0.0) if not pos else _free_spot(pos)
        origin = pos[centre] if centre is not None else (0.0, 0.0)
        start = math.atan2(origin[1], origin[0]) if origin != (0.0, 0.0) else -math.pi / 2
        radius = max(1.1, len(fresh) / (2 * math.pi) * 0.55)
        for node, spot in zip(fresh, _ring(origin, len(fresh), radius, start), strict=True):
            pos[node] = spot
        if not fresh:
            continue
        graph.add_nodes_from(pos)
        graph.add_edges_from((u, v) for u, v in edge_list if u in pos and v in pos)
        fixed = [n for n in pos if n not in fresh]
        if not fixed:
            fixed = [fresh[0]]
        sub = graph.subgraph(list(pos))
        placed = nx.spring_layout(sub, pos=dict(pos), fixed=fixed, k=1.0, iterations=iterations, seed=seed)
        pos = {n: (float(p[0]), float(p[1])) for n, p in placed.items()}
        _spread(pos, fresh)
    return {n: (round(x * scale, 1), round(y * scale, 1)) for n, (x, y) in pos.items()}


# A label is about one unit wide and half a unit tall (at FORCE_SCALE): nodes closer than this overlap labels.
LABEL_GAP = (1.0, 0.7)


def _spread(pos: dict[str, Position], movable: Sequence[str]) -> None:
    """Move each movable node whose label box overlaps another's to the nearest free spot (in place).

    Candidate spots lie on rings of growing radius around the node's spring position, so a node
    moves no further than it must and the search always ends.
    """
    gap_x, gap_y = LABEL_GAP
    settled = {n: p for n, p in pos.items() if n not in set(movable)}

    def free(spot: Position) -> bool:
        return all(abs(spot[0] - x) >= gap_x or abs(spot[1] - y) >= gap_y for x, y in settled.values())

    for node in movable:
        x, y = pos[node]
        spot = (x, y)
        ring = 0
        while not free(spot):
            ring += 1
            radius = ring * gap_y / 2
            count = 8 * ring
            spots = [(x + radius * math.cos(2 * math.pi * i / count), y + radius * math.sin(2 * math.pi * i / count))
                     for i in range(count)]
            spot = next((s for s in spots if free(s)), spot)
        pos[node] = settled[node] = spot


def grid_layout(nodes: Sequence[str], columns: int = 6, dx: float = LAYER_DX * 0.8, dy: float = LAYER_DY,
                top: float = 0.0) -> dict[str, Position]:
    """Nodes in reading order on a grid (for nodes with no edges among them)."""
    return {n: ((i % columns) * dx, top + (i // columns) * dy) for i, n in enumerate(nodes)}


def component_layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]], seed: int = 7) -> dict[str, Position]:
    """Connected nodes in a spring layout, isolated ones on a grid below it."""
    edge_list = [(u, v) for u, v in edges if u != v]
    linked = list(dict.fromkeys(n for e in edge_list for n in e if n in set(nodes)))
    pos: dict[str, Position] = {}
    if linked:
        hub = max(linked, key=lambda n: sum(n in e for e in edge_list))
        pos = force_layout([(hub, linked)], edge_list, seed=seed)
    lonely = [n for n in nodes if n not in pos]
    if lonely:
        top = (max(y for _, y in pos.values()) + LAYER_DY * 1.5) if pos else 0.0
        left = min(x for x, _ in pos.values()) if pos else 0.0
        grid = grid_layout(lonely, columns=max(4, min(8, round(len(lonely) ** 0.5) + 1)), top=top)
        pos.update({n: (x + left, y) for n, (x, y) in grid.items()})
    return pos


def _free_spot(pos: dict[str, Position]) -> Position:
    """A point just right of the current drawing, for a centre that is not placed yet."""
    return (max(x for x, _ in pos.values()) + 2.0, 0.0)
