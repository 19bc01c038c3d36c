"""Contract tests: the same question through SPARQL, Cypher and the Python API gives the same answer.

Named queries: SPARQL on the embedded rdflib graph vs. the Cypher twin on the real Neo4j server (and
a Python formulation over ``kg`` where one is natural). Mechanism paths: ``graph.paths`` vs.
``loaders.stores.neo4j.trace_paths_cypher`` vs. ``loaders.stores.sparql_paths.trace_paths_sparql`` (both queries
generated from the schema's walk rules), to outcomes, indications, receptors, genes, processes, a
cell type and a region.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import MechanismPath, PathFilters, trace_mechanism_paths
from kmoa.graph.sparql import named_queries
from kmoa.loaders.formats.rdf import to_rdf
from kmoa.loaders.stores import neo4j as nl
from kmoa.loaders.stores.sparql_engine import run_query
from kmoa.loaders.stores.sparql_paths import trace_paths_sparql

pytestmark = pytest.mark.neo4j

NAMES = sorted(named_queries())
Row = tuple[str, ...]


def _rows(columns: list[str], rows: list[dict[str, Any]]) -> Counter[Row]:
    """Rows as a multiset of JSON-encoded values (so 1, 1.0, True and "1" stay distinct)."""
    return Counter(tuple(json.dumps(row[c], sort_keys=True) for c in columns) for row in rows)


@pytest.fixture(scope="module")
def rdf(kg: KnowledgeGraph) -> Any:
    return to_rdf(kg)


@pytest.fixture(scope="module")
def loaded(neo4j_driver: Any, kg: KnowledgeGraph) -> Any:
    nl.load_graph(neo4j_driver, kg)
    return neo4j_driver


def test_every_named_query_has_a_cypher_twin() -> None:
    assert NAMES, "graph/queries has no named queries"
    missing = [name for name, q in named_queries().items() if not q.cypher]
    assert not missing, f"no .cypher twin for: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_sparql_and_cypher_agree(name: str, rdf: Any, loaded: Any) -> None:
    query = named_queries()[name]
    assert query.cypher
    sparql = run_query(rdf, query.sparql)
    cypher = nl.run_cypher(loaded, query.cypher)
    assert cypher.columns == sparql.variables
    assert not sparql.truncated and not cypher.truncated
    assert _rows(cypher.columns, cypher.rows) == _rows(sparql.variables, sparql.rows)
    assert sparql.rows, f"{name} returns no rows: the comparison would prove nothing"


# --------------------------------------------------------------------------- Python formulations

KETAMINE, ESKETAMINE, AMPA, TRD = "CHEBI:6121", "CHEBI:60799", "GO:0032281", "EFO:0009854"
DISINHIBITION = "KMOA:hyp_disinhibition"


def _compounds_on_ampa(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    found = {(c.subject, c.predicate) for c in kg.claims.values()
             if c.object == AMPA and kg.nodes[c.subject].kind == "compound"}
    return [{"compound": s, "name": kg.nodes[s].name, "predicate": p} for s, p in found]


def _contested_claims(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    return [{"claim": c.id, "subject": c.subject, "predicate": c.predicate, "object": c.object,
             "finding": c.provenance.finding, "contested": c.provenance.contested, "section": c.provenance.section}
            for c in kg.claims.values() if c.provenance.contested or c.provenance.finding != "positive"]


def _disinhibition_steps(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    rows = []
    for i, step in enumerate(kg.hypotheses[DISINHIBITION].steps, start=1):
        c = kg.claims[step.claim]
        rows.append({"step": i, "claim": c.id, "subject": c.subject, "predicate": c.predicate,
                     "object": c.object, "caption": step.caption})
    return rows


def _esketamine_safety(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    return [{"predicate": c.predicate, "object": c.object, "name": kg.nodes[c.object].name, "claim": c.id,
             "finding": c.provenance.finding, "section": c.provenance.section}
            for c in kg.claims.values()
            if c.subject == ESKETAMINE and c.predicate in ("has_adverse_effect", "contraindicated_in")]


def _hypothesis_evidence(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    return [{"hypothesis": h.id, "name": h.name, "route": h.route, "steps": len(h.steps),
             "supporting": len(set(h.supported_by)), "contradicting": len(set(h.contradicted_by))}
            for h in kg.hypotheses.values()]


def _iv_ketamine_trd_evidence(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    return [{"claim": c.id, "predicate": c.predicate, "evidence_type": c.provenance.evidence_type,
             "canmat_level": c.provenance.canmat_level, "finding": c.provenance.finding,
             "population": c.population, "section": c.provenance.section}
            for c in kg.claims.values() if c.subject == KETAMINE and c.object == TRD and c.route == "intravenous"]


def _ketamine_vs_esketamine(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    pairs = {cid: {(c.predicate, c.object) for c in kg.claims.values()
                   if c.subject == cid and c.predicate != "tested_in" and kg.is_asserted(c)}
             for cid in (KETAMINE, ESKETAMINE)}
    return [{"compound": cid, "predicate": p, "object": o, "name": kg.nodes[o].name}
            for cid, other in ((KETAMINE, ESKETAMINE), (ESKETAMINE, KETAMINE))
            for p, o in pairs[cid] - pairs[other]]


def _trials_n_at_least_100(kg: KnowledgeGraph) -> list[dict[str, Any]]:
    return [{"study": n.id, "name": n.name, "n": n.study.n, "evidence_type": n.study.evidence_type}
            for n in kg.nodes.values() if n.study is not None and n.study.n is not None and n.study.n >= 100]


PYTHON: dict[str, Callable[[KnowledgeGraph], list[dict[str, Any]]]] = {
    "compounds_on_ampa": _compounds_on_ampa,
    "contested_claims": _contested_claims,
    "disinhibition_steps": _disinhibition_steps,
    "esketamine_safety": _esketamine_safety,
    "hypothesis_evidence": _hypothesis_evidence,
    "iv_ketamine_trd_evidence": _iv_ketamine_trd_evidence,
    "ketamine_vs_esketamine": _ketamine_vs_esketamine,
    "trials_n_at_least_100": _trials_n_at_least_100,
}


@pytest.mark.parametrize("name", sorted(set(PYTHON) & set(NAMES)))
def test_python_api_agrees(name: str, kg: KnowledgeGraph, loaded: Any) -> None:
    query = named_queries()[name]
    assert query.cypher
    cypher = nl.run_cypher(loaded, query.cypher)
    python = PYTHON[name](kg)
    assert python, f"{name}: the Python formulation found nothing"
    assert _rows(cypher.columns, python) == _rows(cypher.columns, cypher.rows)


# --------------------------------------------------------------------------- mechanism paths


def _key(path: MechanismPath) -> tuple[float, float, int]:
    return (path.score, path.mean_strength, path.hops)


def _assert_same_ranking(ours: list[MechanismPath], theirs: list[MechanismPath],
                         everything: list[MechanismPath]) -> None:
    """Same scores rank by rank; same node sequences within each tie group (ties in any order)."""
    assert [_key(p) for p in ours] == [_key(p) for p in theirs]
    groups: dict[tuple[float, float, int], tuple[set[tuple[str, ...]], set[tuple[str, ...]]]] = {}
    for a, b in zip(ours, theirs, strict=True):
        groups.setdefault(_key(a), (set(), set()))[0].add(a.nodes)
        groups[_key(b)][1].add(b.nodes)
    for key, (a_nodes, b_nodes) in groups.items():
        complete = {p.nodes for p in everything if _key(p) == key}
        if a_nodes == complete or b_nodes == complete:
            assert a_nodes == b_nodes, key
        else:  # the k-th rank cut a tie group: either side may keep any of its members
            assert a_nodes <= complete and b_nodes <= complete, key


def _outcome_pairs(kg: KnowledgeGraph) -> list[tuple[str, str, PathFilters]]:
    trd = kg.resolve("treatment-resistant depression")
    ketamine, esketamine = kg.resolve("ketamine"), kg.resolve("esketamine")
    outcome = kg.resolve("rapid antidepressant effect")
    return [
        (ketamine, trd, PathFilters()),
        (esketamine, trd, PathFilters()),
        (ketamine, trd, PathFilters(human_only=True, allow_direct=True)),
        (ketamine, trd, PathFilters(route="intravenous", include_negative=True)),
        (ketamine, outcome, PathFilters(compound=ketamine, min_evidence="review")),
        (esketamine, trd, PathFilters(allow_direct=True)),
    ]


# Targets of every kind a path may end at: receptors (one-step paths and metabolite detours), a
# gene, processes, a cell type; with filters that change which edges are walked.
MECHANISM_TARGETS = [
    ("ketamine", "NMDA receptor", PathFilters()),
    ("ketamine", "AMPA receptor", PathFilters()),
    ("ketamine", "mTORC1", PathFilters(route="intravenous")),
    ("ketamine", "BDNF", PathFilters()),
    ("ketamine", "TrkB", PathFilters(min_evidence="not_stated")),
    ("ketamine", "glutamate surge", PathFilters()),
    ("ketamine", "KMOA:glutamate_gaba_dysfunction", PathFilters(human_only=True)),
    ("ketamine", "GABA release", PathFilters(compound="CHEBI:60799")),
    ("esketamine", "neuroplasticity", PathFilters()),
    ("ketamine", "CL:0000679", PathFilters()),
    ("esketamine", "AMPA receptor", PathFilters(allow_direct=True)),
]


def _pairs(kg: KnowledgeGraph) -> list[tuple[str, str, PathFilters]]:
    outcomes = _outcome_pairs(kg)
    mechanisms = [(kg.resolve(s), kg.resolve(t), f) for s, t, f in MECHANISM_TARGETS]
    return outcomes + mechanisms


@pytest.mark.parametrize("index", range(6 + len(MECHANISM_TARGETS)))
def test_paths_cypher_matches_python(index: int, kg: KnowledgeGraph, loaded: Any, rdf: Any) -> None:
    source, target, filters = _pairs(kg)[index]
    everything = trace_mechanism_paths(kg, source, target, k=10_000, filters=filters)
    assert everything, f"no path from {source} to {target}: pick a pair from the data that has one"
    ours = nl.trace_paths_cypher(loaded, source, target, k=10_000, filters=filters)
    assert sorted((p.nodes, p.score, p.mean_strength) for p in ours) == \
        sorted((p.nodes, p.score, p.mean_strength) for p in everything)
    over_rdf = trace_paths_sparql(rdf, source, target, k=10_000, filters=filters)
    assert sorted((p.nodes, p.score, p.mean_strength) for p in over_rdf) == \
        sorted((p.nodes, p.score, p.mean_strength) for p in everything)
    for k in (1, 3, 5):
        _assert_same_ranking(nl.trace_paths_cypher(loaded, source, target, k=k, filters=filters),
                             trace_mechanism_paths(kg, source, target, k=k, filters=filters), everything)


def test_paths_for_every_compound_to_trd(kg: KnowledgeGraph, loaded: Any, rdf: Any) -> None:
    trd = kg.resolve("treatment-resistant depression")
    compared = 0
    for compound in sorted(n.id for n in kg.nodes.values() if n.kind == "compound"):
        expected = trace_mechanism_paths(kg, compound, trd, k=10)
        ours = nl.trace_paths_cypher(loaded, compound, trd, k=10)
        everything = trace_mechanism_paths(kg, compound, trd, k=10_000)
        _assert_same_ranking(ours, expected, everything)
        _assert_same_ranking(trace_paths_sparql(rdf, compound, trd, k=10), expected, everything)
        compared += bool(expected)
    assert compared >= 2


def test_a_region_target_gets_the_same_answer(kg: KnowledgeGraph, loaded: Any, rdf: Any) -> None:
    """The lateral habenula is reached only by `located_in`, which the schema does not walk: no path anywhere."""
    region = kg.resolve("lateral habenula")
    assert kg.nodes[region].kind == "brain_region"
    assert "located_in" not in kg.schema.walk.walked_predicates
    ketamine = kg.resolve("ketamine")
    for filters in (PathFilters(), PathFilters(allow_direct=True)):
        python = trace_mechanism_paths(kg, ketamine, region, k=100, filters=filters)
        cypher = nl.trace_paths_cypher(loaded, ketamine, region, k=100, filters=filters)
        over_rdf = trace_paths_sparql(rdf, ketamine, region, k=100, filters=filters)
        assert [p.nodes for p in cypher] == [p.nodes for p in over_rdf] == [p.nodes for p in python] == []


def test_paths_cypher_is_generated_from_the_schema_rules(kg: KnowledgeGraph) -> None:
    """Every walked predicate is a relationship type of the query and every rule a parameter."""
    rules = kg.schema.walk
    text = nl.paths_query(rules, 4)
    for predicate in rules.walked_predicates:
        assert predicate in text
    assert "located_in" not in text and "studied_to_treat" not in text
    params = nl.walk_parameters(rules, PathFilters())
    assert set(params["parent_to_child"]) == set(rules.parent_to_child)
    assert set(params["must_cross"]) == set(rules.must_cross)
    assert "null" not in params["walked_findings"]
    assert "null" in nl.walk_parameters(rules, PathFilters(include_negative=True))["walked_findings"]


def test_the_sparql_candidate_query_is_generated_from_the_schema_rules(kg: KnowledgeGraph) -> None:
    from kmoa.loaders.stores.sparql_paths import walk_edges_query

    rules = kg.schema.walk
    text = walk_edges_query(kg.schema, PathFilters())
    for predicate in rules.walked_predicates:
        assert f"kmoa:{predicate}" in text
    for kind in rules.node_kinds:
        assert f"kmoa:{kg.schema.node_kinds[kind].class_name}" in text
    assert "kmoa:located_in" not in text and "kmoa:studied_to_treat" not in text
    assert '"null"' not in text and '"null"' in walk_edges_query(kg.schema, PathFilters(include_negative=True))
