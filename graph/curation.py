"""Read the curated YAML into typed records, and check them against the schema and their source.

Every problem names its file, line and record id; all problems are collected before failing, so
a curator sees the whole list at once. Nothing is written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml

from kmoa.graph.identifiers import curie_problem, normalise_name
from kmoa.graph.records import (
    Arm,
    Claim,
    Comparison,
    Estimate,
    EstimateMeasure,
    EstimateSpread,
    Hypothesis,
    HypothesisStep,
    Location,
    Node,
    Provenance,
    StudyFacts,
)
from kmoa.graph.review import Review
from kmoa.graph.sources import CuratedSource, SourceError, default_source_dir, read_source
from kmoa.ontology.schema import Schema, load_schema

NODE_KEYS = ("id", "kind", "name", "synonyms", "xref", "description", "study")
STUDY_KEYS = (
    "refs", "section", "design", "evidence_type", "species", "n", "population", "intervention",
    "comparator", "route", "dose", "endpoint", "scale", "timing", "result", "effect_size", "finding", "note",
)
PROVENANCE_KEYS = ("section", "refs", "quote", "evidence_type", "species", "finding", "frequency", "contested",
                   "canmat_level", "inferred")
CLAIM_KEYS = (
    "id", "subject", "predicate", "object", *PROVENANCE_KEYS, "studies", "route", "dose", "timing",
    "anatomical_context", "population", "line_of_therapy", "adjunctive", "note",
)
HYPOTHESIS_KEYS = (
    "id", "name", "route", "synonyms", "description", *PROVENANCE_KEYS, "steps", "supported_by", "contradicted_by",
)
COMPARISON_KEYS = ("id", "name", "arm_a", "arm_b", "outcome", "result", *PROVENANCE_KEYS, "studies", "population",
                   "note")
ESTIMATE_KEYS = ("id", "study", "claim", "measure", "outcome", "label", "value", "comparator", "total", "low", "high",
                 "spread", "spans", "section", "refs", "quote")
ESTIMATE_NUMBERS = ("value", "comparator", "low", "high")
REQUIRED_CLAIM = ("id", "subject", "predicate", "object", "section", "refs", "quote", "evidence_type", "species")
CLAIM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
LINE_KEY = "__line__"


def default_data_dir() -> Path:
    """The curated data shipped with the package: the review's folder."""
    return default_source_dir()


class NotADataFolder(ValueError):
    """A folder given as curated data that holds none (it would read as an empty graph)."""


def check_data_dir(data_dir: Path) -> Path:
    """Return ``data_dir`` if it is a curated data folder (``nodes/*.yaml`` and ``claims/*.yaml``)."""
    if not data_dir.is_dir():
        raise NotADataFolder(f"{data_dir} is not a folder" if data_dir.exists() else f"{data_dir} does not exist")
    missing = [f"{sub}/*.yaml" for sub in ("nodes", "claims") if not any((data_dir / sub).glob("*.yaml"))]
    if missing:
        raise NotADataFolder(f"{data_dir} is not a curated data folder (no {' or '.join(missing)})")
    return data_dir


@dataclass(frozen=True)
class Problem:
    """One curation problem, located."""

    file: str
    line: int
    record: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.record}: {self.message}" if self.record else f"{where}: {self.message}"


class CurationError(ValueError):
    """The curated data is broken; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[:50]]
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} curation problem(s):\n" + "\n".join(lines) + more)


@dataclass(frozen=True)
class Curation:
    """All curated records, checked."""

    nodes: tuple[Node, ...]
    claims: tuple[Claim, ...]
    hypotheses: tuple[Hypothesis, ...]
    comparisons: tuple[Comparison, ...] = ()
    estimates: tuple[Estimate, ...] = ()
    sources: tuple[CuratedSource, ...] = ()


def line_loader(base: type[yaml.SafeLoader] = yaml.SafeLoader) -> type[yaml.SafeLoader]:
    """A safe YAML loader class on ``base`` that records each mapping's line under ``LINE_KEY``.

    The curation's files use PyYAML's own parser (its messages); a large file may pass libyaml's
    ``yaml.CSafeLoader`` for speed (DrugMechDB does).
    """
    def construct(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
        mapping: dict[str, Any] = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
        mapping[LINE_KEY] = node.start_mark.line + 1
        return mapping

    loader: type[yaml.SafeLoader] = type("LineLoader", (base,), {"__doc__": "A safe loader recording lines."})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct)
    return loader


_LineLoader = line_loader()


def read_yaml_records(path: Path, display: str) -> list[dict[str, Any]]:
    """Parse one YAML file of records; a syntax error becomes a located CurationError."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(err, "problem", None) or str(err)
        raise CurationError([Problem(display, line, "", f"malformed YAML: {problem}")]) from None
    except UnicodeDecodeError as err:
        raise CurationError([Problem(display, 1, "", f"not UTF-8: {err}")]) from None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CurationError([Problem(display, 1, "", "expected a YAML list of mappings")])
    return data


