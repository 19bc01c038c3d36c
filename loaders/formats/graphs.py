"""Graph formats for network tools: GraphML (networkx) and Cytoscape.js JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.model import KnowledgeGraph
from loaders.base import Sink, register_sink


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    """GraphML takes scalars only: lists are joined with '|', mappings become JSON."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out[key] = "|".join(str(v) for v in value)
        elif isinstance(value, dict):
            out[key] = json.dumps(value, sort_keys=True, ensure_ascii=False)
        else:
            out[key] = value
    return out


@register_sink
class GraphmlSink(Sink):
    """GraphML via networkx (lists joined with '|')."""

    format_name = "graphml"

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        import networkx as nx

        graph = kg.to_networkx()
        flat = nx.MultiDiGraph()
        for node, attrs in graph.nodes(data=True):
            flat.add_node(node, **_flat(attrs))
        for u, v, key, attrs in graph.edges(keys=True, data=True):
            flat.add_edge(u, v, key=key, **_flat(attrs))
        nx.write_graphml(flat, str(out))


def cytoscape_elements(kg: KnowledgeGraph) -> dict[str, list[dict[str, Any]]]:
    """The graph as Cytoscape.js elements ({"nodes": [...], "edges": [...]})."""
    nodes = [{"data": {**kg.node_attributes(kg.nodes[c]), "label": kg.nodes[c].name}} for c in sorted(kg.nodes)]
    edges = []
    for claim in kg.iter_edges():
        attrs = kg.edge_attributes(claim)
        edges.append({"data": {**attrs, "source": claim.subject, "target": claim.object,
                               "label": kg.schema.predicates[claim.predicate].label}})
    return {"nodes": nodes, "edges": edges}


@register_sink
class CytoscapeSink(Sink):
    """Cytoscape.js JSON (loadable in Cytoscape desktop and cytoscape.js)."""

    format_name = "cytoscape"

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        out.write_text(json.dumps({"elements": cytoscape_elements(kg)}, indent=1, ensure_ascii=False),
                       encoding="utf-8")
