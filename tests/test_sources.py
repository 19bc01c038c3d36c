"""More than one curated source: the review and a small synthetic source keep their own provenance everywhere.

The second source (``tests/fixtures/sources/synthetic-notes``) is invented: its own text, citation,
knowledge source, reference list [1]-[3] and section scheme (S1, S2.1). A graph built from both must
say, for every edge in every serialization, which source it comes from, the section and reference
numbers of that source, the quote and that source's knowledge source.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.curation import CurationError, read_curation
from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.loaders.registry import export, get_source
from kmoa.ontology import namespaces

SYNTHETIC = Path(__file__).parent / "fixtures" / "sources" / "synthetic-notes"
REVIEW_ID, SYNTHETIC_ID = "ketamine-review-2022", "synthetic-notes"
REVIEW_CLAIM = "s2.ampa_bdnf"  # AMPA receptor increases BDNF, section 2, ref [16]
SYNTHETIC_CLAIMS = ("syn.bdnf_marker", "syn.marker_mood")


@pytest.fixture(scope="module")
def both() -> KnowledgeGraph:
    """The review and the synthetic source in one graph."""
    return load_graph(sources=[SYNTHETIC])


def expected(kg: KnowledgeGraph) -> dict[str, dict[str, Any]]:
    """Provenance of one review claim and of the synthetic claims, from the records."""
    out = {}
    for claim_id in (REVIEW_CLAIM, *SYNTHETIC_CLAIMS):
        prov = kg.claims[claim_id].provenance
        out[claim_id] = {"source": prov.source, "section": prov.section, "refs": list(prov.refs),
                         "quote": prov.quote, "knowledge_source": kg.sources[prov.source].infores}
    return out


def test_each_claim_names_its_source_and_that_sources_knowledge_source(both: KnowledgeGraph) -> None:
    want = expected(both)
    assert want[REVIEW_CLAIM] == {
        "source": REVIEW_ID, "section": "2", "refs": [16], "knowledge_source": "infores:kmoa",
        "quote": want[REVIEW_CLAIM]["quote"]}
    assert want["syn.marker_mood"] == {
        "source": SYNTHETIC_ID, "section": "S2.1", "refs": [2, 3], "knowledge_source": "infores:kmoa-synthetic-notes",
        "quote": "In an invented trial of 40 volunteers, a higher synthetic spine marker led to a better synthetic "
                 "mood score"}
    assert both.sources[SYNTHETIC_ID].references[2] == "Invented reference two (synthetic; no such publication)"
    assert both.nodes["KMOA:synthetic_trial"].source == SYNTHETIC_ID
    assert both.nodes["KMOA:synthetic_trial"].study.refs == (2,)  # type: ignore[union-attr]


@pytest.mark.parametrize("format_name", ["turtle", "kgx"])
def test_rdf_and_kgx_read_back_with_both_sources(both: KnowledgeGraph, format_name: str, tmp_path: Path) -> None:
    back = get_source(format_name).read(export(both, format_name, tmp_path / format_name))
    assert back.claims == both.claims and back.nodes == both.nodes
    assert back.sources == both.sources
    assert expected(back) == expected(both)


def test_turtle_names_each_claims_source_section_refs_quote_and_knowledge_source(both: KnowledgeGraph,
                                                                               tmp_path: Path) -> None:
    from rdflib import Graph

    from kmoa.loaders.formats.rdf import BIOLINK, CLAIM, DCTERMS, KMOA

    g = Graph().parse(export(both, "turtle", tmp_path / "kmoa.ttl"), format="turtle")
    for claim_id, want in expected(both).items():
        c = CLAIM[claim_id]
        source = g.value(c, KMOA.source)
        assert str(g.value(source, DCTERMS.identifier)) == want["source"]
        assert str(g.value(source, KMOA.infores)) == want["knowledge_source"]
        assert str(g.value(c, KMOA.section)) == want["section"]
        assert sorted(r.toPython() for r in g.objects(c, KMOA.ref)) == want["refs"]
        assert str(g.value(c, KMOA.quote)) == want["quote"]
        assert str(g.value(c, BIOLINK.primary_knowledge_source)) == want["knowledge_source"]


def test_kgx_graphml_and_cytoscape_rows_carry_each_claims_provenance(both: KnowledgeGraph, tmp_path: Path) -> None:
    import networkx as nx

    from kmoa.loaders.formats.kgx import read_tsv

    edges = {row["id"]: row for _, row in read_tsv(export(both, "kgx", tmp_path / "kgx") / "edges.tsv", ["id"])}
    graphml = {key: attrs for _, _, key, attrs in
               nx.read_graphml(export(both, "graphml", tmp_path / "kmoa.graphml")).edges(keys=True, data=True)}
    cytoscape = json.loads(export(both, "cytoscape", tmp_path / "kmoa.json").read_text(encoding="utf-8"))
    cyto = {e["data"]["id"]: e["data"] for e in cytoscape["elements"]["edges"]}
    for claim_id, want in expected(both).items():
        row = edges[claim_id]
        assert (row["curated_source"], row["review_section"], row["review_refs"], row["supporting_text"],
                row["primary_knowledge_source"]) == (want["source"], want["section"],
                                                     "|".join(str(r) for r in want["refs"]), want["quote"],
                                                     want["knowledge_source"])
        for attrs, refs in ((graphml[claim_id], "|".join(str(r) for r in want["refs"])),
                            (cyto[claim_id], want["refs"])):
            assert (attrs["curated_source"], str(attrs["review_section"]), attrs["review_refs"],
                    attrs["supporting_text"],
                    attrs["primary_knowledge_source"]) == (want["source"], want["section"], refs, want["quote"],
                                                           want["knowledge_source"])


def test_the_oxigraph_store_keeps_each_claims_provenance(both: KnowledgeGraph, tmp_path: Path) -> None:
    from kmoa.loaders.stores.oxigraph_store import build_store, read_only_store

    store = build_store(tmp_path / "store", both)
    ids = " ".join(f'"{claim_id}"' for claim_id in expected(both))
    query = f"""
        PREFIX kmoa: <{namespaces.VOCAB}>
        PREFIX biolink: <{namespaces.BIOLINK}>
        PREFIX dcterms: <{namespaces.DCTERMS}>
        SELECT ?id ?source ?section ?ref ?quote ?k WHERE {{
          ?c a kmoa:Claim ; kmoa:id ?id ; kmoa:source ?s ; kmoa:section ?section ; kmoa:quote ?quote ;
             biolink:primary_knowledge_source ?k .
          ?s dcterms:identifier ?source .
          OPTIONAL {{ ?c kmoa:ref ?ref }}
          VALUES ?id {{ {ids} }}
        }}"""
    with read_only_store(store) as opened:
        names = ("id", "source", "section", "ref", "quote", "k")
        rows = [{name: row[name].value for name in names if row[name] is not None}
                for row in opened.query(query, use_default_graph_as_union=True)]
    found: dict[str, dict[str, Any]] = {}
    for values in rows:
        entry = found.setdefault(values["id"], {"source": values["source"], "section": values["section"],
                                                "refs": [], "quote": values["quote"], "knowledge_source": values["k"]})
        if "ref" in values:
            entry["refs"] = sorted({*entry["refs"], int(values["ref"])})
    assert found == expected(both)


def test_neo4j_keeps_each_claims_provenance(both: KnowledgeGraph, kg: KnowledgeGraph, neo4j_driver: Any) -> None:
    from kmoa.loaders.stores import neo4j as nl

    try:
        nl.load_graph(neo4j_driver, both)
        for claim_id, want in expected(both).items():
            records = neo4j_driver.execute_query("MATCH ()-[r]->() WHERE r.id = $id RETURN properties(r) AS p",
                                                 id=claim_id, database_="neo4j").records
            assert len(records) == 1, claim_id
            p = records[0]["p"]
            assert (p["curated_source"], p["review_section"], list(p["review_refs"]), p["supporting_text"],
                    p["primary_knowledge_source"]) == (want["source"], want["section"], want["refs"], want["quote"],
                                                       want["knowledge_source"])
        trial = neo4j_driver.execute_query("MATCH (n:Entity {id: 'KMOA:synthetic_trial'}) "
                                           "RETURN n.curated_source AS s, n.provided_by AS p",
                                           database_="neo4j").records[0]
        assert (trial["s"], list(trial["p"])) == (SYNTHETIC_ID, ["infores:kmoa-synthetic-notes"])
    finally:
        nl.load_graph(neo4j_driver, kg)  # the other tests expect the review alone


def test_kmoa_paths_names_the_source_of_every_step() -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["paths", "ketamine", "synthetic mood score", "-k", "1", "--source", str(SYNTHETIC)])
    assert text.exit_code == 0, text.output
    assert "ketamine-review-2022 section 2, refs [16], claim s2.ampa_bdnf" in text.output
    assert "synthetic-notes section S1, refs [1], claim syn.bdnf_marker" in text.output
    assert "synthetic-notes section S2.1, refs [2, 3], claim syn.marker_mood" in text.output
    assert "--source" in text.output.split("More paths:")[1]  # the next page reads the same sources
    answer = runner.invoke(main, ["paths", "ketamine", "synthetic mood score", "-k", "1", "--format", "json",
                                  "--source", str(SYNTHETIC)])
    steps = {s["claim"]: s for s in json.loads(answer.output)[0]["steps"]}
    assert (steps["syn.marker_mood"]["curated_source"], steps["syn.marker_mood"]["primary_knowledge_source"],
            steps["syn.marker_mood"]["review_section"], steps["syn.marker_mood"]["review_refs"]) == (
        SYNTHETIC_ID, "infores:kmoa-synthetic-notes", "S2.1", [2, 3])
    assert steps[REVIEW_CLAIM]["curated_source"] == REVIEW_ID


def copy_synthetic(tmp_path: Path) -> Path:
    folder = tmp_path / SYNTHETIC_ID
    shutil.copytree(SYNTHETIC, folder)
    return folder


def test_a_claim_citing_another_sources_reference_number_names_its_file_and_line(tmp_path: Path) -> None:
    folder = copy_synthetic(tmp_path)
    claims = folder / "claims" / "synthetic.yaml"
    text = claims.read_text(encoding="utf-8")
    assert "refs: [1]\n" in text
    claims.write_text(text.replace("refs: [1]\n", "refs: [16]\n"), encoding="utf-8")  # the review's [16]
    line = next(i for i, row in enumerate(claims.read_text(encoding="utf-8").splitlines(), 1)
                if row == "- id: syn.bdnf_marker")
    with pytest.raises(CurationError) as caught:
        read_curation(sources=[folder])
    assert (f"{SYNTHETIC_ID}/claims/synthetic.yaml:{line}: syn.bdnf_marker: reference [16] is not in the "
            f"reference list of {SYNTHETIC_ID} ([1]-[3])") in str(caught.value)


def test_a_claim_naming_another_sources_section_or_quoting_another_text_is_refused(tmp_path: Path) -> None:
    folder = copy_synthetic(tmp_path)
    claims = folder / "claims" / "synthetic.yaml"
    text = claims.read_text(encoding="utf-8").replace("section: S1\n", "section: '2'\n")
    text = text.replace("In these invented notes, BDNF raises a synthetic spine marker in rodents",
                        "AMPA receptor activation in particular has been shown to modulate")  # the review's words
    claims.write_text(text, encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        read_curation(sources=[folder])
    message = str(caught.value)
    assert f"section '2' is not a section of {SYNTHETIC_ID} (e.g. 'S1', 'S2.1')" in message
    assert f"quote not found verbatim in the text of {SYNTHETIC_ID}" in message


def test_kmoa_build_with_an_extra_source_writes_both(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--source", str(SYNTHETIC), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"from {REVIEW_ID}, {SYNTHETIC_ID}" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["sources"] == [REVIEW_ID, SYNTHETIC_ID]
    sources = json.loads((tmp_path / "out" / "kgx" / "sources.json").read_text(encoding="utf-8"))
    assert sources[SYNTHETIC_ID]["infores"] == "infores:kmoa-synthetic-notes"


def test_a_source_without_its_knowledge_source_is_refused_naming_its_source_yaml(tmp_path: Path) -> None:
    folder = copy_synthetic(tmp_path)
    described = folder / "source.yaml"
    described.write_text(described.read_text(encoding="utf-8").replace("infores: infores:kmoa-synthetic-notes\n", ""),
                         encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        read_curation(sources=[folder])
    assert f"{described}:1: missing field(s) infores" in str(caught.value)


def test_the_same_source_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CurationError) as caught:
        read_curation(sources=[SYNTHETIC, copy_synthetic(tmp_path)])
    assert f"source {SYNTHETIC_ID} is given twice" in str(caught.value)
