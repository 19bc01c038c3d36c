"""One-hop TRAPI 1.5 queries over rows (``graph.rows``): ``answer(kg, message) -> dict``, ``answer_capped``.

A Translator knowledge provider answers a query graph of two nodes and one edge. Nodes are
matched by ``ids`` (a node's CURIE or one of its xrefs) and/or Biolink ``categories`` (a category
matches its descendants: a query for ``biolink:ChemicalEntity`` finds small molecules), the edge by
Biolink ``predicates`` with the predicate hierarchy (``biolink:related_to`` finds everything), their
inverses (``treated_by`` finds ``treats`` edges, reported in their stored direction) and symmetric
predicates in both directions. Biolink is read with bmt from the biolink-model package's own schema
file, never fetched.

The graph is any source of rows with a store's lookups (``TrapiGraph`` over a ``Lookup``): the
curated graph (``curated_graph``), the curated graph merged with an import, or any store of
``loaders.stores.adapter`` (``open_store``), whose candidate edges of a node are asked per query.
Every knowledge-graph edge is one row: its own primary knowledge source (``infores:kmoa`` for the
review's claims, with the review's DOI as source record; an import's source, such as
``infores:drugmechdb``, with ``infores:kmoa`` as aggregator), its qualifiers, and its provenance as
attributes (publications, knowledge level, agent type, evidence code, the verbatim quote, review
section and reference numbers, evidence type, CANMAT level, finding; ``biolink:negated`` where the
review says it is not so, ``biolink:treatment_outcome`` for a trial). Results are ranked by
evidence strength (the row's ``evidence_strength``, as ``kmoa paths`` ranks steps; an imported edge
weighs ``walk.imported_strength``); a result's score is the strength of its strongest edge.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import IMPORT_PROVENANCE_COLUMNS

TRAPI_VERSION = "1.5.0"
#: The knowledge provider itself (its analyses); each edge names its own source's knowledge source.
SERVICE_INFORES = "infores:kmoa"
ROOT_PREDICATE = "biolink:related_to"
ROOT_CATEGORY = "biolink:NamedThing"
SUPPORTED_OPERATIONS = ("lookup",)
LOG_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
#: At most this many ids on one query node (``x-trapi.batch_size_limit``); more get 413.
MAX_IDS = 1000


class TrapiError(ValueError):
    """A query this provider cannot answer; ``field`` names the offending part, ``status`` the HTTP answer.

    400: the body is malformed or names what Biolink does not know; 413: more ids than
    ``MAX_IDS`` on a node (the ``batch_size_limit``); 501: a valid TRAPI query beyond a one-hop
    lookup (more edges, constraints, another operation).
    """

    def __init__(self, field_path: str, message: str, status: int = 400):
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.status = status


class NotSupported(TrapiError):
    """A well-formed TRAPI query that this knowledge provider does not implement (HTTP 501)."""

    def __init__(self, field_path: str, message: str):
        super().__init__(field_path, message, status=501)


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


class Lookup(Protocol):
    """Where a TRAPI graph reads rows (``graph.rows``): a ``Store`` of ``loaders.stores.adapter`` or a ``RowTable``."""

    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Node rows (those whose ``column`` is ``value``, if given)."""

    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Edge rows (those whose ``column`` is ``value``, if given)."""

    def edges_from(self, node: str) -> list[dict[str, Any]]:
        """Edges whose subject is ``node``."""

    def edges_to(self, node: str) -> list[dict[str, Any]]:
        """Edges whose object is ``node``."""


class RowTable:
    """Rows held in this process, looked up the way a store's are (by subject, object, predicate or id)."""

    def __init__(self, nodes: Iterable[Mapping[str, Any]], edges: Iterable[Mapping[str, Any]]):
        self.nodes = {str(row["id"]): dict(row) for row in nodes}
        self.edges = [dict(row) for row in edges]
        self._index: dict[str, dict[str, list[dict[str, Any]]]] = {"subject": {}, "object": {}, "predicate": {}}
        for row in self.edges:
            for column, by_value in self._index.items():
                by_value.setdefault(str(row[column]), []).append(row)

    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Node rows, sorted by id."""
        if column == "id":
            return [self.nodes[value]] if value in self.nodes else []
        return [row for _, row in sorted(self.nodes.items()) if column is None or row.get(column) == value]

    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Edge rows, in the order given."""
        if column is None:
            return list(self.edges)
        if column in self._index:
            return list(self._index[column].get(str(value), []))
        return [row for row in self.edges if row.get(column) == value]

    def edges_from(self, node: str) -> list[dict[str, Any]]:
        """Edges whose subject is ``node``."""
        return self.edge_rows("subject", node)

    def edges_to(self, node: str) -> list[dict[str, Any]]:
        """Edges whose object is ``node``."""
        return self.edge_rows("object", node)


