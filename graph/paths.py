"""Mechanism-to-outcome path tracing over the curated graph, ranked by evidence.

Scoring (documented for users):

The rules live in ``ontology/schema.yaml`` (``walk:``, read as ``Schema.walk``): which predicates
are walked and in which direction (metabolite and enantiomer links parent to child), which node
kinds a path may stand on and must cross, and how evidence becomes strength. Every store hands its
candidate edges to the one search in :mod:`graph.search`, so the curated graph, the merged graph,
RDF stores and Neo4j give the same answers.

* Each claim has a *strength* in [0, 1] from its evidence type (meta-analysis 1.0 ... mechanistic
  hypothesis 0.2; CANMAT level 1 raises it), times its finding's factor (mixed halves it; null and
  negative are not walked unless ``include_negative``); contested claims are halved (once).
* A path's *score* is its weakest link: the minimum edge strength. A chain of mechanism is only
  as well supported as its least supported step. Ties are broken by the mean strength, then by
  fewer hops.
* On large merged graphs, ``hub_damping`` (alpha) multiplies the score by deg(v)^-alpha for every
  intermediate node v, like Hetionet's degree-weighted path counts, so hubs do not flood results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.search import (
    CandidateEdges,
    EdgeList,
    MechanismPath,
    PathFilters,
    PathSearch,
    PathStep,
    Walk,
    claim_step_strength,
    crosses_mechanism,
    edge_passes,
    search_paths,
)

__all__ = ["CandidateEdges", "MechanismPath", "PathFilters", "PathStep", "claim_step_strength", "crosses_mechanism",
           "curated_edges", "edge_passes", "relatives_of", "search_curated_paths", "trace_mechanism_paths"]


def relatives_of(kg: KnowledgeGraph, compound: str) -> frozenset[str]:
    """The compound and its children along parent-to-child links (its metabolites and enantiomers)."""
    rules = kg.schema.walk
    return frozenset({compound} | {c.subject for c in kg.claims.values()
                                   if c.predicate in rules.parent_to_child and c.object == compound})


def kind_lookup(kg: KnowledgeGraph) -> Callable[[str], str | None]:
    """The kind of a curated node (None for a CURIE the graph lacks)."""
    nodes = kg.nodes

    def kind_of(curie: str) -> str | None:
        node = nodes.get(curie)
        return node.kind if node is not None else None

    return kind_of


def curated_edges(kg: KnowledgeGraph) -> EdgeList:
    """The curated graph's candidate edges: every claim with a walked predicate."""
    walked = set(kg.schema.walk.walked_predicates)
    return EdgeList((row for row in kg.claim_rows.values() if row["kmoa_predicate"] in walked), kind_lookup(kg))


def search_curated_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 10, max_hops: int = 8,
                         filters: PathFilters | None = None, hub_damping: float | None = None) -> PathSearch:
    """The k best mechanism paths from a compound (name, synonym or CURIE) to a node, and whether proven."""
    filters = filters or PathFilters()
    rules = kg.schema.walk
    if hub_damping is None:
        hub_damping = rules.hub_damping_curated
    source_id = kg.resolve(source)
    target_id = kg.resolve(target)
    relatives = None
    if filters.compound:
        filters = replace(filters, compound=kg.resolve(filters.compound, kinds=("compound",)))
        relatives = relatives_of(kg, filters.compound or "")
    walk = Walk(kg.schema, curated_edges(kg), filters, relatives, hub_damping)
    accept = None if filters.allow_direct else crosses_mechanism(rules, kind_lookup(kg))
    return search_paths(walk, source_id, target_id, k=k, max_hops=max_hops, accept=accept)


def trace_mechanism_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 10, max_hops: int = 8,
                          filters: PathFilters | None = None, hub_damping: float | None = None) -> list[MechanismPath]:
    """Ranked mechanism paths from a compound (name, synonym or CURIE) to an outcome or indication."""
    return search_curated_paths(kg, source, target, k, max_hops, filters, hub_damping).paths
