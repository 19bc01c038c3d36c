"""Read-only, limits and concurrency of every SPARQL surface, tested adversarially.

The surfaces: `kmoa sparql` (the embedded graph), `kmoa serve sparql` with both stores (the curated
graph in memory and an on-disk Oxigraph store) and the explorer's query console function. A local
probe HTTP server stands in for "somewhere on the network": no query may ever reach it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.explorer import callbacks
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.graph.model import KnowledgeGraph
from tests.conftest import TINY_DATA
from tests.servers import SPARQL_STORES, Endpoint, snapshot, sparql_endpoint, start_endpoint, stop_endpoint
from tests.test_sparql_http import form, http

TINY = ("--data", str(TINY_DATA))  # the CLI tests need a graph, not the whole curated one

# -- the probe: a local HTTP server that records every request it gets ----------------------------


class Probe:
    """A local HTTP server standing in for any remote endpoint; it records what reaches it."""

    def __init__(self) -> None:
        seen: list[str] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                seen.append(f"{self.command} {self.path}")
                body = b'{"head": {"vars": []}, "results": {"bindings": [{}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _record  # noqa: N815 - stdlib naming

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    running = Probe()
    yield running
    running.close()


# Bypass attempts. ``{P}`` is the probe's base URL. Each must leave the probe untouched; those marked
# REFUSED must also be refused, because the engine that runs them reads a SERVICE, FROM or update in them.
REFUSED = "refused"
ANY = "answered or refused"
CORPUS: list[tuple[str, str, str]] = [
    ("plain SERVICE", REFUSED, "SELECT * WHERE { SERVICE <{P}/plain> { ?s ?p ?o } }"),
    ("comment ended by CR", REFUSED, "SELECT * WHERE {\n# c\r SERVICE <{P}/cr> { ?s ?p ?o }\n}"),
    ("comment ended by CRLF", REFUSED, "SELECT * WHERE {\n# c\r\n SERVICE <{P}/crlf> { ?s ?p ?o }\n}"),
    ("comment with U+2028", ANY, "SELECT * WHERE {\n# c\u2028 SERVICE <{P}/ls> { ?s ?p ?o }\n}"),
    ("comment with U+0085", ANY, "SELECT * WHERE {\n# c\u0085 SERVICE <{P}/nel> { ?s ?p ?o }\n}"),
    ("comment with form feed", ANY, "SELECT * WHERE {\n# c\f SERVICE <{P}/ff> { ?s ?p ?o }\n}"),
    ("comment with vertical tab", ANY, "SELECT * WHERE {\n# c\v SERVICE <{P}/vt> { ?s ?p ?o }\n}"),
    ("lower case", REFUSED, "select * where { service <{P}/lower> { ?s ?p ?o } }"),
    ("SERVICE SILENT", REFUSED, "SELECT * WHERE { SERVICE SILENT <{P}/silent> { ?s ?p ?o } }"),
    ("unicode escape in the keyword", ANY, "SELECT * WHERE { SERV\\u0049CE <{P}/escape> { ?s ?p ?o } }"),
    ("escaped IRI", ANY, "SELECT * WHERE { SERVICE <\\u0068ttp://127.0.0.1:{PORT}/iri-escape> { ?s ?p ?o } }"),
    ("prefixed service IRI", REFUSED, "PREFIX p: <{P}/> SELECT * WHERE { SERVICE p:prefixed { ?s ?p ?o } }"),
    ("relative to BASE", REFUSED, "BASE <{P}/> SELECT * WHERE { SERVICE <base> { ?s ?p ?o } }"),
    ("nested groups", REFUSED, "SELECT * WHERE { { OPTIONAL { { SERVICE <{P}/nested> { ?s ?p ?o } } } } }"),
    ("in a subquery", REFUSED, "SELECT * WHERE { { SELECT * WHERE { SERVICE <{P}/sub> { ?s ?p ?o } } } }"),
    ("in FILTER EXISTS", REFUSED, "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{P}/exists> { ?a ?b ?c } } }"),
    ("variable endpoint", REFUSED,
     "SELECT * WHERE { VALUES ?e { <{P}/variable> } SERVICE ?e { ?s ?p ?o } }"),
    ("after a long string", REFUSED,
     "SELECT * WHERE { BIND(\"\"\"# not a comment\r\"\"\" AS ?x) SERVICE <{P}/string> { ?s ?p ?o } }"),
    ("tab and no spaces", REFUSED, "SELECT*WHERE{SERVICE\t<{P}/tab>{?s ?p ?o}}"),
    ("ASK", REFUSED, "ASK { SERVICE <{P}/ask> { ?s ?p ?o } }"),
    ("CONSTRUCT", REFUSED, "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{P}/construct> { ?s ?p ?o } }"),
    ("CONSTRUCT WHERE short form", ANY, "CONSTRUCT WHERE { SERVICE <{P}/construct-where> { ?s ?p ?o } }"),
    ("DESCRIBE", REFUSED, "DESCRIBE ?s WHERE { SERVICE <{P}/describe> { ?s ?p ?o } }"),
    ("FROM", REFUSED, "SELECT * FROM <{P}/from> WHERE { ?s ?p ?o }"),
    ("FROM NAMED", REFUSED, "SELECT * FROM NAMED <{P}/named> WHERE { GRAPH ?g { ?s ?p ?o } }"),
    ("FROM after CR comment", REFUSED, "SELECT *\n# c\rFROM <{P}/from-cr>\nWHERE { ?s ?p ?o }"),
    ("LOAD", REFUSED, "LOAD <{P}/load>"),
    ("INSERT DATA", REFUSED, "INSERT DATA { <http://x/a> <http://x/b> 'injected' }"),
    ("DELETE WHERE", REFUSED, "DELETE WHERE { ?s ?p ?o }"),
    ("update after a comment", REFUSED, "# just a comment\r\nDROP ALL"),
    ("query then update", ANY, "SELECT * WHERE { ?s ?p ?o } ; DROP ALL"),
    ("update with SERVICE", REFUSED,
     "INSERT { <http://x/a> <http://x/b> ?o } WHERE { SERVICE <{P}/update> { ?s ?p ?o } }"),
]
# Queries that merely mention the words must still be answered.
INNOCENT = [
    "SELECT ?from WHERE { ?from a kmoa:Compound }",
    "SELECT ?x WHERE { ?x a kmoa:Compound # SERVICE <http://127.0.0.1:9/x> and FROM <x>\n }",
    "SELECT ?x WHERE { ?x rdfs:label ?l FILTER(?l != \"service from SERVICE FROM\") }",
    "SELECT ?x WHERE { ?x <http://example.org/service/from> ?y }",
]


def corpus_text(template: str, probe: Probe) -> str:
    return template.replace("{P}", probe.url).replace("{PORT}", str(probe.server.server_address[1]))


def assert_untouched(probe: Probe, name: str) -> None:
    assert probe.seen == [], f"{name}: the probe was fetched: {probe.seen}"


# -- the embedded graph: `kmoa sparql` --------------------------------------------------------------


@pytest.mark.parametrize(("name", "expect", "template"), CORPUS, ids=[c[0] for c in CORPUS])
def test_cli_bypass_corpus(probe: Probe, name: str, expect: str, template: str) -> None:
    probe.seen.clear()
    result = CliRunner().invoke(main, ["sparql", corpus_text(template, probe), "--timeout", "20", *TINY])
    assert_untouched(probe, name)
    assert "Traceback" not in result.output
    if expect == REFUSED:
        assert result.exit_code != 0, f"{name} was answered: {result.output}"
        assert re.search(r"refused|read-only", result.output), result.output


@pytest.mark.parametrize("query", INNOCENT)
def test_cli_answers_queries_that_only_mention_the_words(query: str) -> None:
    result = CliRunner().invoke(main, ["sparql", query, "--format", "json", *TINY])
    assert result.exit_code == 0, result.output
    json.loads(result.output)


def test_cli_construct_honours_limit() -> None:
    result = CliRunner().invoke(main, ["sparql", "CONSTRUCT WHERE { ?s ?p ?o }", "--limit", "5", *TINY])
    assert result.exit_code == 0, result.output
    from rdflib import Graph

    turtle = result.stdout if hasattr(result, "stdout") else result.output
    graph = Graph().parse(data=turtle.split("(truncated")[0], format="turtle")
    assert len(graph) == 5
    assert "truncated at 5" in result.output


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_cli_timeout_must_be_positive(value: str) -> None:
    result = CliRunner().invoke(main, ["sparql", "ASK {}", "--timeout", value])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "--timeout" in result.output


@pytest.mark.parametrize("value", ["0", "-5"])
def test_cli_limit_must_be_positive(value: str) -> None:
    result = CliRunner().invoke(main, ["sparql", "ASK {}", "--limit", value])
    assert result.exit_code == 2 and "--limit" in result.output


def test_cli_syntax_error_names_the_users_line() -> None:
    query = "SELECT ?x WHERE {\n  ?x a kmoa:Compound .\n  ?x ?y\n}"
    result = CliRunner().invoke(main, ["sparql", query, *TINY])
    assert result.exit_code == 1
    line = int(re.search(r"line (\d+)", result.output).group(1))  # type: ignore[union-attr]
    assert line == 4, result.output  # the closing brace, where the triple is found incomplete


def test_cli_deep_nesting_is_a_clear_error() -> None:
    query = "SELECT * WHERE " + "{" * 400 + " ?s ?p ?o " + "}" * 400
    result = CliRunner().invoke(main, ["sparql", query, *TINY])
    assert result.exit_code == 1 and "nested" in result.output and "Traceback" not in result.output


def test_embedded_timeout_kills_the_worker_that_ran_the_query(kg: KnowledgeGraph) -> None:
    from kmoa.graph.sparql import QueryTimeout
    from kmoa.loaders.stores.sparql_engine import QueryEngine, run_query

    engine = QueryEngine.for_graph(kg)
    try:
        assert run_query(engine, "ASK { ?s ?p ?o }").rows == [{"ask": True}]
        before = engine.worker_pids()
        with pytest.raises(QueryTimeout):
            run_query(engine, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=0.5)
        for pid in before:
            assert not _alive(pid), "the worker evaluating the stopped query still runs"
        assert run_query(engine, "ASK { ?s ?p ?o }").rows == [{"ask": True}]
    finally:
        engine.close()


def test_a_query_that_needs_too_much_memory_is_stopped(kg: KnowledgeGraph) -> None:
    """A 700-byte query that would build a 2 GiB string stops at the worker's memory limit."""
    from kmoa.graph.sparql import AnswerTooLarge
    from kmoa.loaders.stores.sparql_engine import QueryEngine, run_query

    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(28))
    query = f'SELECT (STRLEN(?v28) AS ?n) WHERE {{ BIND("aaaaaaaa" AS ?v0) {binds} }}'
    with QueryEngine.for_graph(kg, workers=1, memory_limit=768 << 20) as engine:
        with pytest.raises(AnswerTooLarge, match="memory"):
            run_query(engine, query, timeout=120)
        assert run_query(engine, "ASK { ?s ?p ?o }").rows == [{"ask": True}]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# -- the HTTP endpoint, both stores -------------------------------------------------------------------