def edge_qualifiers(edge: Mapping[str, Any]) -> dict[str, str]:
    """An edge row's Biolink qualifiers (its ``*_qualifier`` columns), name -> value."""
    return {name: str(value) for name, value in sorted(edge.items()) if name.endswith("_qualifier") and value}


class TrapiGraph:
    """Rows indexed for one-hop lookups: nodes (names, categories, xrefs) in memory, edges from ``lookup``.

    The node rows are read once; edges are asked of ``lookup`` per query (a store's candidate
    edges of a node, or its edges of a predicate). ``meta`` (what ``/meta_knowledge_graph``
    lists) is counted in one pass over the edge rows when the graph is opened.
    """

    def __init__(self, lookup: Lookup, biolink: Biolink, description: str, *,
                 record_urls: Mapping[str, list[str]] | None = None, imported_strength: float = 0.3):
        self.lookup = lookup
        self.biolink = biolink
        self.description = description
        self.record_urls = dict(record_urls or {})
        self.imported_strength = imported_strength
        self.nodes: dict[str, dict[str, Any]] = {str(row["id"]): row for row in lookup.node_rows()}
        self.categories = {curie: _first(row.get("category")) or ROOT_CATEGORY for curie, row in self.nodes.items()}
        self.by_xref: dict[str, set[str]] = {}
        for curie, row in self.nodes.items():
            for xref in row.get("xref") or ():
                self.by_xref.setdefault(str(xref), set()).add(curie)
        self.meta = meta_knowledge_graph(self, lookup.edge_rows())
        self.edge_count = sum(edge["count"] for edge in self.meta["edges"])
        self.predicates = frozenset(edge["predicate"] for edge in self.meta["edges"])
        for edge in self.meta["edges"]:
            del edge["count"]

    def ancestors(self, curie: str) -> frozenset[str]:
        """A category or predicate with its Biolink ancestors (itself alone when Biolink does not know it)."""
        return self.biolink.ancestors.get(curie, frozenset({curie}))

    def xrefs(self, curie: str) -> frozenset[str]:
        """The equivalent ids a node lists."""
        return frozenset(str(x) for x in self.nodes.get(curie, {}).get("xref") or ())

    def resolve(self, ids: Iterable[str]) -> list[str]:
        """The graph's nodes that queried ids name, by id or by one of their xrefs, sorted."""
        found: set[str] = set()
        for curie in ids:
            if curie in self.nodes:
                found.add(curie)
            found |= self.by_xref.get(curie, set())
        return sorted(found)

    def strength(self, edge: Mapping[str, Any]) -> float:
        """An edge's evidence strength, as ``kmoa paths`` weighs a step (an imported edge: ``imported_strength``)."""
        value = edge.get("evidence_strength")
        return float(value) if value not in (None, "") else self.imported_strength


