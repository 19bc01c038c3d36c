"""``memory:``: a store held in this process, queried with SPARQL by the Oxigraph engine (``sparql_engine``)."""

from __future__ import annotations

from typing import Any

from graph.results import QueryResult
from graph.sparql import DEFAULT_LIMIT, DEFAULT_TIMEOUT
from loaders.base import RowSink
from loaders.formats.row_rdf import RdfRowSink, rows_from_bindings, rows_query
from loaders.stores.adapter import Store
from loaders.stores.sparql_engine import QueryEngine, run_query

READ_LIMIT = 10_000_000


class MemoryStore(Store):
    """Rows as RDF in memory; a write swaps the whole data set at once."""

    scheme = "memory"
    language = "sparql"

    def __init__(self, locator: str = "", **options: Any) -> None:
        super().__init__(locator)
        self._data = b""
        self._engine: QueryEngine | None = None

    def writer(self) -> RowSink:
        """Rows in; the data set is replaced when the sink finishes."""
        return RdfRowSink(self._replace)

    def _replace(self, data: bytes) -> None:
        self.close()
        self._data = data

    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Read-only SPARQL over the rows' RDF form."""
        if self._engine is None:
            self._engine = QueryEngine(self._data, workers=1)
        return run_query(self._engine, text, timeout=timeout, limit=limit)

    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Node rows read back from the RDF form."""
        return rows_from_bindings(self.query(rows_query("NodeRow", column, value), limit=READ_LIMIT).rows)

    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Edge rows read back from the RDF form."""
        return rows_from_bindings(self.query(rows_query("EdgeRow", column, value), limit=READ_LIMIT).rows)

    def close(self) -> None:
        """Stop the query workers."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
