"""Push to a real Oxigraph server process, then query it with `kmoa sparql --endpoint` (no mocks).

The `oxigraph` PyPI package ships the server; it is started on a free port for this module.
Every named query must give the same answers remotely as on the embedded rdflib graph.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.graph.sparql import named_queries
from kmoa.loaders.formats.rdf import to_rdf
from kmoa.loaders.stores.sparql_engine import run_query
from kmoa.loaders.stores.sparql_remote import CURATED_GRAPH, RemoteEndpointError, push_graph, query_endpoint
from tests.servers import free_port, snapshot, start_oxigraph, stop

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@dataclass
class OxigraphServer:
    base: str
    process: subprocess.Popen[bytes]

    @property
    def store(self) -> str:
        return self.base + "/store"

    @property
    def query(self) -> str:
        return self.base + "/query"

    @property
    def curated_query(self) -> str:
        """The query endpoint scoped to the pushed named graph by the protocol's default-graph-uri."""
        return self.query + "?" + urllib.parse.urlencode({"default-graph-uri": CURATED_GRAPH})


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    base, process = start_oxigraph(tmp_path_factory.mktemp("oxigraph-server"))
    yield OxigraphServer(base, process)
    stop(process)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot(tmp_path_factory.mktemp("remote-data"))


@pytest.fixture(scope="module")
def snapshot_kg(data_dir: Path) -> KnowledgeGraph:
    return load_graph(data_dir)


