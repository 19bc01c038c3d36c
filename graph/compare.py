"""Two compounds' mechanisms to one indication, side by side, each step with its source.

A mechanism is an ordered chain of steps ending at the indication. For a compound of the curated
graph it is the best path of each hypothesis the review proposes (``graph.path_answers``), every
step backed by a claim and its quote; for a compound from a public graph (DrugMechDB) it is one of
that graph's curated paths, every step naming the path and its line. The clinical facts the review
gives for the pair (route, dose, timing, evidence level) stand beside the mechanisms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable

from kmoa.graph.model import KnowledgeGraph, UnknownEntityError
from kmoa.graph.path_answers import answer_paths
from kmoa.graph.paths import PathFilters

CLINICAL = ("treats", "studied_to_treat")
#: DrugMechDB's citation, shown with every step taken from it (its data is MIT-licensed).
DRUGMECHDB_CITATION = ("Gonzalez-Cavazos AC, Tanska A, Mayers M, et al. Drug Mechanism Database (DrugMechDB), "
                       "version 2.0.0 (2023-04-26). Zenodo. https://doi.org/10.5281/zenodo.7868996")
DRUGMECHDB_LICENCE = "MIT licence, Copyright (c) 2019 Su Lab"


def bundled_drugmechdb() -> Traversable:
    """The few DrugMechDB paths shipped with kmoa (antidepressants to depression; MIT, notice in the file).

    A separate source, never mixed into the review's claims: ``kmoa compare`` and the explorer use
    it when no DrugMechDB file is given, and the contrast tours take their public paths from it.
    """
    return files("kmoa.graph") / "data" / "drugmechdb" / "depression_paths.yaml"


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
    subject_id: str = ""
    object_id: str = ""
    #: The review's claim behind the step (None for a public graph's step).
    claim: str | None = None
    #: The line of the source file the step was read from (a public graph's step).
    line: int | None = None


@dataclass(frozen=True)
class Mechanism:
    """A chain of steps from a compound to the indication, with what it follows and where it is from."""

    compound: str
    source: str
    title: str
    steps: tuple[CompareStep, ...]
    #: A public graph's path id (DrugMechDB's unit of curation), its drug and its disease.
    path: str | None = None
    drug: str | None = None
    disease: str | None = None
    #: The file (name) the public path was read from; its steps' lines are lines of it.
    file: str | None = None


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
                text=claim.provenance.quote, subject_id=step.source, object_id=step.target, claim=claim.id))
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


#: Looks a compound up in a public graph: (compound as typed, the indication's ids or None for any) -> its mechanisms.
PublicLookup = Callable[[str, set[str] | None], list[Mechanism]]


class CompareError(ValueError):
    """A compound or indication that cannot be compared; the message says what to give instead."""


@dataclass
class Comparison:
    """Two compounds' mechanisms to one indication (``kmoa compare`` prints it, the explorer draws it)."""

    target: str
    target_name: str
    #: The indication's id and cross-references: a public graph's path ends at one of them.
    diseases: tuple[str, ...]
    sides: tuple[Side, Side]


def compare_mechanisms(kg: KnowledgeGraph, first: str, second: str, target: str, k: int = 2,
                       public: PublicLookup | None = None, public_name: str = "DrugMechDB") -> Comparison:
    """Each compound's mechanisms to ``target``: the review's for a curated compound, else the public graph's."""
    try:
        target_id = kg.resolve(target)
    except UnknownEntityError as err:
        raise CompareError(str(err)) from None
    diseases = {target_id, *kg.nodes[target_id].xref}
    sides = []
    for compound in (first, second):
        try:
            curie = kg.resolve(compound, kinds=("compound",))
        except UnknownEntityError:
            curie = None
        if curie is not None and kg.nodes[curie].kind == "compound":
            sides.append(curated_side(kg, curie, target_id, k=k))
            continue
        if public is None:
            raise CompareError(f"'{compound}' is not a compound of the review; give --drugmechdb FILE to look "
                               "it up there")
        found = public(compound, diseases)
        if not found:
            elsewhere = sorted({m.disease for m in public(compound, None) if m.disease})
            where = f"; its paths go to {', '.join(elsewhere)}" if elsewhere else ""
            raise CompareError(f"{public_name} has no path from '{compound}' to {kg.nodes[target_id].name} "
                               f"({', '.join(sorted(diseases))}){where}")
        sides.append(Side(compound=found[0].compound, name=found[0].compound, mechanisms=found[:k]))
    return Comparison(target_id, kg.nodes[target_id].name, tuple(sorted(diseases)), (sides[0], sides[1]))


@dataclass(frozen=True)
class TourClaim:
    """A claim of the review that opens or closes a contrast tour, with its caption."""

    claim: str
    caption: str


@dataclass(frozen=True)
class ContrastTour:
    """A tour through a route of the review and a public path to the same indication, in sequence."""

    id: str
    name: str
    description: str
    target: str
    hypothesis: str
    #: The public graph's compound (as it names it) and path id.
    compound: str
    public_path: str
    opening: TourClaim
    closing: TourClaim


def contrast_tours() -> dict[str, ContrastTour]:
    """The shipped contrast tours (graph/data/drugmechdb/contrast_tours.yaml), by id."""
    import yaml

    path = files("kmoa.graph") / "data" / "drugmechdb" / "contrast_tours.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {t["id"]: ContrastTour(
        id=t["id"], name=t["name"], description=t["description"].strip(), target=t["target"],
        hypothesis=t["hypothesis"], compound=t["compound"], public_path=t["public_path"],
        opening=TourClaim(**t["opening"]), closing=TourClaim(**t["closing"])) for t in raw}


def claim_step(kg: KnowledgeGraph, claim_id: str) -> CompareStep:
    """A claim of the review as a step, with its section, references and quote."""
    claim = kg.claims[claim_id]
    prov = claim.provenance
    label = kg.schema.predicates[claim.predicate].label_for(kg.shows_no_effect(claim))
    return CompareStep(
        subject=kg.nodes[claim.subject].name, label=label, object=kg.nodes[claim.object].name, source="review",
        reference=f"claim {claim.id}, section {prov.section}, refs {list(prov.refs) or 'none'}", text=prov.quote,
        subject_id=claim.subject, object_id=claim.object, claim=claim.id)


def hypothesis_mechanism(kg: KnowledgeGraph, hypothesis: str, target: str) -> Mechanism:
    """A hypothesis' steps as a mechanism, up to the first step that reaches the target (or all of them)."""
    hyp = kg.hypotheses[hypothesis]
    ends = {target, *kg.nodes[target].xref}
    steps = []
    for step in hyp.steps:
        steps.append(claim_step(kg, step.claim))
        if steps[-1].object_id in ends:
            break
    compound = steps[0].subject if steps else ""
    return Mechanism(compound, "review", hyp.name, tuple(steps))
