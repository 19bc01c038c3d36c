"""An imported KGX graph in memory, and path search over it merged with the curated graph.

``ImportedGraph`` holds a validated KGX graph (``loaders.formats.kgx_import.read_kgx``) with its
nodes mapped onto curated CURIEs and its edges in compact arrays.

Path tracing over the merged graph: ``MergedEdges`` hands the one search (``graph.search``) the
curated claims plus the imported edges (walked at ``walk.imported_strength`` of the schema,
attribute ``imported``); the imported half stays in compact arrays and an edge's attributes are
built only for the nodes the search expands.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kmoa.graph.identifiers import check_curie
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import curated_edges, relatives_of
from kmoa.graph.rows import EdgeRow, NodeRow, edge_rows, node_rows
from kmoa.graph.search import (
    Edge,
    MechanismPath,
    PathFilters,
    PathSearch,
    PathStep,
    Walk,
    crosses_mechanism,
    deep_end_split,
    search_paths,
)

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
    #: For edges that have them, the import's provenance columns (``graph.rows.IMPORT_PROVENANCE_COLUMNS``:
    #: a DrugMechDB edge's path id, drug, disease and YAML lines).
    provenance: dict[int, dict[str, str | int]] = field(default_factory=dict)

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


def imported_edge_row(graph: ImportedGraph, e: int, local_names: list[str] | None = None) -> EdgeRow:
    """Imported edge ``e`` as its row (the one mapping of imported edges).

    ``id`` is ``kgx:NAME:LINE``, ``kgx_id`` the file's id, ``kmoa_predicate`` the predicate's local
    name (the Neo4j relationship type; ``local_names`` gives them by predicate index).
    """
    p = graph.predicates[e]
    predicate = graph.predicate_names[p]
    return {"id": f"kgx:{graph.name}:{graph.lines[e]}", "kgx_id": graph.edge_id(e),
            "subject": graph.nodes[graph.subjects[e]], "object": graph.nodes[graph.objects[e]],
            "predicate": predicate, "kmoa_predicate": local_names[p] if local_names else predicate.split(":", 1)[1],
            "primary_knowledge_source": graph.source_names[graph.sources[e]],
            "knowledge_level": KNOWLEDGE_LEVELS[graph.levels[e]],
            "publications": list(graph.publications.get(e, ())) or None, "imported": True,
            **graph.provenance.get(e, {})}  # type: ignore[typeddict-item]


def imported_edge_rows(graph: ImportedGraph) -> Iterator[EdgeRow]:
    """Rows of the imported edges (``imported_edge_row``), in file order."""
    local_names = [p.split(":", 1)[1] for p in graph.predicate_names]
    for e in range(graph.edge_count):
        yield imported_edge_row(graph, e, local_names)


# -- what merged ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearMiss:
    """An imported node that merged onto no curated node although a curated node's name matches its name."""

    imported: str
    name: str
    curated: str
    #: The curated name or synonym that matched; ``exact``: the same text, else the imported name within it.
    matched: str
    exact: bool


def merged_nodes(graph: ImportedGraph) -> list[tuple[str, str]]:
    """(imported id, curated id) of every imported node that merged onto a curated node, by id or by xref."""
    aliased = set(graph.aliases.values())
    same = [(curie, curie) for i, curie in enumerate(graph.nodes) if graph.curated[i] and curie not in aliased]
    return sorted([*same, *graph.aliases.items()])


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.casefold()))


def near_misses(kg: KnowledgeGraph, graph: ImportedGraph) -> list[NearMiss]:
    """Unmerged imported nodes whose name matches a curated node's name or synonym, or lies within one.

    "Lies within" counts only for the same Biolink category ("Depressive disorder" in "major depressive
    disorder"). Merging is by identifier only (id or xref); these are the candidates a curator may check, never merged.
    """
    biolink = {kind.name: kind.biolink for kind in kg.schema.node_kinds.values()}
    exact: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    within: dict[tuple[tuple[str, ...], str], list[tuple[str, str]]] = {}
    for curie in sorted(kg.nodes):
        node = kg.nodes[curie]
        for text in (node.name, *node.synonyms):
            words = _words(text)
            exact.setdefault(words, []).append((curie, text))
            for a, b in itertools.combinations(range(len(words) + 1), 2):
                if (a, b) != (0, len(words)):
                    within.setdefault((words[a:b], biolink.get(node.kind, "")), []).append((curie, text))
    found: dict[tuple[str, str], NearMiss] = {}
    for i, curie in enumerate(graph.nodes):
        if graph.curated[i] or not (words := _words(graph.names[i])):
            continue
        for matches, is_exact in ((exact.get(words, []), True), (within.get((words, graph.categories[i]), []), False)):
            for curated, text in matches:
                found.setdefault((curie, curated), NearMiss(curie, graph.names[i], curated, text, is_exact))
    return list(found.values())


