"""Everything the explorer needs, prepared once at start-up: never rebuilt inside a callback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import EdgeRow, walked_predicate

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

    from kmoa.explorer.mechanisms import PublicPaths
    from kmoa.graph.imported import ImportedGraph, MergedEdges
    from kmoa.loaders.formats.drugmechdb import DrugMechDB

# The tracer's pickers list an imported graph's new nodes only up to this many (URLs take any CURIE).
IMPORTED_OPTION_LIMIT = 5000
CypherRunner = Callable[[str], tuple[list[str], list[dict[str, Any]]]]


@dataclass(frozen=True)
class ExplorerData:
    """The graph in every form the callbacks use: records, networkx, rdflib, look-up tables."""

    kg: KnowledgeGraph
    graph: nx.MultiDiGraph
    rdf: Graph
    #: Every curated claim's row (``graph.rows.edge_row``), by claim id: the columns the explorer reads.
    edge_rows: Mapping[str, EdgeRow]
    effects: Mapping[str, str]
    node_options: list[dict[str, str]]
    iri_to_curie: Mapping[str, str]
    named_queries: Mapping[str, Any]
    # The SPARQL engine of the console (loaders.stores.sparql_engine.QueryEngine; workers start on first use).
    sparql: Any = None
    cypher: CypherRunner | None = None
    cypher_note: str = ""
    sparql_timeout: float = 10.0
    options: Mapping[str, Any] = field(default_factory=dict)
    # An imported KGX graph (``kmoa explore --import``) and the merged candidate edges, built once.
    imported: ImportedGraph | None = None
    merged: MergedEdges | None = None
    # Public (DrugMechDB) paths the compare-mechanisms view and the contrast tours use.
    public: PublicPaths | None = None

    def node_name(self, curie: str) -> str:
        """The display name of a node (the CURIE itself if unknown)."""
        node = self.kg.nodes.get(curie)
        if node is not None:
            return node.name
        g = self.imported
        i = g.index.get(curie) if g is not None else None
        return g.names[i] if g is not None and i is not None else curie

    def has_node(self, curie: Any) -> TypeGuard[str]:
        """A curated node, or a node of the imported graph."""
        return isinstance(curie, str) and (curie in self.kg.nodes
                                           or (self.imported is not None and curie in self.imported.index))

    def node_kind(self, curie: str) -> str:
        """The kmoa kind of a curated node, or of an imported node's Biolink category."""
        node = self.kg.nodes.get(curie)
        if node is not None:
            return node.kind
        from kmoa.graph.imported import kind_for

        g = self.imported
        i = g.index.get(curie) if g is not None else None
        return kind_for(self.kg, g.categories[i]) if g is not None and i is not None else "imported_entity"

    def kind_label(self, kind: str) -> str:
        """The label of a node kind ('imported entity' for kinds the schema lacks)."""
        spec = self.kg.schema.node_kinds.get(kind)
        return spec.label if spec is not None else kind.replace("_", " ")

    def imported_row(self, claim_id: str) -> dict[str, Any] | None:
        """The row of the imported edge a merged path's claim id names (at the imported strength), else None."""
        from kmoa.explorer.imported import imported_edge_for

        return imported_edge_for(self.imported, claim_id, self.kg.schema.walk.imported_strength)

    def claim_row(self, claim_id: str) -> Mapping[str, Any]:
        """The row of a curated claim or an imported edge (KeyError if neither)."""
        row: Mapping[str, Any] | None = self.edge_rows.get(claim_id)
        if row is None:
            row = self.imported_row(claim_id) if self.imported is not None else None
        if row is None:
            raise KeyError(claim_id)
        return row

    def has_claim(self, claim_id: Any) -> TypeGuard[str]:
        """A curated claim or an imported edge."""
        from kmoa.explorer.imported import imported_edge_index

        return isinstance(claim_id, str) and (claim_id in self.edge_rows or (
            self.imported is not None and imported_edge_index(self.imported, claim_id) is not None))

    def predicate_label(self, predicate: str) -> str:
        """A curated predicate's label, or an imported Biolink predicate in words."""
        spec = self.kg.schema.predicates.get(predicate)
        if spec is not None:
            return spec.label
        from kmoa.explorer.imported import predicate_label

        return predicate_label(predicate)

    def edge_label(self, claim_id: str) -> str:
        """'subject — predicate — object' in words."""
        row = self.claim_row(claim_id)
        pred = self.predicate_label(walked_predicate(row))
        return f"{self.node_name(row['subject'])} — {pred} → {self.node_name(row['object'])}"


