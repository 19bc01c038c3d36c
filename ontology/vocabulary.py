"""The schema as RDF: the kmoa vocabulary (classes, properties, mappings) and SHACL shapes.

Both are generated from ``schema.yaml`` and committed as ``kmoa.ttl`` and ``shapes.ttl``; a test
fails when the committed files drift from the schema (``kmoa build --ontology`` regenerates them).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, RDFS, SH, SKOS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from kmoa.ontology import namespaces
from kmoa.ontology.schema import Schema, load_schema

KMOA = Namespace(namespaces.VOCAB)
SHAPES = Namespace(namespaces.SHAPES)
BIOLINK = Namespace(namespaces.BIOLINK)
SCHEMA_ORG = Namespace(namespaces.SCHEMA_ORG)


def _expand(schema: Schema, curie: str) -> URIRef:
    prefix, local = curie.split(":", 1)
    return URIRef(schema.prefixes[prefix] + local)


def build_vocabulary(schema: Schema | None = None) -> Graph:
    """Classes for node kinds and properties for predicates, mapped to Biolink and OBO terms."""
    schema = schema or load_schema()
    g = Graph()
    g.bind("kmoa", KMOA)
    g.bind("biolink", BIOLINK)
    g.bind("skos", SKOS)
    g.bind("owl", OWL)
    g.bind("schema", SCHEMA_ORG)
    onto = URIRef(str(KMOA).rstrip("/"))
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, RDFS.label, Literal("kmoa: ketamine mechanism-of-action vocabulary")))
    for cls in ("Claim", "HypothesisStep", "Source"):
        g.add((KMOA[cls], RDF.type, OWL.Class))
    g.add((KMOA.Source, RDFS.comment, Literal("A curated source (a review, ...): its citation, knowledge source, "
                                              "reference list and section scheme.")))
    for name in ("source", "reference"):
        g.add((KMOA[name], RDF.type, OWL.ObjectProperty))
    g.add((KMOA.source, RDFS.range, KMOA.Source))
    g.add((KMOA.Claim, RDFS.subClassOf, RDF.Statement))
    g.add((KMOA.Claim, RDFS.comment, Literal("A reified edge with its review provenance.")))
    for kind in schema.node_kinds.values():
        c = KMOA[kind.class_name]
        g.add((c, RDF.type, OWL.Class))
        g.add((c, RDFS.label, Literal(kind.label)))
        g.add((c, RDFS.comment, Literal(kind.description)))
        g.add((c, SKOS.exactMatch, _expand(schema, kind.biolink)))
        if kind.obo:
            g.add((c, SKOS.closeMatch, _expand(schema, kind.obo)))
    claim_range = {"claim": KMOA.Claim}
    for pred in schema.predicates.values():
        p = KMOA[pred.name]
        g.add((p, RDF.type, OWL.ObjectProperty))
        g.add((p, RDFS.label, Literal(pred.label)))
        g.add((p, RDFS.comment, Literal(pred.description)))
        g.add((p, SKOS.relatedMatch if pred.qualifiers or pred.biolink == "biolink:related_to" else SKOS.exactMatch,
               _expand(schema, pred.biolink)))
        if pred.obo:
            g.add((p, SKOS.closeMatch, _expand(schema, pred.obo)))
        for qualifier, value in pred.qualifiers.items():
            q = BNode()
            g.add((p, KMOA.biolink_qualifier, q))
            g.add((q, KMOA.qualifier, BIOLINK[qualifier]))
            g.add((q, KMOA.value, Literal(value)))
        for kind_name in pred.domain:
            g.add((p, SCHEMA_ORG.domainIncludes, KMOA[schema.node_kinds[kind_name].class_name]))
        for kind_name in pred.range:
            target = claim_range.get(kind_name) or KMOA[schema.node_kinds[kind_name].class_name]
            g.add((p, SCHEMA_ORG.rangeIncludes, target))
    for name in ("section", "quote", "evidence_type", "species", "finding", "route", "dose", "timing", "note",
                 "caption", "design", "population", "intervention", "comparator", "endpoint", "scale",
                 "result", "effect_size", "id", "xref", "frequency", "line_of_therapy", "regimen", "infores", "doi",
                 "section_pattern"):
        g.add((KMOA[name], RDF.type, OWL.DatatypeProperty))
    for name in ("inferred", "adjunctive"):
        g.add((KMOA[name], RDF.type, OWL.DatatypeProperty))
        g.add((KMOA[name], RDFS.range, XSD.boolean))
    for name in ("ref", "canmat_level", "canmat_level_max", "n", "step_index", "route_number", "number"):
        g.add((KMOA[name], RDF.type, OWL.DatatypeProperty))
        g.add((KMOA[name], RDFS.range, XSD.integer))
    return g


def _list(g: Graph, items: list) -> BNode:
    head = BNode()
    Collection(g, head, items)
    return head


def _prop(g: Graph, shape: URIRef, path: URIRef, **constraints: Any) -> None:
    prop = BNode()
    g.add((shape, SH.property, prop))
    g.add((prop, SH.path, path))
    for key, value in constraints.items():
        if key == "in_":
            g.add((prop, SH["in"], _list(g, [Literal(v) for v in value])))
        elif key == "or_classes":
            alternatives = []
            for cls in value:
                alt = BNode()
                g.add((alt, SH["class"], cls))
                alternatives.append(alt)
            g.add((prop, SH["or"], _list(g, alternatives)))
        elif key == "message":
            g.add((prop, SH.message, Literal(value)))
        else:
            g.add((prop, SH[key], value if isinstance(value, URIRef) else Literal(value)))


def build_shapes(schema: Schema | None = None) -> Graph:
    """SHACL: which kinds each predicate joins, and the provenance every claim must carry."""
    schema = schema or load_schema()
    g = Graph()
    g.bind("sh", SH)
    g.bind("kmoa", KMOA)
    g.bind("shape", SHAPES)
    classes = {k: KMOA[v.class_name] for k, v in schema.node_kinds.items()}
    classes["claim"] = KMOA.Claim

    claim = SHAPES.ClaimShape
    g.add((claim, RDF.type, SH.NodeShape))
    g.add((claim, SH.targetClass, KMOA.Claim))
    for path in (RDF.subject, RDF.predicate, RDF.object):
        _prop(g, claim, path, minCount=1, maxCount=1)
    _prop(g, claim, KMOA.source, minCount=1, maxCount=1, or_classes=[KMOA.Source],
          message="every claim names one curated source")
    _prop(g, claim, KMOA.section, minCount=1, maxCount=1, minLength=1,
          message="every claim needs one section of its source")
    _prop(g, claim, KMOA.quote, minCount=1, maxCount=1, minLength=8,
          message="every claim needs a verbatim supporting quote")
    _prop(g, claim, KMOA.evidence_type, minCount=1, maxCount=1, in_=list(schema.evidence_types),
          message="every claim needs one evidence type from the schema")
    _prop(g, claim, KMOA.species, minCount=1, maxCount=1, in_=list(schema.species),
          message="every claim needs one species from the schema: " + ", ".join(schema.species))
    _prop(g, claim, KMOA.finding, maxCount=1, in_=list(schema.findings))
    _prop(g, claim, KMOA.ref, datatype=XSD.integer, minInclusive=1,
          message="reference numbers are positive integers (each source's own list: build_source_shapes)")
    _prop(g, claim, KMOA.canmat_level, maxCount=1, datatype=XSD.integer, minInclusive=1, maxInclusive=4)
    _prop(g, claim, KMOA.canmat_level_max, maxCount=1, datatype=XSD.integer, minInclusive=2, maxInclusive=4)
    _prop(g, claim, KMOA.inferred, maxCount=1, datatype=XSD.boolean)
    _prop(g, claim, KMOA.frequency, maxCount=1, minLength=3)
    _prop(g, claim, KMOA.line_of_therapy, maxCount=1, in_=list(schema.lines_of_therapy))
    _prop(g, claim, KMOA.study, or_classes=[classes["study"]])

    comparison = SHAPES.ComparisonResultShape
    g.add((comparison, RDF.type, SH.NodeShape))
    g.add((comparison, SH.targetClass, classes["comparison"]))
    _prop(g, comparison, KMOA.result, minCount=1, maxCount=1, in_=list(schema.comparison_results),
          message="a comparison needs one result from the schema")
    _prop(g, comparison, KMOA.arm_a, minCount=1, maxCount=1, message="a comparison needs arm A")
    _prop(g, comparison, KMOA.arm_b, minCount=1, maxCount=1, message="a comparison needs arm B")
    _prop(g, comparison, KMOA.quote, minCount=1, maxCount=1, minLength=8)

    study = SHAPES.StudyShape
    g.add((study, RDF.type, SH.NodeShape))
    g.add((study, SH.targetClass, classes["study"]))
    _prop(g, study, KMOA.ref, minCount=1, datatype=XSD.integer, message="a study needs its reference number")
    _prop(g, study, KMOA.evidence_type, minCount=1, maxCount=1, in_=list(schema.evidence_types))
    _prop(g, study, KMOA.species, minCount=1, maxCount=1, in_=list(schema.species))
    _prop(g, study, KMOA.n, maxCount=1, datatype=XSD.integer, minInclusive=1)

    for name, kind in schema.node_kinds.items():
        shape = SHAPES[f"{kind.class_name}Shape"]
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetClass, classes[name]))
        _prop(g, shape, RDFS.label, minCount=1, maxCount=1, message=f"a {kind.label} needs exactly one name")
        _prop(g, shape, KMOA.id, minCount=1, maxCount=1)

    for pred in schema.predicates.values():
        shape = SHAPES[f"{pred.name}Shape"]
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetSubjectsOf, KMOA[pred.name]))
        domain = [classes[k] for k in pred.domain]
        alternatives = []
        for cls in domain:
            alt = BNode()
            g.add((alt, SH["class"], cls))
            alternatives.append(alt)
        g.add((shape, SH["or"], _list(g, alternatives)))
        g.add((shape, SH.message, Literal(f"{pred.name} needs a subject of kind {' or '.join(pred.domain)}")))
        _prop(g, shape, KMOA[pred.name], or_classes=[classes[k] for k in pred.range],
              message=f"{pred.name} needs an object of kind {' or '.join(pred.range)}")
    return g


def build_source_shapes(sources: Iterable[tuple[str, str, str, Iterable[int]]]) -> Graph:
    """SHACL for each curated source (IRI, id, section pattern, reference numbers): what its records may name.

    The records of a source (claims, hypotheses, comparisons, studies: whatever has ``kmoa:source``
    pointing at it) must name a section of its scheme and cite only numbers of its reference list.
    Generated at validation time from the sources a graph holds, not committed.
    """
    g = Graph()
    g.bind("sh", SH)
    g.bind("kmoa", KMOA)
    for i, (source_iri, source_id, pattern, numbers) in enumerate(sources):
        numbers = sorted(numbers)
        shape, records = SHAPES[f"Source{i}Shape"], SHAPES[f"Source{i}RecordShape"]
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetNode, URIRef(source_iri)))
        prop = BNode()
        g.add((shape, SH.property, prop))
        inverse = BNode()
        g.add((inverse, SH.inversePath, KMOA.source))
        g.add((prop, SH.path, inverse))
        g.add((prop, SH.node, records))
        g.add((prop, SH.message, Literal(f"a record of {source_id} breaks its section scheme or reference list")))
        g.add((records, RDF.type, SH.NodeShape))
        _prop(g, records, KMOA.section, maxCount=1, pattern=f"^({pattern})$",
              message=f"the section is not one of {source_id}'s ({pattern})")
        contiguous = bool(numbers) and numbers == list(range(numbers[0], numbers[-1] + 1))
        span = f"[{numbers[0]}]-[{numbers[-1]}]" if contiguous else ", ".join(f"[{n}]" for n in numbers) or "none"
        _prop(g, records, KMOA.ref, in_=numbers, message=f"a reference number is not in {source_id}'s list ({span})")
    return g


def committed_path(name: str) -> Path:
    """Where the generated Turtle files live in the package."""
    return Path(str(files("kmoa.ontology") / name))


def write_committed(schema: Schema | None = None) -> list[Path]:
    """Regenerate ``kmoa.ttl`` and ``shapes.ttl`` next to the schema."""
    out = []
    for name, graph in (("kmoa.ttl", build_vocabulary(schema)), ("shapes.ttl", build_shapes(schema))):
        path = committed_path(name)
        path.write_text(graph.serialize(format="turtle"), encoding="utf-8")
        out.append(path)
    return out
