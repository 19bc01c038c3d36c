"""The walk rules are declared once in ontology/schema.yaml and checked when the schema loads."""

from __future__ import annotations

import copy
from importlib.resources import files
from typing import Any

import pytest
import yaml

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import PathFilters, trace_mechanism_paths
from kmoa.ontology.schema import SchemaError, _parse


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return dict(yaml.safe_load((files("kmoa.ontology") / "schema.yaml").read_text(encoding="utf-8")))


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w["forward"].append("located_on"), "unknown predicate 'located_on'"),
    (lambda w: w["must_cross"].append("organ"), "unknown node kind 'organ'"),
    (lambda w: w["forward"].append("treats"), "'treats' is both walked and clinical"),
    (lambda w: w["strength"]["finding_factors"].update({"negative": 0.1}), "'negative' is negated"),
    (lambda w: w["strength"]["finding_factors"].pop("rare"), "finding 'rare' has no factor"),
])
def test_contradictory_walk_rules_are_refused(raw: dict[str, Any], change: Any, message: str) -> None:
    broken = copy.deepcopy(raw)
    change(broken["walk"])
    with pytest.raises(SchemaError, match=message):
        _parse(broken)


def test_no_path_walks_a_negated_or_clinical_claim(kg: KnowledgeGraph) -> None:
    rules = kg.schema.walk
    walked = set()
    for target in ("treatment-resistant depression", "major depressive disorder", "AMPA receptor"):
        for path in trace_mechanism_paths(kg, "ketamine", target, k=500, filters=PathFilters(allow_direct=True)):
            walked |= {e["id"] for s in path.steps for e in s.evidence}
    assert walked
    for claim_id in walked:
        claim = kg.claims[claim_id]
        assert claim.predicate in rules.walked_predicates and not kg.is_negated(claim), claim_id


def test_a_claims_strength_follows_the_declared_rules(kg: KnowledgeGraph) -> None:
    rules = kg.schema.walk
    for claim in kg.claims.values():
        prov = claim.provenance
        base = kg.schema.evidence_strength(prov.evidence_type)
        if prov.canmat_level == 1:
            base = max(base, rules.canmat_level_1)
        factor = rules.finding_factors[prov.finding] or rules.include_negative_factor
        if prov.contested:
            factor = min(factor, rules.contested_factor)
        assert kg.claim_strength(claim) == pytest.approx(base * factor, abs=1e-4), claim.id