@pytest.fixture(scope="module")
def pushed(oxigraph_server: OxigraphServer, data_dir: Path) -> OxigraphServer:
    """The curated graph pushed with `kmoa push sparql` into its named graph."""
    result = CliRunner().invoke(main, ["push", "sparql", "--endpoint", oxigraph_server.store,
                                       "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "HTTP 20" in result.output
    return oxigraph_server


def cli_json(*args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["sparql", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def test_named_queries_exist() -> None:
    assert named_queries(), "graph/queries should hold at least one named query"


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_same_remote_as_embedded(pushed: OxigraphServer, data_dir: Path, name: str) -> None:
    embedded = cli_json("-n", name, "--data", str(data_dir))
    remote = cli_json("-n", name, "--endpoint", pushed.curated_query)
    assert canonical(remote) == canonical(embedded)


def test_union_default_graph_gives_the_same_answers(pushed: OxigraphServer, snapshot_kg: KnowledgeGraph) -> None:
    union = pushed.query + "?union-default-graph"
    answered = 0
    for query in named_queries().values():
        embedded = run_query(to_rdf(snapshot_kg), query.sparql)
        remote = query_endpoint(union, query.sparql)
        assert canonical(remote.rows) == canonical(embedded.rows), query.name
        answered += bool(remote.rows)
    assert answered, "at least one named query should find something in the curated graph"


def test_pushed_into_the_named_graph_only(pushed: OxigraphServer, snapshot_kg: KnowledgeGraph) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graph = query_endpoint(pushed.curated_query, count).rows[0]["n"]
    assert in_graph == len(to_rdf(snapshot_kg))
    assert query_endpoint(pushed.query, "ASK { ?s ?p ?o }").rows == [{"ask": False}]
    graphs = query_endpoint(pushed.query, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert {row["g"] for row in graphs} == {CURATED_GRAPH}


def test_push_replaces_rather_than_duplicates(pushed: OxigraphServer, snapshot_kg: KnowledgeGraph) -> None:
    graph = to_rdf(snapshot_kg)
    assert push_graph(pushed.store, graph) in (200, 201, 204)
    count = query_endpoint(pushed.curated_query, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"]
    assert count == len(graph)


def test_construct_comes_back_as_a_graph(pushed: OxigraphServer, snapshot_kg: KnowledgeGraph) -> None:
    query = "CONSTRUCT { ?n rdfs:label ?l } WHERE { ?n a kmoa:Compound ; rdfs:label ?l }"
    remote = query_endpoint(pushed.curated_query, query)
    embedded = run_query(to_rdf(snapshot_kg), query)
    assert remote.kind == "CONSTRUCT"
    assert set(remote.graph) == set(embedded.graph)
    assert len(remote.graph) == sum(1 for n in snapshot_kg.nodes.values() if n.kind == "compound")


def test_limit_caps_remote_rows(pushed: OxigraphServer) -> None:
    result = query_endpoint(pushed.curated_query, "SELECT * WHERE { ?s ?p ?o }", limit=7)
    assert len(result.rows) == 7 and result.truncated


def test_updates_never_leave_the_machine(pushed: OxigraphServer) -> None:
    before = query_endpoint(pushed.curated_query, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    result = CliRunner().invoke(main, ["sparql", "--endpoint", pushed.query,
                                       "INSERT DATA { GRAPH <https://w3id.org/kmoa/graph/curated> "
                                       "{ <http://example.org/x> <http://example.org/p> 1 } }"])
    assert result.exit_code != 0
    assert "not allowed" in result.output
    result = CliRunner().invoke(main, ["sparql", "--endpoint", pushed.query,
                                       "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"])
    assert result.exit_code != 0 and "SERVICE" in result.output
    after = query_endpoint(pushed.curated_query, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    assert after == before


def test_remote_timeout_is_reported(pushed: OxigraphServer) -> None:
    result = CliRunner().invoke(main, ["sparql", "--endpoint", pushed.curated_query, "--timeout", "1", RUNAWAY])
    assert result.exit_code != 0
    assert "within 1 s" in result.output or "after the timeout" in result.output


def test_unreachable_endpoint_is_a_clear_error() -> None:
    port = free_port()
    with pytest.raises(RemoteEndpointError, match="cannot reach"):
        query_endpoint(f"http://127.0.0.1:{port}/query", "ASK { ?s ?p ?o }", timeout=5)


def test_remote_http_error_carries_the_servers_message(pushed: OxigraphServer) -> None:
    with pytest.raises(RemoteEndpointError, match="HTTP 404"):
        query_endpoint(pushed.base + "/no-such-endpoint", "ASK { ?s ?p ?o }")


def test_push_a_whole_store(oxigraph_server: OxigraphServer, tmp_path: Path,
                            snapshot_kg: KnowledgeGraph) -> None:
    from kmoa.loaders.stores.oxigraph_store import build_store

    store = build_store(tmp_path / "store", snapshot_kg)
    result = CliRunner().invoke(main, ["push", "sparql", "--endpoint", oxigraph_server.store,
                                       "--store", f"oxigraph:{store}"])
    assert result.exit_code == 0, result.output
    assert f"<{CURATED_GRAPH}>" in result.output
    count = query_endpoint(oxigraph_server.curated_query, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    assert count[0]["n"] == len(to_rdf(snapshot_kg))


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """Answers /sparql with one empty SPARQL JSON result; every other path redirects to `target`."""

    target = ""
    seen: list[tuple[str, str | None]] = []

    def _answer(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/sparql"):
            body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
        else:
            body = b""
            self.send_response(302)
            self.send_header("Location", type(self).target)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def redirecting() -> Iterator[tuple[type[_Redirecting], int]]:
    handler = type("Handler", (_Redirecting,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_do_not_follow_a_redirect_to_another_host(redirecting: tuple[type[_Redirecting], int]) -> None:
    handler, port = redirecting
    handler.target = f"http://localhost:{port}/sparql"  # the same server under another host name
    query_endpoint(f"http://127.0.0.1:{port}/query", "SELECT ?x WHERE { ?x ?p ?o }", user="u", password="secret")
    (first, first_auth), (second, second_auth) = handler.seen
    assert first == "/query" and first_auth is not None and first_auth.startswith("Basic ")
    assert second == "/sparql" and second_auth is None


def test_credentials_follow_a_redirect_on_the_same_origin(redirecting: tuple[type[_Redirecting], int]) -> None:
    handler, port = redirecting
    handler.target = "/sparql"
    query_endpoint(f"http://127.0.0.1:{port}/query", "SELECT ?x WHERE { ?x ?p ?o }", user="u", password="secret")
    assert [auth is not None for _, auth in handler.seen] == [True, True]


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/etc/passwd", "file:///etc/passwd", "data:,x"])
def test_a_redirect_away_from_http_is_refused(redirecting: tuple[type[_Redirecting], int], target: str) -> None:
    handler, port = redirecting
    handler.target = target
    with pytest.raises(RemoteEndpointError) as refused:
        query_endpoint(f"http://127.0.0.1:{port}/query", "SELECT ?x WHERE { ?x ?p ?o }")
    assert target in str(refused.value) and ("not http" in str(refused.value) or "not allowed" in str(refused.value))
    assert [path for path, _ in handler.seen] == ["/query"]
