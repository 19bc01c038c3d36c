"""Rows as RDF and back: the form every RDF store adapter writes, keeping every column of every row.

A node row is its IRI with ``rdf:type kmoa:NodeRow``; an edge row is a statement node
(``ROW_EDGE_BASE`` + its id, ``rdf:type kmoa:EdgeRow``) with ``rdf:subject`` / ``rdf:predicate`` /
``rdf:object``, beside the direct triple ``subject predicate object`` that plain SPARQL walks. Every
non-empty column of a row is a ``ROW_COLUMN`` + column literal (one per value of a list, typed for
booleans and numbers, JSON for nested values), so provenance survives whatever the source: a
curated claim's section, references and quote, an imported edge's KGX id, knowledge level and
publications. The columns are properties of their own, so rows sit beside the curated RDF form
(``loaders.formats.rdf``) in one store without adding answers to its queries. ``rows_query`` and
``rows_from_bindings`` read rows back.

An Oxigraph import writes each imported edge once: its statement in Biolink's terms
(``kgx_import.nquads``: ``IMPORTED_EDGE_BASE`` + NAME/LINE with ``rdf:subject`` / ``rdf:predicate`` /
``rdf:object``, ``kmoa:id``, the knowledge source and level, publications and the source-unit columns)
is also typed ``kmoa:EdgeRow``, and is that edge's row: its ``id`` is ``kgx:NAME:LINE`` (from the IRI),
its subject and object the ``id`` columns of its nodes' rows, ``imported`` true and its other columns
the statement's properties (``STATEMENT_COLUMNS``). So the row costs one quad beside the statement,
not a second description of the same facts.

Every term is built by pyoxigraph's typed constructors, so no identifier or text can end a term early;
an edge whose subject or object is not among the written (or ``known``) nodes is refused (``RowError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote, unquote

from kmoa.graph.rows import IMPORT_PROVENANCE_COLUMNS, EdgeRow, NodeRow
from kmoa.graph.sparql import sparql_string
from kmoa.loaders.base import Row, RowError, RowSink
from kmoa.loaders.formats.kgx_import import KMOA_ID, iri_text
from kmoa.ontology.namespaces import BIOLINK, IMPORTED_EDGE_BASE, ROW_COLUMN, ROW_EDGE_BASE, VOCAB

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
LIST_COLUMNS = frozenset(name for typed in (NodeRow, EdgeRow) for name, kind in typed.__annotations__.items()
                         if "list[" in str(kind))
JSON_COLUMNS = frozenset(name for typed in (NodeRow, EdgeRow) for name, kind in typed.__annotations__.items()
                         if "dict[" in str(kind))
#: The row columns an imported edge's statement carries as its own properties (see the module docstring).
STATEMENT_COLUMNS: dict[str, str] = {
    RDF + "predicate": "predicate", KMOA_ID: "kgx_id",
    BIOLINK + "primary_knowledge_source": "primary_knowledge_source", BIOLINK + "knowledge_level": "knowledge_level",
    BIOLINK + "publications": "publications", **{VOCAB + name: name for name in IMPORT_PROVENANCE_COLUMNS}}


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        return _text_literal(json.dumps(value, sort_keys=True, ensure_ascii=False))
    if isinstance(value, (str, bool, int, float)):
        return _scalar_literal(value)
    return _text_literal(str(value))


@lru_cache(maxsize=1 << 16, typed=True)
def _scalar_literal(value: Any) -> str:
    """A literal of a row's value (remembered: names, sources, levels and nodes repeat across rows)."""
    import pyoxigraph as ox

    if isinstance(value, bool):
        return str(ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD_BOOLEAN)))
    if isinstance(value, (int, float)):
        return str(ox.Literal(value))
    return _text_literal(str(value))


def _text_literal(text: str) -> str:
    import pyoxigraph as ox

    return str(ox.Literal(text))


@cache
def _column_iri(column: str) -> str:
    import pyoxigraph as ox

    return str(ox.NamedNode(ROW_COLUMN + column))


