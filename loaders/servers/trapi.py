"""One-hop TRAPI 1.5 queries over the curated graph: ``answer(kg, message) -> dict``.

A Translator knowledge provider answers a query graph of two nodes and one edge. Nodes are
matched by ``ids`` and/or Biolink ``categories`` (a category matches its descendants: a query for
``biolink:ChemicalEntity`` finds small molecules), the edge by Biolink ``predicates`` with the
predicate hierarchy (``biolink:related_to`` finds everything), their inverses (``treated_by`` finds
``treats`` edges, reported in their stored direction) and symmetric predicates in both directions.
Biolink is read with bmt from the biolink-model package's own schema file, never fetched.

Every knowledge-graph edge is one curated claim: its curated source's knowledge source
(``infores:kmoa`` for the review) as primary knowledge source with the source's DOI as source
record, its qualifiers, and its provenance as attributes (publications,
knowledge level, agent type, evidence code, the verbatim quote, review section and reference
numbers, evidence type, CANMAT level, finding; ``biolink:negated`` where the review says it is not
so, ``biolink:treatment_outcome`` for a trial). Results are ranked by evidence strength
(``KnowledgeGraph.claim_strength``, as ``kmoa paths`` ranks steps); a result's score is the strength
of its strongest edge.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim
from kmoa.graph.rows import canmat_text

TRAPI_VERSION = "1.5.0"
#: The knowledge provider itself (its analyses); each edge names its own source's knowledge source.
SERVICE_INFORES = "infores:kmoa"
ROOT_PREDICATE = "biolink:related_to"
ROOT_CATEGORY = "biolink:NamedThing"
SUPPORTED_OPERATIONS = ("lookup",)
LOG_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class TrapiError(ValueError):
    """A query this provider cannot answer (HTTP 400); ``field`` names the offending part."""

    def __init__(self, field_path: str, message: str):
        super().__init__(f"{field_path}: {message}")
        self.field = field_path


class TrapiTimeout(TimeoutError):
    """The query ran past its deadline and was stopped."""


@dataclass(frozen=True)
class Biolink:
    """The parts of Biolink a one-hop lookup needs, read once from the packaged schema with bmt.

    ``ancestors`` maps each known element (category or predicate) to itself and its ancestors,
    mixins included; ``inverses`` and ``symmetric`` are the predicate pairs and the symmetric
    predicates.
    """

    version: str
    predicates: frozenset[str]
    categories: frozenset[str]
    ancestors: Mapping[str, frozenset[str]]
    inverses: Mapping[str, str]
    symmetric: frozenset[str]
    qualifiers: frozenset[str]

    @classmethod
    def load(cls) -> Biolink:
        """Read the biolink-model package's schema with bmt (no network)."""
        try:
            from importlib.resources import files

            from bmt import Toolkit
        except ImportError as err:  # pragma: no cover - the trapi extra is missing
            raise RuntimeError(f"the TRAPI endpoint needs bmt and biolink-model: pip install 'kmoa[trapi]' "
                               f"({err})") from None
        toolkit = Toolkit(schema=str(files("biolink_model") / "schema" / "biolink_model.yaml"),
                          predicate_map={"predicate mappings": []})
        predicates = set(toolkit.get_descendants(ROOT_PREDICATE, formatted=True, mixin=True))
        categories = set(toolkit.get_descendants(ROOT_CATEGORY, formatted=True, mixin=True))
        ancestors: dict[str, frozenset[str]] = {}
        for curie in predicates | categories:
            ancestors[curie] = frozenset(toolkit.get_ancestors(curie, formatted=True, mixin=True, reflexive=True))
        inverses: dict[str, str] = {}
        symmetric: set[str] = set()
        for curie in predicates:
            element = toolkit.get_element(curie)
            if element is not None and element.inverse:
                inverse = "biolink:" + str(element.inverse).replace(" ", "_")
                inverses[curie] = inverse
                inverses.setdefault(inverse, curie)
            if toolkit.is_symmetric(curie):
                symmetric.add(curie)
        qualifiers = {f"biolink:{name.replace(' ', '_')}" for name in toolkit.get_all_slots()
                      if toolkit.is_qualifier(name)}
        return cls(version=str(toolkit.get_model_version()), predicates=frozenset(predicates),
                   categories=frozenset(categories), ancestors=ancestors, inverses=inverses,
                   symmetric=frozenset(symmetric), qualifiers=frozenset(qualifiers))


