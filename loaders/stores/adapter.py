"""Stores behind one selector, ``open_store("scheme:locator")``: rows in, queries and candidate edges out.

Every store offers the same three things: ``writer()`` (a ``RowSink`` whose ``finish`` replaces the
store's rows atomically: a failed write leaves the previous state), ``query`` in the store's own
language (SPARQL or Cypher, read-only, with a timeout and a row cap; one ``QueryResult``), and the
candidate edges the one path search asks for (``edges_from``, ``edges_to``, ``kind_of``, ``degree``,
as rows, the one vocabulary of every edge; ``paths`` runs ``graph.search`` over them).
``node_rows`` / ``edge_rows`` read rows back; ``merge`` writes the curated graph with an import, as the
rows every import reaches every store as (``graph.imported.merged_rows``).

A new store is one module with a ``Store`` subclass plus one line in ``STORES``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from kmoa.graph.results import QueryResult
from kmoa.graph.rows import walked_predicate
from kmoa.graph.sparql import DEFAULT_LIMIT, DEFAULT_TIMEOUT
from kmoa.loaders.base import Row, RowSink, write_rows

if TYPE_CHECKING:
    from kmoa.graph.imported import ImportedGraph
    from kmoa.graph.model import KnowledgeGraph
    from kmoa.graph.search import PathFilters, PathSearch
    from kmoa.loaders.formats.kgx_import import ImportSummary

# scheme -> "module:class"; the module is imported only when a store of that scheme is opened.
STORES: dict[str, str] = {
    "memory": "kmoa.loaders.stores.memory:MemoryStore",
    "oxigraph": "kmoa.loaders.stores.oxigraph_store:OxigraphStore",
    "neo4j": "kmoa.loaders.stores.neo4j:Neo4jStore",
    "sparql": "kmoa.loaders.stores.sparql_remote:RemoteSparqlStore",
}

# Rows read back at once (a store's whole contents, or one node's edges).
READ_LIMIT = 10_000_000


class StoreSpecError(ValueError):
    """A store selector that names no known store."""


class Store(ABC):
    """One store: write rows, query, and hand the path search its candidate edges."""

    scheme: ClassVar[str]
    language: ClassVar[str]  # the query language: "sparql" or "cypher"

    def __init__(self, locator: str, **options: Any) -> None:
        self.locator = locator

    @property
    def spec(self) -> str:
        """The selector that opens this store again."""
        return f"{self.scheme}:{self.locator}"

    @abstractmethod
    def writer(self) -> RowSink:
        """A sink whose ``finish`` replaces the store's rows with the ones written to it, atomically."""

    def write(self, nodes: Iterable[Row], edges: Iterable[Row]) -> None:
        """Replace the store's rows with ``nodes`` and ``edges`` (nothing changes if anything fails)."""
        write_rows(self.writer(), nodes, edges)

    def merge(self, kg: KnowledgeGraph, imported: ImportedGraph, progress: bool | None = None,
              **options: Any) -> ImportSummary:
        """Replace the store's rows with the curated graph's and an import's (``graph.imported.merged_rows``).

        The same rows every store is given for an import, written atomically like any rows; a store
        that keeps earlier imports beside the curated graph (Oxigraph) extends this.
        """
        import time

        from kmoa.graph.imported import merged_rows
        from kmoa.loaders.formats.kgx_import import import_summary

        began = time.perf_counter()
        self.write(*merged_rows(kg, imported))
        return import_summary(imported, began, self.spec)

    @abstractmethod
    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Run a read-only query in the store's language."""

    @abstractmethod
    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """The node rows (those whose ``column`` is ``value``, if given), sorted by id."""

    @abstractmethod
    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """The edge rows (those whose ``column`` is ``value``, if given), sorted by id."""

    def edges_from(self, node: str, predicates: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Candidate edges whose subject is ``node`` (only those with one of ``predicates``, if given)."""
        return self._edges("subject", node, predicates)

    def edges_to(self, node: str, predicates: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Candidate edges whose object is ``node`` (only those with one of ``predicates``, if given)."""
        return self._edges("object", node, predicates)

    def _edges(self, end: str, node: str, predicates: Collection[str] | None) -> list[dict[str, Any]]:
        edges = self.edge_rows(end, node)
        return edges if predicates is None else [e for e in edges if walked_predicate(e) in predicates]

    def kind_of(self, node: str) -> str | None:
        """The kmoa node kind of ``node`` (None: unknown to the store, or an imported category without one)."""
        rows = self.node_rows("id", node)
        return str(rows[0]["kmoa_kind"]) if rows and rows[0].get("kmoa_kind") else None

    def degree(self, node: str) -> int:
        """How many edges touch ``node``."""
        return len(self.edge_rows("subject", node)) + len(self.edge_rows("object", node))

    def paths(self, source: str, target: str, k: int = 10, max_hops: int = 8,
              filters: PathFilters | None = None, hub_damping: float | None = None) -> PathSearch:
        """The k best mechanism paths between two CURIEs over this store's candidate edges (``graph.search``)."""
        from kmoa.graph.search import PathFilters, Walk, crosses_mechanism, search_paths
        from kmoa.ontology.schema import load_schema

        schema = load_schema()
        rules, filters = schema.walk, filters or PathFilters()
        relatives = None
        if filters.compound:
            children = self.edges_to(filters.compound, rules.parent_to_child)
            relatives = frozenset({filters.compound, *(e["subject"] for e in children)})
        damping = rules.hub_damping_curated if hub_damping is None else hub_damping
        walk = Walk(schema, self, filters, relatives, damping)
        accept = None if filters.allow_direct else crosses_mechanism(rules, walk.kind_of)
        return search_paths(walk, source, target, k=k, max_hops=max_hops, accept=accept)

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release what the store holds open."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RdfStore(Store):
    """A store that holds rows in their RDF form (``loaders.formats.row_rdf``) and answers SPARQL."""

    language = "sparql"

    def writer(self) -> RowSink:
        """Rows in; ``replace`` gets them as N-Triples when the sink finishes."""
        from kmoa.loaders.formats.row_rdf import RdfRowSink

        return RdfRowSink(self.replace)

    @abstractmethod
    def replace(self, data: bytes) -> None:
        """Replace the store's rows with these N-Triples at once."""

    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Node rows read back from their RDF form."""
        from kmoa.loaders.formats.row_rdf import rows_from_bindings, rows_query

        return rows_from_bindings(self.query(rows_query("NodeRow", column, value), limit=READ_LIMIT).rows)

    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Edge rows read back from their RDF form."""
        from kmoa.loaders.formats.row_rdf import rows_from_bindings, rows_query

        return rows_from_bindings(self.query(rows_query("EdgeRow", column, value), limit=READ_LIMIT).rows)


def open_store(spec: str, **options: Any) -> Store:
    """The store a selector names: ``memory:``, ``oxigraph:DIR``, ``neo4j:bolt://...``, ``sparql:https://...``.

    ``options`` go to the store (credentials, a Graph Store Protocol URL, ...). StoreSpecError for a
    selector that names no known store.
    """
    scheme, colon, locator = spec.partition(":")
    if not colon or scheme not in STORES:
        raise StoreSpecError(f"unknown store '{spec}': use one of " + ", ".join(f"{s}:..." for s in STORES))
    module, _, name = STORES[scheme].partition(":")
    store: Store = getattr(importlib.import_module(module), name)(locator, **options)
    return store
