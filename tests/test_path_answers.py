"""Paths that teach: detours folded, hypothesis labels, one path per hypothesis first, paging, why-none."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.path_answers import answer_paths, detour_nodes, fold_key
from kmoa.graph.paths import PathFilters, trace_mechanism_paths

DISINHIBITION = "KMOA:hyp_disinhibition"
PAIRS = [("ketamine", "treatment-resistant depression"), ("ketamine", "major depressive disorder"),
         ("esketamine", "TRD"), ("ketamine", "rapid antidepressant effect"), ("ketamine", "neuroplasticity")]


def _all(kg: KnowledgeGraph, source: str, target: str, **options: object) -> list:  # type: ignore[type-arg]
    return answer_paths(kg, source, target, k=1000, **options).paths  # type: ignore[arg-type]


def test_the_disinhibition_route_is_among_the_top_three_for_trd(kg: KnowledgeGraph) -> None:
    top = answer_paths(kg, "ketamine", "treatment-resistant depression", k=3).paths
    labelled = [r for r in top if r.hypothesis and r.hypothesis.hypothesis == DISINHIBITION]
    assert labelled, [r.hypothesis.hypothesis if r.hypothesis else None for r in top]
    path = labelled[0].path
    # It is the route of Fig. 1: NMDA block, less GABA release, disinhibition, glutamate surge.
    names = [kg.nodes[n].name for n in path.nodes]
    assert "GABA release" in names and "glutamate surge" in names
    steps = kg.hypotheses[DISINHIBITION].steps
    assert len(labelled[0].hypothesis.steps) >= 4  # type: ignore[union-attr]
    assert {steps[i - 1].claim for i in labelled[0].hypothesis.steps} <= {  # type: ignore[union-attr]
        e["id"] for s in path.steps for e in s.evidence}


def test_the_cli_labels_each_path_with_its_hypothesis(kg: KnowledgeGraph) -> None:
    result = CliRunner().invoke(main, ["paths", "ketamine", "treatment-resistant depression", "-k", "3"])
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\n#")[1:4]
    assert len(blocks) == 3 and all("follows:" in b for b in blocks)
    assert any(kg.hypotheses[DISINHIBITION].name in b for b in blocks)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_no_two_listed_paths_differ_only_by_a_detour(kg: KnowledgeGraph, source: str, target: str) -> None:
    listed = _all(kg, source, target)
    keys = [fold_key(kg, r.path) for r in listed]
    assert len(keys) == len(set(keys))
    for r in listed:
        for variant in r.variants:
            assert fold_key(kg, variant) == fold_key(kg, r.path)
            assert len(detour_nodes(kg, variant)) > len(detour_nodes(kg, r.path)) or variant.hops >= r.path.hops


def test_detour_variants_are_kept_not_lost(kg: KnowledgeGraph) -> None:
    everything = trace_mechanism_paths(kg, "ketamine", "treatment-resistant depression", k=10_000)
    listed = _all(kg, "ketamine", "treatment-resistant depression")
    shown = {r.path.nodes for r in listed} | {v.nodes for r in listed for v in r.variants}
    assert shown == {p.nodes for p in everything}
    esketamine = kg.resolve("esketamine")
    assert any(esketamine in v.nodes for r in listed for v in r.variants)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_the_best_path_of_every_hypothesis_comes_first(kg: KnowledgeGraph, source: str, target: str) -> None:
    listed = _all(kg, source, target)
    labels = [r.hypothesis.hypothesis if r.hypothesis else None for r in listed]
    distinct = len(set(labels))
    assert len(set(labels[:distinct])) == distinct  # first round: one path per hypothesis
    for label in set(labels):
        mine = [r.path.score for r in listed if (r.hypothesis.hypothesis if r.hypothesis else None) == label]
        assert mine[0] == max(mine)  # the hypothesis' leader is its best-scoring path


def test_labels_share_steps_with_their_hypothesis(kg: KnowledgeGraph) -> None:
    labelled = 0
    for source, target in PAIRS:
        for r in _all(kg, source, target):
            if r.hypothesis is None:
                continue
            labelled += 1
            hyp = kg.hypotheses[r.hypothesis.hypothesis]
            hyp_nodes = {n for s in hyp.steps for n in (kg.claims[s.claim].subject, kg.claims[s.claim].object)}
            claims = {e["id"] for s in r.path.steps for e in s.evidence}
            assert claims & {s.claim for s in hyp.steps} or set(r.path.nodes[1:-1]) & hyp_nodes
    assert labelled


def test_a_route_specific_node_decides_the_label(kg: KnowledgeGraph) -> None:
    burst = kg.resolve("burst firing")
    hnk = kg.resolve("(2R,6R)-hydroxynorketamine")
    for r in _all(kg, "ketamine", "treatment-resistant depression"):
        if burst in r.path.nodes:
            assert r.hypothesis is not None and r.hypothesis.route == 4
        if r.path.nodes[1] == hnk and len(r.path.nodes) == 5:
            assert r.hypothesis is not None and r.hypothesis.route == 5


def test_pages_follow_each_other(kg: KnowledgeGraph) -> None:
    whole = [r.path.nodes for r in _all(kg, "ketamine", "treatment-resistant depression")]
    pages, offset = [], 0
    while True:
        answer = answer_paths(kg, "ketamine", "treatment-resistant depression", k=4, offset=offset)
        pages += [r.path.nodes for r in answer.paths]
        if not answer.more:
            break
        offset += 4
    assert pages == whole and answer.total == len(whole)
    output = CliRunner().invoke(main, ["paths", "ketamine", "TRD", "-k", "2", "--offset", "2"]).output
    assert "#3  score" in output and "#1  score" not in output and "--offset 4" in output


def test_filters_that_remove_every_path_are_named_and_direct_rct_evidence_shown(kg: KnowledgeGraph) -> None:
    filters = PathFilters(human_only=True, min_evidence="rct")
    answer = answer_paths(kg, "esketamine", "TRD", k=3, filters=filters)
    assert not answer.paths and answer.why_none
    removed = {e.option: e for e in answer.filter_effects}
    assert removed["--min-evidence rct"].removed == removed["--min-evidence rct"].of > 0
    esketamine, trd = kg.resolve("esketamine"), kg.resolve("TRD")
    rcts = {c.id for c in kg.claims.values() if c.subject == esketamine and c.object == trd
            and c.provenance.evidence_type in ("rct", "meta_analysis") and c.provenance.species != "animal"}
    assert rcts and {a["id"] for a in answer.direct} == rcts
    output = CliRunner().invoke(main, ["paths", "esketamine", "TRD", "--human-only", "--min-evidence", "rct",
                                       "-k", "3"]).output
    assert "--min-evidence rct removes" in output and "Direct clinical claims" in output
    assert all(claim in output for claim in sorted(rcts)[:8])


def test_no_path_at_all_still_shows_the_direct_claims(kg: KnowledgeGraph) -> None:
    output = CliRunner().invoke(main, ["paths", "Spravato", "suicidal ideation"]).output
    esketamine, si = kg.resolve("Spravato"), kg.resolve("suicidal ideation")
    direct = [c.id for c in kg.claims.values() if c.subject == esketamine and c.object == si]
    assert direct and all(claim in output for claim in direct)
    assert "even without filters" in output


def test_route_on_mechanism_paths_says_what_it_applies_to(kg: KnowledgeGraph) -> None:
    answer = answer_paths(kg, "ketamine", "TRD", k=3, filters=PathFilters(route="intravenous"))
    assert answer.paths and answer.notes and "--route intravenous" in answer.notes[0]
    assert all((a["route"] or None) in (None, "intravenous") for a in answer.direct)
    everything = answer_paths(kg, "ketamine", "TRD", k=3)
    assert len(answer.direct) < everything.direct_total


def test_negated_direct_claims_read_as_not(kg: KnowledgeGraph) -> None:
    ketamine, mdd = kg.resolve("ketamine"), kg.resolve("major depressive disorder")
    negated = [c for c in kg.claims.values() if c.subject == ketamine and c.object == mdd and kg.is_negated(c)]
    assert negated
    output = CliRunner().invoke(main, ["paths", "ketamine", "major depressive disorder", "-k", "1"]).output
    for claim in negated:
        line = next(x for x in output.splitlines() if x.endswith(f"claim {claim.id}"))
        assert line.strip().startswith(f"NOT {claim.predicate}")


def test_inferred_steps_say_so(kg: KnowledgeGraph) -> None:
    checked = 0
    for claim in (c for c in kg.claims.values() if c.provenance.inferred):
        oriented = kg.schema.walk.orient(claim.predicate, claim.subject, claim.object)
        if oriented is None:
            continue
        source, target = oriented
        answer = answer_paths(kg, source, target, k=50, filters=PathFilters(allow_direct=True))
        if not any(s.claim_id == claim.id for r in answer.paths for s in r.path.steps):
            continue
        output = CliRunner().invoke(main, ["paths", source, target, "-k", "50", "--allow-direct"]).output
        line = next(x for x in output.splitlines() if x.endswith(f"claim {claim.id}"))
        assert "curator inference" in line
        checked += 1
    assert checked, "no inferred claim is walked: the check would prove nothing"


def test_a_path_follows_a_hypothesis_that_includes_where_the_compound_acts(kg: KnowledgeGraph) -> None:
    members = {h.id: {n for s in h.steps for n in (kg.claims[s.claim].subject, kg.claims[s.claim].object)}
               for h in kg.hypotheses.values()}
    checked = 0
    for source, target in PAIRS:
        for r in _all(kg, source, target):
            entry = next(n for n in r.path.nodes[1:] if n not in detour_nodes(kg, r.path))
            if r.hypothesis is not None and any(entry in nodes for nodes in members.values()):
                assert entry in members[r.hypothesis.hypothesis], (r.path.nodes, r.hypothesis.hypothesis)
                checked += 1
    assert checked


def test_json_keeps_stdout_a_document_and_explains_on_stderr() -> None:
    import json

    result = CliRunner().invoke(main, ["paths", "esketamine", "TRD", "--human-only", "--min-evidence", "rct",
                                       "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "--min-evidence rct removes" in result.stderr
