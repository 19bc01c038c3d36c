"""Load `schema.yaml`: node kinds, predicates and closed vocabularies, declared once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

Curie = str


@dataclass(frozen=True)
class NodeKind:
    """A kind of node, with its Biolink category and optional OBO class."""

    name: str
    label: str
    description: str
    biolink: Curie
    obo: Curie | None = None

    @property
    def class_name(self) -> str:
        """CamelCase local name of the kind's RDF class (``cell_type`` -> ``CellType``)."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@dataclass(frozen=True)
class Predicate:
    """A predicate: its Biolink mapping (with qualifiers), OBO term, domain and range kinds."""

    name: str
    label: str
    description: str
    biolink: Curie
    domain: tuple[str, ...]
    range: tuple[str, ...]
    effect: str
    qualifiers: dict[str, str] = field(default_factory=dict)
    obo: Curie | None = None
    #: How a negated claim reads ("studied to treat, no effect shown"); default "NOT <label>".
    negated_label: str | None = None
    #: For a relation that holds whatever the study found (a trial was done): the Biolink slot that
    #: carries the result instead of ``negated`` (``treatment_outcome``).
    outcome_slot: str | None = None

    def label_for(self, negated: bool) -> str:
        """The label of a claim with this predicate, as the review says it (negated or not)."""
        if not negated:
            return self.label
        return self.negated_label or f"NOT {self.label}"


@dataclass(frozen=True)
class EvidenceType:
    """A study design or evidence kind, with the strength used to rank paths."""

    name: str
    label: str
    strength: float
    eco: Curie


@dataclass(frozen=True)
class WalkRules:
    """Which edges a mechanism path walks, in which direction, across which kinds, and how strong.

    Declared once in ``schema.yaml`` (``walk:``); the Python search, the merged-graph search and
    the generated Cypher all read these rules, so they cannot drift apart.
    """

    node_kinds: frozenset[str]
    must_cross: frozenset[str]
    forward: tuple[str, ...]
    parent_to_child: dict[str, str]
    clinical: tuple[str, ...]
    evidence_strengths: dict[str, float]
    canmat_level_1: float
    contested_factor: float
    finding_factors: dict[str, float]
    include_negative_factor: float
    hub_damping_curated: float
    hub_damping_merged: float
    imported_strength: float
    human_only_drops: frozenset[str] = frozenset()

    def human_only_keeps(self, species: str | None) -> bool:
        """Whether the human-only filter keeps a claim of this species (None: an imported edge)."""
        return species not in self.human_only_drops

    @property
    def walked_predicates(self) -> tuple[str, ...]:
        """Every predicate a path may walk, in either direction."""
        return (*self.forward, *self.parent_to_child)

    def walked_findings(self, include_negative: bool = False) -> tuple[str, ...]:
        """Findings whose claims are walked (all of them with ``include_negative``)."""
        return tuple(f for f, factor in self.finding_factors.items() if include_negative or factor > 0)

    def orient(self, predicate: str, subject: str, obj: str) -> tuple[str, str] | None:
        """The walked direction (from, to) of an edge, or None when its predicate is not walked."""
        if predicate in self.parent_to_child:
            return obj, subject
        if predicate in self.forward:
            return subject, obj
        return None

    def strength(self, evidence_type: str | None, canmat_level: int | None, finding: str | None,
                 contested: bool, include_negative: bool = False) -> float:
        """A claim's step strength in [0, 1] (0: not walked)."""
        strength = self.evidence_strengths.get(evidence_type or "", 0.0)
        if canmat_level == 1:
            strength = max(strength, self.canmat_level_1)
        factor = self.finding_factors.get(finding or "positive", 0.0)
        if factor == 0 and include_negative:
            factor = self.include_negative_factor
        if contested:
            factor = min(factor, self.contested_factor)
        return round(strength * factor, 4)


@dataclass(frozen=True)
class FindingKind:
    """What the review says about a claim, and what that means for every serialization."""

    name: str
    description: str
    #: The review states it holds: RDF gets a direct triple, property graphs an unqualified edge.
    asserted: bool
    #: The review says it does not hold (Biolink ``negated: true``); paths do not walk it unless asked.
    negated: bool


@dataclass(frozen=True)
class Inference:
    """How a curator inference is marked: Biolink knowledge levels and the ECO code."""

    knowledge_level: str
    eco: Curie
    asserted_knowledge_level: str