def merged_rows(kg: KnowledgeGraph, graph: ImportedGraph) -> tuple[Iterator[NodeRow], Iterator[EdgeRow]]:
    """The curated graph's rows followed by the import's: what every store is given for an import."""
    from itertools import chain

    return chain(node_rows(kg), imported_node_rows(kg, graph)), chain(edge_rows(kg), imported_edge_rows(graph))


# -- merged path tracing ---------------------------------------------------------------------------


def is_imported(step: PathStep) -> bool:
    """Tell whether a step came from an imported graph rather than the curation."""
    return bool(step.attributes.get("imported"))


def imported_claim_id(graph: ImportedGraph, e: int) -> str:
    """The id path steps show for imported edge ``e`` and the explorer decodes: ``SOURCE/edges.tsv:LINE``."""
    return f"{graph.source_names[graph.sources[e]]}/{graph.edges_file}:{graph.lines[e]}"


def imported_line(edge: Mapping[str, Any]) -> int:
    """The edges file line an imported edge was read from (its row's id is ``kgx:NAME:LINE``)."""
    return int(str(edge["id"]).rpartition(":")[2])


def imported_edge(graph: ImportedGraph, e: int, strength: float | None = None) -> dict[str, Any]:
    """Imported edge ``e`` as the path search and the explorer read it.

    Its row (``imported_edge_row``) with the id its path steps show (``claim_id``,
    ``imported_claim_id``) and, if given, its ``evidence_strength`` (the schema's imported strength).
    """
    edge: dict[str, Any] = {**imported_edge_row(graph, e), "claim_id": imported_claim_id(graph, e)}
    if strength is not None:
        edge["evidence_strength"] = strength
    return edge


class ImportedEdge(Mapping[str, Any]):
    """Imported edge ``e`` as a read-only mapping (``imported_edge``), built on first use.

    Its subject, object, predicate and ``imported`` are read straight from the arrays: the path
    search looks at those for every edge around a node it expands, and at the rest only for the
    steps it uses.
    """

    __slots__ = ("_core", "_full", "e", "graph")

    def __init__(self, graph: ImportedGraph, e: int):
        self.graph, self.e = graph, e
        self._core = {"subject": graph.nodes[graph.subjects[e]], "object": graph.nodes[graph.objects[e]],
                      "predicate": graph.predicate_names[graph.predicates[e]], "imported": True}
        self._full: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        try:
            return self._core[key]
        except KeyError:
            return self.full()[key]

    def full(self) -> dict[str, Any]:
        """Every attribute."""
        if self._full is None:
            self._full = imported_edge(self.graph, self.e)
        return self._full

    def __iter__(self) -> Iterator[str]:
        return iter(self.full())

    def __len__(self) -> int:
        return len(self.full())


