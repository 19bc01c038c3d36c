"""Merge a public graph in KGX TSV (nodes.tsv, edges.tsv) with the curated graph.

Reading (``read_kgx``) validates both files completely before anything is written: a malformed
row is reported with its file and line number (up to ``MAX_ERRORS`` of them at once). Nodes are
matched onto curated nodes by CURIE and by ``xref``: an imported node whose id or xref equals a
curated node's id or xref *is* that curated node. Edges keep their ``primary_knowledge_source``;
``infores:kmoa`` is reserved for curated edges, so the two can always be told apart.

Writers:

* ``import_into_oxigraph``: a new generation of the store (``loaders.oxigraph_store.updating_store``)
  gets the current curated graph, one named graph per knowledge source (``source_graph``) and the
  imported nodes' labels and categories in ``IMPORT_GRAPH_BASE + name``; the store switches to it
  only when everything succeeded. Re-importing a source replaces its named graph.

Node ids are checked by ``graph.identifiers`` when read, and every term is built by pyoxigraph's
typed constructors when written.
* ``import_into_neo4j``: one transaction (invisible until its commit) with ``loaders.neo4j.load_rows``
  (curated and imported rows together). Imported relationships carry
  ``primary_knowledge_source`` (never ``infores:kmoa``) and ``imported: true``.

Path tracing over the merged graph: ``merged_adjacency`` feeds ``graph.paths.best_paths`` with
curated steps plus imported steps (strength ``walk.imported_strength`` of the schema, attribute
``imported``); the
imported half is a compressed adjacency whose ``PathStep`` objects are built only for the nodes
the best-first search actually expands, so nothing enumerates all simple paths.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.identifiers import check_curie, curie_problem
from graph.model import KnowledgeGraph
from graph.paths import MechanismPath, PathFilters, PathStep, best_paths, build_adjacency, crosses_mechanism
from graph.records import PRIMARY_KNOWLEDGE_SOURCE
from loaders.kgx import SEP, KgxFormatError, TsvTable
from ontology.namespaces import BIOLINK, IMPORT_GRAPH_BASE, IMPORTED_EDGE_BASE, VOCAB

if TYPE_CHECKING:
    import neo4j

MAX_ERRORS = 20
BIOLINK_CATEGORY = re.compile(r"^biolink:[A-Z][A-Za-z]*$")
BIOLINK_PREDICATE = re.compile(r"^biolink:[a-z][a-z0-9_]*$")
INFORES = re.compile(r"^infores:[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Biolink's KnowledgeLevelEnum; an edges file without the column gets "not_provided".
KNOWLEDGE_LEVELS = ("knowledge_assertion", "logical_entailment", "prediction", "statistical_association",
                    "observation", "not_provided")
FALLBACK_IRI = "https://bioregistry.io/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
KMOA_XREF = VOCAB + "xref"
BIOLINK_CATEGORY_IRI = BIOLINK + "category"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
KMOA_ID = VOCAB + "id"


class KgxImportError(KgxFormatError):
    """Malformed rows in a KGX import; the message lists each with its file and line."""


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


# -- reading -------------------------------------------------------------------------------------


class _Errors:
    """Collects located row errors and raises them together."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, path: Path, lineno: int, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(f"{path}:{lineno}: {message}")

    def raise_if_any(self) -> None:
        if self.count:
            more = f"\n... and {self.count - len(self.messages)} more" if self.count > len(self.messages) else ""
            raise KgxImportError(f"{self.count} malformed row(s); nothing was imported:\n"
                                 + "\n".join(self.messages) + more)


def _table(path: Path, required: list[str], errors: _Errors) -> TsvTable:
    """The file's rows; malformed ones are collected in ``errors`` so that all are listed at once."""
    return TsvTable(path, required, error=KgxImportError,
                    on_error=lambda line, message: errors.add(path, line, message))


def curated_keys(kg: KnowledgeGraph) -> dict[str, str]:
    """Every curated id and xref -> the curated CURIE (ids win over xrefs; ties by smallest id)."""
    keys: dict[str, str] = {}
    for curie in sorted(kg.nodes):
        for xref in kg.nodes[curie].xref:
            keys.setdefault(xref, curie)
    keys.update({curie: curie for curie in kg.nodes})
    return keys


def _progress(total: int, desc: str, show: bool | None, unit: str = "B") -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False,
                disable=(not sys.stderr.isatty()) if show is None else not show)


