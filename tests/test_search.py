"""The one path search (graph.search) against brute force on random graphs with hubs.

Each seed draws a small graph of curated claims (walked, parent-to-child and clinical predicates,
every finding, contested claims), imported Biolink edges and a few hubs joined to most nodes, then
asks for the k best paths under random filters, hub damping, k and hop limits. The search must
return the same paths, in the same order, with the same scores as enumerating every simple path;
when a step budget cuts it short it must say so, and whenever it claims ``exact`` it must be right.
"""

from __future__ import annotations

import random

import pytest

from kmoa.graph.search import EdgeList, PathFilters, Walk, crosses_mechanism, search_paths
from kmoa.ontology.schema import Schema, load_schema
from tests.path_reference import exhaustive_paths

KINDS = ["compound", "compound", "receptor", "gene", "process", "cell_type", "outcome", "disease", "study"]
IMPORTED = ["biolink:interacts_with", "biolink:regulates", "biolink:treats"]


def random_graph(rng: random.Random, schema: Schema) -> tuple[EdgeList, dict[str, str]]:
    """A random graph of 6-13 nodes, two of them hubs, with curated and imported edges."""
    rules = schema.walk
    n = rng.randint(6, 13)
    kinds = {f"N:{i}": rng.choice(KINDS) for i in range(n)}
    kinds["N:0"], kinds[f"N:{n - 1}"] = "compound", rng.choice(["outcome", "disease", "receptor"])
    names = sorted(kinds)
    predicates = [*rules.forward * 4, *rules.parent_to_child, *rules.clinical]
    findings = ["positive"] * len(rules.finding_factors) + list(rules.finding_factors)
    hubs = rng.sample(names, 2)
    pairs = [(rng.choice(names), rng.choice(names)) for _ in range(rng.randint(2 * n, 5 * n))]
    pairs += [(hub, other) if rng.random() < 0.5 else (other, hub)
              for hub in hubs for other in names if rng.random() < 0.8]
    edges = []
    for i, (subject, obj) in enumerate(pairs):
        if subject == obj:
            continue
        if rng.random() < 0.25:
            edges.append({"id": f"e{i}", "subject": subject, "object": obj, "predicate": rng.choice(IMPORTED),
                          "imported": True, "primary_knowledge_source": "infores:test", "claim_id": f"t/e{i}"})
            continue
        edges.append({"id": f"c{i}", "subject": subject, "object": obj, "kmoa_predicate": rng.choice(predicates),
                      "evidence_type": rng.choice(list(rules.evidence_strengths)),
                      "species": rng.choice(["human", "animal", "unspecified"]),
                      "finding": rng.choice(findings), "contested": rng.random() < 0.2,
                      "evidence_level": rng.choice(["", "", "CANMAT level 1", "CANMAT level 2"]),
                      "route": rng.choice([None, "intravenous", "intranasal"])})
    return EdgeList(edges, kinds.get), kinds


def reachable_kinds(kinds: dict[str, str]) -> list[str]:
    """Nodes a path from a compound may end on (not a compound, not a study)."""
    return sorted(c for c, kind in kinds.items() if kind not in ("compound", "study"))


def random_filters(rng: random.Random, kinds: dict[str, str]) -> PathFilters:
    compounds = [c for c, kind in kinds.items() if kind == "compound"]
    if rng.random() < 0.5:
        return PathFilters(allow_direct=rng.random() < 0.5)
    return PathFilters(min_evidence=rng.choice([None, None, "open_label", "case_report"]),
                       human_only=rng.random() < 0.3, route=rng.choice([None, None, "intranasal"]),
                       include_negative=rng.random() < 0.3, allow_direct=rng.random() < 0.5,
                       compound=rng.choice([None, None, *compounds]))


@pytest.mark.parametrize("seed", range(300))
def test_search_returns_the_k_best_of_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    schema = load_schema()
    edges, kinds = random_graph(rng, schema)
    filters = random_filters(rng, kinds)
    relatives = frozenset({filters.compound}) if filters.compound else None
    walk = Walk(schema, edges, filters, relatives, hub_damping=rng.choice([0.0, 0.5, 1.0]))
    accept = None if filters.allow_direct else crosses_mechanism(schema.walk, kinds.get)
    source, target = "N:0", rng.choice(reachable_kinds(kinds))
    k, max_hops = rng.randint(1, 12), rng.randint(1, 6)
    found = search_paths(walk, source, target, k=k, max_hops=max_hops, accept=accept)
    expected = exhaustive_paths(walk, source, target, k, max_hops, accept)
    assert found.exact
    assert [(p.nodes, p.score, p.mean_strength) for p in found.paths] == \
        [(p.nodes, p.score, p.mean_strength) for p in expected]
    assert [[s.claim_id for s in p.steps] for p in found.paths] == [[s.claim_id for s in p.steps] for p in expected]


@pytest.mark.parametrize("seed", range(100))
def test_exact_is_claimed_only_when_true(seed: int) -> None:
    """A step budget may cut the search short; it then says so, and never claims a wrong answer."""
    rng = random.Random(1000 + seed)
    schema = load_schema()
    edges, kinds = random_graph(rng, schema)
    walk = Walk(schema, edges, PathFilters(allow_direct=True), hub_damping=0.5)
    target = rng.choice(reachable_kinds(kinds))
    k, max_hops = rng.randint(1, 12), rng.randint(2, 6)
    budget = rng.randint(1, 60)
    found = search_paths(walk, "N:0", target, k=k, max_hops=max_hops, max_steps=budget)
    expected = exhaustive_paths(Walk(schema, edges, PathFilters(allow_direct=True), hub_damping=0.5),
                                "N:0", target, k, max_hops)
    if found.exact:
        assert [(p.nodes, p.score) for p in found.paths] == [(p.nodes, p.score) for p in expected]
    else:
        assert found.steps_built >= budget
        best = {p.nodes for p in expected}
        assert all(len(p.nodes) - 1 <= max_hops and p.nodes[0] == "N:0" and p.nodes[-1] == target
                   for p in found.paths)
        assert len(found.paths) <= len(best) or not best


@pytest.mark.parametrize("seed", range(200))
def test_every_depth_split_returns_the_k_best(seed: int) -> None:
    """However the hops are split between the forward and the backward search, the answer is the same."""
    rng = random.Random(5000 + seed)
    schema = load_schema()
    edges, kinds = random_graph(rng, schema)
    filters = random_filters(rng, kinds)
    relatives = frozenset({filters.compound}) if filters.compound else None
    walk = Walk(schema, edges, filters, relatives, hub_damping=rng.choice([0.0, 0.5, 1.0]))
    accept = None if filters.allow_direct else crosses_mechanism(schema.walk, kinds.get)
    source, target = "N:0", rng.choice(reachable_kinds(kinds))
    k, max_hops = rng.randint(1, 12), rng.randint(1, 6)
    expected = exhaustive_paths(walk, source, target, k, max_hops, accept)
    for backward_depth in range(max_hops + 1):
        found = search_paths(Walk(schema, edges, filters, relatives, hub_damping=walk.hub_damping), source, target,
                             k=k, max_hops=max_hops, accept=accept, backward_depth=backward_depth)
        assert found.exact
        assert [(p.nodes, p.score, p.mean_strength) for p in found.paths] == \
            [(p.nodes, p.score, p.mean_strength) for p in expected], backward_depth
