"""Read a public graph in KGX TSV (nodes.tsv, edges.tsv) to merge it with the curated graph.

Reading (``read_kgx``) validates both files completely before anything is written: a malformed
row is reported with its file and line number (up to ``MAX_ERRORS`` of them at once). Nodes are
matched onto curated nodes by CURIE and by ``xref``: an imported node whose id or xref equals a
curated node's id or xref *is* that curated node. Edges keep their ``primary_knowledge_source``;
the curated sources' knowledge sources (``infores:kmoa`` for the review) are reserved for curated
edges, so the two can always be told apart.

Node ids are checked by ``graph.identifiers`` when read, and every term is built by pyoxigraph's
typed constructors when written (``nquads``, the edges' statements in Biolink's terms the Oxigraph
store adds). Every store takes an import as rows (``graph.imported.merged_rows``) through
``Store.merge`` (``loaders.stores.adapter``); ``graph.imported`` searches paths over the merged graph.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kmoa.graph.identifiers import check_curie, curie_problem
from kmoa.graph.imported import KNOWLEDGE_LEVELS, ImportedGraph
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import IMPORT_PROVENANCE_COLUMNS
from kmoa.loaders.formats.kgx import SEP, KgxFormatError, TsvTable
from kmoa.ontology.namespaces import BIOLINK, IMPORT_GRAPH_BASE, IMPORTED_EDGE_BASE, VOCAB, source_graph

MAX_ERRORS = 20
BIOLINK_CATEGORY = re.compile(r"^biolink:[A-Z][A-Za-z]*$")
BIOLINK_PREDICATE = re.compile(r"^biolink:[a-z][a-z0-9_]*$")
INFORES = re.compile(r"^infores:[A-Za-z0-9][A-Za-z0-9_.-]*$")
FALLBACK_IRI = "https://bioregistry.io/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
KMOA_XREF = VOCAB + "xref"
BIOLINK_CATEGORY_IRI = BIOLINK + "category"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
KMOA_ID = VOCAB + "id"


class KgxImportError(KgxFormatError):
    """Malformed rows in a KGX import; the message lists each with its file and line."""


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
    curated = {source.infores for source in kg.sources.values()}  # reserved for curated edges
    with _table(path, ["subject", "predicate", "object", "primary_knowledge_source"], errors) as table, \
            _progress(path.stat().st_size, f"reading {path.name}", progress) as bar:
        header = table.header
        s_col, p_col, o_col = header.index("subject"), header.index("predicate"), header.index("object")
        k_col = header.index("primary_knowledge_source")
        id_col = header.index("id") if "id" in header else None
        level_col = header.index("knowledge_level") if "knowledge_level" in header else None
        pub_col = header.index("publications") if "publications" in header else None
        kept = [(name, header.index(name), kind) for name, kind in IMPORT_PROVENANCE_COLUMNS.items() if name in header]
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
            if k is None and INFORES.match(source) and source not in curated:
                k = sources[source] = len(sources)
                graph.source_names.append(source)
            if s is None or o is None or p is None or k is None:
                errors.add(path, lineno, _edge_problem(subject, obj, predicate, source, s, o, p, curated))
                continue
            level_cell = cells[level_col] if level_col is not None else ""
            level = levels.get(level_cell) if level_cell else not_provided
            if level is None:
                errors.add(path, lineno, f"knowledge_level '{level_cell}' is not one of {', '.join(KNOWLEDGE_LEVELS)}")
                continue
            if kept:
                values = _provenance(cells, kept)
                if isinstance(values, str):
                    errors.add(path, lineno, values)
                    continue
                if values:
                    graph.provenance[len(subjects)] = values
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


def _provenance(cells: list[str], kept: list[tuple[str, int, type]]) -> dict[str, str | int] | str:
    """The non-empty provenance cells of a row (``IMPORT_PROVENANCE_COLUMNS``), or what is wrong with one."""
    values: dict[str, str | int] = {}
    for name, col, kind in kept:
        cell = cells[col]
        if not cell:
            continue
        if kind is int:
            if not cell.isdigit():
                return f"{name} '{cell}' is not a line number"
            values[name] = int(cell)
        else:
            values[name] = cell
    return values


def _curated_endpoint(kg: KnowledgeGraph, graph: ImportedGraph, curie: str) -> int | None:
    """An edge may point straight at a curated node that nodes.tsv does not list."""
    node = kg.nodes.get(curie)
    if node is None:
        return None
    return _add_node(graph, curie, node.name, kg.schema.node_kinds[node.kind].biolink, curated=True)


def _edge_problem(subject: str, obj: str, predicate: str, source: str, s: int | None, o: int | None,
                  p: int | None, curated: set[str]) -> str:
    if s is None:
        return f"subject '{subject}' is neither in nodes.tsv nor a curated node"
    if o is None:
        return f"object '{obj}' is neither in nodes.tsv nor a curated node"
    if p is None:
        return f"predicate '{predicate}' is not a Biolink predicate (biolink:snake_case)"
    if source in curated:
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

    from kmoa.loaders.formats.rdf import converter

    expanded = converter().expand(check_curie(curie))
    if expanded is None:
        expanded = FALLBACK_IRI + quote(curie, safe=":/._-~()!$&'*+,;=@")
    return ox.NamedNode(expanded)


@lru_cache(maxsize=1 << 18)
def iri_text(curie: str) -> str:
    """``<IRI>`` of a CURIE as N-Triples writes it (see ``named_node``; remembered, as rows repeat nodes)."""
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
    ``biolink:primary_knowledge_source``, ``biolink:knowledge_level``, one
    ``biolink:publications`` per publication and ``kmoa:COLUMN`` for each provenance column the edge
    has (``IMPORT_PROVENANCE_COLUMNS``: a DrugMechDB path's id, drug, disease and YAML lines, so
    SPARQL gets every path back as a unit), typed ``kmoa:EdgeRow``: the statement is also the edge's
    row (``loaders.formats.row_rdf``), which the store adapter and ``kmoa paths --store`` read (seven
    quads per edge and one per publication, which multiplies the size and load time of a large
    import by about seven; ``provenance=False`` skips them, and with them the imported rows).

    Every term is built by pyoxigraph's typed constructors (``NamedNode`` checks the IRI,
    ``Literal`` escapes the text) and written in pyoxigraph's own serialisation; only whole
    terms are joined into lines, so no identifier or name can end a term early.
    """
    import pyoxigraph as ox

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

    subject, predicate, object_, kmoa_id, pks, level, publication, rdf_type, edge_row = (
        str(ox.NamedNode(i)) for i in (RDF + "subject", RDF + "predicate", RDF + "object", KMOA_ID,
                                       BIOLINK + "primary_knowledge_source", BIOLINK + "knowledge_level",
                                       BIOLINK + "publications", RDF + "type", VOCAB + "EdgeRow"))
    sources = [str(ox.Literal(s)) for s in graph.source_names]
    levels = [str(ox.Literal(v)) for v in KNOWLEDGE_LEVELS]
    columns = {name: str(ox.NamedNode(VOCAB + name)) for name in IMPORT_PROVENANCE_COLUMNS}
    xsd_integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    out = []
    for e in edges:
        g = graphs[graph.sources[e]]
        node = str(ox.NamedNode(edge_iri(graph, e)))
        out.append(f"{node} {rdf_type} {edge_row} {g} .\n"
                   f"{node} {subject} {iris[graph.subjects[e]]} {g} .\n"
                   f"{node} {predicate} {predicates[graph.predicates[e]]} {g} .\n"
                   f"{node} {object_} {iris[graph.objects[e]]} {g} .\n"
                   f"{node} {kmoa_id} {ox.Literal(graph.edge_id(e))} {g} .\n"
                   f"{node} {pks} {sources[graph.sources[e]]} {g} .\n"
                   f"{node} {level} {levels[graph.levels[e]]} {g} .\n")
        for reference in graph.publications.get(e, ()):
            out.append(f"{node} {publication} {ox.Literal(reference)} {g} .\n")
        for column, value in graph.provenance.get(e, {}).items():
            literal = ox.Literal(str(value), datatype=xsd_integer) if isinstance(value, int) else ox.Literal(value)
            out.append(f"{node} {columns[column]} {literal} {g} .\n")
    return "".join(out)


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


def import_summary(graph: ImportedGraph, began: float, target: str) -> ImportSummary:
    """What an import of ``graph`` into ``target`` wrote, timed from ``began`` (``time.perf_counter``)."""
    return ImportSummary(nodes=len(graph.nodes), new_nodes=graph.new_nodes, mapped=len(graph.aliases),
                         edges=graph.edge_count, sources=tuple(graph.source_names),
                         seconds=round(time.perf_counter() - began, 3), target=target)