@dataclass
class TrapiGraph:
    """The curated graph indexed for lookups: each claim's Biolink predicate, qualifiers and end categories."""

    kg: KnowledgeGraph
    biolink: Biolink
    categories: dict[str, str] = field(init=False)
    xrefs: dict[str, frozenset[str]] = field(init=False)
    rows: list[tuple[Claim, str, dict[str, str]]] = field(init=False)

    def __post_init__(self) -> None:
        self.xrefs = {curie: frozenset(node.xref) for curie, node in self.kg.nodes.items()}
        self.categories = {curie: self.kg.schema.node_kinds[node.kind].biolink for curie, node in self.kg.nodes.items()}
        self.rows = [(claim, self.kg.schema.predicates[claim.predicate].biolink, edge_qualifiers(self.kg, claim))
                     for claim in self.kg.iter_edges()]

    def ancestors(self, curie: str) -> frozenset[str]:
        """A category or predicate with its Biolink ancestors (itself alone when Biolink does not know it)."""
        return self.biolink.ancestors.get(curie, frozenset({curie}))


def edge_qualifiers(kg: KnowledgeGraph, claim: Claim) -> dict[str, str]:
    """The claim's Biolink qualifiers (as in the KGX qualifier columns), name -> value."""
    qualifiers = {name: str(value) for name, value in kg.schema.predicates[claim.predicate].qualifiers.items()}
    if claim.anatomical_context:
        qualifiers["anatomical_context_qualifier"] = claim.anatomical_context
    if claim.population:
        qualifiers["population_context_qualifier"] = claim.population
    if claim.provenance.frequency:
        qualifiers["frequency_qualifier"] = claim.provenance.frequency
    return qualifiers


# -- the query graph ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryNode:
    """A query node: the ids and the categories (with their descendants) it accepts."""

    key: str
    ids: frozenset[str] | None
    categories: frozenset[str] | None

    def accepts(self, curie: str, index: TrapiGraph) -> bool:
        """The node may be bound to ``curie`` (asked for by its id or one of its xrefs)."""
        if self.ids is not None and curie not in self.ids and not (index.xrefs[curie] & self.ids):
            return False
        if self.categories is not None:
            category = index.categories.get(curie)
            if category is None or not (index.ancestors(category) & self.categories):
                return False
        return True


    def binding(self, curie: str, index: TrapiGraph) -> dict[str, Any]:
        """A node binding; ``query_id`` names the queried xref when the node was asked for by one."""
        out: dict[str, Any] = {"id": curie, "attributes": []}
        if self.ids is not None and curie not in self.ids:
            out["query_id"] = sorted(index.xrefs[curie] & self.ids)[0]
        return out


@dataclass(frozen=True)
class OneHop:
    """A checked one-hop query: subject node, object node, the predicates read each way."""

    edge_key: str
    subject: QueryNode
    object: QueryNode
    forward: frozenset[str]
    reverse: frozenset[str]
    qualifier_sets: tuple[dict[str, str], ...]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TrapiError(where, f"must be a JSON object, not {type(value).__name__}")
    return value