@dataclass(frozen=True)
class Schema:
    """The whole schema; everything else is checked against it."""

    prefixes: dict[str, str]
    node_kinds: dict[str, NodeKind]
    predicates: dict[str, Predicate]
    walk: WalkRules
    evidence_types: dict[str, EvidenceType]
    species: tuple[str, ...]
    species_labels: dict[str, str]
    findings: dict[str, FindingKind]
    routes: tuple[str, ...]
    inference: Inference
    comparison_results: dict[str, str]
    lines_of_therapy: tuple[str, ...]
    treatment_outcomes: dict[str, str]

    def finding(self, name: str) -> FindingKind:
        """The finding kind (KeyError names the valid ones)."""
        try:
            return self.findings[name]
        except KeyError:
            raise KeyError(f"unknown finding '{name}' (one of: {', '.join(self.findings)})") from None

    def species_label(self, name: str) -> str:
        """How a species value reads to a person ("species not stated in the review" for not_stated)."""
        return self.species_labels.get(name, name.replace("_", " "))

    def asserts(self, predicate: str, finding: str) -> bool:
        """Whether a claim states what the review asserts (a direct triple, an unqualified edge).

        A relation with an outcome slot (studied to treat) holds whatever the study found: the
        trial was done, and its result is the outcome.
        """
        spec = self.predicates.get(predicate)
        return bool(spec is not None and spec.outcome_slot) or self.finding(finding).asserted

    def negates(self, predicate: str, finding: str) -> bool:
        """Whether a claim is Biolink-negated: the review says it does not hold (never a study relation)."""
        spec = self.predicates.get(predicate)
        return not (spec is not None and spec.outcome_slot) and self.finding(finding).negated

    @property
    def mechanistic_kinds(self) -> frozenset[str]:
        """Node kinds that may stand on a mechanism path (``walk.node_kinds``)."""
        return self.walk.node_kinds

    def evidence_strength(self, evidence_type: str) -> float:
        """Strength of an evidence type (0 when unknown)."""
        et = self.evidence_types.get(evidence_type)
        return et.strength if et else 0.0


def _parse(raw: dict[str, Any]) -> Schema:
    kinds = {name: NodeKind(name=name, **spec) for name, spec in raw["node_kinds"].items()}
    preds = {}
    for name, spec in raw["predicates"].items():
        spec = dict(spec)
        spec["domain"] = tuple(spec["domain"])
        spec["range"] = tuple(spec["range"])
        spec["qualifiers"] = dict(spec.get("qualifiers") or {})
        preds[name] = Predicate(name=name, **spec)
    evidence = {name: EvidenceType(name=name, **spec) for name, spec in raw["evidence_types"].items()}
    findings = {str(k): FindingKind(name=str(k), **v) for k, v in raw["findings"].items()}
    return Schema(
        prefixes=dict(raw["prefixes"]),
        node_kinds=kinds,
        predicates=preds,
        walk=_walk_rules(raw["walk"], kinds, preds, evidence, findings, tuple(raw["species"])),
        evidence_types=evidence,
        species=tuple(raw["species"]),
        species_labels={str(k): str(v) for k, v in raw["species"].items()},
        findings=findings,
        routes=tuple(raw["routes"]),
        inference=Inference(**raw["inference"]),
        comparison_results={str(k): str(v) for k, v in raw["comparison_results"].items()},
        lines_of_therapy=tuple(raw["lines_of_therapy"]),
        treatment_outcomes={str(k): str(v) for k, v in raw["treatment_outcomes"].items()},
    )


class SchemaError(ValueError):
    """``schema.yaml`` contradicts itself (an unknown kind, predicate or finding in a rule)."""


def _walk_rules(raw: dict[str, Any], kinds: dict[str, NodeKind], preds: dict[str, Predicate],
                evidence: dict[str, EvidenceType], findings: dict[str, FindingKind],
                species: tuple[str, ...]) -> WalkRules:
    strength = raw["strength"]
    damping = raw["hub_damping"]
    rules = WalkRules(
        node_kinds=frozenset(raw["node_kinds"]),
        must_cross=frozenset(raw["must_cross"]),
        forward=tuple(raw["forward"]),
        parent_to_child={str(k): str(v) for k, v in raw["parent_to_child"].items()},
        clinical=tuple(raw["clinical"]),
        evidence_strengths={name: et.strength for name, et in evidence.items()},
        canmat_level_1=float(strength["canmat_level_1"]),
        contested_factor=float(strength["contested_factor"]),
        finding_factors={str(k): float(v) for k, v in strength["finding_factors"].items()},
        include_negative_factor=float(strength["include_negative_factor"]),
        hub_damping_curated=float(damping["curated"]),
        hub_damping_merged=float(damping["merged"]),
        imported_strength=float(raw["imported_strength"]),
        human_only_drops=frozenset(raw["human_only_drops"]),
    )
    problems = [f"walk: unknown node kind '{k}'" for k in sorted(rules.node_kinds | rules.must_cross) if k not in kinds]
    problems += [f"walk: unknown predicate '{p}'" for p in (*rules.walked_predicates, *rules.clinical)
                 if p not in preds]
    problems += [f"walk: predicate '{p}' is both walked and clinical" for p in rules.clinical
                 if p in rules.walked_predicates]
    problems += [f"walk: finding '{f}' is not in findings" for f in rules.finding_factors if f not in findings]
    problems += [f"walk: human_only_drops: unknown species '{s}'" for s in sorted(rules.human_only_drops)
                 if s not in species]
    problems += [f"walk: finding '{f}' has no factor" for f in findings if f not in rules.finding_factors]
    problems += [f"walk: finding '{f}' is negated, so its factor must be 0 (a path never walks what the review "
                 "denies)" for f, kind in findings.items() if kind.negated and rules.finding_factors.get(f)]
    if problems:
        raise SchemaError("ontology/schema.yaml: " + "; ".join(problems))
    return rules


@cache
def load_schema() -> Schema:
    """The schema shipped with the package (parsed once; the result is immutable)."""
    text = (files("kmoa.ontology") / "schema.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))
