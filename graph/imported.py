"""An imported KGX graph in memory, and path search over it merged with the curated graph.

``ImportedGraph`` holds a validated KGX graph (``loaders.formats.kgx_import.read_kgx``) with its
nodes mapped onto curated CURIEs and its edges in compact arrays.

Path tracing over the merged graph: ``merged_adjacency`` feeds ``graph.paths.best_paths`` with
curated steps plus imported steps (strength ``walk.imported_strength`` of the schema, attribute
``imported``); the imported half is a compressed adjacency whose ``PathStep`` objects are built
only for the nodes the best-first search actually expands, so nothing enumerates all simple paths.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.identifiers import check_curie
from graph.model import KnowledgeGraph
from graph.paths import MechanismPath, PathFilters, PathStep, best_paths, build_adjacency, crosses_mechanism
from graph.rows import EdgeRow, NodeRow

# Biolink's KnowledgeLevelEnum; an edges file without the column gets "not_provided".
KNOWLEDGE_LEVELS = ("knowledge_assertion", "logical_entailment", "prediction", "statistical_association",
                    "observation", "not_provided")


@dataclass
class ImportedGraph:
    """A validated KGX graph, nodes already mapped onto curated CURIEs, edges in compact arrays."""

    name: str
    nodes: list[str]
    names: list[str]
    categories: list[str]
    curated: bytearray
    index: dict[str, int]
    aliases: dict[str, str]
    subjects: array[int] = field(default_factory=lambda: array("i"))
    objects: array[int] = field(default_factory=lambda: array("i"))
    predicates: array[int] = field(default_factory=lambda: array("H"))
    sources: array[int] = field(default_factory=lambda: array("H"))
    lines: array[int] = field(default_factory=lambda: array("i"))
    predicate_names: list[str] = field(default_factory=list)
    source_names: list[str] = field(default_factory=list)
    edges_file: str = "edges.tsv"
    #: Provenance of each edge: its KGX ``id`` (None: the file has no id column), its knowledge
    #: level (index into ``KNOWLEDGE_LEVELS``) and, for edges that have them, its publications.
    edge_ids: list[str] | None = None
    levels: array[int] = field(default_factory=lambda: array("B"))
    publications: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def edge_count(self) -> int:
        """Number of imported edges."""
        return len(self.subjects)

    def edge_id(self, e: int) -> str:
        """The KGX id of edge ``e``, or ``kgx:NAME:LINE`` when the file gives none."""
        given = self.edge_ids[e] if self.edge_ids is not None else ""
        return given or f"kgx:{self.name}:{self.lines[e]}"

    @property
    def new_nodes(self) -> int:
        """Imported nodes that matched no curated node."""
        return len(self.nodes) - sum(self.curated)


def kind_for(kg: KnowledgeGraph, category: str) -> str:
    """The kmoa node kind of a Biolink category, or ``imported_entity`` when the schema has none."""
    for kind in kg.schema.node_kinds.values():
        if kind.biolink == category:
            return str(kind.name)
    return "imported_entity"


# -- rows ----------------------------------------------------------------------------------------


def imported_node_rows(kg: KnowledgeGraph, graph: ImportedGraph) -> Iterator[NodeRow]:
    """Rows of the imported nodes that matched no curated node (the one mapping of imported nodes)."""
    kinds: dict[str, str] = {}
    for i, curie in enumerate(graph.nodes):
        if graph.curated[i]:
            continue
        category = graph.categories[i]
        kind = kinds.get(category) or kinds.setdefault(category, kind_for(kg, category))
        yield {"id": check_curie(curie), "category": [category], "name": graph.names[i], "kmoa_kind": kind,
               "provided_by": [f"kgx:{graph.name}"], "imported": True}


def imported_edge_rows(graph: ImportedGraph) -> Iterator[EdgeRow]:
    """Rows of the imported edges (the one mapping of imported edges).

    ``id`` is ``kgx:NAME:LINE``, ``kgx_id`` the file's id, ``kmoa_predicate`` the predicate's local
    name (the Neo4j relationship type).
    """
    locals_ = [p.split(":", 1)[1] for p in graph.predicate_names]
    for e in range(graph.edge_count):
        p = graph.predicates[e]
        yield {"id": f"kgx:{graph.name}:{graph.lines[e]}", "kgx_id": graph.edge_id(e),
               "subject": graph.nodes[graph.subjects[e]],
               "object": graph.nodes[graph.objects[e]], "predicate": graph.predicate_names[p],
               "kmoa_predicate": locals_[p], "primary_knowledge_source": graph.source_names[graph.sources[e]],
               "knowledge_level": KNOWLEDGE_LEVELS[graph.levels[e]],
               "publications": list(graph.publications.get(e, ())) or None, "imported": True}


# -- merged path tracing ---------------------------------------------------------------------------


def is_imported(step: PathStep) -> bool:
    """Tell whether a step came from an imported graph rather than the curation."""
    return bool(step.attributes.get("imported"))


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


def _group(keys: array[int], n: int) -> tuple[array[int], array[int]]:
    """Counting sort of edge ids by key: (offsets of length n + 1, edge ids)."""
    offsets = array("i", bytes(4 * (n + 1)))
    for key in keys:
        offsets[key + 1] += 1
    for i in range(n):
        offsets[i + 1] += offsets[i]
    fill = array("i", offsets[:-1])
    order = array("i", bytes(4 * len(keys)))
    for e, key in enumerate(keys):
        order[fill[key]] = e
        fill[key] += 1
    return offsets, order


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


def merged_adjacency(kg: KnowledgeGraph, graph: ImportedGraph, filters: PathFilters | None = None,
                     strength: float | None = None) -> tuple[MergedAdjacency, dict[str, int]]:
    """Adjacency and degrees over curated + imported edges, ready for ``graph.paths.best_paths``.

    Imported steps count ``strength`` (default: the schema's ``walk.imported_strength``).
    """
    if strength is None:
        strength = kg.schema.walk.imported_strength
    adjacency = MergedAdjacency(build_adjacency(kg, filters or PathFilters()), graph, strength,
                                walkable_imported_edges(kg, graph))
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


def resolve(kg: KnowledgeGraph, graph: ImportedGraph, query: str) -> str:
    """Resolve a curated name/synonym/CURIE, or an imported CURIE (mapped onto its curated node)."""
    if query in graph.index:
        return graph.nodes[graph.index[query]]
    return kg.resolve(query)


def passes_mechanism(kg: KnowledgeGraph, graph: ImportedGraph) -> Callable[[tuple[str, ...]], bool]:
    """The schema's rule, as in ``kmoa paths``: a path must reach a node of a ``walk.must_cross`` kind.

    Imported nodes count by the kind of their Biolink category.
    """

    def kind(curie: str) -> str:
        node = kg.nodes.get(curie)
        if node is not None:
            return node.kind
        i = graph.index.get(curie)
        return kind_for(kg, graph.categories[i]) if i is not None else ""

    return crosses_mechanism(kg.schema.walk, kind)


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
    accept = None if allow_direct else passes_mechanism(kg, graph)
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


def trace_merged_paths(kg: KnowledgeGraph, graph: ImportedGraph, source: str, target: str, k: int = 10,
                       max_hops: int = 4, hub_damping: float | None = None, max_steps: int = 50_000,
                       merged: tuple[MergedAdjacency, dict[str, int]] | None = None,
                       allow_direct: bool = False) -> list[MechanismPath]:
    """The paths of ``search_merged_paths`` (same arguments)."""
    return search_merged_paths(kg, graph, source, target, k=k, max_hops=max_hops, hub_damping=hub_damping,
                               max_steps=max_steps, merged=merged, allow_direct=allow_direct).paths
