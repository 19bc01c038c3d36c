"""The W3C SPARQL 1.1 Protocol tests (tests/fixtures/w3c-sparql11-protocol) against `kmoa serve sparql`.

Each test of the manifest is a sequence of HTTP requests with the expected status class and, for
some, the expected boolean or result format. They run against both stores. The endpoint is
read-only and serves its own data, so two groups of tests are refused by design, with a 4xx answer
that says why: update tests (an update request) and dataset tests (the dataset named through
``default-graph-uri``/``named-graph-uri`` or ``FROM`` and loaded from the test's data files). The
README lists them; a test here checks that it does.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection

from tests.servers import SPARQL_STORES, Endpoint, raw_request, sparql_endpoint

FIXTURE = Path(__file__).parent / "fixtures" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
README = Path(__file__).parent.parent / "README.md"


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    statuses: set[int]  # expected status classes: 2, 3, 4
    boolean: bool | None = None
    result_format: str | None = None


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[Request]
    graph_data: list[str] = field(default_factory=list)

    @property
    def updates(self) -> bool:
        """Whether a request of the test is a SPARQL update that the test expects to succeed."""
        for request in self.requests:
            media = request.headers.get("content-type", "")
            form = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
            if request.body and media.startswith("application/x-www-form-urlencoded"):
                form.update(urllib.parse.parse_qs(request.body.decode("utf-8", "replace")))
            if (media.startswith("application/sparql-update") or "update" in form) and 2 in request.statuses:
                return True
        return False

    @property
    def refused_by_design(self) -> bool:
        """Update tests, and tests whose dataset is loaded from their data files through the protocol."""
        return self.updates or bool(self.graph_data)


def _load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(FIXTURE / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    tests = []
    entries = graph.value(manifest, MF.entries)
    assert entries is not None
    for entry in Collection(graph, entries):
        assert isinstance(entry, URIRef)
        action = graph.value(entry, MF.action)
        requests = []
        request_list = graph.value(action, HT.requests)
        assert request_list is not None
        for node in Collection(graph, request_list):
            headers = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
            body_node = graph.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            statuses = {int(str(s).rsplit("StatusCode", 1)[1][0]) for s in graph.objects(response, MF.expectedStatus)}
            boolean: Any = graph.value(response, MF.expectedBoolean)
            result_format = graph.value(response, MF.expectedFormat)
            requests.append(Request(str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)),
                                    body, headers, statuses, None if boolean is None else bool(boolean.toPython()),
                                    None if result_format is None else str(result_format)))
        data = [str(graph.value(d, UT.graph)) for d in graph.objects(entry, UT.graphData)]
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)), requests, data))
    return tests


TESTS = _load_manifest()


@pytest.fixture(scope="module", params=SPARQL_STORES)
def endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with sparql_endpoint(request.param, tmp_path_factory.mktemp(f"w3c-{request.param}")) as running:
        yield running


def send(endpoint: Endpoint, request: Request) -> tuple[int, dict[str, str], bytes]:
    """Send the request exactly as the manifest gives it."""
    return raw_request(endpoint.url, request.method, request.path, request.headers, request.body)


def test_the_manifest_is_read_whole() -> None:
    names = [t.name for t in TESTS]
    assert len(names) == 34 and len(set(names)) == 34
    assert all(t.requests and all(r.statuses for r in t.requests) for t in TESTS)


@pytest.mark.parametrize("test", [t for t in TESTS if not t.refused_by_design], ids=lambda t: t.name)
def test_protocol(endpoint: Endpoint, test: ProtocolTest) -> None:
    for request in test.requests:
        status, headers, body = send(endpoint, request)
        assert status // 100 in request.statuses, f"{test.title}: HTTP {status} {body[:300]!r}"
        if status >= 400:
            assert body.strip(), "an error answer says what went wrong"
            continue
        media = headers.get("content-type", "").split(";")[0]
        if request.result_format == "boolean" or request.boolean is not None:
            assert media in ("application/sparql-results+json", "application/sparql-results+xml")
            if request.boolean is not None:
                assert json.loads(body)["boolean"] is request.boolean
        elif request.result_format == "tabular":
            assert media in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                             "text/tab-separated-values")
            assert json.loads(body)["head"]["vars"]
        elif request.result_format == "RDF":
            assert media in ("application/rdf+xml", "text/turtle", "application/n-triples")
            Graph().parse(data=body, format={"application/rdf+xml": "xml", "text/turtle": "turtle",
                                             "application/n-triples": "nt"}[media])


@pytest.mark.parametrize("test", [t for t in TESTS if t.refused_by_design], ids=lambda t: t.name)
def test_refused_by_design(endpoint: Endpoint, test: ProtocolTest) -> None:
    status, _, body = send(endpoint, test.requests[0])
    assert 400 <= status < 500, f"{test.title}: HTTP {status}"
    message = body.decode("utf-8")
    assert ("read-only" if test.updates else "graph") in message, message


def test_readme_lists_the_tests_refused_by_design() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("refused by design"):]
    missing = [t.name for t in TESTS if t.refused_by_design and f"`{t.name}`" not in section]
    assert missing == []
