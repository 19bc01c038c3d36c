"""Typed records: the curated YAML becomes these, and every store is written from them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Curie = str
ClaimId = str
EvidenceTypeName = Literal[
    "meta_analysis", "systematic_review", "rct", "guideline", "regulatory", "open_label", "retrospective",
    "preclinical_animal", "review", "expert_recommendation", "case_report", "mechanistic_hypothesis", "not_stated",
]
Species = Literal["human", "animal", "human_and_animal", "not_stated"]
Finding = Literal["positive", "suggestive", "rare", "mixed", "insufficient", "null", "negative"]
ComparisonResult = Literal["no_difference", "a_superior", "b_superior", "not_established", "a_more_potent"]
LineOfTherapy = Literal["first_line", "second_line", "third_line"]
#: How a reported number reads: a difference in improvement over the comparator (scale points), the
#: percentage of an arm (and of the comparator arm), responders out of a total, or a standardized effect size.
EstimateMeasure = Literal["mean_difference", "percent", "responders", "cohens_d"]
#: What an estimate's ``low``-``high`` is: a confidence ``interval`` around its value, or the ``range`` of several
#: values the review gives (its lowest and highest, as "d = 0.48–0.85 up to one week"), which is no interval.
EstimateSpread = Literal["interval", "range"]

#: The short name of a curated source (``graph.sources.CuratedSource.id``), e.g. ``ketamine-review-2022``.
SourceId = str


@dataclass(frozen=True)
class Location:
    """Where a record was read from, for error messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class StudyFacts:
    """What the review reports about one study or trial."""

    refs: tuple[int, ...]
    section: str
    evidence_type: EvidenceTypeName
    species: Species
    design: str | None = None
    n: int | None = None
    population: str | None = None
    intervention: str | None = None
    comparator: str | None = None
    route: str | None = None
    dose: str | None = None
    endpoint: str | None = None
    scale: str | None = None
    timing: str | None = None
    result: str | None = None
    effect_size: str | None = None
    finding: Finding = "positive"
    note: str | None = None


@dataclass(frozen=True)
class Node:
    """An entity: compound, receptor, process, disease, study, hypothesis, ..."""

    id: Curie
    kind: str
    name: str
    synonyms: tuple[str, ...] = ()
    xref: tuple[Curie, ...] = ()
    description: str | None = None
    study: StudyFacts | None = None
    #: The curated source whose folder declares the node (its study refs are that source's numbers).
    source: SourceId | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Provenance:
    """Which source a claim comes from, where in it, and how strong it is."""

    #: The curated source; ``section`` and ``refs`` are that source's section and reference numbers.
    source: SourceId
    section: str
    refs: tuple[int, ...]
    quote: str
    evidence_type: EvidenceTypeName
    species: Species
    finding: Finding = "positive"
    contested: bool = False
    #: CANMAT level, or the best level of a range (``canmat_level_max`` is the other end).
    canmat_level: int | None = None
    canmat_level_max: int | None = None
    #: How often, for a ``rare`` finding, in the review's words ("very rarely reported").
    frequency: str | None = None
    #: The curator inferred this step; the quote supports it only indirectly.
    inferred: bool = False


@dataclass(frozen=True)
class Claim:
    """One edge: subject - predicate - object, with its provenance and context."""

    id: ClaimId
    subject: Curie
    predicate: str
    object: Curie
    provenance: Provenance
    studies: tuple[Curie, ...] = ()
    route: str | None = None
    dose: str | None = None
    timing: str | None = None
    anatomical_context: Curie | None = None
    #: Who the claim is about when narrower than the indication ("adults aged 65 or older").
    population: str | None = None
    line_of_therapy: LineOfTherapy | None = None
    #: Given as an add-on to another treatment (an oral antidepressant, a mood stabilizer).
    adjunctive: bool = False
    note: str | None = None
    derived_from: Curie | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Arm:
    """One arm of a comparison: a compound or intervention, and the regimen in the review's words."""

    node: Curie
    regimen: str | None = None


@dataclass(frozen=True)
class Comparison:
    """A head-to-head or regimen comparison: arm A vs arm B on an outcome, with its result.

    Not a drug effect: "twice vs thrice weekly, no difference" says nothing against the drug.
    """

    id: Curie
    name: str
    arm_a: Arm
    arm_b: Arm
    outcome: Curie
    result: ComparisonResult
    provenance: Provenance
    studies: tuple[Curie, ...] = ()
    population: str | None = None
    note: str | None = None
    location: Location | None = field(default=None, compare=False)

    def as_node(self) -> Node:
        """The comparison as a graph node of kind ``comparison``."""
        return Node(id=self.id, kind="comparison", name=self.name, description=self.note,
                    source=self.provenance.source, location=self.location)


@dataclass(frozen=True)
class Estimate:
    """A number the review reports for a study, in a form a chart can plot (``graph/data/estimates.yaml``).

    The study record's ``effect_size`` says it in words; this says it as numbers, with the quote they
    are read from. ``claim`` is the claim the number belongs to (a study may report several).
    """

    id: str
    study: Curie
    claim: ClaimId
    measure: EstimateMeasure
    #: What was measured, in the review's words ("MADRS", "relapse", "remission", "suicidal ideation").
    outcome: str
    section: str
    refs: tuple[int, ...]
    quote: str
    #: Which arm, dose or subgroup ("56 mg", "stable remitters").
    label: str | None = None
    #: The point value: points of improvement over the comparator, the arm's percentage, responders, or d.
    value: float | None = None
    #: The comparator arm's percentage (``percent``).
    comparator: float | None = None
    #: Participants the ``responders`` count is out of.
    total: int | None = None
    #: The lowest and highest number the review gives: a confidence interval or a range, as ``spread`` says.
    low: float | None = None
    high: float | None = None
    #: What ``low``-``high`` is (required with them): ``interval`` or ``range``.
    spread: EstimateSpread | None = None
    #: For a range, what its values span, in the review's words ("within 24 h up to one week post-treatment").
    spans: str | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class HypothesisStep:
    """One step of a hypothesis tour: a claim and a caption drawn from the review."""

    claim: ClaimId
    caption: str


@dataclass(frozen=True)
class Hypothesis:
    """A proposed mechanism (a route of Fig. 1, the opioid route, ...), with ordered steps."""

    id: Curie
    name: str
    provenance: Provenance
    steps: tuple[HypothesisStep, ...]
    route: int | None = None
    synonyms: tuple[str, ...] = ()
    description: str | None = None
    supported_by: tuple[ClaimId, ...] = ()
    contradicted_by: tuple[ClaimId, ...] = ()
    location: Location | None = field(default=None, compare=False)

    def as_node(self) -> Node:
        """The hypothesis as a graph node of kind ``hypothesis``."""
        return Node(
            id=self.id, kind="hypothesis", name=self.name, synonyms=self.synonyms,
            description=self.description, source=self.provenance.source, location=self.location,
        )


def field_names(cls: type) -> list[str]:
    """Declared field names of a record class, in order."""
    return [f.name for f in fields(cls)]


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop None, empty and default-false values, for exports that omit blanks."""
    return {k: v for k, v in values.items() if v not in (None, (), [], "", False)}