def _columns(subject: str, row: Row, end: str) -> Iterator[str]:
    for column, value in row.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        prop = _column_iri(column)
        for item in values:
            if item is not None and item != "":
                yield f"{subject} {prop} {_literal(item)}{end}"


def edge_iri(edge_id: str) -> str:
    """The IRI of an edge row's statement node."""
    return ROW_EDGE_BASE + quote(edge_id, safe="")


def row_lines(nodes: Iterable[Row], edges: Iterable[Row], known: Collection[str] = (),
              graph_of: Callable[[Row], str | None] | None = None, chunk: int = 10_000) -> Iterator[str]:
    """The rows as chunks of N-Triples, or of N-Quads when ``graph_of`` names a graph for each row.

    An edge's subject and object must be among the written nodes or ``known`` (RowError otherwise,
    raised while the chunks are made, so a loader fed by them fails before it commits).
    """
    import pyoxigraph as ox

    rdf_type, subject_, predicate_, object_ = (str(ox.NamedNode(RDF + name))
                                               for name in ("type", "subject", "predicate", "object"))
    node_class, edge_class = str(ox.NamedNode(VOCAB + "NodeRow")), str(ox.NamedNode(VOCAB + "EdgeRow"))
    written: set[str] = set(known)
    iris: dict[str, str] = {}  # a node or predicate recurs on many edges: expand its CURIE once

    def iri(curie: str) -> str:
        found = iris.get(curie)
        if found is None:
            found = iris[curie] = iri_text(curie)
        return found

    def end(row: Row) -> str:
        graph = graph_of(row) if graph_of is not None else None
        return f" {ox.NamedNode(graph)} .\n" if graph else " .\n"

    out: list[str] = []
    for row in nodes:
        try:
            node = iri(row["id"])
        except (KeyError, ValueError) as err:
            raise RowError(f"node row {row.get('id')!r}: {err}") from None
        written.add(row["id"])
        tail = end(row)
        out.append(f"{node} {rdf_type} {node_class}{tail}")
        out.extend(_columns(node, row, tail))
        if len(out) >= chunk:
            yield "".join(out)
            out = []
    for row in edges:
        missing = [e for e in ("subject", "object") if row.get(e) not in written]
        if missing:
            raise RowError(f"edge row {row.get('id')!r}: its {' and '.join(missing)} is not among the written nodes")
        try:
            s, p, o = iri(row["subject"]), iri(row["predicate"]), iri(row["object"])
            statement = str(ox.NamedNode(edge_iri(str(row["id"]))))
        except (KeyError, ValueError) as err:
            raise RowError(f"edge row {row.get('id')!r}: {err}") from None
        tail = end(row)
        out.append(f"{s} {p} {o}{tail}{statement} {rdf_type} {edge_class}{tail}{statement} {subject_} {s}{tail}"
                   f"{statement} {predicate_} {p}{tail}{statement} {object_} {o}{tail}")
        out.extend(_columns(statement, row, tail))
        if len(out) >= chunk:
            yield "".join(out)
            out = []
    yield "".join(out)


def rows_to_ntriples(nodes: Iterable[Row], edges: Iterable[Row]) -> bytes:
    """N-Triples of the rows (see the module docstring); RowError for an edge that joins unknown nodes."""
    return "".join(row_lines(nodes, edges)).encode("utf-8")


def rows_query(kind: str, column: str | None = None, value: str | None = None) -> str:
    """SELECT ``?row ?column ?value`` of every ``kind`` row (NodeRow, EdgeRow), or those with ``column`` = ``value``.

    Edge rows are read in both forms: columns of their own, and imported edges' statements (see the
    module docstring), whose ``?column`` is a ``STATEMENT_COLUMNS`` property or ``ROW_COLUMN`` subject/object.
    """
    match = f"?row <{ROW_COLUMN}{column}> {sparql_string(value)} ." if column and value is not None else ""
    own = f"""{{ ?row a <{VOCAB}{kind}> . {match}
    ?row ?column ?value .
    FILTER(STRSTARTS(STR(?column), "{ROW_COLUMN}")) }}"""
    if kind != "EdgeRow":
        return f"SELECT ?row ?column ?value WHERE {{\n  {own}\n}}"
    properties = " ".join(f"<{iri}>" for iri in STATEMENT_COLUMNS)
    ends = " UNION ".join(f"{{ ?row <{RDF}{end}>/<{ROW_COLUMN}id> ?value . BIND(<{ROW_COLUMN}{end}> AS ?column) }}"
                          for end in ("subject", "object"))
    return f"""SELECT ?row ?column ?value WHERE {{
  {own}
  UNION
  {{ ?row a <{VOCAB}{kind}> . {_statement_match(column, value) if column and value is not None else ""}
    FILTER(STRSTARTS(STR(?row), "{IMPORTED_EDGE_BASE}"))
    {{ VALUES ?column {{ {properties} }} ?row ?column ?value }} UNION {ends} }}
}}"""