def read_kgx(directory: Path, kg: KnowledgeGraph, name: str | None = None,
             progress: bool | None = None) -> ImportedGraph:
    """Validate and load ``directory``/nodes.tsv and edges.tsv, mapping nodes onto the curated graph.

    Raises KgxImportError listing malformed rows (file:line) before anything is written anywhere.
    """
    directory = Path(directory)
    nodes_path, edges_path = directory / "nodes.tsv", directory / "edges.tsv"
    for path in (nodes_path, edges_path):
        if not path.is_file():
            raise KgxImportError(f"{path}: no such file (a KGX import needs nodes.tsv and edges.tsv)")
    keys = curated_keys(kg)
    graph = ImportedGraph(name=name or directory.resolve().name, nodes=[], names=[], categories=[],
                          curated=bytearray(), index={}, aliases={}, edges_file=edges_path.name)
    errors = _Errors()
    _read_nodes(nodes_path, kg, keys, graph, errors)
    errors.raise_if_any()
    _read_edges(edges_path, kg, graph, errors, progress)
    errors.raise_if_any()
    return graph


def _add_node(graph: ImportedGraph, curie: str, name: str, category: str, curated: bool) -> int:
    index = graph.index.get(curie)
    if index is None:
        index = graph.index[curie] = len(graph.nodes)
        graph.nodes.append(curie)
        graph.names.append(name)
        graph.categories.append(category)
        graph.curated.append(1 if curated else 0)
    return index


def _read_nodes(path: Path, kg: KnowledgeGraph, keys: dict[str, str], graph: ImportedGraph,
                errors: _Errors) -> None:
    seen: set[str] = set()
    with _table(path, ["id", "category"], errors) as table:
        col = table.column
        name_col, xref_col = col.get("name"), col.get("xref")
        for lineno, cells in table.rows():
            curie = cells[col["id"]]
            category = cells[col["category"]].split(SEP)[0]
            problem = curie_problem(curie)
            if problem is not None:
                errors.add(path, lineno, f"id: {problem}")
                continue
            if not BIOLINK_CATEGORY.match(category):
                errors.add(path, lineno, f"{curie}: category '{category}' is not a Biolink class (biolink:Xxx)")
                continue
            if curie in seen:
                errors.add(path, lineno, f"duplicate node id '{curie}'")
                continue
            seen.add(curie)
            xrefs = [x for x in cells[xref_col].split(SEP) if x] if xref_col is not None else []
            target = next((keys[c] for c in (curie, *xrefs) if c in keys), None)
            name = cells[name_col] if name_col is not None and cells[name_col] else curie
            if target is None:
                _add_node(graph, curie, name, category, curated=False)
                continue
            _add_node(graph, target, kg.nodes[target].name, category, curated=True)
            if target != curie:
                graph.aliases[curie] = target
                graph.index[curie] = graph.index[target]


def _read_edges(path: Path, kg: KnowledgeGraph, graph: ImportedGraph, errors: _Errors,
                progress: bool | None) -> None:
    predicates: dict[str, int] = {}
    sources: dict[str, int] = {}
    index = graph.index
    with _table(path, ["subject", "predicate", "object", "primary_knowledge_source"], errors) as table, \
            _progress(path.stat().st_size, f"reading {path.name}", progress) as bar:
        header = table.header
        s_col, p_col, o_col = header.index("subject"), header.index("predicate"), header.index("object")
        k_col = header.index("primary_knowledge_source")
        id_col = header.index("id") if "id" in header else None
        level_col = header.index("knowledge_level") if "knowledge_level" in header else None
        pub_col = header.index("publications") if "publications" in header else None
        levels = {name: i for i, name in enumerate(KNOWLEDGE_LEVELS)}
        not_provided = levels["not_provided"]
        ids: list[str] | None = [] if id_col is not None else None
        graph.edge_ids = ids
        subjects, objects, preds, srcs, lines = (graph.subjects, graph.objects, graph.predicates,
                                                 graph.sources, graph.lines)
        shown = 0
        for lineno, cells in table.rows():
            if lineno % 200_000 == 0:
                bar.update(table.chars_read - shown)
                shown = table.chars_read
            subject, predicate, obj, source = cells[s_col], cells[p_col], cells[o_col], cells[k_col]
            s = index.get(subject)
            if s is None:
                s = _curated_endpoint(kg, graph, subject)
            o = index.get(obj)
            if o is None:
                o = _curated_endpoint(kg, graph, obj)
            p = predicates.get(predicate)
            if p is None and BIOLINK_PREDICATE.match(predicate):
                p = predicates[predicate] = len(predicates)
                graph.predicate_names.append(predicate)
            k = sources.get(source)
            if k is None and INFORES.match(source) and source != PRIMARY_KNOWLEDGE_SOURCE:
                k = sources[source] = len(sources)
                graph.source_names.append(source)
            if s is None or o is None or p is None or k is None:
                errors.add(path, lineno, _edge_problem(subject, obj, predicate, source, s, o, p))
                continue
            level_cell = cells[level_col] if level_col is not None else ""
            level = levels.get(level_cell) if level_cell else not_provided
            if level is None:
                errors.add(path, lineno, f"knowledge_level '{level_cell}' is not one of {', '.join(KNOWLEDGE_LEVELS)}")
                continue
            if pub_col is not None and cells[pub_col]:
                graph.publications[len(subjects)] = tuple(v for v in cells[pub_col].split(SEP) if v)
            if ids is not None and id_col is not None:
                ids.append(cells[id_col])
            graph.levels.append(level)
            subjects.append(s)
            objects.append(o)
            preds.append(p)
            srcs.append(k)
            lines.append(lineno)
        bar.update(table.chars_read - shown)
    if len(predicates) > 65535 or len(sources) > 65535:
        raise KgxImportError(f"{path}: more than 65535 distinct predicates or sources")


