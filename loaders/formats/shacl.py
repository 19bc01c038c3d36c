"""SHACL over the RDF form of the graph, with each violation tied back to its curated record.

It lives beside the RDF writer because it checks exactly what ``loaders.formats.rdf.to_rdf`` produces: the
shapes come from the schema (``ontology.vocabulary.build_shapes``), the data from the writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from kmoa.graph.model import KnowledgeGraph


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

    from kmoa.loaders.formats.rdf import CLAIM, SOURCE, curie_of, source_iri, to_rdf
    from kmoa.ontology.vocabulary import build_shapes, build_source_shapes

    data = to_rdf(kg)
    shapes = build_shapes(kg.schema) + build_source_shapes(
        (str(source_iri(s.id)), s.id, s.section_pattern, s.references) for s in kg.sources.values())
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
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
        if str(focus).startswith(str(SOURCE)) and value is not None:
            focus, path, value = value, None, None  # a source's record: name the record
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
