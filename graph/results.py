"""One result type for every query, whatever its language (SPARQL, Cypher) and the store that answered it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueryResult:
    """Columns and rows of an answer (an ASK's one boolean row, a CONSTRUCT's graph), and whether rows were cut.

    ``kind`` is SELECT, ASK or CONSTRUCT for SPARQL, and the server's query type (``r``, ``rw``, ``w``,
    ``s``) for Cypher. Values are plain Python values, except where an endpoint keeps the RDF terms
    it serialises (``loaders.servers.sparql_server``).
    """

    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False
    kind: str = "SELECT"
    graph: Any = field(default=None, repr=False)

    @property
    def columns(self) -> list[str]:
        """The variables under Cypher's name for them."""
        return self.variables

    @property
    def boolean(self) -> bool | None:
        """An ASK's answer (None for other kinds)."""
        return bool(self.rows[0]["ask"]) if self.kind == "ASK" and self.rows else None


def ask_result(value: bool) -> QueryResult:
    """The answer of an ASK query."""
    return QueryResult(["ask"], [{"ask": bool(value)}], kind="ASK")