def _curated_endpoint(kg: KnowledgeGraph, graph: ImportedGraph, curie: str) -> int | None:
    """An edge may point straight at a curated node that nodes.tsv does not list."""
    node = kg.nodes.get(curie)
    if node is None:
        return None
    return _add_node(graph, curie, node.name, kg.schema.node_kinds[node.kind].biolink, curated=True)


def _edge_problem(subject: str, obj: str, predicate: str, source: str, s: int | None, o: int | None,
                  p: int | None) -> str:
    if s is None:
        return f"subject '{subject}' is neither in nodes.tsv nor a curated node"
    if o is None:
        return f"object '{obj}' is neither in nodes.tsv nor a curated node"
    if p is None:
        return f"predicate '{predicate}' is not a Biolink predicate (biolink:snake_case)"
    if source == PRIMARY_KNOWLEDGE_SOURCE:
        return f"primary_knowledge_source '{source}' is reserved for curated edges"
    return f"primary_knowledge_source '{source}' is not an infores CURIE (infores:xxx)"


# -- RDF / Oxigraph --------------------------------------------------------------------------------


def named_node(curie: str) -> Any:
    """The pyoxigraph IRI of a checked CURIE (``graph.identifiers``).

    Declared prefixes expand as in the curated RDF, others via bioregistry.io; InvalidIdentifier or
    ValueError (pyoxigraph's IRI parser) for an identifier that may not be written.
    """
    from urllib.parse import quote

    import pyoxigraph as ox

    from loaders.rdf import converter

    expanded = converter().expand(check_curie(curie))
    if expanded is None:
        expanded = FALLBACK_IRI + quote(curie, safe=":/._-~()!$&'*+,;=@")
    return ox.NamedNode(expanded)


def iri_text(curie: str) -> str:
    """``<IRI>`` of a CURIE as N-Triples writes it (see ``named_node``)."""
    return str(named_node(curie))


def import_graph_iri(name: str) -> str:
    """Named graph holding an import's node labels, categories and xref mappings."""
    from urllib.parse import quote


    return IMPORT_GRAPH_BASE + quote(name, safe="")


def edge_iri(graph: ImportedGraph, e: int) -> str:
    """IRI of the statement that carries edge ``e``'s provenance (unique per import and line)."""
    from urllib.parse import quote

    return f"{IMPORTED_EDGE_BASE}{quote(graph.name, safe='')}/{graph.lines[e]}"


