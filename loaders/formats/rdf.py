"""RDF: the graph as rdflib triples (direct edges plus reified claims carrying provenance), and back.

Every claim is a ``kmoa:Claim`` (an ``rdf:Statement``) with its provenance. A claim the review asserts
(its finding is ``asserted`` in the schema) is also written as the direct triple
``subject kmoa:<predicate> object`` that plain SPARQL can walk; negated, null, mixed and insufficient
claims are reified only, so a plain triple pattern never returns what the review denies or leaves
open. Hypotheses carry ordered ``kmoa:has_step`` nodes and ``kmoa:supported_by`` /
``kmoa:contradicted_by`` links to claims; comparisons carry their arms, outcome and result.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node as RDFNode

from kmoa.graph.identifiers import check_curie
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Arm, Claim, Comparison, Hypothesis, HypothesisStep, Node, Provenance, StudyFacts
from kmoa.graph.sources import CuratedSource
from kmoa.loaders.base import Sink, Source, register_sink, register_source
from kmoa.ontology import namespaces
from kmoa.ontology.schema import Schema, load_schema

KMOA = Namespace(namespaces.VOCAB)
CLAIM = Namespace(namespaces.CLAIM)
SOURCE = Namespace(namespaces.SOURCE)
BIOLINK = Namespace(namespaces.BIOLINK)
DCTERMS = Namespace(namespaces.DCTERMS)

PROVENANCE_FIELDS = ("section", "quote", "evidence_type", "species", "finding", "frequency", "contested",
                     "canmat_level", "canmat_level_max", "inferred")
CLAIM_TEXT_FIELDS = ("route", "dose", "timing", "population", "line_of_therapy", "note")
STUDY_FIELDS = [f.name for f in fields(StudyFacts) if f.name != "refs"]


@cache
def converter() -> Any:
    """CURIE <-> IRI converter built from the schema's prefixes."""
    import curies

    return curies.Converter.from_prefix_map(load_schema().prefixes)


def iri(curie: str) -> URIRef:
    """Expand a checked CURIE (``graph.identifiers``) to an IRI; ValueError for a bad or undeclared one."""
    expanded = converter().expand(check_curie(curie))
    if expanded is None:
        raise ValueError(f"cannot expand '{curie}': prefix not declared in ontology/schema.yaml")
    return URIRef(expanded)


def curie_of(uri: RDFNode | None) -> str:
    """Compress an IRI back to its CURIE."""
    compressed = converter().compress(str(uri))
    if compressed is None:
        raise ValueError(f"no declared prefix for IRI <{uri}>")
    return str(compressed)


def claim_iri(claim_id: str) -> URIRef:
    """IRI of a reified claim."""
    return CLAIM[claim_id]


def _lit(value: Any) -> Literal:
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(str(value))


def source_iri(source_id: str) -> URIRef:
    """IRI of a curated source."""
    return SOURCE[source_id]


def _add_source(g: Graph, source: CuratedSource) -> None:
    s = source_iri(source.id)
    g.add((s, RDF.type, KMOA.Source))
    g.add((s, DCTERMS.identifier, Literal(source.id)))
    if source.name:
        g.add((s, RDFS.label, Literal(source.name)))
    g.add((s, DCTERMS.bibliographicCitation, Literal(source.citation)))
    g.add((s, KMOA.infores, Literal(source.infores)))
    if source.doi:
        g.add((s, KMOA.doi, Literal(source.doi)))
    g.add((s, KMOA.section_pattern, Literal(source.section_pattern)))
    for number, citation in source.references.items():
        ref = BNode(f"{source.id}_ref{number}")
        g.add((s, KMOA.reference, ref))
        g.add((ref, KMOA.number, _lit(number)))
        if citation:
            g.add((ref, DCTERMS.bibliographicCitation, Literal(citation)))


def _add_provenance(g: Graph, subject: URIRef, prov: Provenance) -> None:
    g.add((subject, KMOA.source, source_iri(prov.source)))
    for name in PROVENANCE_FIELDS:
        value = getattr(prov, name)
        if value is not None:
            g.add((subject, KMOA[name], _lit(value)))
    for ref in prov.refs:
        g.add((subject, KMOA.ref, _lit(ref)))


