"""The graph says only what the review says: negation, comparisons and inference in every serialization."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef

from kmoa.graph.curation import CurationError, read_curation
from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.kgx import read_tsv
from kmoa.loaders.formats.rdf import BIOLINK, KMOA, iri, to_rdf
from kmoa.loaders.registry import export
from tests.conftest import HNK_2R6R, KETAMINE, NMDA, TINY_DATA, TRD

MDD = "MONDO:0002009"


@pytest.fixture(scope="module")
def turtle(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    out = export(kg, "turtle", tmp_path_factory.mktemp("ttl") / "kmoa.ttl")
    return Graph().parse(out, format="turtle")


@pytest.fixture(scope="module")
def kgx_edges(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    out = export(kg, "kgx", tmp_path_factory.mktemp("kgx") / "kgx")
    return {row["id"]: row for _, row in read_tsv(out / "edges.tsv", ["id", "negated"])}


def test_ketamine_is_not_said_to_treat_depression(turtle: Graph) -> None:
    """The review: FDA-approved for anaesthesia 'but not for the treatment of psychiatric conditions'."""
    for disease in (MDD, TRD):
        assert (iri(KETAMINE), KMOA.treats, iri(disease)) not in turtle
    rows = turtle.query("SELECT ?d WHERE { ?k kmoa:treats ?d }", initNs={"kmoa": KMOA},
                        initBindings={"k": iri(KETAMINE)})
    assert {str(r[0]) for r in rows}.isdisjoint({str(iri(MDD)), str(iri(TRD))})  # type: ignore[index]


def test_hnk_is_not_said_to_block_nmda(turtle: Graph) -> None:
    """'the antidepressant effects of the (2R,6R)-HNK enantiomer were independent of the NMDA receptor'."""
    assert (iri(HNK_2R6R), KMOA.antagonist_of, iri(NMDA)) not in turtle


def test_every_negated_claim_is_reified_only_and_flagged(kg: KnowledgeGraph, turtle: Graph,
                                                         kgx_edges: dict[str, dict[str, str]]) -> None:
    negated = [c for c in kg.claims.values() if kg.is_negated(c)]
    assert negated, "the review reports null and negative findings"
    for claim in negated:
        claim_node = URIRef(f"https://w3id.org/kmoa/claim/{claim.id}")
        assert (claim_node, BIOLINK.negated, None) in turtle, claim.id
        if not any(kg.is_asserted(o) for o in kg.claims.values()
                   if (o.subject, o.predicate, o.object) == (claim.subject, claim.predicate, claim.object)):
            assert (iri(claim.subject), KMOA[claim.predicate], iri(claim.object)) not in turtle, claim.id
        assert kgx_edges[claim.id]["negated"] == "true", claim.id
    for claim_id, row in kgx_edges.items():
        assert (row["negated"] == "true") == kg.is_negated(kg.claims[claim_id]), claim_id


def test_unasserted_findings_have_no_direct_triple(kg: KnowledgeGraph, turtle: Graph) -> None:
    """Mixed and insufficient evidence is reified with its finding, never a plain triple."""
    asserted = {(c.subject, c.predicate, c.object) for c in kg.claims.values() if kg.is_asserted(c)}
    for claim in kg.claims.values():
        triple = (claim.subject, claim.predicate, claim.object)
        present = (iri(claim.subject), KMOA[claim.predicate], iri(claim.object)) in turtle
        assert present == (triple in asserted), claim.id


def test_inferred_steps_are_marked(kg: KnowledgeGraph, kgx_edges: dict[str, dict[str, str]]) -> None:
    inferred = [c for c in kg.claims.values() if c.provenance.inferred]
    for claim in inferred:
        row = kgx_edges[claim.id]
        assert row["knowledge_level"] == "logical_entailment", claim.id
        assert kg.schema.inference.eco in row["has_evidence"].split("|"), claim.id
        assert row["inferred"] == "true"
    for claim in kg.claims.values():
        if not claim.provenance.inferred:
            assert kgx_edges[claim.id]["knowledge_level"] == "knowledge_assertion", claim.id


def test_comparisons_are_their_own_claims(kg: KnowledgeGraph) -> None:
    """A regimen comparison is not a null effect of the drug: it names both arms, the outcome and the result."""
    for comp in kg.comparisons.values():
        node = kg.nodes[comp.id]
        assert node.kind == "comparison"
        arms = {c.object for c in kg.claims.values() if c.subject == comp.id and c.predicate == "compares"}
        assert {comp.arm_a.node, comp.arm_b.node} == arms
        assert comp.result in kg.schema.comparison_results


def test_comparisons_reach_rdf(kg: KnowledgeGraph) -> None:
    g = to_rdf(kg)
    for comp in kg.comparisons.values():
        assert (iri(comp.id), KMOA.result, None) in g
        assert (iri(comp.id), KMOA.arm_a, None) in g and (iri(comp.id), KMOA.arm_b, None) in g


def test_rare_needs_a_frequency(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(TINY_DATA, data)
    claims = sorted((data / "claims").glob("*.yaml"))[0]
    text = claims.read_text(encoding="utf-8")
    claims.write_text(text.replace("  species: ", "  finding: rare\n  species: ", 1), encoding="utf-8")
    with pytest.raises(CurationError) as err:
        read_curation(data)
    assert "frequency" in str(err.value) and claims.name in str(err.value)


def test_canmat_range_round_trips(kg: KnowledgeGraph, kgx_edges: dict[str, dict[str, str]]) -> None:
    ranged = [c for c in kg.claims.values() if c.provenance.canmat_level_max]
    for claim in ranged:
        level = f"CANMAT level {claim.provenance.canmat_level}-{claim.provenance.canmat_level_max}"
        assert kgx_edges[claim.id]["evidence_level"] == level


LINT_CLAIMS = """\
- id: t.lint_mentions_nothing
  subject: HGNC:1033
  predicate: leads_to
  object: GO:0007416
  section: '8'
  refs: []
  quote: >-
    These symptoms are very rarely reported at the subanesthetic doses typically administered to treat depression.
  evidence_type: review
  species: human