def nquads(graph: ImportedGraph, progress: bool | None = None, provenance: bool = True) -> Iterator[str]:
    """The imported graph as N-Quads chunks: nodes into the import graph, edges into source graphs.

    Each edge is the direct triple ``subject predicate object`` (what plain SPARQL walks) and, with
    ``provenance``, a statement node (``edge_iri``) in the same source graph, described as curated
    claims are: ``rdf:subject/predicate/object``, ``kmoa:id`` (the KGX id),
    ``biolink:primary_knowledge_source``, ``biolink:knowledge_level`` and one
    ``biolink:publications`` per publication (six quads per edge and one per publication, which
    multiplies the size and load time of a large import by about six; ``provenance=False`` skips them).

    Every term is built by pyoxigraph's typed constructors (``NamedNode`` checks the IRI,
    ``Literal`` escapes the text) and written in pyoxigraph's own serialisation; only whole
    terms are joined into lines, so no identifier or name can end a term early.
    """
    import pyoxigraph as ox

    from loaders.oxigraph_store import source_graph

    iris = [iri_text(c) for c in graph.nodes]
    node_graph = str(ox.NamedNode(import_graph_iri(graph.name)))
    label, category, xref = (str(ox.NamedNode(i)) for i in (RDFS_LABEL, BIOLINK_CATEGORY_IRI, KMOA_XREF))
    chunk = []
    for i in range(len(graph.nodes)):
        if not graph.curated[i]:
            chunk.append(f"{iris[i]} {label} {ox.Literal(graph.names[i])} {node_graph} .\n")
            chunk.append(f"{iris[i]} {category} {iri_text(graph.categories[i])} {node_graph} .\n")
    for alias, curie in sorted(graph.aliases.items()):
        chunk.append(f"{iri_text(curie)} {xref} {ox.Literal(alias)} {node_graph} .\n")
    yield "".join(chunk)
    predicates = [iri_text(p) for p in graph.predicate_names]
    graphs = [str(ox.NamedNode(source_graph(s))) for s in graph.source_names]
    step = 50_000
    with _progress(graph.edge_count, "writing edges", progress, unit="edges") as bar:
        for start in range(0, graph.edge_count, step):
            end = min(start + step, graph.edge_count)
            yield "".join(
                f"{iris[s]} {predicates[p]} {iris[o]} {graphs[k]} .\n"
                for s, p, o, k in zip(graph.subjects[start:end], graph.predicates[start:end],
                                      graph.objects[start:end], graph.sources[start:end], strict=True))
            if provenance:
                yield _statements(graph, range(start, end), iris, predicates, graphs)
            bar.update(end - start)


def _statements(graph: ImportedGraph, edges: range, iris: list[str], predicates: list[str],
                graphs: list[str]) -> str:
    """The provenance statements of some edges as N-Quads (see ``nquads``)."""
    import pyoxigraph as ox

    subject, predicate, object_, kmoa_id, pks, level, publication = (
        str(ox.NamedNode(i)) for i in (RDF + "subject", RDF + "predicate", RDF + "object", KMOA_ID,
                                       BIOLINK + "primary_knowledge_source", BIOLINK + "knowledge_level",
                                       BIOLINK + "publications"))
    sources = [str(ox.Literal(s)) for s in graph.source_names]
    levels = [str(ox.Literal(v)) for v in KNOWLEDGE_LEVELS]
    out = []
    for e in edges:
        g = graphs[graph.sources[e]]
        node = str(ox.NamedNode(edge_iri(graph, e)))
        out.append(f"{node} {subject} {iris[graph.subjects[e]]} {g} .\n"
                   f"{node} {predicate} {predicates[graph.predicates[e]]} {g} .\n"
                   f"{node} {object_} {iris[graph.objects[e]]} {g} .\n"
                   f"{node} {kmoa_id} {ox.Literal(graph.edge_id(e))} {g} .\n"
                   f"{node} {pks} {sources[graph.sources[e]]} {g} .\n"
                   f"{node} {level} {levels[graph.levels[e]]} {g} .\n")
        for reference in graph.publications.get(e, ()):
            out.append(f"{node} {publication} {ox.Literal(reference)} {g} .\n")
    return "".join(out)


def _bulk_load_streamed(store: Any, chunks: Iterator[str]) -> None:
    """Bulk-load N-Quads while they are being generated (a pipe between a thread and the loader)."""
    import pyoxigraph as ox

    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "w", encoding="utf-8", buffering=1 << 20) as out:
                for chunk in chunks:
                    out.write(chunk)
        except BaseException as err:  # re-raised below; the loader then sees a short input
            failure.append(err)

    producer = threading.Thread(target=produce, name="kgx-nquads", daemon=True)
    producer.start()
    try:
        with os.fdopen(read_fd, "rb", buffering=1 << 20) as source:
            # Every term was built and checked by pyoxigraph's constructors (see ``nquads``), so the
            # parser's own IRI validation, which doubles the load time, is skipped.
            store.bulk_load(input=source, format=ox.RdfFormat.N_QUADS, lenient=True)
    finally:
        producer.join()
    if failure:
        raise failure[0]


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    nodes: int
    new_nodes: int
    mapped: int
    edges: int
    sources: tuple[str, ...]
    seconds: float
    target: str