def to_rdf(kg: KnowledgeGraph) -> Graph:
    """The whole graph as an rdflib Graph."""
    schema = kg.schema
    g = Graph()
    g.bind("kmoa", KMOA)
    g.bind("claim", CLAIM)
    g.bind("biolink", BIOLINK)
    g.bind("skos", SKOS)
    g.bind("source", SOURCE)
    for prefix, ns in schema.prefixes.items():
        if prefix not in ("biolink",):
            g.bind(prefix, ns, override=False)
    for source in kg.sources.values():
        _add_source(g, source)
    for node in kg.nodes.values():
        s = iri(node.id)
        kind = schema.node_kinds[node.kind]
        g.add((s, RDF.type, KMOA[kind.class_name]))
        g.add((s, BIOLINK.category, iri(kind.biolink)))
        g.add((s, KMOA.id, Literal(node.id)))
        g.add((s, RDFS.label, Literal(node.name)))
        for syn in node.synonyms:
            g.add((s, SKOS.altLabel, Literal(syn)))
        for x in node.xref:
            g.add((s, KMOA.xref, Literal(x)))
        if node.description:
            g.add((s, DCTERMS.description, Literal(node.description)))
        if node.source:
            g.add((s, KMOA.source, source_iri(node.source)))
        if node.study is not None:
            for name in STUDY_FIELDS:
                value = getattr(node.study, name)
                if value is not None:
                    g.add((s, KMOA[name], _lit(value)))
            for ref in node.study.refs:
                g.add((s, KMOA.ref, _lit(ref)))
    for hyp in kg.hypotheses.values():
        h = iri(hyp.id)
        _add_provenance(g, h, hyp.provenance)
        if hyp.route is not None:
            g.add((h, KMOA.route_number, _lit(hyp.route)))
        for i, step in enumerate(hyp.steps, start=1):
            b = BNode(f"{hyp.id.split(':', 1)[1]}_step{i}")
            g.add((h, KMOA.has_step, b))
            g.add((b, RDF.type, KMOA.HypothesisStep))
            g.add((b, KMOA.step_index, _lit(i)))
            g.add((b, KMOA.claim, claim_iri(step.claim)))
            g.add((b, KMOA.caption, Literal(step.caption)))
        for claim_id in hyp.supported_by:
            g.add((h, KMOA.supported_by, claim_iri(claim_id)))
        for claim_id in hyp.contradicted_by:
            g.add((h, KMOA.contradicted_by, claim_iri(claim_id)))
    for comp in kg.comparisons.values():
        c = iri(comp.id)
        _add_provenance(g, c, comp.provenance)
        g.add((c, KMOA.result, Literal(comp.result)))
        g.add((c, KMOA.outcome, iri(comp.outcome)))
        for role, arm in (("arm_a", comp.arm_a), ("arm_b", comp.arm_b)):
            b = BNode(f"{comp.id.split(':', 1)[1]}_{role}")
            g.add((c, KMOA[role], b))
            g.add((b, KMOA.arm_node, iri(arm.node)))
            if arm.regimen:
                g.add((b, KMOA.regimen, Literal(arm.regimen)))
        for study in comp.studies:
            g.add((c, KMOA.study, iri(study)))
        if comp.population:
            g.add((c, KMOA.population, Literal(comp.population)))
    for claim in kg.claims.values():
        _add_claim(g, kg, claim)
    return g


def _add_claim(g: Graph, kg: KnowledgeGraph, claim: Claim) -> None:
    pred = kg.schema.predicates[claim.predicate]
    s, o, c = iri(claim.subject), iri(claim.object), claim_iri(claim.id)
    if kg.is_asserted(claim):
        g.add((s, KMOA[claim.predicate], o))
    if kg.is_negated(claim):
        g.add((c, BIOLINK.negated, _lit(True)))
    g.add((c, RDF.type, KMOA.Claim))
    g.add((c, RDF.type, RDF.Statement))
    g.add((c, KMOA.id, Literal(claim.id)))
    g.add((c, RDF.subject, s))
    g.add((c, RDF.predicate, KMOA[claim.predicate]))
    g.add((c, RDF.object, o))
    g.add((c, BIOLINK.predicate, iri(pred.biolink)))
    for qualifier, value in pred.qualifiers.items():
        g.add((c, BIOLINK[qualifier], Literal(value)))
    g.add((c, BIOLINK.primary_knowledge_source, Literal(kg.source(claim.provenance.source).infores)))
    attrs_level = kg.schema.inference
    g.add((c, BIOLINK.knowledge_level, Literal(
        attrs_level.knowledge_level if claim.provenance.inferred else attrs_level.asserted_knowledge_level)))
    if claim.provenance.inferred:
        g.add((c, KMOA.eco, iri(attrs_level.eco)))
    if claim.population:
        g.add((c, BIOLINK.population_context_qualifier, Literal(claim.population)))
    if claim.provenance.frequency:
        g.add((c, BIOLINK.frequency_qualifier, Literal(claim.provenance.frequency)))
    if claim.adjunctive:
        g.add((c, KMOA.adjunctive, _lit(True)))
    outcome = kg.treatment_outcome(claim)
    if outcome:
        g.add((c, BIOLINK.treatment_outcome, Literal(outcome)))
    _add_provenance(g, c, claim.provenance)
    for study in claim.studies:
        g.add((c, KMOA.study, iri(study)))
    for name in CLAIM_TEXT_FIELDS:
        value = getattr(claim, name)
        if value is not None:
            g.add((c, KMOA[name], Literal(value)))
    if claim.anatomical_context:
        g.add((c, KMOA.anatomical_context, iri(claim.anatomical_context)))
        g.add((c, BIOLINK.anatomical_context_qualifier, iri(claim.anatomical_context)))
    if claim.derived_from:
        g.add((c, KMOA.derived_from, iri(claim.derived_from)))