def _first(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return str(value) if value else None


def curated_graph(kg: KnowledgeGraph, biolink: Biolink | None = None) -> TrapiGraph:
    """The curated graph's rows (``graph.rows``), indexed for lookups."""
    from kmoa.graph.rows import edge_rows, node_rows

    return TrapiGraph(RowTable(node_rows(kg), edge_rows(kg)), biolink or Biolink.load(), "the kmoa curated graph",
                      record_urls=record_urls(kg), imported_strength=kg.schema.walk.imported_strength)


def record_urls(kg: KnowledgeGraph) -> dict[str, list[str]]:
    """Each curated source's web address (its DOI), by source id: an edge's ``source_record_urls``."""
    return {name: ["https://doi.org/" + source.doi.split(":", 1)[1]] if source.doi else []
            for name, source in kg.sources.items()}


# -- the query graph ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryNode:
    """A query node: the ids and the categories (with their descendants) it accepts."""

    key: str
    ids: frozenset[str] | None
    categories: frozenset[str] | None

    def accepts(self, curie: str, index: TrapiGraph) -> bool:
        """The node may be bound to ``curie`` (asked for by its id or one of its xrefs)."""
        if self.ids is not None and curie not in self.ids and not (index.xrefs(curie) & self.ids):
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
            out["query_id"] = sorted(index.xrefs(curie) & self.ids)[0]
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
                raise NotSupported(f"workflow[{i}].id", f"operation {op!r} is not supported; this knowledge "
                                                      f"provider answers {', '.join(SUPPORTED_OPERATIONS)}")
    msg = _object(body.get("message"), "message")
    qgraph = _object(msg.get("query_graph"), "message.query_graph")
    nodes = _object(qgraph.get("nodes"), "message.query_graph.nodes")
    edges = _object(qgraph.get("edges"), "message.query_graph.edges")
    if len(edges) != 1:
        raise NotSupported("message.query_graph.edges", f"has {len(edges)} edges; this knowledge provider "
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
        raise NotSupported("message.query_graph.nodes", f"nodes {extra} are not on the edge; a one-hop query has "
                                                      "exactly the edge's subject and object")
    knowledge_type = edge.get("knowledge_type") or "lookup"
    if knowledge_type != "lookup":
        raise NotSupported(f"{where}.knowledge_type", f"{knowledge_type!r} is not supported; this knowledge "
                                                    "provider answers 'lookup' (curated claims only)")
    if edge.get("attribute_constraints"):
        raise NotSupported(f"{where}.attribute_constraints", "attribute constraints are not supported")
    qnodes = [_query_node(key, _object(nodes[key], f"message.query_graph.nodes.{key}"), biolink) for key in ends]
    if all(n.ids is None and n.categories is None for n in qnodes):
        raise NotSupported("message.query_graph.nodes", "neither node has ids or categories; give ids or "
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
        raise NotSupported(f"{where}.constraints", "attribute constraints are not supported")
    interpretation = node.get("set_interpretation") or "BATCH"
    if interpretation != "BATCH":
        raise NotSupported(f"{where}.set_interpretation", f"{interpretation!r} is not supported; this knowledge "
                                                        "provider binds one node per result (BATCH)")
    ids = _curies(node.get("ids"), f"{where}.ids")
    if ids is not None and len(ids) > MAX_IDS:
        raise TrapiError(f"{where}.ids", f"has {len(ids)} ids; at most {MAX_IDS} per query node (the "
                                         "batch_size_limit in /openapi.json); split the query", status=413)
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


# Row columns given as attributes when the row has them: (column, attribute type, KGX column name).
ROW_ATTRIBUTES = (
    ("has_evidence", "biolink:has_evidence"),
    ("supporting_text", "biolink:supporting_text"),
    ("curated_source", "kmoa:source"),
    ("review_section", "kmoa:section"),
    ("review_refs", "kmoa:ref"),
    ("evidence_type", "kmoa:evidence_type"),
    ("species", "kmoa:species"),
    ("finding", "kmoa:finding"),
    ("evidence_level", "kmoa:canmat_level"),
    ("treatment_outcome", "biolink:treatment_outcome"),
    ("kgx_id", "kmoa:kgx_id"),
    # an import's own provenance: a DrugMechDB edge's path id, drug, disease and YAML lines
    *((column, f"kmoa:{column}") for column in IMPORT_PROVENANCE_COLUMNS),
)
# Boolean columns given as attributes only when true.
ROW_FLAGS = (("negated", "biolink:negated"), ("inferred", "kmoa:inferred"), ("contested", "kmoa:contested"))


def trapi_attributes(edge: Mapping[str, Any], strength: float) -> list[dict[str, Any]]:
    """An edge row's provenance as TRAPI attributes, each ``original_attribute_name`` its KGX column."""
    attributes = []
    if edge.get("publications"):
        attributes.append(_attribute("biolink:publications", list(edge["publications"]), "publications"))
    attributes.append(_attribute("biolink:knowledge_level", edge.get("knowledge_level") or "not_provided",
                                 "knowledge_level"))
    attributes.append(_attribute("biolink:agent_type", edge.get("agent_type") or "not_provided", "agent_type"))
    if edge.get("kmoa_predicate") and not edge.get("imported"):
        attributes.append(_attribute("biolink:original_predicate", f"kmoa:{edge['kmoa_predicate']}", "kmoa_predicate"))
    for column, type_id in ROW_ATTRIBUTES:
        value = edge.get(column)
        if value not in (None, "", [], ()):
            attributes.append(_attribute(type_id, list(value) if isinstance(value, (list, tuple)) else value, column))
    attributes.append(_attribute("kmoa:evidence_strength", strength, "evidence_strength"))
    for column, type_id in ROW_FLAGS:
        if edge.get(column) in (True, "true"):
            attributes.append(_attribute(type_id, True, column))
    return attributes


def trapi_edge(index: TrapiGraph, edge: Mapping[str, Any]) -> dict[str, Any]:
    """A TRAPI knowledge-graph edge for one row: its own primary knowledge source, qualifiers, provenance.

    An edge this provider serves from another source (an import) names that source as primary and
    ``infores:kmoa`` as aggregator.
    """
    primary = str(edge.get("primary_knowledge_source") or SERVICE_INFORES)
    sources: list[dict[str, Any]] = [{
        "resource_id": primary, "resource_role": "primary_knowledge_source", "upstream_resource_ids": [],
        "source_record_urls": index.record_urls.get(str(edge.get("curated_source") or ""), [])}]
    if primary != SERVICE_INFORES:
        sources.append({"resource_id": SERVICE_INFORES, "resource_role": "aggregator_knowledge_source",
                        "upstream_resource_ids": [primary]})
    out: dict[str, Any] = {
        "subject": edge["subject"], "object": edge["object"], "predicate": str(edge["predicate"]),
        "sources": sources, "attributes": trapi_attributes(edge, index.strength(edge)),
    }
    qualifiers = edge_qualifiers(edge)
    if qualifiers:
        out["qualifiers"] = [{"qualifier_type_id": f"biolink:{name}", "qualifier_value": value}
                             for name, value in qualifiers.items()]
    return out


def trapi_node(index: TrapiGraph, curie: str) -> dict[str, Any]:
    """A TRAPI knowledge-graph node: name, Biolink category, equivalent ids and synonyms."""
    row = index.nodes.get(curie, {})
    attributes = []
    for column, type_id in (("xref", "biolink:xref"), ("synonym", "biolink:synonym")):
        if row.get(column):
            attributes.append(_attribute(type_id, list(row[column]), column))
    if row.get("description"):
        attributes.append(_attribute("biolink:description", row["description"], "description"))
    return {"name": str(row.get("name") or curie), "categories": [index.categories.get(curie, ROOT_CATEGORY)],
            "attributes": attributes}


def _qualifiers_match(qualifiers: dict[str, str], wanted: Iterable[dict[str, str]]) -> bool:
    sets = list(wanted)
    return not sets or any(all(qualifiers.get(k) == v for k, v in s.items()) for s in sets)


def answer(kg: KnowledgeGraph, message: Any, biolink: Biolink | None = None, *, index: TrapiGraph | None = None,
           limit: int = 1000, timeout: float | None = None) -> dict[str, Any]:
    """Answer a TRAPI request body (a one-hop lookup) over the curated graph with a TRAPI Response.

    TrapiError for a query this provider does not support; TrapiTimeout past ``timeout`` seconds.
    At most ``limit`` results, best first; the description and a warning in ``logs`` say when more matched.
    """
    if index is None:
        index = curated_graph(kg, biolink)
    return answer_capped(index, message, limit, timeout)[0]


def check_deadline(deadline: float | None, timeout: float | None) -> None:
    """TrapiTimeout once the query's deadline has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise TrapiTimeout(f"the query took longer than {timeout:g} s and was stopped")


def _candidates(index: TrapiGraph, query: OneHop, deadline: float | None, timeout: float | None
                ) -> Iterable[Mapping[str, Any]]:
    """The edges a query may bind: those of the nodes asked for by id, else those of the predicates asked for."""
    anchored = query.subject if query.subject.ids is not None else query.object
    if anchored.ids is not None:
        for curie in index.resolve(anchored.ids):
            check_deadline(deadline, timeout)
            yield from index.lookup.edges_from(curie)
            check_deadline(deadline, timeout)
            yield from index.lookup.edges_to(curie)
        return
    wanted = query.forward | query.reverse
    for predicate in sorted(index.predicates):
        if index.ancestors(predicate) & wanted:
            check_deadline(deadline, timeout)
            yield from index.lookup.edge_rows("predicate", predicate)


def answer_capped(index: TrapiGraph, message: Any, limit: int = 1000,
                  timeout: float | None = None) -> tuple[dict[str, Any], bool]:
    """The TRAPI Response for a request body, and whether the result cap cut it short."""
    deadline = None if timeout is None else time.monotonic() + timeout
    query = parse_query(message, index.biolink)
    # (subject binding, object binding) -> edges bound to the query edge
    groups: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for i, edge in enumerate(_candidates(index, query, deadline, timeout)):
        if i % 64 == 63:
            check_deadline(deadline, timeout)
        lineage = index.ancestors(str(edge["predicate"]))
        subject, obj = str(edge["subject"]), str(edge["object"])
        bound: tuple[str, str] | None = None
        if lineage & query.forward and query.subject.accepts(subject, index) and query.object.accepts(obj, index):
            bound = (subject, obj)
        elif lineage & query.reverse and query.subject.accepts(obj, index) and query.object.accepts(subject, index):
            bound = (obj, subject)
        if bound is not None and _qualifiers_match(edge_qualifiers(edge), query.qualifier_sets):
            groups.setdefault(bound, {})[str(edge["id"])] = edge
    check_deadline(deadline, timeout)
    # The best ``limit`` results only are ranked in full: a broad query may match far more.
    best = heapq.nsmallest(limit, ((-max(index.strength(e) for e in found.values()), subject, obj)
                                   for (subject, obj), found in groups.items()))
    check_deadline(deadline, timeout)
    total, truncated = len(groups), len(groups) > limit
    ranked = [(-score, subject, obj, sorted(groups[subject, obj].values(),
                                              key=lambda e: (-index.strength(e), str(e["id"]))))
              for score, subject, obj in best]
    nodes: dict[str, Any] = {}
    kg_edges: dict[str, Any] = {}
    results = []
    for score, subject, obj, edges in ranked:
        for curie in (subject, obj):
            if curie not in nodes:
                nodes[curie] = trapi_node(index, curie)
        for edge in edges:
            kg_edges.setdefault(str(edge["id"]), trapi_edge(index, edge))
        results.append({
            "node_bindings": {query.subject.key: [query.subject.binding(subject, index)],
                              query.object.key: [query.object.binding(obj, index)]},
            "analyses": [{"resource_id": SERVICE_INFORES, "score": round(score, 6),
                          "edge_bindings": {query.edge_key: [{"id": str(e["id"]), "attributes": []}
                                                             for e in edges]}}],
        })
    description = f"{len(results)} result(s) from {index.description}"
    logs = []
    if truncated:
        cut = (f"{total} results matched; only the best {limit} are returned (the server's result cap): "
               "narrow the query (ids, categories, predicates) to see the rest")
        description += f". Truncated: {cut}"
        logs.append(_log("WARNING", cut))
    for qnode in (query.subject, query.object):
        missing = sorted(curie for curie in (qnode.ids or ()) if not index.resolve([curie]))
        if missing:
            logs.append(_log("INFO", f"query node {qnode.key}: {', '.join(missing)} not in this graph"))
    body = _object(message, "body")
    wanted = LOG_LEVELS.get(str(body.get("log_level") or "INFO"), LOG_LEVELS["INFO"])
    logs = [log for log in logs if LOG_LEVELS[log["level"]] >= wanted]
    response = {
        "message": {"query_graph": body["message"]["query_graph"],
                    "knowledge_graph": {"nodes": nodes, "edges": kg_edges},
                    "results": results, "auxiliary_graphs": {}},
        "status": "Success",
        "description": description,
        "logs": logs,
        "schema_version": TRAPI_VERSION,
        "biolink_version": index.biolink.version,
    }
    return response, truncated


def _log(level: str, message: str) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {"timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "level": level, "message": message}


def error_response(error: TrapiError, version: str) -> dict[str, Any]:
    """A TRAPI-style body for a refused query: status, the field, a message."""
    status = "QueryNotTraversable" if error.status == 501 else "InvalidQuery"
    return {"message": {}, "status": status, "description": str(error), "field": error.field,
            "logs": [_log("ERROR", str(error))], "schema_version": TRAPI_VERSION, "biolink_version": version}


# -- what the graph holds ------------------------------------------------------------------------


def meta_knowledge_graph(index: TrapiGraph, edges: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Which category–predicate–category triples ``edges`` hold, with id prefixes, qualifiers and attributes.

    Each edge entry also has ``count``, the number of edges of its triple.
    """
    prefixes: dict[str, set[str]] = {}
    for curie, category in index.categories.items():
        prefixes.setdefault(category, set()).add(curie.split(":", 1)[0])
    triples: dict[tuple[str, str, str], dict[str, set[str]]] = {}
    attributes: dict[tuple[str, str, str], set[str]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for edge in edges:
        key = (index.categories.get(str(edge["subject"]), ROOT_CATEGORY), str(edge["predicate"]),
               index.categories.get(str(edge["object"]), ROOT_CATEGORY))
        counts[key] = counts.get(key, 0) + 1
        seen = triples.setdefault(key, {})
        for name, value in edge_qualifiers(edge).items():
            seen.setdefault(name, set()).add(value)
        attributes.setdefault(key, set()).update(a["attribute_type_id"] for a in trapi_attributes(edge, 0.0))
    out = []
    for (subject, predicate, obj), held in sorted(triples.items()):
        out.append({
            "subject": subject, "predicate": predicate, "object": obj, "knowledge_types": ["lookup"],
            "attributes": [{"attribute_type_id": type_id} for type_id in sorted(attributes[(subject, predicate, obj)])],
            "qualifiers": [{"qualifier_type_id": f"biolink:{name}", "applicable_values": sorted(values)}
                           for name, values in sorted(held.items())],
            "count": counts[(subject, predicate, obj)],
        })
    return {"nodes": {category: {"id_prefixes": sorted(ids)} for category, ids in sorted(prefixes.items())},
            "edges": out}
