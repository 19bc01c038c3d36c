"""One set of records, the same content in rdflib and networkx; exports read back unchanged."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import canmat_level
from kmoa.loaders.formats.kgx import read_tsv
from kmoa.loaders.formats.rdf import CLAIM, KMOA, curie_of, to_rdf
from kmoa.loaders.registry import export, get_source
from tests.conftest import KETAMINE, NMDA

PROVENANCE = ("section", "quote", "evidence_type", "species", "finding", "contested", "canmat_level")


def _python(term: Any) -> Any:
    return term.toPython() if term is not None else None


def _rdf_edges(kg: KnowledgeGraph) -> set[tuple]:
    g = to_rdf(kg)
    out = set()
    for c in g.subjects(RDF.type, KMOA.Claim):
        values = tuple(_python(g.value(c, KMOA[name])) for name in PROVENANCE)
        refs = tuple(sorted(int(_python(r)) for r in g.objects(c, KMOA.ref)))
        predicate = str(g.value(c, RDF.predicate)).removeprefix(str(KMOA))
        out.add((str(c).removeprefix(str(CLAIM)), curie_of(g.value(c, RDF.subject)), predicate,
                 curie_of(g.value(c, RDF.object)), refs, *values))
    return out


# The same provenance as the networkx edges' row columns (graph.rows.EdgeRow).
ROW_PROVENANCE = ("review_section", "supporting_text", "evidence_type", "species", "finding", "contested")


def _nx_edges(kg: KnowledgeGraph) -> set[tuple]:
    graph = kg.to_networkx()
    return {(key, u, a["kmoa_predicate"], v, tuple(a["review_refs"]), *(a[name] for name in ROW_PROVENANCE),
             canmat_level(a["evidence_level"]))
            for u, v, key, a in graph.edges(keys=True, data=True)}


@pytest.mark.parametrize("which", ["tiny", "kg"])
def test_rdflib_and_networkx_hold_the_same_edges_and_provenance(which: str, request: pytest.FixtureRequest) -> None:
    kg = request.getfixturevalue(which)
    assert _rdf_edges(kg) == _nx_edges(kg)
    assert len(_nx_edges(kg)) == len(kg.claims)


@pytest.mark.parametrize("which", ["tiny", "kg"])
def test_rdflib_and_networkx_hold_the_same_nodes(which: str, request: pytest.FixtureRequest) -> None:
    kg = request.getfixturevalue(which)
    g = to_rdf(kg)
    rdf_nodes = {str(o) for o in g.objects(None, KMOA.id)} - set(kg.claims)
    assert rdf_nodes == set(kg.to_networkx().nodes)


def test_direct_triples_let_plain_sparql_walk_the_mechanism(tiny: KnowledgeGraph) -> None:
    g = to_rdf(tiny)
    rows = list(g.query("SELECT ?o WHERE { ?k kmoa:antagonist_of ?o }", initNs={"kmoa": KMOA}))
    assert [curie_of(r[0]) for r in rows] == [NMDA]  # type: ignore[index]


@pytest.mark.parametrize("format_name", ["turtle", "ntriples", "kgx"])
@pytest.mark.parametrize("which", ["tiny", "kg"])
def test_export_then_import_gives_back_the_same_graph(format_name: str, which: str, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    kg = request.getfixturevalue(which)
    out = export(kg, format_name, tmp_path / format_name)
    back = get_source(format_name).read(out)
    assert back.nodes == kg.nodes
    assert back.claims == kg.claims
    assert back.hypotheses == kg.hypotheses
    assert back.comparisons == kg.comparisons


def test_kgx_has_the_provenance_columns(tmp_path: Path, kg: KnowledgeGraph) -> None:
    out = export(kg, "kgx", tmp_path / "kgx")
    rows = [row for _, row in read_tsv(out / "edges.tsv", ["subject", "predicate", "object"])]
    assert len(rows) == len(kg.claims)
    for column in ("knowledge_level", "agent_type", "primary_knowledge_source", "publications", "review_section",
                   "review_refs", "supporting_text", "evidence_type", "species", "evidence_level"):
        assert column in rows[0]
    assert all(r["review_section"] and r["supporting_text"] and r["evidence_type"] for r in rows)
    levels = {r["evidence_level"] for r in rows if r["evidence_level"]}
    assert "CANMAT level 1" in levels
    nodes = [row for _, row in read_tsv(out / "nodes.tsv", ["id", "category", "name"])]
    assert {"id", "category", "name", "description", "xref", "synonym"} <= set(nodes[0])
    ketamine = next(r for r in nodes if r["id"] == KETAMINE)
    assert "|" in ketamine["synonym"] and ketamine["category"] == "biolink:SmallMolecule"


def test_every_kgx_category_and_predicate_is_valid_biolink(tmp_path: Path, kg: KnowledgeGraph) -> None:
    from bmt import Toolkit

    schema = str(files("biolink_model") / "schema" / "biolink_model.yaml")
    toolkit = Toolkit(schema=schema, predicate_map={"predicate mappings": []})
    assert toolkit.get_model_version().startswith("4.")
    out = export(kg, "kgx", tmp_path / "kgx")
    categories = {c for _, r in read_tsv(out / "nodes.tsv", ["category"]) for c in r["category"].split("|")}
    predicates = {r["predicate"] for _, r in read_tsv(out / "edges.tsv", ["predicate"])}
    assert [c for c in categories if not toolkit.is_category(c)] == []
    assert [p for p in predicates if not toolkit.is_predicate(p)] == []
    qualifiers = {"object_direction_qualifier", "object_aspect_qualifier", "causal_mechanism_qualifier",
                  "anatomical_context_qualifier", "population_context_qualifier", "frequency_qualifier"}
    assert all(toolkit.is_qualifier(f"biolink:{q}") for q in qualifiers)
    edges = [r for _, r in read_tsv(out / "edges.tsv", ["predicate"])]
    # Biolink edge slots the export relies on for meaning: negation, knowledge level, evidence codes.
    for slot in ("negated", "knowledge_level", "agent_type", "has_evidence", "primary_knowledge_source"):
        assert toolkit.get_element(slot) is not None, slot
    levels = set(toolkit.get_element("knowledge_level").range and
                 toolkit.view.get_enum("KnowledgeLevelEnum").permissible_values)
    assert {r["knowledge_level"] for r in edges} <= levels
    assert {r["negated"] for r in edges} <= {"true", "false"}


@pytest.mark.parametrize("format_name", ["jsonld", "graphml", "cytoscape"])
def test_other_exports_are_written_and_parse(format_name: str, tmp_path: Path, tiny: KnowledgeGraph) -> None:
    out = export(tiny, format_name, tmp_path / f"out.{format_name}")
    if format_name == "graphml":
        import networkx as nx

        graph = nx.read_graphml(out)
        assert graph.number_of_edges() == len(tiny.claims)
    elif format_name == "cytoscape":
        import json

        elements = json.loads(out.read_text(encoding="utf-8"))["elements"]
        assert len(elements["edges"]) == len(tiny.claims) and len(elements["nodes"]) == len(tiny.nodes)
    else:
        from rdflib import Graph

        assert len(Graph().parse(out, format="json-ld")) == len(to_rdf(tiny))