# -- reading back --------------------------------------------------------------------------------


def _py(term: Any) -> Any:
    return term.toPython()


def _one(g: Graph, s: RDFNode, p: URIRef) -> Any:
    value = g.value(s, p)
    return _py(value) if value is not None else None


def _strings(g: Graph, s: RDFNode, p: URIRef) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in g.objects(s, p)))


def _source_id(g: Graph, s: RDFNode) -> str | None:
    value = g.value(s, KMOA.source)
    return str(value).removeprefix(str(SOURCE)) if value is not None else None


def _sources(g: Graph) -> dict[str, CuratedSource]:
    out = {}
    for s in g.subjects(RDF.type, KMOA.Source):
        refs = {int(_one(g, r, KMOA.number)): str(_one(g, r, DCTERMS.bibliographicCitation) or "")
                for r in g.objects(s, KMOA.reference)}
        source = CuratedSource(
            id=str(_one(g, s, DCTERMS.identifier)), infores=str(_one(g, s, KMOA.infores)),
            citation=str(_one(g, s, DCTERMS.bibliographicCitation)), references=dict(sorted(refs.items())),
            section_pattern=str(_one(g, s, KMOA.section_pattern)), name=_one(g, s, RDFS.label),
            doi=_one(g, s, KMOA.doi))
        out[source.id] = source
    return out


def _provenance(g: Graph, s: RDFNode) -> Provenance:
    return Provenance(
        source=_source_id(g, s) or "",
        section=str(_one(g, s, KMOA.section)),
        refs=tuple(sorted(int(_py(v)) for v in g.objects(s, KMOA.ref))),
        quote=str(_one(g, s, KMOA.quote)),
        evidence_type=str(_one(g, s, KMOA.evidence_type)),  # type: ignore[arg-type]
        species=str(_one(g, s, KMOA.species)),  # type: ignore[arg-type]
        finding=str(_one(g, s, KMOA.finding) or "positive"),  # type: ignore[arg-type]
        contested=bool(_one(g, s, KMOA.contested)),
        canmat_level=_one(g, s, KMOA.canmat_level),
        canmat_level_max=_one(g, s, KMOA.canmat_level_max),
        frequency=_one(g, s, KMOA.frequency),
        inferred=bool(_one(g, s, KMOA.inferred)),
    )


