"""Two compounds' mechanisms to one indication, side by side, each step with its source.

A mechanism is an ordered chain of steps ending at the indication. For a compound of the curated
graph it is the best path of each hypothesis the review proposes (``graph.path_answers``), every
step backed by a claim and its quote; for a compound from a public graph (DrugMechDB) it is one of
that graph's curated paths, every step naming the path and its line. The clinical facts the review
gives for the pair (route, dose, timing, evidence level) stand beside the mechanisms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.model import KnowledgeGraph
from graph.path_answers import answer_paths
from graph.paths import PathFilters

CLINICAL = ("treats", "studied_to_treat")


@dataclass(frozen=True)
class CompareStep:
    """One step of a mechanism: subject -label-> object, and where it comes from."""

    subject: str
    label: str
    object: str
    source: str
    #: The claim id or the DrugMechDB path id and line.
    reference: str
    #: The review's quote, or the source's own wording of the step.
    text: str


@dataclass(frozen=True)
class Mechanism:
    """A chain of steps from a compound to the indication, with what it follows and where it is from."""

    compound: str
    source: str
    title: str
    steps: tuple[CompareStep, ...]


@dataclass
class Side:
    """Everything shown for one compound."""

    compound: str
    name: str
    mechanisms: list[Mechanism] = field(default_factory=list)
    clinical: list[str] = field(default_factory=list)


def curated_side(kg: KnowledgeGraph, compound: str, target: str, k: int = 3) -> Side:
    """The best path of each hypothesis from a curated compound to the target, and the review's clinical facts."""
    side = Side(compound=compound, name=kg.nodes[compound].name)
    answer = answer_paths(kg, compound, target, k=k, filters=PathFilters())
    for ranked in answer.paths:
        steps = []
        for step in ranked.path.steps:
            claim = kg.claims[step.claim_id]
            steps.append(CompareStep(
                subject=kg.nodes[step.source].name, label=step.label, object=kg.nodes[step.target].name,
                source="review", reference=f"claim {claim.id}, section {claim.provenance.section}, refs "
                                           f"{list(claim.provenance.refs) or 'none'}",
                text=claim.provenance.quote))
        title = ranked.hypothesis.name if ranked.hypothesis else "no single hypothesis of the review"
        side.mechanisms.append(Mechanism(compound, "review", title, tuple(steps)))
    side.clinical = clinical_facts(kg, compound, target)
    return side


def clinical_facts(kg: KnowledgeGraph, compound: str, target: str) -> list[str]:
    """The review's clinical claims for the pair (and the target's synonyms), one line each."""
    facts = []
    for claim in sorted(kg.claims.values(), key=lambda c: c.id):
        if claim.subject != compound or claim.object != target or claim.predicate not in CLINICAL:
            continue
        prov = claim.provenance
        context = ", ".join(x for x in (claim.route, claim.dose, claim.timing, claim.population) if x)
        level = f", CANMAT level {prov.canmat_level}" if prov.canmat_level else ""
        label = kg.schema.predicates[claim.predicate].label_for(kg.shows_no_effect(claim))
        facts.append(f"{label} [{prov.finding}, {prov.evidence_type}{level}]"
                     f"{' (' + context + ')' if context else ''}: \"{prov.quote}\" (section {prov.section}, "
                     f"claim {claim.id})")
    return facts


def side_by_side(left: list[str], right: list[str], width: int = 58) -> list[str]:
    """Two columns of lines, aligned at the bottom (the shared end)."""
    height = max(len(left), len(right))
    left = [""] * (height - len(left)) + left
    right = [""] * (height - len(right)) + right
    return [f"{a[:width]:<{width}} | {b}" for a, b in zip(left, right, strict=True)]


def chain_lines(mechanism: Mechanism) -> list[str]:
    """A mechanism as a vertical chain: node, labelled arrow, node, ..., the indication last."""
    if not mechanism.steps:
        return []
    lines = [mechanism.steps[0].subject]
    for i, step in enumerate(mechanism.steps, start=1):
        lines += [f"   | {step.label} [{i}]", f"   v {step.object}"]
    return lines