class _Reader:
    """Turns raw mappings into records, collecting problems instead of stopping at the first."""

    def __init__(self, schema: Schema, source: CuratedSource):
        self.schema = schema
        #: The source whose folder is being read: its reference list and section scheme apply.
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, where: Location, record: str, message: str) -> None:
        self.problems.append(Problem(where.file, where.line, record, message))

    def check_keys(self, raw: dict[str, Any], allowed: Iterable[str], where: Location, rid: str) -> None:
        unknown = sorted(set(raw) - set(allowed) - {LINE_KEY})
        for key in unknown:
            self.problem(where, rid, f"unknown field '{key}' (allowed: {', '.join(allowed)})")

    def text(self, raw: dict[str, Any], key: str, where: Location, rid: str, required: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(where, rid, f"missing required field '{key}'")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.problem(where, rid, f"field '{key}' must be a non-empty string")
            return None
        return value.strip()

    def strings(self, raw: dict[str, Any], key: str, where: Location, rid: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.problem(where, rid, f"field '{key}' must be a list of strings")
            return ()
        return tuple(sorted(str(v) for v in value))

    def curie(self, value: str | None, where: Location, rid: str, field_name: str) -> None:
        if value is None:
            return
        problem = curie_problem(value)
        if problem is not None:
            self.problem(where, rid, f"{field_name}: {problem}")
            return
        prefix = value.split(":", 1)[0]
        if prefix not in self.schema.prefixes:
            self.problem(where, rid, f"{field_name} '{value}' has an unknown prefix '{prefix}' "
                                     "(declare it in ontology/schema.yaml prefixes)")

    def refs(self, raw: dict[str, Any], where: Location, rid: str) -> tuple[int, ...]:
        value = raw.get("refs")
        if value is None:
            self.problem(where, rid, "missing required field 'refs' (use [] when the review cites none)")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.problem(where, rid, "field 'refs' must be a list of reference numbers")
            return ()
        for ref in value:
            if not self.source.has_reference(ref):
                self.problem(where, rid, f"reference [{ref}] is not in the reference list of {self.source.id} "
                                         f"({self.source.reference_span()})")
        return tuple(sorted(value))

    def vocab(self, value: str | None, allowed: Iterable[str], where: Location, rid: str, name: str) -> None:
        allowed = list(allowed)
        if value is not None and value not in allowed:
            self.problem(where, rid, f"{name} '{value}' is not one of: {', '.join(allowed)}")

    def section(self, raw: dict[str, Any], where: Location, rid: str) -> str:
        value = self.text(raw, "section", where, rid, required=True) or ""
        problem = self.source.section_problem(value) if value else None
        if problem:
            self.problem(where, rid, problem)
        return value

    def evidence(self, raw: dict[str, Any], where: Location, rid: str) -> tuple[str, str, str]:
        """The closed-vocabulary fields shared by claims and studies: evidence type, species, finding."""
        evidence = self.text(raw, "evidence_type", where, rid, required=True) or ""
        self.vocab(evidence or None, self.schema.evidence_types, where, rid, "evidence_type")
        species = self.text(raw, "species", where, rid, required=True) or ""
        self.vocab(species or None, self.schema.species, where, rid, "species")
        finding = self.text(raw, "finding", where, rid) or "positive"
        self.vocab(finding, self.schema.findings, where, rid, "finding")
        return evidence, species, finding

    def flag(self, raw: dict[str, Any], key: str, where: Location, rid: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.problem(where, rid, f"field '{key}' must be true or false")
            return False
        return value

    def canmat(self, raw: dict[str, Any], where: Location, rid: str) -> tuple[int | None, int | None]:
        """A CANMAT level (3) or range ([3, 4]) as (best level, other end of the range)."""
        level = raw.get("canmat_level")
        values = level if isinstance(level, list) else [level] if level is not None else []
        if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4 for v in values) \
                or len(values) > 2 or (len(values) == 2 and values[0] >= values[1]):
            self.problem(where, rid, "canmat_level must be 1, 2, 3 or 4, or a range such as [3, 4]")
            return None, None
        if not values:
            return None, None
        return values[0], (values[1] if len(values) == 2 else None)

    def provenance(self, raw: dict[str, Any], where: Location, rid: str) -> Provenance:
        evidence, species, finding = self.evidence(raw, where, rid)
        contested = self.flag(raw, "contested", where, rid)
        level, level_max = self.canmat(raw, where, rid)
        frequency = self.text(raw, "frequency", where, rid)
        if finding == "rare" and frequency is None:
            self.problem(where, rid, "a 'rare' finding needs its 'frequency' in the review's words")
        if frequency is not None and finding != "rare":
            self.problem(where, rid, "'frequency' belongs to a 'rare' finding")
        return Provenance(
            source=self.source.id,
            section=self.section(raw, where, rid),
            refs=self.refs(raw, where, rid),
            quote=self.text(raw, "quote", where, rid, required=True) or "",
            evidence_type=evidence,  # type: ignore[arg-type]
            species=species,  # type: ignore[arg-type]
            finding=finding,  # type: ignore[arg-type]
            contested=contested,
            canmat_level=level,
            canmat_level_max=level_max,
            frequency=frequency,
            inferred=self.flag(raw, "inferred", where, rid),
        )

    def node(self, raw: dict[str, Any], where: Location) -> Node | None:
        rid = str(raw.get("id", "?"))
        self.check_keys(raw, NODE_KEYS, where, rid)
        node_id = self.text(raw, "id", where, rid, required=True)
        kind = self.text(raw, "kind", where, rid, required=True)
        name = self.text(raw, "name", where, rid, required=True)
        self.curie(node_id, where, rid, "id")
        self.vocab(kind, self.schema.node_kinds, where, rid, "kind")
        xref = self.strings(raw, "xref", where, rid)
        for x in xref:
            self.curie(x, where, rid, "xref")
        study = None
        if "study" in raw:
            if kind != "study":
                self.problem(where, rid, "only nodes of kind 'study' may carry 'study' facts")
            elif not isinstance(raw["study"], dict):
                self.problem(where, rid, "field 'study' must be a mapping")
            else:
                study = self.study(raw["study"], where, rid)
        elif kind == "study":
            self.problem(where, rid, "a study node needs its 'study' facts (refs, section, evidence_type, ...)")
        if node_id is None or kind is None or name is None:
            return None
        return Node(
            id=node_id, kind=kind, name=name, synonyms=self.strings(raw, "synonyms", where, rid), xref=xref,
            description=self.text(raw, "description", where, rid), study=study, source=self.source.id,
            location=where,
        )

    def study(self, raw: dict[str, Any], where: Location, rid: str) -> StudyFacts:
        where = Location(where.file, raw.get(LINE_KEY, where.line))
        self.check_keys(raw, STUDY_KEYS, where, rid)
        n = raw.get("n")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            self.problem(where, rid, "study n must be a positive integer")
            n = None
        evidence, species, finding = self.evidence(raw, where, rid)
        route = self.text(raw, "route", where, rid)
        self.vocab(route, self.schema.routes, where, rid, "route")
        optional = {k: self.text(raw, k, where, rid) for k in (
            "design", "population", "intervention", "comparator", "dose", "endpoint", "scale", "timing",
            "result", "effect_size", "note")}
        return StudyFacts(
            refs=self.refs(raw, where, rid), section=self.section(raw, where, rid),
            evidence_type=evidence, species=species, n=n, route=route, finding=finding,  # type: ignore[arg-type]
            **optional,
        )

    def claim(self, raw: dict[str, Any], where: Location) -> Claim | None:
        rid = str(raw.get("id", "?"))
        self.check_keys(raw, CLAIM_KEYS, where, rid)
        claim_id = self.text(raw, "id", where, rid, required=True)
        if claim_id and not CLAIM_ID_RE.match(claim_id):
            self.problem(where, rid, "claim id must match [a-z0-9][a-z0-9_.-]*")
        subject = self.text(raw, "subject", where, rid, required=True)
        predicate = self.text(raw, "predicate", where, rid, required=True)
        obj = self.text(raw, "object", where, rid, required=True)
        self.curie(subject, where, rid, "subject")
        self.curie(obj, where, rid, "object")
        self.vocab(predicate, self.schema.predicates, where, rid, "predicate")
        route = self.text(raw, "route", where, rid)
        self.vocab(route, self.schema.routes, where, rid, "route")
        context = self.text(raw, "anatomical_context", where, rid)
        self.curie(context, where, rid, "anatomical_context")
        studies = self.strings(raw, "studies", where, rid)
        provenance = self.provenance(raw, where, rid)
        line = self.text(raw, "line_of_therapy", where, rid)
        self.vocab(line, self.schema.lines_of_therapy, where, rid, "line_of_therapy")
        if claim_id is None or subject is None or predicate is None or obj is None:
            return None
        return Claim(
            id=claim_id, subject=subject, predicate=predicate, object=obj, provenance=provenance,
            studies=studies, route=route, dose=self.text(raw, "dose", where, rid),
            timing=self.text(raw, "timing", where, rid), anatomical_context=context,
            population=self.text(raw, "population", where, rid), line_of_therapy=line,  # type: ignore[arg-type]
            adjunctive=self.flag(raw, "adjunctive", where, rid),
            note=self.text(raw, "note", where, rid), location=where,
        )

    def arm(self, raw: dict[str, Any], key: str, where: Location, rid: str) -> Arm | None:
        value = raw.get(key)
        if not isinstance(value, dict) or not isinstance(value.get("node"), str):
            self.problem(where, rid, f"field '{key}' must be a mapping with 'node' (a CURIE) and optional 'regimen'")
            return None
        self.check_keys(value, ("node", "regimen"), where, rid)
        self.curie(value["node"], where, rid, f"{key}.node")
        return Arm(node=value["node"], regimen=self.text(value, "regimen", where, rid))

    def comparison(self, raw: dict[str, Any], where: Location) -> Comparison | None:
        rid = str(raw.get("id", "?"))
        self.check_keys(raw, COMPARISON_KEYS, where, rid)
        comp_id = self.text(raw, "id", where, rid, required=True)
        self.curie(comp_id, where, rid, "id")
        name = self.text(raw, "name", where, rid, required=True)
        arm_a, arm_b = self.arm(raw, "arm_a", where, rid), self.arm(raw, "arm_b", where, rid)
        outcome = self.text(raw, "outcome", where, rid, required=True)
        self.curie(outcome, where, rid, "outcome")
        result = self.text(raw, "result", where, rid, required=True)
        self.vocab(result, self.schema.comparison_results, where, rid, "result")
        studies = self.strings(raw, "studies", where, rid)
        provenance = self.provenance(raw, where, rid)
        if None in (comp_id, name, arm_a, arm_b, outcome, result):
            return None
        return Comparison(
            id=comp_id, name=name, arm_a=arm_a, arm_b=arm_b, outcome=outcome,  # type: ignore[arg-type]
            result=result, provenance=provenance, studies=studies,  # type: ignore[arg-type]
            population=self.text(raw, "population", where, rid), note=self.text(raw, "note", where, rid),
            location=where,
        )

    def estimate(self, raw: dict[str, Any], where: Location) -> Estimate | None:
        rid = str(raw.get("id", "?"))
        self.check_keys(raw, ESTIMATE_KEYS, where, rid)
        est_id = self.text(raw, "id", where, rid, required=True)
        if est_id and not CLAIM_ID_RE.match(est_id):
            self.problem(where, rid, "estimate id must match [a-z0-9][a-z0-9_.-]*")
        study = self.text(raw, "study", where, rid, required=True)
        claim = self.text(raw, "claim", where, rid, required=True)
        measure = self.text(raw, "measure", where, rid, required=True)
        self.vocab(measure, get_args(EstimateMeasure), where, rid, "measure")
        outcome = self.text(raw, "outcome", where, rid, required=True)
        numbers: dict[str, float | None] = {}
        for key in ESTIMATE_NUMBERS:
            value = raw.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                self.problem(where, rid, f"field '{key}' must be a number")
                value = None
            numbers[key] = None if value is None else float(value)
        total = raw.get("total")
        if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 1):
            self.problem(where, rid, "field 'total' must be a positive integer")
            total = None
        if measure in ("mean_difference", "percent", "responders") and numbers["value"] is None:
            self.problem(where, rid, f"a {measure} estimate needs 'value'")
        if measure == "responders" and total is None:
            self.problem(where, rid, "a responders estimate needs 'total'")
        if measure == "cohens_d" and numbers["value"] is None and None in (numbers["low"], numbers["high"]):
            self.problem(where, rid, "a cohens_d estimate needs 'value' or 'low' and 'high'")
        if None not in (numbers["low"], numbers["high"]) and numbers["low"] > numbers["high"]:  # type: ignore[operator]
            self.problem(where, rid, "'low' is above 'high'")
        spread = self.text(raw, "spread", where, rid)
        self.vocab(spread, get_args(EstimateSpread), where, rid, "spread")
        bounded = numbers["low"] is not None or numbers["high"] is not None
        if bounded and spread is None:
            self.problem(where, rid, "'low' and 'high' need 'spread': interval (a confidence interval) or range "
                                     "(the lowest and highest of several values the review gives)")
        if spread is not None and not bounded:
            self.problem(where, rid, "'spread' describes 'low' and 'high', which are missing")
        spans = self.text(raw, "spans", where, rid)
        if spans is not None and spread not in (None, "range"):
            self.problem(where, rid, "'spans' says what a range spans: it needs 'spread: range'")
        section, refs = self.section(raw, where, rid), self.refs(raw, where, rid)
        quote = self.text(raw, "quote", where, rid, required=True) or ""
        if None in (est_id, study, claim, measure, outcome):
            return None
        return Estimate(
            id=est_id, study=study, claim=claim, measure=measure, outcome=outcome,  # type: ignore[arg-type]
            section=section, refs=refs, quote=quote, label=self.text(raw, "label", where, rid), total=total,
            spread=spread, spans=spans, location=where, **numbers,  # type: ignore[arg-type]
        )

    def hypothesis(self, raw: dict[str, Any], where: Location) -> Hypothesis | None:
        rid = str(raw.get("id", "?"))
        self.check_keys(raw, HYPOTHESIS_KEYS, where, rid)
        hyp_id = self.text(raw, "id", where, rid, required=True)
        self.curie(hyp_id, where, rid, "id")
        name = self.text(raw, "name", where, rid, required=True)
        route = raw.get("route")
        problem = self.source.route_problem(route) if route is not None else None
        if problem is not None:
            self.problem(where, rid, problem)
            route = None
        steps = []
        for i, raw_step in enumerate(raw.get("steps") or [], start=1):
            if not isinstance(raw_step, dict) or not raw_step.get("claim") or not raw_step.get("caption"):
                self.problem(where, rid, f"step {i} needs 'claim' and 'caption'")
                continue
            steps.append(HypothesisStep(claim=str(raw_step["claim"]), caption=str(raw_step["caption"]).strip()))
        if not steps:
            self.problem(where, rid, "a hypothesis needs at least one step")
        provenance = self.provenance(raw, where, rid)
        if hyp_id is None or name is None:
            return None
        return Hypothesis(
            id=hyp_id, name=name, provenance=provenance, steps=tuple(steps), route=route,
            synonyms=self.strings(raw, "synonyms", where, rid),
            description=self.text(raw, "description", where, rid),
            supported_by=self.strings(raw, "supported_by", where, rid),
            contradicted_by=self.strings(raw, "contradicted_by", where, rid), location=where,
        )


def _records(path: Path, root: Path) -> list[tuple[dict[str, Any], Location]]:
    display = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    return [(raw, Location(display, raw.get(LINE_KEY, 1))) for raw in read_yaml_records(path, display)]


def read_curation(data_dir: Path | None = None, schema: Schema | None = None,
                  sources: Sequence[Path] = ()) -> Curation:
    """Read and check every curated file of ``data_dir`` and of each extra source folder.

    Each folder is one curated source (``graph.sources``): its claims are checked against its own
    text, reference list and section scheme; nodes are shared, so a claim of one source may join
    nodes another declares. Raises CurationError listing all problems.
    """
    folders = [check_data_dir(data_dir or default_data_dir()), *(check_data_dir(Path(f)) for f in sources)]
    schema = schema or load_schema()
    read: list[CuratedSource] = []
    syntax: list[Problem] = []
    for folder in folders:
        try:
            source = read_source(folder)
        except SourceError as err:
            file, _, message = str(err).partition(": ")
            raise CurationError([Problem(file, 1, "", message)]) from None
        first = next((s for s in read if s.id == source.id), None)
        if first is not None:
            raise CurationError([Problem(str(folder), 1, "", f"source {source.id} is given twice "
                                         f"(also {first.text_path.parent if first.text_path else '?'})")])
        read.append(source)
    nodes: list[Node] = []
    claims: list[Claim] = []
    hypotheses: list[Hypothesis] = []
    comparisons: list[Comparison] = []
    estimates: list[Estimate] = []
    problems: list[Problem] = []
    for folder, source in zip(folders, read, strict=True):
        reader = _Reader(schema, source)

        def gather(pattern: str, root: Path = folder) -> list[tuple[dict[str, Any], Location]]:
            out = []
            for path in sorted(root.glob(pattern)):
                try:
                    out.extend(_records(path, root))
                except CurationError as err:
                    syntax.extend(err.problems)
            return out

        for raw, where in gather("nodes/*.yaml"):
            if (node := reader.node(raw, where)) is not None:
                nodes.append(node)
        for raw, where in gather("claims/*.yaml"):
            if (claim := reader.claim(raw, where)) is not None:
                claims.append(claim)
        for raw, where in gather("hypotheses.yaml"):
            if (hyp := reader.hypothesis(raw, where)) is not None:
                hypotheses.append(hyp)
        for raw, where in gather("comparisons/*.yaml"):
            if (comp := reader.comparison(raw, where)) is not None:
                comparisons.append(comp)
        for raw, where in gather("estimates.yaml"):
            if (est := reader.estimate(raw, where)) is not None:
                estimates.append(est)
        problems += reader.problems
    if syntax:  # cross-record checks would only echo the unreadable file
        raise CurationError(syntax)
    curation = Curation(tuple(nodes), tuple(claims), tuple(hypotheses), tuple(comparisons), tuple(estimates),
                        tuple(read))
    problems += check_references(curation, schema, {s.id: Review(s.text(), s.headings) for s in read})
    if problems:
        raise CurationError(problems)
    return curation


NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


def number_in(value: float, quote: str) -> bool:
    """Whether the quote states the number (unsigned: a "change of − 4.1" is 4.1 points of improvement)."""
    magnitude = abs(float(value))
    text = f"{magnitude:g}"
    spelled = NUMBER_WORDS.get(int(magnitude)) if magnitude.is_integer() else None
    words = re.split(r"[^0-9.a-z]+", quote.lower())
    return text in {w.rstrip(".") for w in words} or (spelled is not None and spelled in words)


def _loc(record: Node | Claim | Hypothesis | Comparison | Estimate) -> Location:
    return record.location or Location("?", 0)


def check_references(curation: Curation, schema: Schema, texts: Mapping[str, Review]) -> list[Problem]:
    """Cross-record checks: duplicates, dangling ids, domain and range, quotes in their source's text."""
    problems: list[Problem] = []

    def quoted(record: Claim | Comparison | Hypothesis) -> None:
        prov = record.provenance
        if prov.quote and not texts[prov.source].contains(prov.quote):
            add(record, f"quote not found verbatim in the text of {prov.source}: \"{prov.quote[:80]}\"")

    def add(record: Node | Claim | Hypothesis | Comparison | Estimate, message: str) -> None:
        where = _loc(record)
        problems.append(Problem(where.file, where.line, record.id, message))

    nodes: dict[str, Node] = {}
    derived_nodes = [h.as_node() for h in curation.hypotheses] + [c.as_node() for c in curation.comparisons]
    for node in list(curation.nodes) + derived_nodes:
        if node.id in nodes:
            add(node, f"duplicate node id (first at {_loc(nodes[node.id])})")
        else:
            nodes[node.id] = node
    # A name or synonym of one entity must not be another's: look-up by name would pick either.
    # (Studies and hypotheses may share an entity's name; look-up prefers the entity.)
    named: dict[str, Node] = {}
    for node in curation.nodes:
        if node.kind in ("study", "hypothesis"):
            continue
        for text in dict.fromkeys(normalise_name(t) for t in (node.name, *node.synonyms)):
            other = named.setdefault(text, node)
            if other.id != node.id:
                add(node, f"name or synonym '{text}' is also {other.id}'s (at {_loc(other)}); "
                          "(in a [..] list a synonym with a comma must be quoted)")
    claims: dict[str, Claim] = {}
    for claim in curation.claims:
        if claim.id in claims:
            add(claim, f"duplicate claim id (first at {_loc(claims[claim.id])})")
        else:
            claims[claim.id] = claim

    for claim in curation.claims:
        pred = schema.predicates.get(claim.predicate)
        for role, curie in (("subject", claim.subject), ("object", claim.object)):
            target = nodes.get(curie)
            if target is None and curie.split(":", 1)[0] not in schema.prefixes:
                continue  # already reported as an unknown prefix
            if target is None:
                add(claim, f"dangling edge: {role} '{curie}' is not a curated node")
            elif pred is not None:
                allowed = pred.domain if role == "subject" else pred.range
                if target.kind not in allowed:
                    add(claim, f"{claim.predicate} does not allow a {target.kind} {role} ('{curie}'); "
                               f"allowed: {', '.join(allowed)}")
        for study in claim.studies:
            if study not in nodes:
                add(claim, f"dangling study '{study}'")
            elif nodes[study].kind != "study":
                add(claim, f"'{study}' in studies is a {nodes[study].kind}, not a study")
        if claim.anatomical_context and claim.anatomical_context not in nodes:
            add(claim, f"dangling anatomical_context '{claim.anatomical_context}'")
        quoted(claim)

    for comp in curation.comparisons:
        quoted(comp)
        roles = (("arm_a", comp.arm_a.node, "compares"), ("arm_b", comp.arm_b.node, "compares"),
                 ("outcome", comp.outcome, "compared_on"))
        for role, curie, predicate in roles:
            target = nodes.get(curie)
            if target is None:
                add(comp, f"dangling {role} '{curie}' is not a curated node")
            elif target.kind not in schema.predicates[predicate].range:
                add(comp, f"{role} '{curie}' is a {target.kind}; allowed: "
                          f"{', '.join(schema.predicates[predicate].range)}")
        for study in comp.studies:
            if study not in nodes or nodes[study].kind != "study":
                add(comp, f"'{study}' in studies is not a curated study")
    seen: set[str] = set()
    for est in curation.estimates:
        if est.id in seen:
            add(est, "duplicate estimate id")
        seen.add(est.id)
        if est.study not in nodes or nodes[est.study].kind != "study":
            add(est, f"study '{est.study}' is not a curated study")
        if est.claim not in claims:
            add(est, f"claim '{est.claim}' does not exist")
        elif est.study not in claims[est.claim].studies:
            add(est, f"claim '{est.claim}' does not cite the study '{est.study}'")
        source_text = texts[claims[est.claim].provenance.source] if est.claim in claims else None
        if est.quote and source_text is not None and not source_text.contains(est.quote):
            add(est, f"quote not found verbatim in the text of its claim's source: \"{est.quote[:80]}\"")
        for key in ESTIMATE_NUMBERS:
            number = getattr(est, key)
            if number is not None and not number_in(number, est.quote):
                add(est, f"{key} {number:g} is not a number the quote states")
        if est.total is not None and not number_in(est.total, est.quote):
            add(est, f"total {est.total} is not a number the quote states")
    for hyp in curation.hypotheses:
        quoted(hyp)
        for step in hyp.steps:
            if step.claim not in claims:
                add(hyp, f"step claim '{step.claim}' does not exist")
        for field_name in ("supported_by", "contradicted_by"):
            for claim_id in getattr(hyp, field_name):
                if claim_id not in claims:
                    add(hyp, f"{field_name} claim '{claim_id}' does not exist")
    return problems
