"""Graph formats for network tools: GraphML (networkx) and Cytoscape.js JSON, written from rows.

Node and edge attributes are the row columns (``graph.rows``), the same names as in KGX and Neo4j.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_rows, node_rows
from kmoa.loaders.base import Row, RowSink, Sink, register_sink, write_rows


def _flat(attrs: Row) -> dict[str, Any]:
    """GraphML takes scalars only: lists are joined with '|', mappings become JSON; empty cells are left out."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple)):
            out[key] = "|".join(str(v) for v in value)
        elif isinstance(value, dict):
            out[key] = json.dumps(value, sort_keys=True, ensure_ascii=False)
        else:
            out[key] = value
    return out


class GraphmlRowSink(RowSink):
    """Rows into a GraphML file (a networkx MultiDiGraph keyed by edge id), written at ``finish``."""

    def __init__(self, out: Path) -> None:
        import networkx as nx

        self.out = out
        self.graph = nx.MultiDiGraph()

    def write_node(self, row: Row) -> None:
        """Add a node with its columns."""
        self.graph.add_node(row["id"], **_flat(row))

    def write_edge(self, row: Row) -> None:
        """Add an edge with its columns."""
        self.graph.add_edge(row["subject"], row["object"], key=row["id"], **_flat(row))

    def finish(self) -> None:
        """Write the file."""
        import networkx as nx

        nx.write_graphml(self.graph, str(self.out))


@register_sink
class GraphmlSink(Sink):
    """GraphML via networkx (lists joined with '|')."""

    format_name = "graphml"

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        write_rows(GraphmlRowSink(out), node_rows(kg), edge_rows(kg))


class CytoscapeRowSink(RowSink):
    """Rows as Cytoscape.js elements (nodes and edges), written to a JSON file at ``finish``."""

    def __init__(self, out: Path) -> None:
        from kmoa.ontology.schema import load_schema

        self.out = out
        self.labels = {name: p.label for name, p in load_schema().predicates.items()}
        self.elements: dict[str, list[dict[str, Any]]] = {"nodes": [], "edges": []}

    def write_node(self, row: Row) -> None:
        """Add a node element, labelled with its name."""
        self.elements["nodes"].append({"data": {**row, "label": row.get("name") or row["id"]}})

    def write_edge(self, row: Row) -> None:
        """Add an edge element, labelled with its predicate."""
        label = self.labels.get(str(row.get("kmoa_predicate")), str(row.get("predicate")))
        self.elements["edges"].append({"data": {**row, "source": row["subject"], "target": row["object"],
                                                "label": label}})

    def finish(self) -> None:
        """Write the JSON file."""
        self.out.write_text(json.dumps({"elements": self.elements}, indent=1, ensure_ascii=False), encoding="utf-8")


@register_sink
class CytoscapeSink(Sink):
    """Cytoscape.js JSON (loadable in Cytoscape desktop and cytoscape.js)."""

    format_name = "cytoscape"

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        write_rows(CytoscapeRowSink(out), node_rows(kg), edge_rows(kg))
