"""SHACL: the curated graph conforms; a corrupted record yields a violation naming it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kmoa.build import validate
from kmoa.graph.curation import CurationError
from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.shacl import shacl_violations
from tests.conftest import TINY_DATA, TRD


def test_curated_graph_has_no_shacl_violations(kg: KnowledgeGraph) -> None:
    assert shacl_violations(kg) == []


def test_wrong_object_kind_is_a_violation_naming_the_claim(tiny: KnowledgeGraph) -> None:
    broken = KnowledgeGraph(nodes=dict(tiny.nodes), claims=dict(tiny.claims), hypotheses=tiny.hypotheses,
                            sources=tiny.sources)
    broken.claims["t.ket_nmda"] = replace(tiny.claims["t.ket_nmda"], object=TRD)
    violations = shacl_violations(broken)
    assert violations, "SHACL accepted an antagonist_of pointing at a disease"
    named = [v for v in violations if v.record == "t.ket_nmda"]
    assert named and "antagonist_of needs an object of kind receptor or gene" in named[0].message
    assert "tiny.yaml" in named[0].location


def test_missing_provenance_is_a_violation(tiny: KnowledgeGraph) -> None:
    claim = tiny.claims["t.hnk_ampa"]
    broken = KnowledgeGraph(nodes=dict(tiny.nodes), claims=dict(tiny.claims), hypotheses=tiny.hypotheses,
                            sources=tiny.sources)
    broken.claims[claim.id] = replace(claim, provenance=replace(claim.provenance, evidence_type="hearsay"))  # type: ignore[arg-type]
    messages = {v.message for v in shacl_violations(broken) if v.record == claim.id}
    assert any("evidence type" in m for m in messages)


def test_validate_runs_shacl_and_the_referential_checks() -> None:
    kg = validate(TINY_DATA)
    assert len(kg.claims) > len(kg.hypotheses)


def test_validate_reports_file_line_and_record(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    data = tmp_path / "data"
    shutil.copytree(TINY_DATA, data)
    path = data / "claims" / "tiny.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("species: animal", "species: martian", 1),
                    encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        validate(data)
    assert "claims/tiny.yaml:1: t.ampa_bdnf: species 'martian' is not one of" in str(caught.value)