class MergedEdges:
    """The candidate edges (``graph.search.CandidateEdges``) of the curated graph plus an imported one.

    The imported edges stay in the import's compact arrays, grouped by subject and by object; an
    edge's attributes are built only when the search asks for the edges of one of its ends. A node's
    degree counts its imported edges only: the curated walk has no hub damping (its nodes are not the
    hubs of a large graph), so a node only curated claims touch is not damped, and the curated paths
    keep their scores when an import is added.

    Built once per import, it also keeps each node's walked imported neighbours (``SortedNeighbours``
    of ``graph.search``): the edges of the rules' node kinds and non-clinical predicates, one entry
    per neighbour, sorted by the bound the search orders candidates by (the imported strength times
    the neighbour's hub damping, then the neighbour's CURIE), for each hub damping asked for. The
    search then reads only the few candidates it uses of a hub, not its thousands of edges.
    """

    def __init__(self, kg: KnowledgeGraph, graph: ImportedGraph):
        self.kg, self.graph = kg, graph
        self.curated = curated_edges(kg)
        n = len(graph.nodes)
        self.out_offsets, self.out_order = _group(graph.subjects, n)
        self.in_offsets, self.in_order = _group(graph.objects, n)
        kinds = {kind.biolink: kind.name for kind in kg.schema.node_kinds.values()}
        self._kinds = kinds
        self._degrees = [self.out_offsets[i + 1] - self.out_offsets[i] + self.in_offsets[i + 1] - self.in_offsets[i]
                         for i in range(n)]
        self._degree = dict(zip(graph.nodes, self._degrees, strict=True))
        self.names: list[str] = graph.nodes
        self.index: dict[str, int] = graph.index
        self.imported_strength = kg.schema.walk.imported_strength
        node_kinds = [self.kind_of(curie) for curie in graph.nodes]
        self.compound = np.array([kind == "compound" for kind in node_kinds], dtype=bool)
        self._damping_arrays: dict[float, np.ndarray] = {}
        self._sorted: dict[float, tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray],
                                        list[float]]] = {}
        rules = kg.schema.walk
        walkable = np.array([kind is None or kind in rules.node_kinds for kind in node_kinds], dtype=bool)
        clinical = {kg.schema.predicates[p].biolink for p in rules.clinical}
        walked_predicate = np.array([name not in clinical for name in graph.predicate_names] or [False], dtype=bool)
        subjects = np.frombuffer(graph.subjects, dtype=np.int32) if len(graph.subjects) else np.zeros(0, np.int32)
        objects = np.frombuffer(graph.objects, dtype=np.int32) if len(graph.objects) else np.zeros(0, np.int32)
        predicates = np.asarray(graph.predicates, dtype=np.int64)
        keep = walked_predicate[predicates] & walkable[subjects] & walkable[objects] if len(subjects) else \
            np.zeros(0, dtype=bool)
        self._walked = (subjects[keep].astype(np.int64), objects[keep].astype(np.int64))
        self._subjects_np, self._objects_np = subjects, objects
        # Rank of each node's CURIE among all, to break ties of the bound as sorting by CURIE does.
        order = sorted(range(n), key=graph.nodes.__getitem__)
        self._name_rank = np.empty(n, dtype=np.int64)
        self._name_rank[np.asarray(order, dtype=np.int64)] = np.arange(n, dtype=np.int64)

    def sorted_neighbours(self, hub_damping: float) -> tuple[tuple[np.ndarray, np.ndarray],
                                                             tuple[np.ndarray, np.ndarray], list[float]]:
        """((offsets, neighbours) out of each node, the same into each node, damping of each node).

        Neighbours are node indices, one per neighbour, each node's sorted by the imported strength
        times the neighbour's damping (largest first), then by CURIE; built once per hub damping.
        """
        found = self._sorted.get(hub_damping)
        if found is None:
            damping = [max(d, 1) ** -hub_damping if hub_damping else 1.0 for d in self._degrees]
            bound = self.imported_strength * np.asarray(damping, dtype=np.float64)
            subjects, objects = self._walked
            n = len(self.names)
            sides = []
            for ends, others in ((subjects, objects), (objects, subjects)):
                order = np.lexsort((self._name_rank[others], -bound[others], ends))
                ends, others = ends[order], others[order]
                distinct = np.ones(len(ends), dtype=bool)
                distinct[1:] = (ends[1:] != ends[:-1]) | (others[1:] != others[:-1])
                ends, others = ends[distinct], others[distinct]
                offsets = np.searchsorted(ends, np.arange(n + 1, dtype=np.int64))
                sides.append((offsets, others))
            found = self._sorted[hub_damping] = (sides[0], sides[1], damping)
        return found

    def damping_array(self, hub_damping: float) -> np.ndarray:
        """The damping of each node index (``sorted_neighbours``) as a numpy array, made once per hub damping."""
        found = self._damping_arrays.get(hub_damping)
        if found is None:
            found = self._damping_arrays[hub_damping] = np.asarray(self.sorted_neighbours(hub_damping)[2],
                                                                   dtype=np.float64)
        return found

    def imported_between(self, source: str, target: str) -> list[Edge]:
        """The imported edges whose subject is ``source`` and object ``target``."""
        i, j = self.graph.index.get(source), self.graph.index.get(target)
        if i is None or j is None:
            return []
        edges = np.asarray(self.out_order[self.out_offsets[i]:self.out_offsets[i + 1]], dtype=np.int64)
        graph = self.graph
        return [ImportedEdge(graph, int(e)) for e in edges[self._objects_np[edges] == j]]

    def _imported(self, node: str, offsets: array[int], order: array[int],
                  predicates: Collection[str] | None) -> list[ImportedEdge]:
        i = self.graph.index.get(node)
        if i is None:
            return []
        edges = order[offsets[i]:offsets[i + 1]]
        if predicates is not None:
            wanted = {j for j, name in enumerate(self.graph.predicate_names) if name in predicates}
            if not wanted:
                return []
            edges = array("i", (e for e in edges if self.graph.predicates[e] in wanted))
        graph = self.graph
        return [ImportedEdge(graph, e) for e in edges]

    def edges_from(self, node: str, predicates: Collection[str] | None = None) -> list[Edge]:
        """Curated and imported edges whose subject is ``node``."""
        return [*self.curated.edges_from(node, predicates),
                *self._imported(node, self.out_offsets, self.out_order, predicates)]

    def edges_to(self, node: str, predicates: Collection[str] | None = None) -> list[Edge]:
        """Curated and imported edges whose object is ``node``."""
        return [*self.curated.edges_to(node, predicates),
                *self._imported(node, self.in_offsets, self.in_order, predicates)]

    def kind_of(self, node: str) -> str | None:
        """A curated node's kind; an imported node's by its Biolink category (None when kmoa has none)."""
        found = self.kg.nodes.get(node)
        if found is not None:
            return found.kind
        i = self.graph.index.get(node)
        return self._kinds.get(self.graph.categories[i]) if i is not None else None

    def degree(self, node: str) -> int:
        """Imported edges touching ``node`` (hub damping is for the import's hubs, see the class)."""
        return self._degree.get(node, 0)


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