def from_rdf(g: Graph, schema: Schema | None = None) -> KnowledgeGraph:
    """Rebuild the knowledge graph from triples written by ``to_rdf``."""
    schema = schema or load_schema()
    kind_by_class = {KMOA[k.class_name]: k.name for k in schema.node_kinds.values()}
    nodes: dict[str, Node] = {}
    for cls, kind in kind_by_class.items():
        for s in g.subjects(RDF.type, cls):
            curie = str(_one(g, s, KMOA.id))
            study = None
            if kind == "study":
                values = {name: _one(g, s, KMOA[name]) for name in STUDY_FIELDS}
                values = {k: (str(v) if isinstance(v, str) else v) for k, v in values.items()}
                values["finding"] = values.get("finding") or "positive"
                study = StudyFacts(refs=tuple(sorted(int(_py(v)) for v in g.objects(s, KMOA.ref))), **values)
            nodes[curie] = Node(
                id=curie, kind=kind, name=str(_one(g, s, RDFS.label)), synonyms=_strings(g, s, SKOS.altLabel),
                xref=_strings(g, s, KMOA.xref), description=_one(g, s, DCTERMS.description), study=study,
                source=_source_id(g, s),
            )
    claims: dict[str, Claim] = {}
    for c in g.subjects(RDF.type, KMOA.Claim):
        predicate = str(g.value(c, RDF.predicate)).removeprefix(str(KMOA))
        context = g.value(c, KMOA.anatomical_context)
        derived = g.value(c, KMOA.derived_from)
        claim = Claim(
            id=str(_one(g, c, KMOA.id)), subject=curie_of(g.value(c, RDF.subject)), predicate=predicate,
            object=curie_of(g.value(c, RDF.object)), provenance=_provenance(g, c),
            studies=tuple(sorted(curie_of(v) for v in g.objects(c, KMOA.study))),
            anatomical_context=curie_of(context) if context is not None else None,
            derived_from=curie_of(derived) if derived is not None else None,
            adjunctive=bool(_one(g, c, KMOA.adjunctive)),
            **{name: _one(g, c, KMOA[name]) for name in CLAIM_TEXT_FIELDS},
        )
        claims[claim.id] = claim
    hypotheses: dict[str, Hypothesis] = {}
    for h in g.subjects(RDF.type, KMOA.Hypothesis):
        curie = str(_one(g, h, KMOA.id))
        steps = sorted(
            (int(_one(g, b, KMOA.step_index)),
             HypothesisStep(claim=str(g.value(b, KMOA.claim)).removeprefix(str(CLAIM)),
                            caption=str(_one(g, b, KMOA.caption))))
            for b in g.objects(h, KMOA.has_step))
        node = nodes[curie]
        hypotheses[curie] = Hypothesis(
            id=curie, name=node.name, provenance=_provenance(g, h), steps=tuple(s for _, s in steps),
            route=_one(g, h, KMOA.route_number), synonyms=node.synonyms, description=node.description,
            supported_by=tuple(sorted(str(v).removeprefix(str(CLAIM)) for v in g.objects(h, KMOA.supported_by))),
            contradicted_by=tuple(sorted(
                str(v).removeprefix(str(CLAIM)) for v in g.objects(h, KMOA.contradicted_by))),
        )
    comparisons: dict[str, Comparison] = {}
    for c in g.subjects(RDF.type, KMOA.Comparison):
        curie = str(_one(g, c, KMOA.id))
        arms = {}
        for role in ("arm_a", "arm_b"):
            b = g.value(c, KMOA[role])
            if b is None:
                raise ValueError(f"comparison {curie} has no {role}")
            arms[role] = Arm(node=curie_of(g.value(b, KMOA.arm_node)), regimen=_one(g, b, KMOA.regimen))
        node = nodes[curie]
        comparisons[curie] = Comparison(
            id=curie, name=node.name, arm_a=arms["arm_a"], arm_b=arms["arm_b"],
            outcome=curie_of(g.value(c, KMOA.outcome)), result=str(_one(g, c, KMOA.result)),  # type: ignore[arg-type]
            provenance=_provenance(g, c), studies=tuple(sorted(curie_of(v) for v in g.objects(c, KMOA.study))),
            population=_one(g, c, KMOA.population), note=node.description,
        )
    return KnowledgeGraph(nodes=nodes, claims=claims, hypotheses=hypotheses, schema=schema, comparisons=comparisons,
                          sources=_sources(g))


class _RdfSink(Sink):
    rdflib_format = "turtle"

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        to_rdf(kg).serialize(destination=str(out), format=self.rdflib_format, encoding="utf-8")


@register_sink
class TurtleSink(_RdfSink):
    """Turtle."""

    format_name = "turtle"


@register_sink
class NTriplesSink(_RdfSink):
    """N-Triples."""

    format_name = "ntriples"
    rdflib_format = "nt"


@register_sink
class JsonLdSink(_RdfSink):
    """JSON-LD."""

    format_name = "jsonld"
    rdflib_format = "json-ld"


class RdfParseError(ValueError):
    """An RDF file that cannot be parsed; names the file and line."""


@register_source
class TurtleSource(Source):
    """Reads Turtle written by ``TurtleSink``."""

    format_name = "turtle"
    rdflib_format = "turtle"

    def read(self, path: Path) -> KnowledgeGraph:
        g = Graph()
        try:
            g.parse(str(path), format=self.rdflib_format)
        except Exception as err:  # rdflib raises several parser-specific types
            detail = " ".join(str(err).split())
            raise RdfParseError(f"{path}: malformed {self.format_name}: {detail}") from None
        return from_rdf(g)


@register_source
class NTriplesSource(TurtleSource):
    """Reads N-Triples."""

    format_name = "ntriples"
    rdflib_format = "nt"
