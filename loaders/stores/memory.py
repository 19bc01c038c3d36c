"""``memory:``: a store held in this process, queried with SPARQL by the Oxigraph engine (``sparql_engine``)."""

from __future__ import annotations

from typing import Any

from kmoa.graph.results import QueryResult
from kmoa.graph.sparql import DEFAULT_LIMIT, DEFAULT_TIMEOUT
from kmoa.loaders.stores.adapter import RdfStore
from kmoa.loaders.stores.sparql_engine import QueryEngine, run_query


class MemoryStore(RdfStore):
    """Rows as RDF in memory; a write swaps the whole data set at once."""

    scheme = "memory"

    def __init__(self, locator: str = "", **options: Any) -> None:
        super().__init__(locator)
        self._data = b""
        self._engine: QueryEngine | None = None

    def replace(self, data: bytes) -> None:
        """Swap the whole data set."""
        self.close()
        self._data = data

    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Read-only SPARQL over the rows' RDF form."""
        if self._engine is None:
            self._engine = QueryEngine(self._data, workers=1)
        return run_query(self._engine, text, timeout=timeout, limit=limit)

    def close(self) -> None:
        """Stop the query workers."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
