"""An imported KGX graph in the explorer: names and kinds of imported nodes, imported edges by claim id.

Imported steps of merged paths have claim ids ``SOURCE/edges.tsv:LINE`` (see
``graph.imported.imported_claim_id``). The explorer keeps no table of imported edges: an id is
decoded back into the edge's row from the compact arrays (the edges are in file order, so
the line is a bisection), which keeps selections in the URL working for any imported edge.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import MechanismPath, PathFilters, trace_mechanism_paths

if TYPE_CHECKING:
    from kmoa.graph.imported import ImportedGraph, MergedEdges


def canonical(graph: ImportedGraph | None, curie: str | None) -> str | None:
    """The node an imported CURIE (or one of its aliases) stands for; None if the import lacks it."""
    if graph is None or not curie:
        return None
    i = graph.index.get(curie)
    return graph.nodes[i] if i is not None else None


def imported_edge_index(graph: ImportedGraph | None, claim_id: str) -> int | None:
    """The imported edge a claim id (``SOURCE/edges.tsv:LINE``) names, as its index (None if it names none)."""
    if graph is None:
        return None
    source, sep, where = claim_id.partition("/")
    file, _, line = where.rpartition(":")
    if not sep or file != graph.edges_file or not line.isdigit():
        return None
    lineno = int(line)
    e = bisect_left(graph.lines, lineno)
    if e >= len(graph.lines) or graph.lines[e] != lineno or graph.source_names[graph.sources[e]] != source:
        return None
    return e


def imported_edge_for(graph: ImportedGraph | None, claim_id: str, strength: float) -> dict[str, Any] | None:
    """The imported edge a claim id names (``graph.imported.imported_edge``: its row), None if it names none."""
    from kmoa.graph.imported import imported_edge

    e = imported_edge_index(graph, claim_id)
    return None if graph is None or e is None else imported_edge(graph, e, strength)


def predicate_label(predicate: str) -> str:
    """'biolink:interacts_with' -> 'interacts with'."""
    return predicate.split(":", 1)[-1].replace("_", " ")


def trace_merged(kg: KnowledgeGraph, graph: ImportedGraph, merged: MergedEdges, source: str, target: str,
                 filters: PathFilters, k: int) -> list[MechanismPath]:
    """Ranked paths over curated + imported edges under the tracer's filters.

    The filters apply to curated claims exactly as in ``trace_mechanism_paths``. Imported edges
    have no species or route, so those filters keep them; when a minimum evidence type stronger
    than an imported edge excludes them all, the trace is the curated one.
    """
    from kmoa.graph.imported import trace_merged_paths

    if filters.min_evidence and kg.schema.evidence_strength(filters.min_evidence) > kg.schema.walk.imported_strength:
        if source not in kg.nodes or target not in kg.nodes:
            return []
        return trace_mechanism_paths(kg, source, target, k=k, filters=filters)
    return trace_merged_paths(kg, graph, source, target, k=k, merged=merged, filters=filters)
