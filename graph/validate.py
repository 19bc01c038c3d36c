"""Full validation: the curation checks, then SHACL over the RDF, with violations named by record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.curation import CurationError, Problem
from graph.model import KnowledgeGraph, load_graph


@dataclass(frozen=True)
class ShaclViolation:
    """One SHACL result, tied back to the curated record it concerns."""

    record: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.record}: SHACL: {self.message}"


def shacl_violations(kg: KnowledgeGraph) -> list[ShaclViolation]:
    """Run pyshacl with the schema's shapes over the graph's RDF; map each result to a record."""
    import pyshacl
    from rdflib import RDF, SH, Graph

    from loaders.rdf import CLAIM, curie_of, to_rdf
    from ontology.vocabulary import build_shapes

    data = to_rdf(kg)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=build_shapes(kg.schema), inference="none",
                                           advanced=False, allow_warnings=True)
    if conforms:
        return []
    assert isinstance(report, Graph)
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        message = str(report.value(result, SH.resultMessage) or "constraint violated")
        record = str(focus)
        claim = None
        if str(focus).startswith(str(CLAIM)):
            record = str(focus)[len(str(CLAIM)):]
            claim = kg.claims.get(record)
        else:
            try:
                record = curie_of(focus)
            except ValueError:
                pass
            if path is not None and value is not None:
                # A direct edge: name the claim(s) behind it.
                pred = str(path).rsplit("/", 1)[-1]
                for c in kg.claims.values():
                    if c.subject == record and c.predicate == pred:
                        try:
                            if curie_of(value) == c.object:
                                claim, record = c, c.id
                                break
                        except ValueError:
                            continue
        where = claim.location if claim is not None else getattr(kg.nodes.get(record), "location", None)
        out.append(ShaclViolation(record, str(where) if where else "?", message))
    return sorted(out, key=lambda v: (v.location, v.record, v.message))


def validate(data_dir: Path | None = None, shacl: bool = True) -> KnowledgeGraph:
    """Load and check everything; raise CurationError naming file, line and record on any problem."""
    kg = load_graph(data_dir)
    if shacl:
        violations = shacl_violations(kg)
        if violations:
            problems = []
            for v in violations:
                file, _, line = v.location.rpartition(":")
                problems.append(Problem(file or v.location, int(line) if line.isdigit() else 0, v.record,
                                        f"SHACL: {v.message}"))
            raise CurationError(problems)
    return kg