def _node_options(kg: KnowledgeGraph) -> list[dict[str, str]]:
    """Options for the path tracer: mechanistic nodes, compounds first, then by name."""
    mechanistic = kg.schema.mechanistic_kinds
    order = list(kg.schema.node_kinds)
    nodes = [n for n in kg.nodes.values() if n.kind in mechanistic]
    nodes.sort(key=lambda n: (order.index(n.kind), n.name.lower()))
    return [{"label": f"{n.name} · {kg.schema.node_kinds[n.kind].label}", "value": n.id} for n in nodes]


def _imported_options(kg: KnowledgeGraph, imported: ImportedGraph) -> list[dict[str, str]]:
    """Picker options for an imported graph's new nodes (none when there are too many for a dropdown)."""
    from kmoa.graph.imported import kind_for

    if imported.new_nodes > IMPORTED_OPTION_LIMIT:
        return []
    out = []
    for i, curie in enumerate(imported.nodes):
        if imported.curated[i]:
            continue
        kind = kind_for(kg, imported.categories[i])
        spec = kg.schema.node_kinds.get(kind)
        label = spec.label if spec is not None else kind.replace("_", " ")
        out.append({"label": f"{imported.names[i]} · {label} (imported, {curie})", "value": curie})
    out.sort(key=lambda o: o["label"].lower())
    return out


def cypher_runner(uri: str, user: str | None, password: str | None,
                  timeout: float = 10.0) -> tuple[CypherRunner | None, str]:
    """Read-only Cypher through ``loaders.stores.neo4j`` (one driver for the app's life), or (None, why not)."""
    try:
        from kmoa.loaders.stores import neo4j as nl
    except ImportError:
        return None, "Cypher is disabled: this build has no loaders.stores.neo4j module."
    try:
        settings = nl.ConnectionSettings.resolve(uri, user, password)
        driver = nl.connect(settings)
    except nl.Neo4jConnectionError as err:
        return None, f"Cypher is disabled: {err}"

    def run(text: str) -> tuple[list[str], list[dict[str, Any]]]:
        result = nl.run_cypher(driver, text, database=settings.database, timeout=timeout)
        return list(result.columns), list(result.rows)

    return run, f"Cypher runs read-only against {settings.uri} (database {settings.database})."


def prepare(kg: KnowledgeGraph, neo4j: str | None = None, neo4j_user: str | None = None,
            neo4j_password: str | None = None, sparql_timeout: float = 10.0,
            imported: ImportedGraph | None = None, drugmechdb: DrugMechDB | None = None) -> ExplorerData:
    """Build the networkx and rdflib graphs, attribute tables and options once.

    With ``imported`` (from ``loaders.formats.kgx_import.read_kgx``) the merged candidate edges are built
    here, once, and the path tracer walks curated and imported edges together. ``drugmechdb`` (a file
    read by ``loaders.formats.drugmechdb``) is what the compare view compares with; without it, the few
    DrugMechDB paths shipped with kmoa.
    """
    from kmoa.explorer.mechanisms import load_public
    from kmoa.graph.sparql import named_queries
    from kmoa.loaders.formats.rdf import iri, to_rdf
    from kmoa.loaders.stores.sparql_engine import QueryEngine

    effects = {name: p.effect for name, p in kg.schema.predicates.items()}
    iri_to_curie: dict[str, str] = {}
    for curie in kg.nodes:
        try:
            iri_to_curie[str(iri(curie))] = curie
        except ValueError:
            continue
    merged = None
    if imported is not None:
        from kmoa.graph.imported import MergedEdges

        merged = MergedEdges(kg, imported)
    if neo4j:
        cypher, note = cypher_runner(neo4j, neo4j_user, neo4j_password, sparql_timeout)
    else:
        cypher, note = None, "Cypher is off: start with `kmoa explore --neo4j bolt://host:7687` to enable it."
    rdf = to_rdf(kg)
    return ExplorerData(
        kg=kg, graph=kg.to_networkx(), rdf=rdf, sparql=QueryEngine.for_graph(rdf), edge_rows=kg.claim_rows,
        effects=effects,
        node_options=_node_options(kg) + (_imported_options(kg, imported) if imported is not None else []),
        iri_to_curie=iri_to_curie, named_queries=named_queries(),
        cypher=cypher, cypher_note=note, sparql_timeout=sparql_timeout,
        imported=imported, merged=merged, public=load_public(kg, drugmechdb),
    )