def import_into_oxigraph(store_path: Path, kg: KnowledgeGraph, graph: ImportedGraph,
                         progress: bool | None = None, provenance: bool = True) -> ImportSummary:
    """Write curated + imported graphs into a copy of the store and swap it in (see module docstring)."""
    import pyoxigraph as ox

    from loaders.oxigraph_store import load_curated, source_graph, updating_store

    began = time.perf_counter()
    with updating_store(Path(store_path)) as store:
        load_curated(store, kg)
        for iri in [import_graph_iri(graph.name), *(source_graph(s) for s in graph.source_names)]:
            if store.contains_named_graph(ox.NamedNode(iri)):
                store.clear_graph(ox.NamedNode(iri))
        _bulk_load_streamed(store, nquads(graph, progress, provenance))
    return _summary(graph, began, f"oxigraph:{store_path}")


def _summary(graph: ImportedGraph, began: float, target: str) -> ImportSummary:
    return ImportSummary(nodes=len(graph.nodes), new_nodes=graph.new_nodes, mapped=len(graph.aliases),
                         edges=graph.edge_count, sources=tuple(graph.source_names),
                         seconds=round(time.perf_counter() - began, 3), target=target)


# -- Neo4j ---------------------------------------------------------------------------------------------


def kind_for(kg: KnowledgeGraph, category: str) -> str:
    """The kmoa node kind of a Biolink category, or ``imported_entity`` when the schema has none."""
    for kind in kg.schema.node_kinds.values():
        if kind.biolink == category:
            return str(kind.name)
    return "imported_entity"


def neo4j_node_rows(kg: KnowledgeGraph, graph: ImportedGraph) -> Iterator[dict[str, Any]]:
    """KGX-style rows of the imported nodes that matched no curated node."""
    kinds: dict[str, str] = {}
    for i, curie in enumerate(graph.nodes):
        if graph.curated[i]:
            continue
        category = graph.categories[i]
        kind = kinds.get(category) or kinds.setdefault(category, kind_for(kg, category))
        yield {"id": check_curie(curie), "category": [category], "name": graph.names[i], "kmoa_kind": kind,
               "provided_by": [f"kgx:{graph.name}"], "imported": True}


def neo4j_edge_rows(graph: ImportedGraph) -> Iterator[dict[str, Any]]:
    """KGX-style rows of the imported edges; the relationship type is the predicate's local name."""
    locals_ = [p.split(":", 1)[1] for p in graph.predicate_names]
    for e in range(graph.edge_count):
        p = graph.predicates[e]
        yield {"id": f"kgx:{graph.name}:{graph.lines[e]}", "kgx_id": graph.edge_id(e),
               "subject": graph.nodes[graph.subjects[e]],
               "object": graph.nodes[graph.objects[e]], "predicate": graph.predicate_names[p],
               "kmoa_predicate": locals_[p], "primary_knowledge_source": graph.source_names[graph.sources[e]],
               "knowledge_level": KNOWLEDGE_LEVELS[graph.levels[e]],
               "publications": list(graph.publications.get(e, ())) or None, "imported": True}


def import_into_neo4j(driver: neo4j.Driver, kg: KnowledgeGraph, graph: ImportedGraph,
                      progress: bool | None = None, **options: Any) -> ImportSummary:
    """Replace the Neo4j graph with curated + imported rows in one transaction (``load_rows``).

    Nothing of the new graph is visible before the commit, and a failed or killed import leaves
    the previous graph and nothing else.
    """
    from loaders.kgx import edge_rows, node_rows
    from loaders.neo4j import load_rows

    began = time.perf_counter()

    def nodes() -> Iterator[dict[str, Any]]:
        yield from node_rows(kg)
        yield from neo4j_node_rows(kg, graph)

    def edges() -> Iterator[dict[str, Any]]:
        yield from edge_rows(kg)
        yield from neo4j_edge_rows(graph)

    load_rows(driver, nodes(), edges(), progress=progress, **options)
    return _summary(graph, began, "neo4j")


def delete_retired(driver: neo4j.Driver, database: str, batch: int = 10_000) -> None:
    """Delete generations an earlier loader layout retired: relationships first, in small transactions."""
    from loaders.neo4j import RETIRED

    with driver.session(database=database) as session:
        session.run(f"MATCH (:{RETIRED})-[r]-() CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {batch} ROWS").consume()
        session.run(f"MATCH (n:{RETIRED}) CALL (n) {{ DELETE n }} IN TRANSACTIONS OF {batch} ROWS").consume()


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
