"""The merged-graph path search as it was before ``graph.search``: the benchmark's reference.

A copy (kept only for ``benchmarks/sparql_stores.py``) of the earlier one-sided search: a
best-first search over partial paths from the source (``best_paths``), run on threshold-pruned
views of the merged adjacency (``MergedAdjacency.view``) with exact threshold deepening, and a
50,000-step budget after which it returns the best paths found with ``exact=False``. Steps are
built with ``graph.search.Walk`` (the same steps the new search walks), so both answer the same
question; scores are compared in the benchmark.
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kmoa.graph.imported import ImportedGraph, _group, kind_for, resolve
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import curated_edges
from kmoa.graph.search import MechanismPath, PathStep, Walk, crosses_mechanism


def best_paths(adjacency: Mapping[str, list[PathStep]], source: str, targets: list[str], k: int = 10,
               max_hops: int = 8, hub_damping: float = 0.0, degree: dict[str, int] | None = None,
               max_expansions: int = 200_000,
               accept: Callable[[tuple[str, ...]], bool] | None = None) -> list[MechanismPath]:
    """The earlier best-first search (unchanged)."""
    goal = set(targets)
    counter = itertools.count()
    # Heap items: (-score, -mean, hops, tiebreak, nodes, steps, strength_sum)
    heap: list[tuple[float, float, int, int, tuple[str, ...], tuple[PathStep, ...], float, float]] = [
        (-1.0, -1.0, 0, next(counter), (source,), (), 0.0, 1.0)]
    found: list[MechanismPath] = []
    kth_score = 0.0  # the raw score of the k-th path found
    expansions = 0
    # Scores come off the heap in non-increasing order, but a partial path's mean strength says
    # little about its completions' means: after k paths, keep taking those that tie the k-th
    # score, then order ties by mean strength and hops as documented.
    while heap and expansions < max_expansions and (len(found) < k or -heap[0][0] >= kth_score):
        neg_score, _, hops, _, nodes, steps, total, damp = heapq.heappop(heap)
        expansions += 1
        last = nodes[-1]
        if steps and last in goal:
            if accept is not None and not accept(nodes):
                continue
            found.append(MechanismPath(nodes, steps, round(-neg_score, 4), round(total / len(steps), 4)))
            if len(found) == k:
                kth_score = -neg_score
            continue
        if hops >= max_hops:
            continue
        if steps and hub_damping and degree:
            damp *= max(degree.get(last, 1), 1) ** -hub_damping
        for step in adjacency.get(last, ()):
            if step.target in nodes:
                continue
            bottleneck = min(-neg_score, step.strength)
            new_total = total + step.strength
            heapq.heappush(heap, (
                -(bottleneck * damp), -(new_total / (hops + 1)), hops + 1, next(counter),
                nodes + (step.target,), steps + (step,), new_total, damp))
    found.sort(key=lambda p: (-p.score, -p.mean_strength, len(p.steps)))
    return found[:k]




@dataclass
class SearchBudget:
    """Steps one merged path search may build in all its rounds; ``exhausted`` once they ran out."""

    steps: int
    exhausted: bool = False


@dataclass(frozen=True)
class MergedPaths:
    """Ranked paths, and whether they are provably the k best (False when the budget ran out)."""

    paths: list[MechanismPath]
    exact: bool
    rounds: int
    steps_built: int


class MergedAdjacency(Mapping[str, list[PathStep]]):
    """Curated steps plus imported steps, the latter built lazily from compressed arrays.

    As a Mapping it is the full merged graph. ``view(goals, threshold, hub_damping)`` is the
    same graph for one query with two exact prunings (see ``trace_merged_paths``): a step into a
    dead end (no outgoing edges) is kept only if the dead end is a goal, and a step into a non-goal
    node w is kept only if ``strength * degree(w) ** -hub_damping >= threshold``, the most any path
    through w can score. Each node's imported steps are sorted by the degree of their target, so
    the cut is a bisection, and ``PathStep`` objects are built only for nodes the search expands.
    """

    def __init__(self, curated: dict[str, list[PathStep]], graph: ImportedGraph, strength: float,
                 walkable: bytearray | None = None):
        self.curated = curated
        self.graph = graph
        self.strength = strength
        # Per imported edge: 1 if the schema's walk rules let a path take it (None: every edge).
        self.walkable = walkable
        self.degree = _degrees(curated, graph)
        n, nodes = len(graph.nodes), graph.nodes
        node_degree = [self.degree.get(c, 0) for c in nodes]
        has_out = bytearray(1 if c in curated else 0 for c in nodes)
        for s in graph.subjects:
            has_out[s] = 1
        self.has_out = has_out
        # Out-edges grouped by subject; within a subject, targets that are not dead ends first,
        # sorted by degree (``mid``), for the bisection; ``rev`` groups edges by object for goals.
        by_subject = self.out_offsets, self.out_order = _group(graph.subjects, n)
        self.mid_offsets = array("i", [0])
        self.mid_order = array("i")
        self.mid_degree = array("i")
        objects = graph.objects
        for i in range(n):
            lo, hi = by_subject[0][i], by_subject[0][i + 1]
            if hi > lo:
                kept = [e for e in by_subject[1][lo:hi] if has_out[objects[e]]]
                kept.sort(key=lambda e: node_degree[objects[e]])
                self.mid_order.extend(kept)
                self.mid_degree.extend(node_degree[objects[e]] for e in kept)
            self.mid_offsets.append(len(self.mid_order))
        self.rev_offsets, self.rev_order = _group(objects, n)
        self.goals: frozenset[str] = frozenset()
        self.source: str | None = None
        self.budget: SearchBudget | None = None
        self.cap: float | None = None  # None: every imported step (the full graph)
        self._goal_edges: dict[int, list[int]] = {}
        self._goal_targets: frozenset[int] = frozenset()
        self._cache: dict[str, list[PathStep]] = {}
        # Shared by every view: filled on demand, never invalidated (it depends on the graph only).
        self._templates: dict[tuple[int, int], tuple[str, str, str, dict[str, Any]]] = {}

    def view(self, goals: frozenset[str], threshold: float = 0.0, hub_damping: float = 0.0,
             source: str | None = None, budget: SearchBudget | None = None) -> MergedAdjacency:
        """The adjacency for one query from ``source`` (sharing the arrays), pruned as described above.

        With a ``budget``, the view stops handing out steps once the budget's steps are spent.
        """
        clone = object.__new__(MergedAdjacency)
        clone.__dict__.update(self.__dict__)
        clone.goals = goals
        clone.source = source
        clone.budget = budget
        if threshold <= 0:
            clone.cap = float("inf")
        elif hub_damping <= 0:
            clone.cap = float("inf") if self.strength >= threshold else 0.0
        else:
            clone.cap = (self.strength / threshold) ** (1.0 / hub_damping)
        goal_edges: dict[int, list[int]] = {}
        g = self.graph
        for goal in goals:
            j = g.index.get(goal)
            if j is None:
                continue
            for pos in range(self.rev_offsets[j], self.rev_offsets[j + 1]):
                e = self.rev_order[pos]
                goal_edges.setdefault(g.subjects[e], []).append(e)
        clone._goal_edges = goal_edges
        clone._goal_targets = frozenset(g.index[goal] for goal in goals if goal in g.index)
        clone._cache = {}
        return clone

    def _edges(self, i: int) -> list[int]:
        if self.cap is None:
            return list(self.out_order[self.out_offsets[i]:self.out_offsets[i + 1]])
        lo, hi = self.mid_offsets[i], self.mid_offsets[i + 1]
        cap = self.cap
        node = self.graph.nodes[i]
        if node != self.source:
            # Expanding an intermediate node v damps every continuation by degree(v) ** -alpha too.
            cap /= max(self.degree.get(node, 1), 1)
        cut = hi if cap == float("inf") else bisect_right(self.mid_degree, cap, lo, hi)
        objects, goals = self.graph.objects, self._goal_targets
        edges = [e for e in self.mid_order[lo:cut] if objects[e] not in goals]
        return edges + self._goal_edges.get(i, [])

    def _imported(self, node: str) -> list[PathStep]:
        g = self.graph
        i = g.index.get(node)
        if i is None:
            return []
        steps = []
        templates = self._templates
        nodes, objects, predicates, sources, lines = g.nodes, g.objects, g.predicates, g.sources, g.lines
        prefix = g.edges_file + ":"
        walkable = self.walkable
        for e in self._edges(i):
            if walkable is not None and not walkable[e]:
                continue
            target = nodes[objects[e]]
            key = (predicates[e], sources[e])
            predicate, label, source, template = templates.get(key) or self._template(key)
            where = prefix + str(lines[e])
            attrs = {**template, "id": where, "subject": node, "object": target, "line": lines[e]}
            steps.append(PathStep(node, target, source + "/" + where, predicate, label, self.strength, attrs))
        return steps

    def _template(self, key: tuple[int, int]) -> tuple[str, str, str, dict[str, Any]]:
        """Predicate, label, source and the attributes shared by all edges of one (predicate, source)."""
        g = self.graph
        predicate, source = g.predicate_names[key[0]], g.source_names[key[1]]
        made = self._templates[key] = (predicate, predicate.split(":", 1)[1].replace("_", " "), source, {
            "predicate": predicate, "biolink_predicate": predicate, "primary_knowledge_source": source,
            "imported": True, "strength": self.strength, "evidence_type": "imported", "species": "unspecified",
            "finding": "positive", "contested": False, "canmat_level": None, "section": "", "refs": [],
            "quote": "", "studies": [], "route": None, "hypothesis_steps": [], "dataset": g.name})
        return made

    def __getitem__(self, node: str) -> list[PathStep]:
        cached = self._cache.get(node)
        if cached is None:
            if node not in self.curated and node not in self.graph.index:
                raise KeyError(node)
            budget = self.budget
            if budget is not None and budget.steps <= 0:
                budget.exhausted = True
                return []
            cached = self._cache[node] = list(self.curated.get(node, ())) + self._imported(node)
            if budget is not None:
                budget.steps -= len(cached)
        return cached

    def get(self, node: str, default: Any = None) -> Any:  # type: ignore[override]
        """Steps out of ``node`` (``default`` for a node of neither graph)."""
        try:
            return self[node]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        yield from self.curated
        yield from (n for n in self.graph.nodes if n not in self.curated)

    def __len__(self) -> int:
        return len(set(self.curated) | set(self.graph.nodes))


def _degrees(curated: dict[str, list[PathStep]], graph: ImportedGraph) -> dict[str, int]:
    """Degree (in + out) of every node over curated and imported edges, for hub damping."""
    counts = [0] * len(graph.nodes)
    for s in graph.subjects:
        counts[s] += 1
    for o in graph.objects:
        counts[o] += 1
    degree = {curie: c for curie, c in zip(graph.nodes, counts, strict=True) if c}
    for steps in curated.values():
        for step in steps:
            degree[step.source] = degree.get(step.source, 0) + 1
            degree[step.target] = degree.get(step.target, 0) + 1
    return degree


def merged_adjacency(kg: KnowledgeGraph, graph: ImportedGraph,
                     strength: float | None = None) -> tuple[MergedAdjacency, dict[str, int]]:
    """Adjacency and degrees over curated + imported edges, ready for ``graph.paths.best_paths``.

    Imported steps count ``strength`` (default: the schema's ``walk.imported_strength``).
    """
    if strength is None:
        strength = kg.schema.walk.imported_strength
    walk = Walk(kg.schema, curated_edges(kg))
    curated = {node: steps for node in kg.nodes if (steps := walk.steps(node))}
    adjacency = MergedAdjacency(curated, graph, strength, walkable_imported_edges(kg, graph))
    return adjacency, adjacency.degree


def walkable_imported_edges(kg: KnowledgeGraph, graph: ImportedGraph) -> bytearray:
    """Per imported edge, whether the schema's walk rules let a path take it.

    An imported edge is not walked when its Biolink predicate is that of a clinical verdict
    (``walk.clinical``: ``biolink:treats``, ``biolink:in_clinical_trials_for``, ...), or when an end
    is a node of a kmoa kind that no path may stand on (a study, a guideline, ...). Imported nodes
    count by the kind of their Biolink category; categories kmoa has no kind for may be walked.
    """
    rules = kg.schema.walk
    clinical = {kg.schema.predicates[p].biolink for p in rules.clinical}
    skip = bytearray(1 if name in clinical else 0 for name in graph.predicate_names)
    kinds = {kind.biolink: kind.name for kind in kg.schema.node_kinds.values()}
    node_ok = bytearray(len(graph.nodes))
    for i, curie in enumerate(graph.nodes):
        node = kg.nodes.get(curie) if graph.curated[i] else None
        kind = node.kind if node is not None else kinds.get(graph.categories[i])
        node_ok[i] = 1 if kind is None or kind in rules.node_kinds else 0
    subjects, objects, predicates = graph.subjects, graph.objects, graph.predicates
    return bytearray(0 if skip[predicates[e]] or not (node_ok[subjects[e]] and node_ok[objects[e]]) else 1
                     for e in range(len(subjects)))


def _kind_lookup(kg: KnowledgeGraph, graph: ImportedGraph) -> Callable[[str], str | None]:
    """A curated node's kind, an imported node's by its category (as the earlier ``passes_mechanism``)."""

    def kind(curie: str) -> str | None:
        node = kg.nodes.get(curie)
        if node is not None:
            return node.kind
        i = graph.index.get(curie)
        return kind_for(kg, graph.categories[i]) if i is not None else None

    return kind


def search_merged_paths(kg: KnowledgeGraph, graph: ImportedGraph, source: str, target: str, k: int = 10,
                        max_hops: int = 4, hub_damping: float | None = None, max_steps: int = 50_000,
                        merged: tuple[MergedAdjacency, dict[str, int]] | None = None,
                        allow_direct: bool = False) -> MergedPaths:
    """The k best mechanism paths over the merged graph (weakest link, hub-damped, best-first).

    Exact threshold deepening: ``best_paths`` first runs on a view that drops every step into a
    node whose best possible path score (step strength x degree ** -hub_damping, times the
    expanded node's own damping) is below a threshold. If it finds k paths scoring at least the
    threshold, no dropped path could beat them and they are the answer (``exact``); otherwise the
    threshold is lowered (finally to 0, the full graph). The search is bounded: all rounds
    together build at most ``max_steps`` steps; when that runs out the best paths found so far
    are returned with ``exact=False`` (pairs joined only through hubs by long, weak paths).
    Pass ``merged`` (from ``merged_adjacency``) to reuse the adjacency across queries;
    ``hub_damping`` defaults to the schema's ``walk.hub_damping.merged``. As in
    ``kmoa paths``, a path must pass through a mechanism node unless ``allow_direct``.
    """
    if hub_damping is None:
        hub_damping = kg.schema.walk.hub_damping_merged
    adjacency, degree = merged or merged_adjacency(kg, graph)
    source_id, target_id = resolve(kg, graph, source), resolve(kg, graph, target)
    goals = frozenset([target_id])
    budget = SearchBudget(max_steps)
    threshold = adjacency.strength * 16 ** -hub_damping if hub_damping > 0 else 0.0
    best: list[MechanismPath] = []
    rounds = 0
    accept = None if allow_direct else crosses_mechanism(kg.schema.walk, _kind_lookup(kg, graph))
    while True:
        rounds += 1
        view = adjacency.view(goals, threshold, hub_damping, source_id, budget)
        found = best_paths(view, source_id, [target_id], k=k, max_hops=max_hops,
                           hub_damping=hub_damping, degree=degree, max_expansions=max(max_steps, 1),
                           accept=accept)
        if (len(found), [p.score for p in found]) >= (len(best), [p.score for p in best]):
            best = found
        # Scores are rounded to 4 decimals; keep a margin so a rounded-up score never passes.
        complete = threshold <= 0 or (len(found) == k and found[-1].score - 1e-4 >= threshold)
        if budget.exhausted or complete:
            return MergedPaths(best if budget.exhausted else found, exact=complete and not budget.exhausted,
                               rounds=rounds, steps_built=max_steps - budget.steps)
        # Halve the threshold, but never below the k-th score found: those k paths exist in the
        # full graph, so the true k-th best scores at least that much.
        floor = found[-1].score - 2e-4 if len(found) == k else 0.0
        threshold = max(threshold / 2, floor) if threshold > 1e-6 else 0.0