def resolve(kg: KnowledgeGraph, graph: ImportedGraph, query: str) -> str:
    """Resolve a curated name/synonym/CURIE, or an imported CURIE (mapped onto its curated node)."""
    if query in graph.index:
        return graph.nodes[graph.index[query]]
    return kg.resolve(query)


def search_merged_paths(kg: KnowledgeGraph, graph: ImportedGraph, source: str, target: str, k: int = 10,
                        max_hops: int = 4, hub_damping: float | None = None, max_steps: int = 2_000_000,
                        merged: MergedEdges | None = None, filters: PathFilters | None = None) -> PathSearch:
    """The k best mechanism paths over the merged graph, with ``graph.search``: weakest link, hub-damped.

    Pass ``merged`` (from ``MergedEdges``) to reuse the arrays across queries; ``hub_damping``
    defaults to the schema's ``walk.hub_damping.merged``. As in ``kmoa paths``, a path must pass
    through a mechanism node unless ``filters.allow_direct``. Imported edges have no species or
    route, so those filters keep them; a minimum evidence type stronger than an imported edge
    excludes them. ``exact`` is False only when ``max_steps`` ran out.
    """
    filters = filters or PathFilters()
    if hub_damping is None:
        hub_damping = kg.schema.walk.hub_damping_merged
    edges = merged or MergedEdges(kg, graph)
    source_id, target_id = resolve(kg, graph, source), resolve(kg, graph, target)
    relatives = None
    if filters.compound:
        filters = replace(filters, compound=kg.resolve(filters.compound, kinds=("compound",)))
        relatives = relatives_of(kg, filters.compound or "")
    walk = Walk(kg.schema, edges, filters, relatives, hub_damping)
    accept = None if filters.allow_direct else crosses_mechanism(kg.schema.walk, edges.kind_of)
    return search_paths(walk, source_id, target_id, k=k, max_hops=max_hops, accept=accept, max_steps=max_steps,
                        backward_depth=deep_end_split(walk, source_id, target_id, max_hops))


def trace_merged_paths(kg: KnowledgeGraph, graph: ImportedGraph, source: str, target: str, k: int = 10,
                       max_hops: int = 4, hub_damping: float | None = None, max_steps: int = 2_000_000,
                       merged: MergedEdges | None = None, filters: PathFilters | None = None) -> list[MechanismPath]:
    """The paths of ``search_merged_paths`` (same arguments)."""
    return search_merged_paths(kg, graph, source, target, k=k, max_hops=max_hops, hub_damping=hub_damping,
                               max_steps=max_steps, merged=merged, filters=filters).paths
