"""Integrity of the curated graph: every record, every reference, every reported number."""

from __future__ import annotations

import re

import pytest
from rdflib.compare import isomorphic

from kmoa.graph.canonical import format_files
from kmoa.graph.curation import default_data_dir
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.review import Review
from kmoa.ontology.vocabulary import build_shapes, build_vocabulary, committed_path

# Numbers a reader would check against a study record: doses, sample sizes, percentages, effects.
NUMBER_PATTERNS = [
    r"(\d+(?:\.\d+)?)(?:\s*[–-]\s*(\d+(?:\.\d+)?))?\s*(?:mg/kg|mg/hr|mg)\b",
    r"\bn\s*=\s*(\d+)",
    r"(\d+(?:\.\d+)?)\s*%",
    r"(\d+(?:\.\d+)?)\s*points\b",
    r"\b(\d+)\s+(?:participants|patients|individuals|adolescents|reports|independent trials|controlled trials)",
    r"d\s*=\s*(\d+\.\d+)(?:\s*[–-]\s*(\d+\.\d+))?",
    r"(\d+(?:\.\d+)?)\s*±\s*(\d+(?:\.\d+)?)",
    r"(\d+(?:\.\d+)?)\s*days\b",
]


def reported_numbers(passage: str) -> set[str]:
    """Numbers the passage reports with a unit or a count."""
    found: set[str] = set()
    for pattern in NUMBER_PATTERNS:
        for match in re.finditer(pattern, passage):
            found.update(g for g in match.groups() if g)
    return found


def record_text(kg: KnowledgeGraph, ref: int) -> str:
    """All text of the study records for one reference number."""
    parts = []
    for node in kg.nodes.values():
        if node.study is not None and ref in node.study.refs:
            parts += [node.name, node.description or "", *node.synonyms]
            parts += [str(v) for v in vars(node.study).values() if v is not None]
    return " ".join(parts)


def test_every_claim_has_section_quote_and_evidence_type(kg: KnowledgeGraph) -> None:
    missing = [c.id for c in kg.claims.values()
               if not (c.provenance.section and c.provenance.quote and c.provenance.evidence_type)]
    assert not missing, f"claims without section, quote or evidence type: {missing}"


def review_references(kg: KnowledgeGraph) -> list[int]:
    """The packaged review's own reference list (its ``source.yaml``)."""
    (review,) = kg.sources.values()
    return sorted(review.references)


def test_every_quote_occurs_verbatim_in_the_review(kg: KnowledgeGraph) -> None:
    review = Review.load()
    absent = [c.id for c in kg.claims.values() if not review.contains(c.provenance.quote)]
    absent += [h.id for h in kg.hypotheses.values() if not review.contains(h.provenance.quote)]
    assert not absent, f"quotes not found in the review: {absent}"


def test_every_reference_of_the_review_backs_at_least_one_edge(kg: KnowledgeGraph) -> None:
    cited = {ref for c in kg.claims.values() for ref in c.provenance.refs}
    missing = sorted(set(review_references(kg)) - cited)
    assert not missing, f"references with no edge: {missing}"


def test_references_cited_in_the_review_each_have_a_study_or_guideline_record(kg: KnowledgeGraph) -> None:
    with_record = {ref for n in kg.nodes.values() if n.study for ref in n.study.refs}
    with_record |= {ref for c in kg.claims.values() if kg.nodes[c.object].kind == "guideline"
                    for ref in c.provenance.refs}
    missing = sorted(set(review_references(kg)) - with_record)
    assert not missing, f"references with no study record: {missing}"


def test_every_number_the_review_reports_for_a_study_is_on_its_record(kg: KnowledgeGraph) -> None:
    review = Review.load()
    gaps = []
    for ref in review_references(kg):
        record = record_text(kg, ref)
        for passage in review.passages_citing(ref):
            for number in sorted(reported_numbers(passage)):
                if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", record):
                    gaps.append(f"[{ref}] {number!r} (from: {passage[:90]}...)")
    assert not gaps, "numbers missing from study records:\n" + "\n".join(gaps)


def test_studies_with_a_sample_size_link_to_the_graph(kg: KnowledgeGraph) -> None:
    linked = {c.object for c in kg.claims.values()} | {s for c in kg.claims.values() for s in c.studies}
    orphans = [n.id for n in kg.nodes.values() if n.kind == "study" and n.id not in linked]
    assert not orphans, f"study nodes no claim refers to: {orphans}"


def test_curated_files_are_canonical() -> None:
    changed = format_files(default_data_dir(), check=True)
    assert not changed, f"run `kmoa fmt`: not canonical: {[str(p) for p in changed]}"


@pytest.mark.parametrize(("name", "build"), [("kmoa.ttl", build_vocabulary), ("shapes.ttl", build_shapes)])
def test_committed_vocabulary_matches_the_schema(name: str, build) -> None:  # type: ignore[no-untyped-def]
    from rdflib import Graph

    committed = Graph().parse(committed_path(name), format="turtle")
    assert isomorphic(committed, build()), f"ontology/{name} is stale: run `kmoa build --ontology`"


def test_every_hypothesis_step_has_a_caption_and_an_existing_claim(kg: KnowledgeGraph) -> None:
    assert kg.hypotheses, "no hypotheses curated"
    for hyp in kg.hypotheses.values():
        for step in hyp.steps:
            assert step.caption.strip(), f"{hyp.id}: empty caption"
            assert step.claim in kg.claims, f"{hyp.id}: unknown step claim {step.claim}"


def test_a_tour_caption_says_when_its_step_is_a_curator_inference(kg: KnowledgeGraph) -> None:
    for hyp in kg.hypotheses.values():
        for step in hyp.steps:
            inferred = kg.claims[step.claim].provenance.inferred
            said = "curator inference" in step.caption
            assert said == inferred, (f"{hyp.id} step {step.claim}: the claim is {'' if inferred else 'not '}"
                                      f"inferred but the caption {'does not say' if inferred else 'says'} so")


def test_fig1_routes_one_to_six_are_all_hypotheses(kg: KnowledgeGraph) -> None:
    routes = {h.route for h in kg.hypotheses.values()}
    assert set(range(1, 7)) <= routes


def test_negative_and_null_findings_are_kept(kg: KnowledgeGraph) -> None:
    findings = {c.provenance.finding for c in kg.claims.values()}
    assert {"null", "negative", "mixed"} <= findings


def test_treats_is_reserved_for_approved_or_established_uses(kg: KnowledgeGraph) -> None:
    trial_level = {"rct", "meta_analysis", "open_label", "retrospective", "case_report", "preclinical_animal"}
    wrong = [c.id for c in kg.claims.values() if c.predicate == "treats" and c.provenance.finding == "positive"
             and c.provenance.evidence_type in trial_level]
    assert not wrong, f"`treats` backed by trials only (use studied_to_treat): {wrong}"


def test_every_entity_takes_part_in_a_claim(kg: KnowledgeGraph) -> None:
    """Nodes without claims clutter search; norketamine is kept on purpose (the review names only HNKs)."""
    used = {c.subject for c in kg.claims.values()} | {c.object for c in kg.claims.values()}
    used |= {s for c in kg.claims.values() for s in c.studies}
    isolated = sorted(n for n in kg.nodes if n not in used)
    assert isolated == ["CHEBI:91519"]