- id: t.lint_justified
  subject: GO:0032281
  predicate: increases
  object: HGNC:1033
  section: '2'
  refs: [16]
  quote: >-
    Current evidence suggests that a convergence of multiple pathways may best explain ketamine’s unique
    therapeutic effects
  evidence_type: review
  species: human
  note: 'Lint: kept to exercise the justification path.'
"""


def validate_with_claims(tmp_path: Path, name: str, claims: str, *options: str) -> Any:
    """`kmoa validate` (without SHACL) over the tiny data plus one claims file; it must exit 0."""
    from click.testing import CliRunner

    from kmoa.cli import main

    data = tmp_path / "data"
    shutil.copytree(TINY_DATA, data, dirs_exist_ok=True)
    (data / "claims" / name).write_text(claims, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--data", str(data), "--no-shacl", *options])
    assert result.exit_code == 0, result.output
    return result


def test_support_lint_locates_unsupported_and_hedged_claims(tmp_path: Path) -> None:
    """`kmoa validate` warns with file:line when a quote names neither end or contradicts the finding."""
    result = validate_with_claims(tmp_path, "lint.yaml", LINT_CLAIMS)
    lines = [line for line in result.output.splitlines() if line.startswith("warning:")]
    unsupported = [line for line in lines if "t.lint_mentions_nothing" in line]
    assert any("claims/lint.yaml:1:" in line and "names neither" in line for line in unsupported)
    assert any("'rarely'" in line for line in unsupported)
    assert not any("t.lint_justified" in line for line in lines)
    assert "2 justified in claim notes" in result.output  # the justified claim's mention and hedge warnings
    listed = validate_with_claims(tmp_path, "lint.yaml", LINT_CLAIMS, "--all-warnings")
    assert any("t.lint_justified" in line and "justified" in line for line in listed.output.splitlines())


def test_a_null_trial_is_a_trial_with_an_unchanged_outcome(kg: KnowledgeGraph,
                                                           kgx_edges: dict[str, dict[str, str]]) -> None:
    """Biolink's in_clinical_trials_for says a trial was done: a null result is its treatment_outcome, not negation."""
    from importlib.resources import files

    from bmt import Toolkit

    toolkit = Toolkit(schema=str(files("biolink_model") / "schema" / "biolink_model.yaml"),
                      predicate_map={"predicate mappings": []})
    outcomes = set(toolkit.view.get_enum("TreatmentOutcomeEnum").permissible_values)
    trials = [c for c in kg.claims.values() if c.predicate == "studied_to_treat"]
    nulls = [c for c in trials if c.provenance.finding in ("null", "negative")]
    assert nulls, "the review reports trials that found no benefit"
    for claim in trials:
        row = kgx_edges[claim.id]
        assert row["negated"] == "false", claim.id
        assert row["treatment_outcome"] in outcomes, claim.id
    assert {kgx_edges[c.id]["treatment_outcome"] for c in nulls} == {"unchanged"}