@pytest.fixture(scope="module", params=SPARQL_STORES)
def endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    folder = tmp_path_factory.mktemp(f"safety-{request.param}")
    with sparql_endpoint(request.param, folder, timeout=3.0, limit=10_000) as running:
        yield running


def post_query(endpoint: Endpoint, query: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return http(endpoint, "POST", body=form(query), headers={"Content-Type": "application/x-www-form-urlencoded",
                                                             **headers})


@pytest.mark.parametrize(("name", "expect", "template"), CORPUS, ids=[c[0] for c in CORPUS])
def test_endpoint_bypass_corpus(endpoint: Endpoint, probe: Probe, name: str, expect: str, template: str) -> None:
    probe.seen.clear()
    text = corpus_text(template, probe)
    for status, _, body in (post_query(endpoint, text),
                            http(endpoint, "POST", body=text.encode(),
                                 headers={"Content-Type": "application/sparql-query"}),
                            http(endpoint, "GET", "/sparql?" + urllib.parse.urlencode({"query": text}))):
        assert_untouched(probe, name)
        assert status < 500, f"{name}: {status} {body[:300]!r}"
        if expect == REFUSED:
            assert 400 <= status < 500, f"{name} was answered"
            assert re.search(rb"refused|read-only", body), body
    # The store is what it was.
    status, _, body = post_query(endpoint, "ASK { ?s ?p 'injected' }")
    assert status == 200 and json.loads(body)["boolean"] is False


@pytest.mark.parametrize("query", INNOCENT)
def test_endpoint_answers_queries_that_only_mention_the_words(endpoint: Endpoint, query: str) -> None:
    status, _, body = post_query(endpoint, query)
    assert status == 200, body
    assert "results" in json.loads(body)


def test_catastrophic_regex_is_answered(endpoint: Endpoint) -> None:
    query = 'SELECT (REGEX("' + "a" * 28 + 'b", "^(a+)+$") AS ?m) WHERE {}'
    status, _, body = post_query(endpoint, query)
    assert status == 200, body
    assert json.loads(body)["results"]["bindings"][0]["m"]["value"] == "false"


def test_a_huge_values_block_is_parsed_under_the_timeout(endpoint: Endpoint) -> None:
    values = " ".join(str(i) for i in range(150_000))
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?x {{ {values} }} }}"
    assert len(query) > 800_000
    status, _, body = http(endpoint, "POST", body=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert status in (200, 503), body
    if status == 200:
        assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == 150_000


def test_deep_nesting_is_400(endpoint: Endpoint) -> None:
    for opener, closer, middle in (("{", "}", " ?s ?p ?o "), ("(", ")", "1")):
        body = ("SELECT * WHERE " + opener * 5000 + middle + closer * 5000 if opener == "{"
                else "SELECT * WHERE { FILTER(" + opener * 5000 + middle + closer * 5000 + ") }")
        status, _, answer = http(endpoint, "POST", body=body.encode(),
                                 headers={"Content-Type": "application/sparql-query"})
        assert status == 400 and b"nested" in answer, (status, answer[:200])
    status, _, _ = post_query(endpoint, "ASK { ?s ?p ?o }")
    assert status == 200


def test_answer_over_the_byte_cap_is_a_clear_error(endpoint: Endpoint) -> None:
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(23))
    query = f'SELECT ?v23 WHERE {{ BIND("aaaaaaaa" AS ?v0) {binds} }}'
    assert len(query) < 1000
    status, _, body = post_query(endpoint, query)
    assert status == 507, (status, body[:200])
    assert b"bytes" in body and len(body) < 1000


