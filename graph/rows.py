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
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from kmoa.graph.model import KnowledgeGraph
    from kmoa.graph.records import Claim
    from kmoa.ontology.schema import Schema


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


def edge_row(kg: KnowledgeGraph, claim: Claim) -> EdgeRow:
    """A curated claim as its row: the one mapping from claims to rows.

    Every edge kmoa holds or hands on is read in these columns: the writers and stores, the
    networkx view (``KnowledgeGraph.to_networkx``), the path search (``graph.search``), the
    explorer and TRAPI. ``predicate`` is the Biolink predicate; ``kmoa_predicate`` the schema's.
    """
    schema = kg.schema
    prov = claim.provenance
    qualifiers = schema.predicates[claim.predicate].qualifiers
    inference = schema.inference
    return {
        "id": claim.id, "subject": claim.subject, "predicate": schema.predicates[claim.predicate].biolink,
        "object": claim.object, "negated": kg.is_negated(claim),
        "object_direction_qualifier": qualifiers.get("object_direction_qualifier", ""),
        "object_aspect_qualifier": qualifiers.get("object_aspect_qualifier", ""),
        "causal_mechanism_qualifier": qualifiers.get("causal_mechanism_qualifier", ""),
        "anatomical_context_qualifier": claim.anatomical_context or "",
        "population_context_qualifier": claim.population or "",
        "frequency_qualifier": prov.frequency or "",
        "has_evidence": [inference.eco if prov.inferred else schema.evidence_types[prov.evidence_type].eco],
        "knowledge_level": inference.knowledge_level if prov.inferred else inference.asserted_knowledge_level,
        "agent_type": "manual_agent",
        "primary_knowledge_source": kg.source(prov.source).infores, "publications": kg.publications(claim),
        "curated_source": prov.source, "review_section": prov.section, "review_refs": list(prov.refs),
        "supporting_text": prov.quote, "evidence_type": prov.evidence_type, "species": prov.species,
        "evidence_level": canmat_text(prov.canmat_level, prov.canmat_level_max),
        "kmoa_predicate": claim.predicate, "finding": prov.finding, "contested": prov.contested,
        "inferred": prov.inferred, "studies": list(claim.studies), "route": claim.route or "",
        "dose": claim.dose or "", "timing": claim.timing or "",
        "treatment_outcome": kg.treatment_outcome(claim) or "", "line_of_therapy": claim.line_of_therapy or "",
        "adjunctive": claim.adjunctive, "note": claim.note or "",
        "hypothesis_steps": list(kg.hypothesis_steps.get(claim.id, [])),
        "derived_from": claim.derived_from or "", "evidence_strength": kg.claim_strength(claim),
    }


def edge_rows(kg: KnowledgeGraph) -> list[EdgeRow]:
    """The curated edges as rows, by claim id (``edge_row`` of each claim)."""
    return [edge_row(kg, claim) for claim in kg.iter_edges()]


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


@lru_cache(maxsize=64)
def canmat_level(text: str | None) -> int | None:
    """The best CANMAT level an ``evidence_level`` cell names (``CANMAT level 3-4`` -> 3); None without one."""
    return parse_canmat(text or "")[0]


def walked_predicate(row: Mapping[str, Any]) -> str:
    """The predicate the path search walks and the explorer draws an edge by.

    A curated edge's ``kmoa_predicate`` (the schema's predicate, with its walk rules and label); an
    imported edge's Biolink ``predicate`` (its ``kmoa_predicate`` is only the local name Neo4j uses
    as relationship type).
    """
    walked: str = row["predicate"] if row.get("imported") else row.get("kmoa_predicate") or row["predicate"]
    return walked


def edge_reading(schema: Schema, row: Mapping[str, Any]) -> tuple[bool, bool]:
    """(asserted, no_effect) of an edge row: what its finding means for how it is drawn and queried.

    ``asserted``: the source states the claim holds (``Schema.asserts``; an edge without a finding,
    an import's, counts as asserted); ``no_effect``: negated, or a study whose result was null or
    negative (``FindingKind.negated``), drawn and labelled as not so.
    """
    finding = row.get("finding")
    if finding not in schema.findings:
        return True, False
    return schema.asserts(str(row.get("kmoa_predicate") or ""), finding), schema.finding(finding).negated
