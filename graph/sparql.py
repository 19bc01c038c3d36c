"""Read-only SPARQL over the curated graph, with a timeout, a row cap and a byte cap.

Queries are evaluated by Oxigraph in worker processes that have no network and are killed at
the timeout (``loaders.stores.sparql_engine``); the engine that runs a query also decides whether it
is read-only. Answers are ``graph.results.QueryResult``, as for every query language.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from kmoa.graph.results import QueryResult, ask_result
from kmoa.ontology import namespaces

DEFAULT_TIMEOUT = 10.0
DEFAULT_LIMIT = 10_000
# Answers (rows or triples, as text) larger than this are refused rather than built.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
# Heap a query worker may use; a query that needs more is stopped (the worker is replaced).
DEFAULT_WORKER_MEMORY = 4 * 1024 * 1024 * 1024
# Brackets ({ ( [) nested deeper than this are refused before parsing.
MAX_NESTING = 256
PREFIXES = f"""PREFIX kmoa: <{namespaces.VOCAB}>
PREFIX claim: <{namespaces.CLAIM}>
PREFIX biolink: <{namespaces.BIOLINK}>
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
PREFIX KMOA: <{namespaces.BASE}>
"""
# The same prefixes as a map: given to the parser, so the user's line numbers stay the user's.
PREFIX_MAP = {line.split()[1].rstrip(":"): line.split()[2].strip("<>") for line in PREFIXES.splitlines()}
# The same prefixes on one line, for stores elsewhere: line numbers in their errors stay the user's.
PREFIX_LINE = " ".join(PREFIXES.splitlines()) + " "


class QueryRefused(ValueError):
    """The query would write, or reach outside the graph; it was not run."""


class QueryTimeout(TimeoutError):
    """The query ran past its timeout and was stopped."""


class QuerySyntaxError(ValueError):
    """The query does not parse."""


class QueryTooDeep(QuerySyntaxError):
    """The query nests brackets deeper than ``MAX_NESTING``."""


class QueryFailed(ValueError):
    """The query parsed but its evaluation failed (a bad IRI, a type error the engine raises, ...)."""


class AnswerTooLarge(ValueError):
    """The answer would be larger than the byte cap; it was not built."""


def rdflib_term(term: tuple[Any, ...] | None) -> Any:
    """Convert an engine term tuple to an rdflib term (None stays None)."""
    from rdflib import XSD, BNode, Literal, URIRef

    if term is None:
        return None
    if term[0] == "uri":
        return URIRef(term[1])
    if term[0] == "bnode":
        return BNode(term[1])
    _, value, datatype, language = term
    if language:
        return Literal(value, lang=language)
    if datatype in (None, str(XSD.string)):
        return Literal(value)
    return Literal(value, datatype=URIRef(datatype))


def python_value(term: Any) -> Any:
    """A plain Python value for an rdflib term: numbers, booleans and strings as such, IRIs as strings."""
    if term is None:
        return None
    from rdflib import Literal

    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, (int, float, bool, str)) else str(term)
    return str(term)


def sparql_string(text: str) -> str:
    """A SPARQL string literal holding ``text`` exactly."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def ntriples_graph(data: str) -> Any:
    """An rdflib Graph of N-Triples text, with the kmoa prefixes bound (for readable Turtle)."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=data, format="nt")
    for prefix, namespace in PREFIX_MAP.items():
        graph.bind(prefix, namespace, override=False)
    return graph


def result_from_engine(answer: tuple[Any, ...]) -> QueryResult:
    """A QueryResult with plain values from an engine answer (``loaders.stores.sparql_engine.evaluate``)."""
    if answer[0] == "ASK":
        return ask_result(answer[1])
    if answer[0] == "SELECT":
        _, names, rows, truncated = answer
        return QueryResult(list(names), [{n: python_value(rdflib_term(t)) for n, t in zip(names, row, strict=True)}
                                         for row in rows], truncated)
    _, data, truncated = answer
    return QueryResult([], [], truncated, kind="CONSTRUCT", graph=ntriples_graph(data))


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
    folder = files("kmoa.graph") / "queries"
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