def _raw(endpoint: Endpoint, request: bytes, wait: float = 20.0) -> bytes:
    host, port = urllib.parse.urlsplit(endpoint.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        chunks: list[bytes] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "", "99999999999999999999999"])
def test_bad_content_length_is_400(endpoint: Endpoint, length: str) -> None:
    answer = _raw(endpoint, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                            b"Content-Length: " + length.encode() + b"\r\nConnection: close\r\n\r\nASK {}")
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 413), answer[:200]
    if length != "99999999999999999999999":
        assert status == 400
    assert b"Content-Length" in answer


def test_oversized_body_is_413(endpoint: Endpoint) -> None:
    status, _, body = http(endpoint, "POST", body=b"ASK {}" + b" " * (2 << 20),
                           headers={"Content-Type": "application/sparql-query"})
    assert status == 413 and b"bytes" in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unsupported_methods_are_405_with_allow(endpoint: Endpoint, method: str) -> None:
    status, headers, body = http(endpoint, method, "/sparql?query=ASK%20%7B%7D", body=b"",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 405, body
    assert set(re.split(r",\s*", headers["Allow"])) >= {"GET", "POST"}


def test_non_utf8_query_is_refused(endpoint: Endpoint) -> None:
    status, _, body = http(endpoint, "POST", body="ASK {}".encode("utf-16"),
                           headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert 400 <= status < 500 and b"UTF-8" in body
    status, _, body = http(endpoint, "POST", body=b"ASK { ?s ?p '\xff' }",
                           headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and b"UTF-8" in body


def _server_children(endpoint: Endpoint) -> set[int]:
    pid = endpoint.process.pid
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children |= {int(c) for c in text}
    return {c for c in children if _alive(c)}


def test_timed_out_query_stops_its_work(endpoint: Endpoint) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    post_query(endpoint, "ASK {}")
    before = _server_children(endpoint)
    assert before, "queries are evaluated in worker processes that can be stopped"
    status, _, body = post_query(endpoint, runaway)
    assert status == 503 and b"stopped" in body
    deadline = time.monotonic() + 20
    while before & _server_children(endpoint) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert before - _server_children(endpoint), "no worker was stopped"
    status, _, _ = post_query(endpoint, "ASK { ?s ?p ?o }")
    assert status == 200


# -- idle connections, with a short idle timeout -------------------------------------------------------


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    folder = tmp_path_factory.mktemp("safety-idle")
    running = start_endpoint("memory", folder / "server.log", snapshot(folder), extra=("--idle-timeout", "1"))
    yield running
    stop_endpoint(running)


@pytest.mark.parametrize("partial", [b"", b"GET /spar", b"POST /sparql HTTP/1.1\r\nContent-Length: 100\r\n\r\nquery="])
def test_idle_connection_gets_408(impatient: Endpoint, partial: bytes) -> None:
    answer = _raw(impatient, partial)
    assert answer.startswith(b"HTTP/1.") and b" 408 " in answer.split(b"\r\n", 1)[0], answer[:200]


# -- concurrency ---------------------------------------------------------------------------------------

LOAD_QUERIES = [
    "SELECT ?c ?name WHERE { ?c a kmoa:Compound ; rdfs:label ?name } ORDER BY ?c",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }",
    "ASK { ?s a kmoa:Claim }",
    "SELECT ?claim WHERE { ?claim a kmoa:Claim ; kmoa:evidence_type ?e } ORDER BY ?claim LIMIT 30",
    "SELECT ?t (COUNT(?x) AS ?n) WHERE { ?x a ?t } GROUP BY ?t ORDER BY ?t",
]
CLIENTS, PER_CLIENT = 50, 20


def _normalise(body: bytes) -> Any:
    data = json.loads(body)
    if "boolean" in data:
        return data["boolean"]
    return [sorted(b.items()) for b in data["results"]["bindings"]]


def _load(ask: Any) -> tuple[list[str], dict[int, list[Any]]]:
    """CLIENTS threads x PER_CLIENT queries; returns the errors and every answer per query."""
    errors: list[str] = []
    answers: dict[int, list[Any]] = {i: [] for i in range(len(LOAD_QUERIES))}
    lock = threading.Lock()

    def client(number: int) -> None:
        for i in range(PER_CLIENT):
            which = (number + i) % len(LOAD_QUERIES)
            try:
                answer = ask(LOAD_QUERIES[which])
            except Exception as err:
                with lock:
                    errors.append(f"{type(err).__name__}: {err}")
                continue
            with lock:
                answers[which].append(answer)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return errors, answers


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_fifty_concurrent_clients(store: str, tmp_path: Path) -> None:
    spec = "memory" if store == "memory" else f"oxigraph:{tmp_path / 'store'}"
    running = start_endpoint(spec, tmp_path / "server.log", snapshot(tmp_path), timeout=30.0, limit=10_000)
    try:
        def ask(query: str) -> Any:
            status, _, body = post_query(running, query)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
            return _normalise(body)

        errors, answers = _load(ask)  # the burst comes first, on a fresh server
        assert errors == [], f"{len(errors)} errors, e.g. {errors[:3]}"
        for which, query in enumerate(LOAD_QUERIES):
            single = ask(query)
            assert len(answers[which]) == CLIENTS * PER_CLIENT // len(LOAD_QUERIES)
            assert all(a == single for a in answers[which]), f"a concurrent answer differs for {query}"
    finally:
        stop_endpoint(running)


def _console_text(out: dict[str, Any]) -> str:
    return json.dumps(out["results"], default=lambda c: c.to_plotly_json(), sort_keys=True) + repr(
        out["message"].children)


def test_fifty_concurrent_console_users(kg: KnowledgeGraph) -> None:
    data = prepare(kg)

    def ask(query: str) -> str:
        out = callbacks.run_console(data, "sparql", query)
        if "notice-ok" not in out["message"].className:
            raise RuntimeError(out["message"].children)
        return _console_text(out)

    errors, answers = _load(ask)
    assert errors == [], f"{len(errors)} errors, e.g. {errors[:3]}"
    for which, query in enumerate(LOAD_QUERIES):
        single = ask(query)
        assert all(a == single for a in answers[which]), f"a concurrent answer differs for {query}"


# -- the explorer console ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def console_data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


@pytest.mark.parametrize(("name", "expect", "template"), CORPUS, ids=[c[0] for c in CORPUS])
def test_console_bypass_corpus(console_data: ExplorerData, probe: Probe, name: str, expect: str,
                               template: str) -> None:
    probe.seen.clear()
    out = callbacks.run_console(console_data, "sparql", corpus_text(template, probe))
    assert_untouched(probe, name)
    message = str(out["message"].children)
    if expect == REFUSED:
        assert "notice-error" in out["message"].className, f"{name} was answered: {message}"
        assert re.search(r"refused|read-only", message), message


def test_console_catastrophic_regex_is_answered(console_data: ExplorerData) -> None:
    query = 'SELECT (REGEX("' + "a" * 28 + 'b", "^(a+)+$") AS ?m) WHERE {}'
    out = callbacks.run_console(console_data, "sparql", query)
    assert "notice-ok" in out["message"].className, out["message"].children


def test_endpoint_listen_backlog_fits_the_load() -> None:
    from kmoa.loaders.servers.sparql_server import SparqlHTTPServer

    assert SparqlHTTPServer.request_queue_size >= CLIENTS


def test_worker_processes_cannot_open_sockets(kg: KnowledgeGraph, probe: Probe) -> None:
    """Even a query the classification missed could not reach the network: the evaluating process has none."""
    from kmoa.loaders.stores.sparql_engine import QueryEngine

    probe.seen.clear()
    engine = QueryEngine.for_graph(kg, workers=1)
    try:
        outcome = engine.network_check(probe.url)
    finally:
        engine.close()
    assert_untouched(probe, "socket from a worker")
    assert "PermissionError" in outcome, outcome