def _statement_match(column: str, value: str) -> str:
    """The pattern that picks imported edges' statements whose row has ``column`` = ``value``."""
    import pyoxigraph as ox

    if column in ("subject", "object"):
        return f"?row <{RDF}{column}>/<{ROW_COLUMN}id> {sparql_string(value)} ."
    try:
        if column in ("predicate", "kmoa_predicate"):
            curie = value if column == "predicate" else f"biolink:{value}"
            return f"?row <{RDF}predicate> {iri_text(curie)} ." if curie.startswith("biolink:") else "FILTER(false)"
        if column == "id":
            name, _, line = value.removeprefix("kgx:").rpartition(":")
            if not value.startswith("kgx:") or not line.isdigit():
                return "FILTER(false)"
            return f"FILTER(?row = {ox.NamedNode(IMPORTED_EDGE_BASE + quote(name, safe='') + '/' + line)})"
    except ValueError:  # not an identifier that can be written: no statement has it
        return "FILTER(false)"
    prop = next((iri for iri, name in STATEMENT_COLUMNS.items() if name == column), None)
    return f"?row <{prop}> {sparql_string(value)} ." if prop else "FILTER(false)"


def _statement_row(iri: str) -> dict[str, Any]:
    """The columns an imported edge's statement implies: its id (``kgx:NAME:LINE``) and ``imported``."""
    name, _, line = iri[len(IMPORTED_EDGE_BASE):].rpartition("/")
    return {"id": f"kgx:{unquote(name)}:{line}", "imported": True}


def rows_from_bindings(bindings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows regrouped from ``rows_query`` answers (lists sorted, JSON columns parsed), sorted by id."""
    rows: dict[str, dict[str, Any]] = {}
    for binding in bindings:
        iri, prop, value = str(binding["row"]), str(binding["column"]), binding["value"]
        row = rows.get(iri)
        if row is None:
            row = rows[iri] = _statement_row(iri) if iri.startswith(IMPORTED_EDGE_BASE) else {}
        column = prop[len(ROW_COLUMN):] if prop.startswith(ROW_COLUMN) else STATEMENT_COLUMNS[prop]
        if prop == RDF + "predicate":  # an imported edge's Biolink predicate, and its local name
            value = "biolink:" + str(value).removeprefix(BIOLINK)
            row["kmoa_predicate"] = value.split(":", 1)[1]
        if column in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        if column in LIST_COLUMNS:
            row.setdefault(column, []).append(value)
        else:
            row[column] = value
    for row in rows.values():
        for column in LIST_COLUMNS & row.keys():
            row[column] = sorted(row[column], key=str)
    return sorted(rows.values(), key=lambda r: str(r.get("id")))


class RdfRowSink(RowSink):
    """Rows gathered, then handed to ``commit`` as N-Triples at ``finish`` (one atomic replacement by the store)."""

    def __init__(self, commit: Callable[[bytes], None]) -> None:
        self.commit = commit
        self.nodes: list[Row] = []
        self.edges: list[Row] = []

    def write_node(self, row: Row) -> None:
        """Gather a node row."""
        self.nodes.append(row)

    def write_edge(self, row: Row) -> None:
        """Gather an edge row."""
        self.edges.append(row)

    def finish(self) -> None:
        """Convert every row (RowError before anything is committed), then commit them at once."""
        self.commit(rows_to_ntriples(self.nodes, self.edges))