def _curies(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TrapiError(where, "must be a list of CURIE strings")
    if not value:
        raise TrapiError(where, "is empty; leave it out (or null) to accept any")
    return [v.strip() for v in value]


def parse_query(message: Any, biolink: Biolink) -> OneHop:
    """Check a TRAPI request body and return the one-hop query it asks (TrapiError otherwise)."""
    body = _object(message, "body")
    workflow = body.get("workflow")
    if workflow is not None:
        if not isinstance(workflow, list):
            raise TrapiError("workflow", "must be a list of operations")
        for i, step in enumerate(workflow):
            op = step.get("id") if isinstance(step, dict) else None
            if op not in SUPPORTED_OPERATIONS:
                raise TrapiError(f"workflow[{i}].id", f"operation {op!r} is not supported; this knowledge "
                                                      f"provider answers {', '.join(SUPPORTED_OPERATIONS)}")
    msg = _object(body.get("message"), "message")
    qgraph = _object(msg.get("query_graph"), "message.query_graph")
    nodes = _object(qgraph.get("nodes"), "message.query_graph.nodes")
    edges = _object(qgraph.get("edges"), "message.query_graph.edges")
    if len(edges) != 1:
        raise TrapiError("message.query_graph.edges", f"has {len(edges)} edges; this knowledge provider "
                                                      "answers one-hop queries (exactly one edge)")
    edge_key, edge = next(iter(edges.items()))
    where = f"message.query_graph.edges.{edge_key}"
    edge = _object(edge, where)
    ends = []
    for end in ("subject", "object"):
        key = edge.get(end)
        if not isinstance(key, str) or key not in nodes:
            raise TrapiError(f"{where}.{end}", f"must name a node of message.query_graph.nodes, not {key!r}")
        ends.append(key)
    if ends[0] == ends[1]:
        raise TrapiError(where, "subject and object must be different query nodes")
    if set(nodes) != set(ends):
        extra = sorted(set(nodes) - set(ends))
        raise TrapiError("message.query_graph.nodes", f"nodes {extra} are not on the edge; a one-hop query has "
                                                      "exactly the edge's subject and object")
    knowledge_type = edge.get("knowledge_type") or "lookup"
    if knowledge_type != "lookup":
        raise TrapiError(f"{where}.knowledge_type", f"{knowledge_type!r} is not supported; this knowledge "
                                                    "provider answers 'lookup' (curated claims only)")
    if edge.get("attribute_constraints"):
        raise TrapiError(f"{where}.attribute_constraints", "attribute constraints are not supported")
    qnodes = [_query_node(key, _object(nodes[key], f"message.query_graph.nodes.{key}"), biolink) for key in ends]
    if all(n.ids is None and n.categories is None for n in qnodes):
        raise TrapiError("message.query_graph.nodes", "neither node has ids or categories; give ids or "
                                                      "categories on at least one node")
    predicates = _curies(edge.get("predicates"), f"{where}.predicates") or [ROOT_PREDICATE]
    forward: set[str] = set()
    reverse: set[str] = set()
    for i, predicate in enumerate(predicates):
        if predicate not in biolink.predicates:
            raise TrapiError(f"{where}.predicates[{i}]", f"{predicate!r} is not a Biolink predicate "
                                                         f"(Biolink {biolink.version})")
        forward.add(predicate)
        if predicate in biolink.symmetric:
            reverse.add(predicate)
        inverse = biolink.inverses.get(predicate)
        if inverse:
            reverse.add(inverse)
    return OneHop(edge_key, qnodes[0], qnodes[1], frozenset(forward), frozenset(reverse),
                  _qualifier_sets(edge.get("qualifier_constraints"), f"{where}.qualifier_constraints", biolink))


def _query_node(key: str, node: dict[str, Any], biolink: Biolink) -> QueryNode:
    where = f"message.query_graph.nodes.{key}"
    if node.get("constraints"):
        raise TrapiError(f"{where}.constraints", "attribute constraints are not supported")
    interpretation = node.get("set_interpretation") or "BATCH"
    if interpretation != "BATCH":
        raise TrapiError(f"{where}.set_interpretation", f"{interpretation!r} is not supported; this knowledge "
                                                        "provider binds one node per result (BATCH)")
    ids = _curies(node.get("ids"), f"{where}.ids")
    categories = _curies(node.get("categories"), f"{where}.categories")
    for i, category in enumerate(categories or []):
        if category not in biolink.categories:
            raise TrapiError(f"{where}.categories[{i}]", f"{category!r} is not a Biolink category "
                                                         f"(Biolink {biolink.version})")
    return QueryNode(key, frozenset(ids) if ids is not None else None,
                     frozenset(categories) if categories is not None else None)


def _qualifier_sets(value: Any, where: str, biolink: Biolink) -> tuple[dict[str, str], ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise TrapiError(where, "must be a list of qualifier sets")
    sets = []
    for i, item in enumerate(value):
        qualifier_set = _object(item, f"{where}[{i}]").get("qualifier_set")
        if not isinstance(qualifier_set, list):
            raise TrapiError(f"{where}[{i}].qualifier_set", "must be a list of qualifiers")
        wanted: dict[str, str] = {}
        for j, qualifier in enumerate(qualifier_set):
            q = _object(qualifier, f"{where}[{i}].qualifier_set[{j}]")
            type_id, qualifier_value = q.get("qualifier_type_id"), q.get("qualifier_value")
            if type_id not in biolink.qualifiers or not isinstance(qualifier_value, str):
                raise TrapiError(f"{where}[{i}].qualifier_set[{j}]", f"{type_id!r} is not a Biolink qualifier "
                                                                     "with a string qualifier_value")
            wanted[type_id.removeprefix("biolink:")] = qualifier_value.removeprefix("biolink:")
        sets.append(wanted)
    return tuple(sets)


# -- answering -----------------------------------------------------------------------------------


def _attribute(type_id: str, value: Any, original: str | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {"attribute_type_id": type_id, "value": value}
    if original:
        attribute["original_attribute_name"] = original
    return attribute


def source_urls(kg: KnowledgeGraph, claim: Claim) -> list[str]:
    """The web address of the curated source a claim comes from (its DOI), if it has one."""
    doi = kg.source(claim.provenance.source).doi
    return ["https://doi.org/" + doi.split(":", 1)[1]] if doi else []


def trapi_edge(kg: KnowledgeGraph, claim: Claim, predicate: str, qualifiers: dict[str, str]) -> dict[str, Any]:
    """A TRAPI knowledge-graph edge for one claim, its provenance as attributes (KGX column names)."""
    a = kg.edge_attributes(claim)
    attributes = [
        _attribute("biolink:knowledge_level", a["knowledge_level"]),
        _attribute("biolink:agent_type", a["agent_type"]),
        _attribute("biolink:has_evidence", a["eco"], "has_evidence"),
        _attribute("biolink:supporting_text", a["quote"], "supporting_text"),
        _attribute("biolink:original_predicate", f"kmoa:{a['predicate']}", "kmoa_predicate"),
        _attribute("kmoa:source", a["curated_source"], "curated_source"),
        _attribute("kmoa:section", a["section"], "review_section"),
        _attribute("kmoa:ref", a["refs"], "review_refs"),
        _attribute("kmoa:evidence_type", a["evidence_type"], "evidence_type"),
        _attribute("kmoa:species", a["species"], "species"),
        _attribute("kmoa:finding", a["finding"], "finding"),
        _attribute("kmoa:evidence_strength", a["strength"], "evidence_strength"),
    ]
    if a["publications"]:
        attributes.insert(0, _attribute("biolink:publications", a["publications"], "publications"))
    level = canmat_text(a["canmat_level"], a["canmat_level_max"])
    if level:
        attributes.append(_attribute("kmoa:canmat_level", level, "evidence_level"))
    if a["negated"]:
        attributes.append(_attribute("biolink:negated", True, "negated"))
    if a["treatment_outcome"]:
        attributes.append(_attribute("biolink:treatment_outcome", a["treatment_outcome"], "treatment_outcome"))
    if a["inferred"]:
        attributes.append(_attribute("kmoa:inferred", True, "inferred"))
    if a["contested"]:
        attributes.append(_attribute("kmoa:contested", True, "contested"))
    edge: dict[str, Any] = {
        "subject": claim.subject, "object": claim.object, "predicate": predicate,
        "sources": [{"resource_id": a["primary_knowledge_source"], "resource_role": "primary_knowledge_source",
                     "upstream_resource_ids": [], "source_record_urls": source_urls(kg, claim)}],
        "attributes": attributes,
    }
    if qualifiers:
        edge["qualifiers"] = [{"qualifier_type_id": f"biolink:{name}", "qualifier_value": value}
                              for name, value in sorted(qualifiers.items())]
    return edge


def trapi_node(kg: KnowledgeGraph, curie: str, category: str) -> dict[str, Any]:
    """A TRAPI knowledge-graph node: name, Biolink category, equivalent ids and synonyms."""
    node = kg.nodes[curie]
    attributes = []
    if node.xref:
        attributes.append(_attribute("biolink:xref", list(node.xref), "xref"))
    if node.synonyms:
        attributes.append(_attribute("biolink:synonym", list(node.synonyms), "synonym"))
    if node.description:
        attributes.append(_attribute("biolink:description", node.description, "description"))
    return {"name": node.name, "categories": [category], "attributes": attributes}


def _qualifiers_match(qualifiers: dict[str, str], wanted: Iterable[dict[str, str]]) -> bool:
    sets = list(wanted)
    return not sets or any(all(qualifiers.get(k) == v for k, v in s.items()) for s in sets)


def answer(kg: KnowledgeGraph, message: Any, biolink: Biolink | None = None, *, index: TrapiGraph | None = None,
           limit: int = 1000, timeout: float | None = None) -> dict[str, Any]:
    """Answer a TRAPI request body (a one-hop lookup) with a TRAPI Response as plain JSON values.

    TrapiError for a query this provider does not support; TrapiTimeout past ``timeout`` seconds.
    At most ``limit`` results, best first; a warning in ``logs`` says when more matched.
    """
    if index is None:
        index = TrapiGraph(kg, biolink or Biolink.load())
    return answer_capped(index, message, limit, timeout)[0]


def answer_capped(index: TrapiGraph, message: Any, limit: int = 1000,
                  timeout: float | None = None) -> tuple[dict[str, Any], bool]:
    """The TRAPI Response for a request body, and whether the result cap cut it short."""
    kg = index.kg
    deadline = None if timeout is None else time.monotonic() + timeout
    query = parse_query(message, index.biolink)
    # (subject binding, object binding) -> claim ids bound to the edge
    groups: dict[tuple[str, str], list[Claim]] = {}
    for i, (claim, predicate, qualifiers) in enumerate(index.rows):
        if deadline is not None and i % 64 == 0 and time.monotonic() > deadline:
            raise TrapiTimeout(f"the query took longer than {timeout:g} s and was stopped")
        lineage = index.ancestors(predicate)
        bound: tuple[str, str] | None = None
        if (lineage & query.forward and query.subject.accepts(claim.subject, index)
                and query.object.accepts(claim.object, index)):
            bound = (claim.subject, claim.object)
        elif (lineage & query.reverse and query.subject.accepts(claim.object, index)
                and query.object.accepts(claim.subject, index)):
            bound = (claim.object, claim.subject)
        if bound is not None and _qualifiers_match(qualifiers, query.qualifier_sets):
            groups.setdefault(bound, []).append(claim)
    ranked = []
    for (subject, obj), claims in groups.items():
        claims.sort(key=lambda c: (-kg.claim_strength(c), c.id))
        ranked.append((kg.claim_strength(claims[0]), subject, obj, claims))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    logs = []
    if len(ranked) > limit:
        logs.append(_log("WARNING", f"{len(ranked)} results matched; only the best {limit} are returned "
                                    "(the server's result cap)"))
    truncated = len(ranked) > limit
    ranked = ranked[:limit]
    nodes: dict[str, Any] = {}
    edges: dict[str, Any] = {}
    results = []
    for score, subject, obj, claims in ranked:
        for curie in (subject, obj):
            if curie not in nodes:
                nodes[curie] = trapi_node(kg, curie, index.categories[curie])
        for claim in claims:
            if claim.id not in edges:
                row_predicate = kg.schema.predicates[claim.predicate].biolink
                edges[claim.id] = trapi_edge(kg, claim, row_predicate, edge_qualifiers(kg, claim))
        results.append({
            "node_bindings": {query.subject.key: [query.subject.binding(subject, index)],
                              query.object.key: [query.object.binding(obj, index)]},
            "analyses": [{"resource_id": SERVICE_INFORES, "score": round(score, 6),
                          "edge_bindings": {query.edge_key: [{"id": c.id, "attributes": []} for c in claims]}}],
        })
    known = set(kg.nodes).union(*index.xrefs.values())
    for qnode in (query.subject, query.object):
        missing = sorted((qnode.ids or frozenset()) - known)
        if missing:
            logs.append(_log("INFO", f"query node {qnode.key}: {', '.join(missing)} not in this graph"))
    body = _object(message, "body")
    wanted = LOG_LEVELS.get(str(body.get("log_level") or "INFO"), LOG_LEVELS["INFO"])
    logs = [log for log in logs if LOG_LEVELS[log["level"]] >= wanted]
    response = {
        "message": {"query_graph": body["message"]["query_graph"],
                    "knowledge_graph": {"nodes": nodes, "edges": edges},
                    "results": results, "auxiliary_graphs": {}},
        "status": "Success",
        "description": f"{len(results)} result(s) from the kmoa curated graph of ketamine's mechanisms",
        "logs": logs,
        "schema_version": TRAPI_VERSION,
        "biolink_version": index.biolink.version,
    }
    return response, truncated


def _log(level: str, message: str) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {"timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "level": level, "message": message}


def error_response(error: TrapiError, version: str) -> dict[str, Any]:
    """A TRAPI-style body for a refused query (sent with HTTP 400): status, the field, a message."""
    return {"message": {}, "status": "QueryNotTraversable", "description": str(error), "field": error.field,
            "logs": [_log("ERROR", str(error))], "schema_version": TRAPI_VERSION, "biolink_version": version}


# -- what the graph holds ------------------------------------------------------------------------


def meta_knowledge_graph(index: TrapiGraph) -> dict[str, Any]:
    """Which category–predicate–category triples the graph holds, with id prefixes and qualifiers."""
    prefixes: dict[str, set[str]] = {}
    for curie, category in index.categories.items():
        prefixes.setdefault(category, set()).add(curie.split(":", 1)[0])
    triples: dict[tuple[str, str, str], dict[str, set[str]]] = {}
    attributes: dict[tuple[str, str, str], set[str]] = {}
    for claim, predicate, qualifiers in index.rows:
        key = (index.categories[claim.subject], predicate, index.categories[claim.object])
        seen = triples.setdefault(key, {})
        for name, value in qualifiers.items():
            seen.setdefault(name, set()).add(value)
        edge = trapi_edge(index.kg, claim, predicate, {})
        attributes.setdefault(key, set()).update(a["attribute_type_id"] for a in edge["attributes"])
    edges = []
    for (subject, predicate, obj), held in sorted(triples.items()):
        edges.append({
            "subject": subject, "predicate": predicate, "object": obj, "knowledge_types": ["lookup"],
            "attributes": [{"attribute_type_id": type_id} for type_id in sorted(attributes[(subject, predicate, obj)])],
            "qualifiers": [{"qualifier_type_id": f"biolink:{name}", "applicable_values": sorted(values)}
                           for name, values in sorted(held.items())],
        })
    return {"nodes": {category: {"id_prefixes": sorted(ids)} for category, ids in sorted(prefixes.items())},
            "edges": edges}