def test_every_support_warning_is_fixed_or_justified(kg: KnowledgeGraph) -> None:
    """The curated data passes the support lint: each warning left is justified in its claim's note."""
    from kmoa.graph.lint import support_warnings

    unjustified = [str(w) for w in support_warnings(kg) if not w.justified]
    assert unjustified == []


def test_the_explorer_draws_what_the_review_denies_as_not_so(kg: KnowledgeGraph) -> None:
    """A negated edge is labelled NOT and styled with a circle end; a null trial reads 'no benefit shown'."""
    from kmoa.explorer.data import prepare
    from kmoa.explorer.style import stylesheet
    from kmoa.explorer.views import elements_for, neighbourhood

    data = prepare(kg)
    ketamine = kg.resolve("ketamine", kinds=("compound",))
    drawn = elements_for(data, neighbourhood(data, ketamine))
    edges = {e["data"]["claim"]: e for e in drawn if "source" in e["data"]}
    negated = [c for c in edges if kg.is_negated(kg.claims[c])]
    assert negated, "ketamine's neighbourhood holds claims the review negates"
    for claim_id in negated:
        edge = edges[claim_id]
        assert edge["data"]["label"].startswith("NOT "), claim_id
        assert "negative" in edge["classes"].split(), claim_id
    asserted = [c for c in edges if kg.is_asserted(kg.claims[c]) and not kg.shows_no_effect(kg.claims[c])]
    assert all("negative" not in edges[c]["classes"].split() for c in asserted)
    rule = next(r for r in stylesheet(kg.schema) if r["selector"] == ".negative")
    assert rule["style"]["target-arrow-shape"] not in ("triangle", "vee", "tee")


CANMAT_CLAIM = """\
- id: t.level_on_the_wrong_claim
  subject: CHEBI:6121
  predicate: studied_to_treat
  object: EFO:0009854
  section: '3.1'
  refs: [23]
  quote: >-
    ketamine significantly improved depressive symptoms compared to placebo saline infusion
  evidence_type: rct
  species: human
  canmat_level: 1
"""


