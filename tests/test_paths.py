"""Path tracing: ranked mechanism paths with provenance, filters and name resolution."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph, UnknownEntityError
from kmoa.graph.paths import PathFilters, trace_mechanism_paths
from tests.conftest import AMPA, ESKETAMINE, HNK_2R6R, KETAMINE, NMDA, TRD


def test_paths_run_from_the_compound_to_the_indication_through_a_mechanism(tiny: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(tiny, "ketamine", "TRD")
    assert paths
    for path in paths:
        assert path.nodes[0] == KETAMINE and path.nodes[-1] == TRD
        assert any(tiny.nodes[n].kind in tiny.schema.walk.must_cross for n in path.nodes[1:-1])
        assert len(set(path.nodes)) == len(path.nodes)
        assert path.score == min(s.strength for s in path.steps)


def test_paths_are_ranked_by_weakest_link(kg: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(kg, "ketamine", "treatment-resistant depression", k=10)
    assert len(paths) >= 2
    keys = [(p.score, p.mean_strength) for p in paths]
    assert keys == sorted(keys, reverse=True)


def test_every_step_carries_predicate_and_provenance(kg: KnowledgeGraph) -> None:
    for path in trace_mechanism_paths(kg, "esketamine", "TRD", k=5):
        for step in path.steps:
            a = step.attributes
            assert step.predicate and a["review_section"] and a["supporting_text"]
            assert a["evidence_type"] and a["species"]
            assert a["id"] in kg.claims


def test_the_metabolite_route_reaches_ampa(tiny: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(tiny, "ketamine", "TRD", k=10)
    assert any(p.nodes[:3] == (KETAMINE, HNK_2R6R, AMPA) for p in paths)


def test_human_only_drops_animal_evidence(kg: KnowledgeGraph) -> None:
    for path in trace_mechanism_paths(kg, "ketamine", "TRD", k=10, filters=PathFilters(human_only=True)):
        assert all(s.attributes["species"] != "animal" for s in path.steps)
    tiny_all = trace_mechanism_paths(kg, "ketamine", "TRD", k=50)
    assert any(s.attributes["species"] == "animal" for p in tiny_all for s in p.steps)


def test_human_only_keeps_only_what_the_review_states_for_people(kg: KnowledgeGraph) -> None:
    """A step whose species the review does not state is not human evidence: --human-only drops it too."""
    dropped = kg.schema.walk.human_only_drops
    assert {"animal", "not_stated"} <= dropped and not dropped & {"human", "human_and_animal"}
    everything = trace_mechanism_paths(kg, "ketamine", "TRD", k=200)
    assert any(s.attributes["species"] == "not_stated" for p in everything for s in p.steps)
    for path in trace_mechanism_paths(kg, "ketamine", "TRD", k=200, filters=PathFilters(human_only=True)):
        assert all(s.attributes["species"] not in dropped for s in path.steps), path.nodes


def test_minimum_evidence_filters_steps(kg: KnowledgeGraph) -> None:
    floor = kg.schema.evidence_strength("preclinical_animal")
    filters = PathFilters(min_evidence="preclinical_animal")
    for path in trace_mechanism_paths(kg, "ketamine", "TRD", k=10, filters=filters):
        assert all(kg.schema.evidence_strength(s.attributes["evidence_type"]) >= floor for s in path.steps)


def test_route_filter_skips_other_routes(kg: KnowledgeGraph) -> None:
    for path in trace_mechanism_paths(kg, "ketamine", "TRD", k=10, filters=PathFilters(route="intranasal")):
        assert all((s.attributes["route"] or None) in (None, "intranasal") for s in path.steps)


def test_compound_filter_keeps_only_that_compound_and_its_relatives(kg: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(kg, "ketamine", "TRD", k=10, filters=PathFilters(compound="arketamine"))
    for path in paths:
        acting = {s.source for s in path.steps if kg.nodes[s.source].kind == "compound"}
        assert acting <= {KETAMINE, kg.resolve("arketamine")}


def test_null_findings_are_not_walked_unless_asked(tiny: KnowledgeGraph) -> None:
    walked = {s.claim_id for p in trace_mechanism_paths(tiny, "ketamine", "TRD", k=20) for s in p.steps}
    null = {c.id for c in tiny.claims.values() if c.provenance.finding in ("null", "negative")}
    assert null and not walked & null


@pytest.mark.parametrize("name", ["esketamine", "CHEBI:60799", "Spravato", "(S)-ketamine", "ESKETAMINE"])
def test_names_synonyms_and_curies_resolve(tiny: KnowledgeGraph, name: str) -> None:
    assert tiny.resolve(name) == ESKETAMINE


def test_unknown_names_get_close_suggestions(kg: KnowledgeGraph) -> None:
    with pytest.raises(UnknownEntityError) as caught:
        kg.resolve("ketamin")
    assert any("ketamine" in s for s in caught.value.suggestions)
    assert "Did you mean" in str(caught.value)


def test_cli_prints_ranked_paths_with_provenance(kg: KnowledgeGraph) -> None:
    result = CliRunner().invoke(main, ["paths", "ketamine", "treatment-resistant depression", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "#1  score" in result.output and "section" in result.output and "refs [" in result.output
    first = trace_mechanism_paths(kg, "ketamine", "treatment-resistant depression", k=1)[0]
    assert first.steps[0].attributes["supporting_text"] in result.output


def test_cli_json_output_and_unknown_name() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["paths", "esketamine", "TRD", "--format", "json", "-k", "2"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data[0]["nodes"][0] == ESKETAMINE and data[0]["steps"][0]["supporting_text"]
    missing = runner.invoke(main, ["paths", "ketamin", "TRD"])
    assert missing.exit_code != 0 and "Did you mean" in missing.output


def test_antagonism_of_nmda_is_on_a_top_path(kg: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(kg, "ketamine", "TRD", k=10)
    assert any((KETAMINE, NMDA) == (s.source, s.target) for p in paths for s in p.steps)


def test_net_sign_of_a_therapeutic_path_lowers_the_disease(tiny: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(tiny, "ketamine", "TRD", k=10)
    for path in paths:
        inhibiting = sum(1 for s in path.steps if s.attributes["effect"] == "inhibiting")
        assert path.sign == (-1 if inhibiting % 2 else 1)
    assert any(p.sign == -1 for p in paths)


def test_direct_clinical_evidence_is_listed_beside_the_paths(kg: KnowledgeGraph) -> None:
    from kmoa.graph.path_answers import direct_claims

    rows, total = direct_claims(kg, KETAMINE, TRD, PathFilters())
    assert len(rows) == total
    assert rows and all(r["subject"] == KETAMINE and r["object"] == TRD for r in rows)
    assert [r["evidence_strength"] for r in rows] == sorted((r["evidence_strength"] for r in rows), reverse=True)
    output = CliRunner().invoke(main, ["paths", "ketamine", "TRD", "-k", "1"]).output
    assert "Direct clinical claims" in output and rows[0]["id"] in output


def test_a_receptor_target_may_be_one_step_away(tiny: KnowledgeGraph) -> None:
    paths = trace_mechanism_paths(tiny, "ketamine", "NMDA receptor")
    assert paths and paths[0].nodes == (KETAMINE, NMDA)
