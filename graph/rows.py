"""The row contract: KGX node and edge rows, the one interface between the graph and every writer and store.

A graph leaves ``graph/`` as a stream of rows in the KGX vocabulary (Biolink categories and
predicates, KGX columns, kmoa's provenance columns), made by one mapping per kind of source:
``curated_rows`` for the curated graph, ``graph.imported.imported_rows`` for a KGX import and
``loaders.formats.drugmechdb`` for DrugMechDB. Every writer and store consumes the same rows
(``loaders.base.RowSink``: ``write_node`` / ``write_edge`` / ``finish``), so a column means one
thing everywhere: the KGX TSV, the Neo4j properties, the RDF form.

Multi-valued cells are Python lists; a study's facts, a hypothesis and a comparison travel as
one JSON-able dict each. A column a row leaves out is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from kmoa.graph.model import KnowledgeGraph


class NodeRow(TypedDict, total=False):
    """One node: its CURIE, Biolink category and name, and what kmoa knows of it."""

    id: str
    category: list[str]
    name: str
    description: str
    xref: list[str]
    synonym: list[str]
    provided_by: list[str]
    #: The curated source that declares the node (``graph.sources``); empty for an imported node.
    curated_source: str
    kmoa_kind: str
    study_facts: dict[str, Any] | None
    hypothesis: dict[str, Any] | None
    comparison: dict[str, Any] | None
    imported: bool


class EdgeRow(TypedDict, total=False):
    """One edge: KGX core columns, Biolink qualifiers, and its provenance."""

    id: str
    subject: str
    predicate: str
    object: str
    negated: bool
    object_direction_qualifier: str
    object_aspect_qualifier: str
    causal_mechanism_qualifier: str
    anatomical_context_qualifier: str
    population_context_qualifier: str
    frequency_qualifier: str
    knowledge_level: str
    agent_type: str
    primary_knowledge_source: str
    publications: list[str] | None
    has_evidence: list[str]
    #: The curated source of the claim; ``review_section`` and ``review_refs`` are that source's.
    curated_source: str
    review_section: str
    review_refs: list[int]
    supporting_text: str
    evidence_type: str
    species: str
    evidence_level: str
    kmoa_predicate: str
    finding: str
    contested: bool
    inferred: bool
    studies: list[str]
    route: str
    dose: str
    timing: str
    treatment_outcome: str
    line_of_therapy: str
    adjunctive: bool
    note: str
    hypothesis_steps: list[str]
    derived_from: str
    evidence_strength: float
    kgx_id: str
    imported: bool
    #: An imported edge's DrugMechDB indication path (DrugMechDB's unit of curation): its id, drug,
    #: disease and YAML line, the YAML line of the edge's own link and DrugMechDB's predicate phrase.
    drugmechdb_path: str
    drugmechdb_drug: str
    drugmechdb_disease: str
    drugmechdb_line: int
    source_line: int
    drugmechdb_predicate: str


#: The columns an import keeps with each of its edges, in every store, with their types: which source
#: unit the edge was read from (see ``EdgeRow``). Curated edges have none of them.
IMPORT_PROVENANCE_COLUMNS: dict[str, type] = {
    "drugmechdb_path": str, "drugmechdb_drug": str, "drugmechdb_disease": str, "drugmechdb_line": int,
    "source_line": int, "drugmechdb_predicate": str}

# The columns of a KGX export, in order: every row column except what only a store or an import keeps.
STORE_ONLY_COLUMNS = ("imported", "kgx_id", *IMPORT_PROVENANCE_COLUMNS)
NODE_COLUMNS = [c for c in NodeRow.__annotations__ if c not in STORE_ONLY_COLUMNS]
EDGE_COLUMNS = [c for c in EdgeRow.__annotations__ if c not in STORE_ONLY_COLUMNS]


def node_rows(kg: KnowledgeGraph) -> list[NodeRow]:
    """The curated nodes as rows, sorted by id (the one mapping from curated nodes to rows)."""
    rows: list[NodeRow] = []
    for curie in sorted(kg.nodes):
        attrs = kg.node_attributes(kg.nodes[curie])
        rows.append({
            "id": curie, "category": [attrs["category"]], "name": attrs["name"],
            "description": attrs["description"] or "", "xref": attrs["xref"], "synonym": attrs["synonyms"],
            "provided_by": [kg.source(attrs["curated_source"]).infores] if attrs["curated_source"] else [],
            "curated_source": attrs["curated_source"] or "", "kmoa_kind": attrs["kind"],
            "study_facts": attrs.get("study"), "hypothesis": attrs.get("hypothesis"),
            "comparison": attrs.get("comparison"),
        })
    return rows


def edge_rows(kg: KnowledgeGraph) -> list[EdgeRow]:
    """The curated edges as rows, by claim id (the one mapping from claims to rows)."""
    rows: list[EdgeRow] = []
    for claim in kg.iter_edges():
        a = kg.edge_attributes(claim)
        qualifiers = a["qualifiers"]
        rows.append({
            "id": a["id"], "subject": a["subject"], "predicate": a["biolink_predicate"], "object": a["object"],
            "negated": a["negated"],
            "object_direction_qualifier": qualifiers.get("object_direction_qualifier", ""),
            "object_aspect_qualifier": qualifiers.get("object_aspect_qualifier", ""),
            "causal_mechanism_qualifier": qualifiers.get("causal_mechanism_qualifier", ""),
            "anatomical_context_qualifier": a["anatomical_context"] or "",
            "population_context_qualifier": a["population"] or "",
            "frequency_qualifier": a["frequency"] or "",
            "has_evidence": [a["eco"]],
            "knowledge_level": a["knowledge_level"], "agent_type": a["agent_type"],
            "primary_knowledge_source": a["primary_knowledge_source"], "publications": a["publications"],
            "curated_source": a["curated_source"], "review_section": a["section"], "review_refs": a["refs"],
            "supporting_text": a["quote"],
            "evidence_type": a["evidence_type"], "species": a["species"],
            "evidence_level": canmat_text(a["canmat_level"], a["canmat_level_max"]),
            "kmoa_predicate": a["predicate"], "finding": a["finding"], "contested": a["contested"],
            "inferred": a["inferred"], "studies": a["studies"], "route": a["route"] or "", "dose": a["dose"] or "",
            "timing": a["timing"] or "", "treatment_outcome": a["treatment_outcome"] or "",
            "line_of_therapy": a["line_of_therapy"] or "",
            "adjunctive": a["adjunctive"], "note": a["note"] or "", "hypothesis_steps": a["hypothesis_steps"],
            "derived_from": a["derived_from"] or "", "evidence_strength": a["strength"],
        })
    return rows


def canmat_text(level: int | None, level_max: int | None) -> str:
    """``CANMAT level 1`` or ``CANMAT level 3-4``; empty without a level."""
    if not level:
        return ""
    return f"CANMAT level {level}-{level_max}" if level_max else f"CANMAT level {level}"


def parse_canmat(text: str) -> tuple[int | None, int | None]:
    """The inverse of :func:`canmat_text` (ValueError on anything else)."""
    if not text:
        return None, None
    value = text.removeprefix("CANMAT level ").strip()
    low, _, high = value.partition("-")
    return int(low), (int(high) if high else None)


def search_edge(row: Mapping[str, Any]) -> dict[str, Any]:
    """An edge row in the path search's vocabulary (``KnowledgeGraph.edge_attributes``' names).

    The one mapping from rows back to what the search reads, for every store that hands it rows:
    a curated edge walks its kmoa predicate, an imported one its Biolink predicate (its
    ``kmoa_predicate`` is only the local name Neo4j uses as relationship type).
    """
    level, level_max = parse_canmat(str(row.get("evidence_level") or ""))
    walked = row.get("predicate") if row.get("imported") else row.get("kmoa_predicate") or row.get("predicate")
    return {
        **row, "predicate": walked,
        "biolink_predicate": row.get("predicate"), "section": row.get("review_section"),
        "refs": list(row.get("review_refs") or []), "quote": row.get("supporting_text"),
        "evidence_type": row.get("evidence_type"), "species": row.get("species"),
        "finding": row.get("finding") or "positive", "negated": bool(row.get("negated", False)),
        "contested": bool(row.get("contested", False)), "canmat_level": level, "canmat_level_max": level_max,
        "studies": list(row.get("studies") or []), "route": row.get("route") or None,
    }
