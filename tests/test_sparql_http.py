"""`kmoa serve sparql` in a subprocess, driven by SPARQLWrapper over real HTTP (no mocks).

Every test runs against both stores: the curated graph in rdflib and an on-disk Oxigraph store.
Expectations are computed from the curated data, never hard-coded.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.rdf import iri
from tests.servers import (
    SPARQL_STORES,
    Endpoint,
    http_request,
    sparql_endpoint,
)

COMPOUNDS = "SELECT ?node ?label WHERE { ?node a kmoa:Compound ; rdfs:label ?label }"
COMPOUND_GRAPH = "CONSTRUCT { ?node rdfs:label ?label } WHERE { ?node a kmoa:Compound ; rdfs:label ?label }"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CAP = 50


@pytest.fixture(scope="module", params=SPARQL_STORES)
def endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with sparql_endpoint(request.param, tmp_path_factory.mktemp(f"sparql-{request.param}"), limit=CAP) as running:
        yield running


def wrapper(endpoint: Endpoint, query: str, fmt: str, method: str = "GET", conneg: bool = False) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setOnlyConneg(conneg)
    if method != "GET":
        client.setMethod(POST)
        if method == "POSTDIRECTLY":
            client.setRequestMethod(POSTDIRECTLY)
    return client


def http(endpoint: Endpoint, method: str = "GET", path: str = "/sparql", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return http_request(endpoint.url + path, method, body, headers, timeout=30)


def form(query: str | None = None, **extra: str) -> bytes:
    fields = {"query": query} if query is not None else {}
    return urllib.parse.urlencode({**fields, **extra}).encode()


def expected_compounds(kg: KnowledgeGraph) -> set[tuple[str, str]]:
    return {(str(iri(n.id)), n.name) for n in kg.nodes.values() if n.kind == "compound"}


def triple_count(kg: KnowledgeGraph) -> int:
    from kmoa.loaders.formats.rdf import to_rdf

    return len(to_rdf(kg))


# -- SELECT --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_select_json_every_method(endpoint: Endpoint, method: str) -> None:
    kg = endpoint.kg
    data = wrapper(endpoint, COMPOUNDS, JSON, method).query().convert()
    assert data["head"]["vars"] == ["node", "label"]
    rows = {(b["node"]["value"], b["label"]["value"]) for b in data["results"]["bindings"]}
    assert rows == expected_compounds(kg)
    assert all(b["node"]["type"] == "uri" and b["label"]["type"] == "literal" for b in data["results"]["bindings"])


def test_select_xml(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    document = wrapper(endpoint, COMPOUNDS, XML).query().convert()
    rows = set()
    for result in document.getElementsByTagName("result"):
        values = {b.getAttribute("name"): b.firstChild.firstChild.data for b in result.getElementsByTagName("binding")}
        rows.add((values["node"], values["label"]))
    assert rows == expected_compounds(kg)


def test_select_csv(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    raw = wrapper(endpoint, COMPOUNDS, CSV).query().convert()
    table = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert table[0] == ["node", "label"]
    assert {tuple(r) for r in table[1:]} == expected_compounds(kg)


def test_select_tsv(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    raw = wrapper(endpoint, COMPOUNDS, TSV).query().convert()
    lines = raw.decode("utf-8").rstrip("\n").split("\n")
    assert lines[0] == "?node\t?label"
    rows = {tuple(line.split("\t")) for line in lines[1:]}
    assert rows == {(f"<{node}>", Literal(label).n3()) for node, label in expected_compounds(kg)}


def test_typed_literals_keep_their_datatype(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    data = wrapper(endpoint, COUNT_ALL, JSON).query().convert()
    value = data["results"]["bindings"][0]["n"]
    assert value["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert int(value["value"]) == triple_count(kg)


def test_no_accept_header_gives_json(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    status, headers, body = http(endpoint, "GET", "/sparql?" + urllib.parse.urlencode({"query": COMPOUNDS}))
    assert status == 200
    assert headers["Content-Type"].startswith("application/sparql-results+json")
    rows = {(b["node"]["value"], b["label"]["value"]) for b in json.loads(body)["results"]["bindings"]}
    assert rows == expected_compounds(kg)


def test_result_cap_truncates_and_says_so(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    assert triple_count(kg) > CAP
    status, headers, body = http(endpoint, "POST", body=form("SELECT * WHERE { ?s ?p ?o }"),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == CAP
    assert headers["X-KMOA-Truncated"] == "true"


# -- ASK -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [True, False])
def test_ask_every_format(endpoint: Endpoint, answer: bool) -> None:
    kg = endpoint.kg
    compound = next(n for n in kg.nodes.values() if n.kind == "compound")
    label = compound.name if answer else compound.name + " (no such label)"
    query = f"ASK {{ <{iri(compound.id)}> rdfs:label {Literal(label).n3()} }}"
    assert wrapper(endpoint, query, JSON).query().convert()["boolean"] is answer
    document = wrapper(endpoint, query, XML).query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == str(answer).lower()
    for fmt in (CSV, TSV):
        raw = wrapper(endpoint, query, fmt).query().convert().decode()
        assert raw.split()[-1] == str(answer).lower()


# -- CONSTRUCT / DESCRIBE ------------------------------------------------------------------------


def expected_label_graph(kg: KnowledgeGraph) -> set[tuple[URIRef, URIRef, Literal]]:
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    return {(URIRef(node), label, Literal(name)) for node, name in expected_compounds(kg)}


@pytest.mark.parametrize(("fmt", "rdflib_format"), [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, "xml"),
                                                    (JSONLD, "json-ld")])
def test_construct_every_format(endpoint: Endpoint, fmt: str, rdflib_format: str) -> None:
    kg = endpoint.kg
    result = wrapper(endpoint, COMPOUND_GRAPH, fmt).query()
    raw = result.response.read()
    graph = Graph().parse(data=raw, format=rdflib_format)
    assert set(graph) == expected_label_graph(kg)


def test_construct_ntriples_and_default_turtle(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    query = "/sparql?" + urllib.parse.urlencode({"query": COMPOUND_GRAPH})
    status, headers, body = http(endpoint, "GET", query, headers={"Accept": "application/n-triples"})
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert set(Graph().parse(data=body, format="nt")) == expected_label_graph(kg)
    status, headers, body = http(endpoint, "GET", query)
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert set(Graph().parse(data=body, format="turtle")) == expected_label_graph(kg)


def test_describe(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    compound = next(n for n in kg.nodes.values() if n.kind == "compound")
    result = wrapper(endpoint, f"DESCRIBE <{iri(compound.id)}>", TURTLE).query()
    graph = Graph().parse(data=result.response.read(), format="turtle")
    labels = set(graph.objects(iri(compound.id), URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert labels == {Literal(compound.name)}


# -- refusals and errors -------------------------------------------------------------------------


def test_update_refused_and_graph_unchanged(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    before = wrapper(endpoint, COUNT_ALL, JSON).query().convert()["results"]["bindings"][0]["n"]["value"]
    update = "INSERT DATA { <http://example.org/x> <http://example.org/p> 'injected' }"
    client = wrapper(endpoint, update, JSON, "POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert b"read-only" in refused.value.read()
    status, _, body = http(endpoint, "POST", body=update.encode(),
                           headers={"Content-Type": "application/sparql-update"})
    assert status == 403 and b"not allowed" in body
    status, _, body = http(endpoint, "POST", body=form(update),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"not allowed" in body
    after = wrapper(endpoint, COUNT_ALL, JSON).query().convert()["results"]["bindings"][0]["n"]["value"]
    assert after == before == str(triple_count(kg))
    injected = wrapper(endpoint, "ASK { ?s ?p 'injected' }", JSON).query().convert()
    assert injected["boolean"] is False


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://127.0.0.1:9/data.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
])
def test_service_and_from_refused(endpoint: Endpoint, query: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        wrapper(endpoint, query, JSON).query()
    assert refused.value.code == 403
    message = refused.value.read().decode()
    assert "SERVICE" in message or "FROM" in message


def test_syntax_error_is_400_with_the_users_line(endpoint: Endpoint) -> None:
    with pytest.raises(QueryBadFormed) as bad:
        wrapper(endpoint, "SELECT ?x WHERE {\n  ?x ?y\n}", JSON).query()
    assert re.search(r"line [23]\b", str(bad.value))


def test_runaway_query_stopped_while_others_answer(endpoint: Endpoint) -> None:
    kg = endpoint.kg
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        outcome["runaway"] = http(endpoint, "POST", body=form(RUNAWAY),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})

    worker = threading.Thread(target=runaway)
    worker.start()
    # While the runaway is being evaluated, another query still answers.
    answered = wrapper(endpoint, COMPOUNDS, JSON).query().convert()
    worker.join(60)
    assert not worker.is_alive()
    rows = {(b["node"]["value"], b["label"]["value"]) for b in answered["results"]["bindings"]}
    assert rows == expected_compounds(kg)
    status, _, body = outcome["runaway"]
    assert status == 503
    assert b"stopped" in body
    # And the server keeps serving afterwards.
    assert wrapper(endpoint, "ASK { ?s ?p ?o }", JSON).query().convert()["boolean"] is True


# -- browser support -----------------------------------------------------------------------------


def test_cors_preflight_and_headers(endpoint: Endpoint) -> None:
    status, headers, _ = http(endpoint, "OPTIONS", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    status, headers, _ = http(endpoint, "GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}),
                              headers={"Origin": "http://example.org"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


def test_html_page_runs_its_example(endpoint: Endpoint) -> None:
    import html

    status, headers, body = http(endpoint, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert '<form id="f" action="/sparql"' in page
    example = html.unescape(re.search(r'<textarea name="query"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    data = wrapper(endpoint, example, JSON).query().convert()
    assert data["results"]["bindings"], "the example query should find something in the curated graph"
