"""Mechanism paths over the RDF graph: a SPARQL query generated from the walk rules feeds the one search.

The query returns every reified claim (``kmoa:Claim``) a path may walk: its predicate is walked
(``walk.forward`` or ``walk.parent_to_child``), both ends are of a ``walk.node_kinds`` kind, its
finding is walked, and it passes the caller's species, route and evidence filters. Its rows go
through the one search (``graph.search``) exactly like the curated graph's claims and the Cypher
candidate rows, so SPARQL, Python and Cypher give the same paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kmoa.graph.rows import canmat_text
from kmoa.graph.search import MechanismPath, PathFilters, search_edge_list
from kmoa.graph.sparql import sparql_string
from kmoa.loaders.stores.sparql_engine import run_query
from kmoa.ontology.schema import Schema, load_schema

if TYPE_CHECKING:
    from rdflib import Graph


def _values(pairs: list[tuple[str, str]], left: str, right: str) -> str:
    rows = " ".join(f"({a} {sparql_string(b)})" for a, b in pairs)
    return f"VALUES (?{left} ?{right}) {{ {rows} }}"


def walk_edges_query(schema: Schema, filters: PathFilters) -> str:
    """The SELECT returning every walkable claim under the filters, generated from ``schema.walk``."""
    rules = schema.walk
    predicates = [(f"kmoa:{p}", p) for p in sorted(rules.walked_predicates)]
    kinds = [(f"kmoa:{schema.node_kinds[k].class_name}", k) for k in sorted(rules.node_kinds)]
    findings = ", ".join(sparql_string(f) for f in rules.walked_findings(filters.include_negative))
    conditions = [f"?finding IN ({findings})"]
    if filters.human_only:
        dropped = ", ".join(sparql_string(s) for s in sorted(rules.human_only_drops))
        conditions.append(f"?species NOT IN ({dropped})")
    if filters.route:
        conditions.append(f"(!BOUND(?route) || ?route = {sparql_string(filters.route)})")
    if filters.min_evidence:
        floor = rules.evidence_strengths.get(filters.min_evidence, 0.0)
        allowed = sorted(name for name, strength in rules.evidence_strengths.items() if strength >= floor)
        conditions.append(f"?evidence_type IN ({', '.join(sparql_string(e) for e in allowed)})")
    return f"""SELECT ?id ?subject ?object ?kmoa_predicate ?subject_kind ?object_kind ?evidence_type ?species ?finding
       ?contested ?canmat_level ?route
WHERE {{
  ?c a kmoa:Claim ; kmoa:id ?id ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
     kmoa:evidence_type ?evidence_type ; kmoa:species ?species .
  ?s kmoa:id ?subject ; a ?subject_class .
  ?o kmoa:id ?object ; a ?object_class .
  {_values(predicates, "p", "kmoa_predicate")}
  {_values(kinds, "subject_class", "subject_kind")}
  {_values(kinds, "object_class", "object_kind")}
  OPTIONAL {{ ?c kmoa:finding ?stated }}
  BIND(COALESCE(?stated, "positive") AS ?finding)
  OPTIONAL {{ ?c kmoa:contested ?contested }}
  OPTIONAL {{ ?c kmoa:canmat_level ?canmat_level }}
  OPTIONAL {{ ?c kmoa:route ?route }}
  FILTER({" && ".join(conditions)})
}}"""


def relatives_query(schema: Schema, compound: str) -> str:
    """The compound and its children along the parent-to-child predicates (its metabolites and enantiomers)."""
    predicates = " ".join(f"kmoa:{p}" for p in sorted(schema.walk.parent_to_child))
    return f"""SELECT DISTINCT ?child WHERE {{
  VALUES ?p {{ {predicates} }}
  ?c a kmoa:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  ?o kmoa:id {sparql_string(compound)} . ?s kmoa:id ?child .
}}"""


def candidate_row(schema: Schema, binding: Mapping[str, Any]) -> dict[str, Any]:
    """One answer of ``walk_edges_query`` as the columns of its claim's row the search reads (``graph.rows``)."""
    level = binding.get("canmat_level")
    return {"id": binding["id"], "subject": binding["subject"], "object": binding["object"],
            "predicate": schema.predicates[binding["kmoa_predicate"]].biolink,
            "kmoa_predicate": binding["kmoa_predicate"], "evidence_type": binding["evidence_type"],
            "species": binding["species"], "finding": binding["finding"], "contested": bool(binding.get("contested")),
            "evidence_level": canmat_text(None if level is None else int(level), None),
            "route": binding.get("route") or ""}


def trace_paths_sparql(graph: Graph, source: str, target: str, k: int = 10, filters: PathFilters | None = None,
                       max_hops: int = 8, schema: Schema | None = None, timeout: float = 30.0) -> list[MechanismPath]:
    """Ranked mechanism paths between two CURIEs, their candidate edges fetched with SPARQL."""
    schema = schema or load_schema()
    filters = filters or PathFilters()
    limit = 1_000_000
    rows = run_query(graph, walk_edges_query(schema, filters), timeout=timeout, limit=limit).rows
    relatives = None
    if filters.compound:
        found = run_query(graph, relatives_query(schema, filters.compound), timeout=timeout, limit=limit).rows
        relatives = frozenset({filters.compound, *(str(r["child"]) for r in found)})
    kinds: dict[str, str] = {}
    edges: list[dict[str, Any]] = []
    for row in rows:
        kinds[row["subject"]], kinds[row["object"]] = row["subject_kind"], row["object_kind"]
        edges.append(candidate_row(schema, row))
    return search_edge_list(schema, edges, kinds, source, target, k=k, max_hops=max_hops, filters=filters,
                            relatives=relatives).paths