def test_a_canmat_level_needs_a_quote_that_gives_it(tmp_path: Path) -> None:
    """A CANMAT level belongs to the sentence that grades the evidence, not to a trial it may cover."""
    from click.testing import CliRunner

    from kmoa.cli import main

    data = tmp_path / "data"
    shutil.copytree(TINY_DATA, data)
    (data / "claims" / "level.yaml").write_text(CANMAT_CLAIM, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--data", str(data), "--no-shacl"])
    assert result.exit_code == 0, result.output
    assert any("t.level_on_the_wrong_claim" in line and "CANMAT level 1" in line and "no level" in line
               for line in result.output.splitlines() if line.startswith("warning:"))


def _provenanced(kg: KnowledgeGraph) -> list:  # type: ignore[type-arg]
    """Every curated record with its own provenance: claims (not derived), hypotheses, comparisons."""
    return [*(c for c in kg.claims.values() if c.derived_from is None), *kg.hypotheses.values(),
            *kg.comparisons.values()]


def test_animal_evidence_is_claimed_only_where_the_review_names_animals(kg: KnowledgeGraph) -> None:
    """Species `animal` or `human_and_animal` needs animals in the quote's sentence or the passages of its refs.

    Where the review names no species ("research over the past three decades further implicated
    the NMDA receptor" [8]), the claim says `not_stated`.
    """
    from kmoa.graph.lint import ANIMAL
    from kmoa.graph.review import Review

    review = Review.load()
    unstated = []
    for record in _provenanced(kg):
        prov = record.provenance
        if prov.species not in ("animal", "human_and_animal"):
            continue
        context = [review.sentence_of(prov.quote), *(p for r in prov.refs for p in review.passages_citing(r))]
        context += [kg.nodes[s].study.design or "" for s in getattr(record, "studies", ())  # type: ignore[union-attr]
                    if s in kg.nodes and kg.nodes[s].study is not None]
        if not any(ANIMAL.search(text) for text in context):
            unstated.append(f"{record.id} ({prov.species})")
    for node in kg.nodes.values():
        study = node.study
        if study is None or study.species not in ("animal", "human_and_animal"):
            continue
        context = [study.design or "", *(p for r in study.refs for p in review.passages_citing(r))]
        if not any(ANIMAL.search(text) for text in context):
            unstated.append(f"{node.id} ({study.species})")
    assert not unstated, "species says animal where the review names none (use not_stated): " + ", ".join(unstated)


def test_studies_the_review_gives_no_species_for_are_not_said_to_be_human(kg: KnowledgeGraph) -> None:
    """`not_stated` is a species of its own: exports carry it, and it is never shown as human evidence."""
    unstated = [c for c in kg.claims.values() if c.provenance.species == "not_stated"]
    assert unstated, "the review gives no species for many mechanism statements"
    assert "not_stated" in kg.schema.walk.human_only_drops
    assert "not" in kg.schema.species_label("not_stated")


_HEADING = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2})?)\s{2,}\S", re.M)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)")
_WORDS = ("zero|no|none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve")


def _section_text(text: str, section: str) -> str:
    """The review's text for a numbered section, its subsections included (the whole text otherwise)."""
    heads = [(m.group(1), m.start()) for m in _HEADING.finditer(text)]
    for i, (name, start) in enumerate(heads):
        if name == section:
            end = next((s for n, s in heads[i + 1:] if not n.startswith(section + ".")), len(text))
            return text[start:end]
    return text


def _states(text: str, number: str) -> bool:
    if re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text):
        return True
    return number.isdigit() and int(number) < len(_WORDS) and \
        re.search(rf"\b({_WORDS[int(number)]})\b", text, re.I) is not None


def test_every_number_on_a_claim_or_study_is_one_the_review_states_there(kg: KnowledgeGraph) -> None:
    """Doses, timings, populations, sample sizes and effects come from the review's section, never elsewhere."""
    from kmoa.graph.review import Review

    text = Review.load().text
    wrong = []
    for claim in (c for c in kg.claims.values() if c.derived_from is None):
        where = _section_text(text, claim.provenance.section)
        for field in ("dose", "timing", "population"):
            value = getattr(claim, field, None) or ""
            wrong += [f"{claim.id}.{field}: {n}" for n in _NUMBER.findall(value) if not _states(where, n)]
    for node in kg.nodes.values():
        study = node.study
        if study is None:
            continue
        where = _section_text(text, study.section or "")
        for field in ("n", "dose", "timing", "population", "effect_size", "intervention", "comparator"):
            value = getattr(study, field)
            wrong += [f"{node.id}.{field}: {n}" for n in _NUMBER.findall("" if value is None else str(value))
                      if not _states(where, n)]
    assert not wrong, "numbers the review does not state in the record's section: " + ", ".join(wrong)


HEDGED_NEGATION = """\
- id: t.hedge_read_as_no_effect
  subject: HGNC:1033
  predicate: activates
  object: GO:0032281
  section: '2'
  refs: [16]
  quote: >-
    Current evidence suggests that a convergence of multiple pathways may best explain ketamine’s unique
    therapeutic effects
  evidence_type: review
  species: not_stated
  finding: 'null'
"""


def test_a_hedged_sentence_is_never_a_certain_negation(tmp_path: Path) -> None:
    """'appear limited', 'may', 'suggests': a null or negative finding read from hedged words is flagged."""
    result = validate_with_claims(tmp_path, "hedge.yaml", HEDGED_NEGATION)
    assert any("t.hedge_read_as_no_effect" in line and "hedges" in line and "null" in line
               for line in result.output.splitlines() if line.startswith("warning:"))
