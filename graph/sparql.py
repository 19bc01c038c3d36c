"""Read-only SPARQL over the embedded rdflib graph, with a timeout and a result cap.

Updates, ``SERVICE`` clauses and ``FROM``/``FROM NAMED`` (which would make rdflib fetch URLs)
are refused before evaluation. Queries run in a worker thread; one that outlives its timeout
is interrupted with an asynchronous exception, so a runaway query cannot hold the process.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rdflib import Graph

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0
DEFAULT_LIMIT = 10_000
PREFIXES = """PREFIX kmoa: <https://w3id.org/kmoa/vocab/>
PREFIX claim: <https://w3id.org/kmoa/claim/>
PREFIX biolink: <https://w3id.org/biolink/vocab/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX CHEBI: <http://purl.obolibrary.org/obo/CHEBI_>
PREFIX GO: <http://purl.obolibrary.org/obo/GO_>
PREFIX HGNC: <http://identifiers.org/hgnc/>
PREFIX MONDO: <http://purl.obolibrary.org/obo/MONDO_>
PREFIX EFO: <http://www.ebi.ac.uk/efo/EFO_>
PREFIX HP: <http://purl.obolibrary.org/obo/HP_>
PREFIX UBERON: <http://purl.obolibrary.org/obo/UBERON_>
PREFIX CL: <http://purl.obolibrary.org/obo/CL_>
PREFIX KMOA: <https://w3id.org/kmoa/>
"""


class QueryRefused(ValueError):
    """The query would write, or reach outside the graph; it was not run."""


class QueryTimeout(TimeoutError):
    """The query ran past its timeout and was stopped."""


class QuerySyntaxError(ValueError):
    """The query does not parse."""


@dataclass
class QueryResult:
    """Variables and rows of a SELECT (or one boolean row of an ASK), plus truncation info."""

    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False
    kind: str = "SELECT"
    graph: Any = field(default=None, repr=False)


def _walk(node: Any) -> Any:
    """Yield every part of an rdflib parse tree (CompValues are dicts, ParseResults are lists)."""
    from pyparsing import ParseResults

    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for value in node:
            yield from _walk(value)


def check_read_only(query: str) -> Any:
    """Parse the query; refuse updates, SERVICE and FROM. Returns rdflib's parse tree."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        tree = parseQuery(query)
    except ParseException as err:
        try:
            parseUpdate(query)
        except ParseException:
            where = f"line {err.lineno}, column {err.column}"
            raise QuerySyntaxError(f"SPARQL syntax error at {where}: {err.msg}") from None
        raise QueryRefused("SPARQL updates are not allowed: queries are read-only.") from None
    for part in _walk(tree):
        name = getattr(part, "name", None)
        if name == "ServiceGraphPattern":
            raise QueryRefused("SERVICE clauses are refused: queries may not reach other endpoints.")
        if isinstance(part, dict) and "datasetClause" in part.keys() and len(part["datasetClause"]):
            raise QueryRefused("FROM / FROM NAMED are refused: queries may not load remote graphs.")
    return tree


def _raise_in_thread(thread: threading.Thread, exc: type[BaseException]) -> None:
    ident = thread.ident
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))


def _python_value(term: Any) -> Any:
    if term is None:
        return None
    from rdflib import Literal, URIRef

    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, (int, float, bool, str)) else str(term)
    if isinstance(term, URIRef):
        return str(term)
    return str(term)


def _engine_error(err: Exception) -> Exception:
    """Turn an error of rdflib for a query that parsed but cannot run into a QuerySyntaxError."""
    text = str(err)
    if text.startswith("Unknown namespace prefix"):
        prefix = text.rpartition(":")[2].strip()
        return QuerySyntaxError(f"SPARQL: unknown prefix '{prefix}:' (declare it with PREFIX {prefix}: <IRI>)")
    if isinstance(err, (ValueError, OverflowError)) and ("islice" in text or "too large" in text):
        return QuerySyntaxError(f"SPARQL: LIMIT or OFFSET is too large (at most {sys.maxsize})")
    return err


def run_query(graph: Graph, query: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT,
              add_prefixes: bool = True) -> QueryResult:
    """Run a read-only query with a timeout and a row cap."""
    full = (PREFIXES + query) if add_prefixes else query
    check_read_only(full)
    def work() -> QueryResult:
        try:
            return evaluate()
        except QueryTimeout:
            raise
        except Exception as err:
            raise _engine_error(err) from err

    def evaluate() -> QueryResult:
        result = graph.query(full)
        if result.type == "ASK":
            return QueryResult(["ask"], [{"ask": bool(result.askAnswer)}], kind="ASK")
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult([], [], kind=result.type, graph=result.graph)
        variables = [str(v) for v in result.vars or []]
        rows: list[dict[str, Any]] = []
        truncated = False
        for row in result:
            if len(rows) >= limit:
                truncated = True
                break
            rows.append({v: _python_value(row[v]) for v in variables})  # type: ignore[index,call-overload]
        return QueryResult(variables, rows, truncated)

    return call_with_timeout(work, timeout)


def call_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn()`` in a worker thread; interrupt it and raise QueryTimeout after ``timeout`` seconds.

    rdflib evaluates in Python, so an asynchronous exception stops a runaway query at its next
    bytecode instead of leaving it to burn a core.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = fn()
        except QueryTimeout:
            outcome["timeout"] = True
        except Exception as err:  # re-raised in the caller's thread
            outcome["error"] = err

    worker = threading.Thread(target=work, name="sparql-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        _raise_in_thread(worker, QueryTimeout)
        worker.join(2.0)
        raise QueryTimeout(f"query stopped after {timeout:g} s (raise the timeout for long queries)")
    if "error" in outcome:
        raise outcome["error"]
    if outcome.get("timeout"):
        raise QueryTimeout(f"query stopped after {timeout:g} s")
    return outcome["value"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class NamedQuery:
    """A stored query users ask often, with its SPARQL and (where written) its Cypher twin."""

    name: str
    title: str
    sparql: str
    cypher: str | None


def _header(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return ""


def named_queries() -> dict[str, NamedQuery]:
    """The library of named queries in ``graph/queries`` (``NAME.rq`` and optional ``NAME.cypher``)."""
    folder = files("graph") / "queries"
    out: dict[str, NamedQuery] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        name = entry.name[:-3]
        sparql = entry.read_text(encoding="utf-8")
        twin = folder / f"{name}.cypher"
        cypher = twin.read_text(encoding="utf-8") if twin.is_file() else None
        out[name] = NamedQuery(name, _header(sparql, "title") or name, sparql, cypher)
    return out
