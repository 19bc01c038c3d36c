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


@dataclass(frozen=True)
class EvidenceType:
    """A study design or evidence kind, with the strength used to rank paths."""

    name: str
    label: str
    strength: float
    eco: Curie


@dataclass(frozen=True)
class Schema:
    """The whole schema; everything else is checked against it."""

    prefixes: dict[str, str]
    node_kinds: dict[str, NodeKind]
    predicates: dict[str, Predicate]
    mechanistic_kinds: frozenset[str]
    evidence_types: dict[str, EvidenceType]
    species: tuple[str, ...]
    findings: dict[str, str]
    routes: tuple[str, ...]

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
    return Schema(
        prefixes=dict(raw["prefixes"]),
        node_kinds=kinds,
        predicates=preds,
        mechanistic_kinds=frozenset(raw["mechanistic_kinds"]),
        evidence_types=evidence,
        species=tuple(raw["species"]),
        findings={str(k): v for k, v in raw["findings"].items()},
        routes=tuple(raw["routes"]),
    )


@cache
def load_schema() -> Schema:
    """The schema shipped with the package (parsed once; the result is immutable)."""
    text = (files("ontology") / "schema.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))
