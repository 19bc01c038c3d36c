"""What the TRAPI tests share: one-hop queries posted over HTTP, the Biolink toolkit, checks of a response.

Every response is validated with the reasoner-pydantic TRAPI models and its categories, predicates,
qualifiers, attribute types and sources against Biolink with bmt (the biolink-model package's
schema, offline). Expected bindings are computed from the served edges and Biolink's hierarchy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tests.servers import http_request

SERVICE = "infores:kmoa"


@pytest.fixture(scope="module")
def toolkit() -> Any:
    """bmt over the installed biolink-model schema (no network)."""
    from importlib.resources import files

    from bmt import Toolkit

    return Toolkit(schema=str(files("biolink_model") / "schema" / "biolink_model.yaml"),
                   predicate_map={"predicate mappings": []})


def request(url: str, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """Status, headers and the JSON body of a request."""
    status, head, raw = http_request(url, method, body, headers)
    return status, head, json.loads(raw) if raw else None


def post(url: str, query: Any) -> tuple[int, dict[str, str], Any]:
    """POST a TRAPI query to ``url`` + ``/query``."""
    return request(url + "/query", "POST", json.dumps(query).encode(), {"Content-Type": "application/json"})


def one_hop(subject: dict[str, Any], predicates: list[str] | None, obj: dict[str, Any]) -> dict[str, Any]:
    """A query graph ``n0 -e0-> n1``."""
    edge: dict[str, Any] = {"subject": "n0", "object": "n1"}
    if predicates is not None:
        edge["predicates"] = predicates
    return {"message": {"query_graph": {"nodes": {"n0": subject, "n1": obj}, "edges": {"e0": edge}}}}


def valid(body: Any, toolkit: Any) -> dict[str, Any]:
    """The body, after checking it is a TRAPI Response that speaks Biolink and names each edge's sources.

    Every edge has one primary knowledge source; one that is not kmoa's own has ``infores:kmoa``
    as aggregator with the primary source upstream.
    """
    from reasoner_pydantic import Response

    Response.model_validate(body)
    kgraph = body["message"]["knowledge_graph"]
    for curie, node in kgraph["nodes"].items():
        for category in node["categories"]:
            assert toolkit.is_category(category), (curie, category)
    for edge_id, edge in kgraph["edges"].items():
        assert toolkit.is_predicate(edge["predicate"]), (edge_id, edge["predicate"])
        for qualifier in edge.get("qualifiers") or []:
            name = qualifier["qualifier_type_id"]
            assert toolkit.is_qualifier(name), (edge_id, name)
            enum = toolkit.get_element(name).range
            if enum and enum.endswith("Enum"):
                values = toolkit.view.get_enum(enum).permissible_values
                assert qualifier["qualifier_value"] in values, (edge_id, name, qualifier["qualifier_value"])
        for attribute in edge["attributes"]:
            type_id = attribute["attribute_type_id"]
            if type_id.startswith("biolink:"):
                assert toolkit.get_element(type_id) is not None, (edge_id, type_id)
        primary = primary_source(edge)
        if primary != SERVICE:
            aggregators = [s for s in edge["sources"] if s["resource_role"] == "aggregator_knowledge_source"]
            assert [(s["resource_id"], s["upstream_resource_ids"]) for s in aggregators] == [(SERVICE, [primary])]
    return body


def primary_source(edge: dict[str, Any]) -> str:
    """The edge's one primary knowledge source."""
    (primary,) = [s["resource_id"] for s in edge["sources"] if s["resource_role"] == "primary_knowledge_source"]
    return str(primary)


def attrs(edge: dict[str, Any]) -> dict[str, Any]:
    """An edge's attributes, type -> value."""
    return {a["attribute_type_id"]: a["value"] for a in edge["attributes"]}


def inverse_of(toolkit: Any, predicate: str) -> str | None:
    """Biolink declares each inverse pair on one side only."""
    name = toolkit.get_element(predicate).name
    for curie in toolkit.get_descendants("biolink:related_to", formatted=True):
        element = toolkit.get_element(curie)
        if element.inverse == name or (element.name == toolkit.get_element(predicate).inverse):
            return str(curie)
    return None


Ok = Callable[[str], bool]


def expected_bindings(edges: Iterable[tuple[str, str, str, str]], toolkit: Any, predicate: str, subject_ok: Ok,
                      object_ok: Ok) -> set[tuple[str, str, str]]:
    """(subject binding, object binding, edge id) a query should find among (subject, predicate, object, id) edges."""
    inverse = inverse_of(toolkit, predicate)
    symmetric = toolkit.is_symmetric(predicate)
    found = set()
    for subject, biolink, obj, edge_id in edges:
        lineage = set(toolkit.get_ancestors(biolink, formatted=True, mixin=True, reflexive=True))
        if predicate in lineage and subject_ok(subject) and object_ok(obj):
            found.add((subject, obj, edge_id))
        elif (((inverse and inverse in lineage) or (symmetric and predicate in lineage))
              and subject_ok(obj) and object_ok(subject)):
            found.add((obj, subject, edge_id))
    return found


def bound(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(subject binding, object binding, edge id) of every result."""
    out = set()
    for result in body["message"]["results"]:
        subject, obj = result["node_bindings"]["n0"][0]["id"], result["node_bindings"]["n1"][0]["id"]
        for analysis in result["analyses"]:
            out |= {(subject, obj, b["id"]) for b in analysis["edge_bindings"]["e0"]}
    return out
