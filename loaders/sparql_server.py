"""A read-only SPARQL 1.1 Protocol endpoint at ``/sparql`` over the curated graph or an Oxigraph store.

* Queries by ``GET ?query=``, form-encoded ``POST`` and ``POST`` with ``application/sparql-query``.
* Results as SPARQL JSON, XML, CSV or TSV; graphs (CONSTRUCT/DESCRIBE) as Turtle, N-Triples,
  RDF/XML or JSON-LD, chosen by the ``Accept`` header or a ``format`` parameter (JSON and Turtle
  by default).
* Updates are refused with 403; ``SERVICE`` and ``FROM``/``FROM NAMED`` with 403 too
  (``graph.sparql.check_read_only``), so a query cannot make the server fetch URLs.
* Every query has a timeout (503 when it is stopped) and a result cap (``X-KMOA-Truncated``).
  rdflib queries run in a thread interrupted with an asynchronous exception, Oxigraph queries in
  worker processes that are killed (see ``loaders.oxigraph_store.OxigraphQueryPool``).
* CORS headers on every answer, ``OPTIONS`` preflight, and an HTML page at ``/`` with an example.

The standard library's ``ThreadingHTTPServer`` serves each request in its own thread.
"""

from __future__ import annotations

import csv
import html
import io
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from xml.sax.saxutils import escape, quoteattr

from graph.sparql import PREFIXES, QueryRefused, QuerySyntaxError, QueryTimeout, call_with_timeout, check_read_only
from loaders.sparql_remote import CURATED_GRAPH, QUERY_KINDS

if TYPE_CHECKING:
    from rdflib import Graph

MAX_BODY = 1 << 20
READ_ONLY = "SPARQL updates are not allowed: this endpoint is read-only."
# Predeclared prefixes; syntax-error line numbers are shifted back to the user's query.
PREFIX_LINES = PREFIXES.count("\n")
RESULT_TYPES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle", "nt": "application/n-triples", "xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
}
# Media types (and short names of the ``format`` parameter) -> result format / graph format.
RESULT_ALIASES = {
    "application/sparql-results+json": "json", "application/json": "json", "text/javascript": "json",
    "application/javascript": "json", "json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml", "xml": "xml",
    "text/csv": "csv", "csv": "csv", "text/tab-separated-values": "tsv", "tsv": "tsv",
}
GRAPH_ALIASES = {
    "text/turtle": "turtle", "application/turtle": "turtle", "application/x-turtle": "turtle",
    "turtle": "turtle", "ttl": "turtle", "text/n3": "turtle", "n3": "turtle", "text/rdf+n3": "turtle",
    "application/n-triples": "nt", "text/plain": "nt", "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "application/rdf+xml": "xml", "rdf+xml": "xml", "rdfxml": "xml", "xml": "xml", "application/xml": "xml",
    "application/ld+json": "json-ld", "json-ld": "json-ld", "jsonld": "json-ld", "json": "json-ld",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "X-KMOA-Truncated, X-KMOA-Result-Cap",
    "Access-Control-Max-Age": "86400",
}
EXAMPLE_QUERY = """# What do ketamine and its relatives act on, and how?
SELECT ?compound ?predicate ?target ?targetLabel WHERE {
  ?compound a kmoa:Compound ;
            ?predicate ?target .
  ?target rdfs:label ?targetLabel .
  FILTER(STRSTARTS(STR(?predicate), STR(kmoa:)))
}
ORDER BY ?compound ?predicate
LIMIT 25
"""


class BoundedCache:
    """A small thread-safe LRU map (parsed queries), owned by one server or backend."""

    def __init__(self, size: int = 256):
        from collections import OrderedDict

        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, make: Any) -> Any:
        """The cached value for ``key``, made with ``make()`` (outside the lock) when missing."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


class HttpError(Exception):
    """An error answer: status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Answer:
    """A query answer in rdflib terms, whatever store produced it."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False


class Backend(Protocol):
    """A store the endpoint can ask."""

    description: str

    def answer(self, text: str, kind: str, timeout: float, limit: int, default_graph: str | None) -> Answer:
        """Evaluate a read-only query (already checked) with a timeout and a result cap."""

    def close(self) -> None:
        """Release the store."""


# -- rdflib backend --------------------------------------------------------------------------------


def _capped_graph(source: Graph, limit: int) -> tuple[Graph, bool]:
    from rdflib import Graph

    if len(source) <= limit:
        return source, False
    out = Graph(namespace_manager=source.namespace_manager)
    for i, triple in enumerate(source):
        if i >= limit:
            break
        out.add(triple)
    return out, True


def evaluate_rdflib(graph: Graph, query: Any, limit: int) -> Answer:
    """Evaluate a query (text or prepared) on an rdflib graph, keeping terms, capped at ``limit``."""
    result = graph.query(query)
    if result.type == "ASK":
        return Answer("ASK", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        from rdflib import Graph

        capped, truncated = _capped_graph(result.graph if result.graph is not None else Graph(), limit)
        return Answer(result.type, graph=capped, truncated=truncated)
    variables = [str(v) for v in result.vars or []]
    rows: list[dict[str, Any]] = []
    for row in result:
        if len(rows) >= limit:
            return Answer("SELECT", variables, rows, truncated=True)
        values: Any = row
        rows.append({v: values[v] for v in variables})
    return Answer("SELECT", variables, rows)


@dataclass
class MemoryBackend:
    """The curated graph in rdflib, in memory."""

    graph: Any
    description: str = "curated graph (rdflib, in memory)"
    prepared: BoundedCache = field(default_factory=BoundedCache, repr=False)

    def answer(self, text: str, kind: str, timeout: float, limit: int, default_graph: str | None) -> Answer:
        """Evaluate in a thread that is interrupted at the timeout (parsed queries are cached)."""
        from rdflib.plugins.sparql import prepareQuery

        if default_graph not in (None, CURATED_GRAPH):
            raise HttpError(HTTPStatus.BAD_REQUEST, f"unknown graph <{default_graph}>; this store holds only "
                                                    f"<{CURATED_GRAPH}>")

        def work() -> Answer:
            return evaluate_rdflib(self.graph, self.prepared.get(text, lambda: prepareQuery(text)), limit)

        return call_with_timeout(work, timeout)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Nothing to release."""


# -- Oxigraph backend ------------------------------------------------------------------------------


def rdflib_term(term: tuple[Any, ...] | None) -> Any:
    """Convert a worker's term tuple (see ``loaders.oxigraph_store``) to an rdflib term."""
    from rdflib import XSD, BNode, Literal, URIRef

    if term is None:
        return None
    if term[0] == "uri":
        return URIRef(term[1])
    if term[0] == "bnode":
        return BNode(term[1])
    _, value, datatype, language = term
    if language:
        return Literal(value, lang=language)
    if datatype in (None, str(XSD.string)):
        return Literal(value)
    return Literal(value, datatype=URIRef(datatype))


@dataclass
class OxigraphBackend:
    """An on-disk Oxigraph store, queried by worker processes (default graph = union of all graphs)."""

    path: Path
    workers: int = 2
    description: str = ""
    pool: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from loaders.oxigraph_store import OxigraphQueryPool

        self.pool = OxigraphQueryPool(self.path, workers=self.workers)
        self.description = (self.description
                            or f"Oxigraph store {self.path} (default graph = union of all graphs)")

    def answer(self, text: str, kind: str, timeout: float, limit: int, default_graph: str | None) -> Answer:
        """Evaluate in a worker process that is killed at the timeout."""
        from loaders.oxigraph_store import StoreError

        try:
            result = self.pool.query(text, timeout, limit, default_graph)
        except StoreError as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err)) from None
        if result[0] == "ASK":
            return Answer("ASK", boolean=result[1])
        if result[0] == "SELECT":
            _, names, rows, truncated = result
            return Answer("SELECT", names, [{n: rdflib_term(t) for n, t in zip(names, row, strict=True)}
                                            for row in rows], truncated=truncated)
        from rdflib import Graph

        graph = Graph()
        graph.parse(data=result[1], format="nt")
        for prefix, namespace in _prefix_map().items():
            graph.bind(prefix, namespace, override=False)
        return Answer(kind, graph=graph, truncated=result[2])

    def close(self) -> None:
        """Stop the worker processes."""
        self.pool.close()


def _prefix_map() -> dict[str, str]:
    out = {}
    for line in PREFIXES.splitlines():
        if line.startswith("PREFIX "):
            name, iri = line[len("PREFIX "):].split(" ", 1)
            out[name.rstrip(":")] = iri.strip().strip("<>")
    return out


# -- serialisation ---------------------------------------------------------------------------------


def _json_term(term: Any) -> dict[str, str]:
    from rdflib import BNode, Literal

    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "uri", "value": str(term)}


def _xml_term(term: Any) -> str:
    from rdflib import BNode, Literal

    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
        if term.datatype is not None:
            return f"<literal datatype={quoteattr(str(term.datatype))}>{escape(str(term))}</literal>"
        return f"<literal>{escape(str(term))}</literal>"
    return f"<uri>{escape(str(term))}</uri>"


def _csv_value(term: Any) -> str:
    from rdflib import BNode

    if term is None:
        return ""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _tsv_value(term: Any) -> str:
    from rdflib import BNode, Literal

    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    return f"<{term}>"


def serialize_results(answer: Answer, fmt: str) -> bytes:
    """SELECT or ASK results in a SPARQL 1.1 results format: json, xml, csv or tsv."""
    if fmt == "json":
        if answer.kind == "ASK":
            return json.dumps({"head": {}, "boolean": answer.boolean}).encode()
        bindings = [{v: _json_term(t) for v, t in row.items() if t is not None} for row in answer.rows]
        return json.dumps({"head": {"vars": answer.variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        head = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        if answer.kind == "ASK":
            return f"{head}<head/><boolean>{str(answer.boolean).lower()}</boolean></sparql>\n".encode()
        parts = [head, "<head>", *(f"<variable name={quoteattr(v)}/>" for v in answer.variables),
                 "</head><results>"]
        for row in answer.rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                      for v, t in row.items() if t is not None]
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if answer.kind == "ASK":
            writer.writerows([["boolean"], [str(answer.boolean).lower()]])
        else:
            writer.writerow(answer.variables)
            writer.writerows([[_csv_value(row.get(v)) for v in answer.variables] for row in answer.rows])
        return buffer.getvalue().encode("utf-8")
    if answer.kind == "ASK":
        return f"?boolean\n{str(answer.boolean).lower()}\n".encode()
    lines = ["\t".join(f"?{v}" for v in answer.variables)]
    lines += ["\t".join(_tsv_value(row.get(v)) for v in answer.variables) for row in answer.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_graph(graph: Graph, fmt: str) -> bytes:
    """Serialise a CONSTRUCT/DESCRIBE graph as turtle, nt, xml (RDF/XML) or json-ld."""
    data = graph.serialize(format=fmt, encoding="utf-8")
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def _accepted(accept: str) -> list[str]:
    """Media types of an Accept header, best first (q-values honoured, q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, i, media.lower()))
    return [media for _, _, media in sorted(ranked)]


def negotiate(kind: str, accept: str | None, format_params: list[str]) -> tuple[str, str]:
    """(format, media type) for a query kind from ``format``/``output`` parameters, then Accept."""
    aliases, types, default = ((RESULT_ALIASES, RESULT_TYPES, "json") if kind in ("SELECT", "ASK")
                               else (GRAPH_ALIASES, GRAPH_TYPES, "turtle"))
    for value in format_params:
        fmt = aliases.get(value.strip().lower())
        if fmt:
            return fmt, types[fmt]
    for media in _accepted(accept or ""):
        fmt = aliases.get(media)
        if fmt:
            return fmt, types[fmt]
    # No Accept header, */*, or nothing we serve: answer in the default format rather than 406.
    return default, types[default]


# -- HTTP --------------------------------------------------------------------------------------------


def index_page(endpoint: str, description: str) -> bytes:
    """Render the HTML page at ``/``: what this is, and a form that runs the example query."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kmoa SPARQL endpoint</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
textarea{{width:100%;font-family:monospace}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2rem .4rem;font-size:.9rem}}</style></head>
<body><h1>kmoa SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 over the {html.escape(description)}. Send queries to
<code>{html.escape(endpoint)}</code> by GET <code>?query=</code> or POST. The prefixes
<code>kmoa: claim: biolink: rdfs: CHEBI: GO: MONDO: EFO: ...</code> are predeclared. Updates,
<code>SERVICE</code> and <code>FROM</code> are refused; queries have a timeout and a result cap.</p>
<form id="f" action="/sparql" method="get">
<textarea name="query" rows="12">{html.escape(EXAMPLE_QUERY)}</textarea>
<p><label>Format <select name="format"><option>json</option><option>xml</option><option>csv</option>
<option>tsv</option><option>turtle</option><option>ntriples</option></select></label>
<button type="submit">Run query</button></p></form>
<div id="out"></div>
<script>
document.getElementById("f").addEventListener("submit", async (e) => {{
  if (e.target.format.value !== "json") return;
  e.preventDefault();
  const out = document.getElementById("out");
  const r = await fetch("/sparql", {{method: "POST",
    body: new URLSearchParams({{query: e.target.query.value}}),
    headers: {{Accept: "application/sparql-results+json, text/turtle"}}}});
  const text = await r.text();
  if (!r.ok || !(r.headers.get("Content-Type") || "").includes("json")) {{
    out.textContent = text; out.style.whiteSpace = "pre"; return; }}
  const data = JSON.parse(text);
  if ("boolean" in data) {{ out.textContent = String(data.boolean); return; }}
  const vars = data.head.vars, t = document.createElement("table");
  t.insertRow().append(...vars.map(v => {{
    const th = document.createElement("th"); th.textContent = v; return th; }}));
  for (const b of data.results.bindings) {{
    const row = t.insertRow();
    vars.forEach(v => {{ row.insertCell().textContent = b[v] ? b[v].value : ""; }});
  }}
  out.replaceChildren(t);
}});
</script></body></html>
""".encode()


class SparqlHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the backend and the limits."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend, timeout: float, limit: int,
                 max_concurrent: int = 8, quiet: bool = False):
        super().__init__(address, SparqlHandler)
        self.backend = backend
        self.query_timeout = timeout
        self.limit = limit
        self.quiet = quiet
        self.slots = threading.BoundedSemaphore(max_concurrent)
        self.kinds = BoundedCache()

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


class SparqlHandler(BaseHTTPRequestHandler):
    """``/`` (HTML), ``/sparql`` (GET, POST, OPTIONS)."""

    server: SparqlHTTPServer
    server_version = "kmoa-sparql/0.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Log a request unless the server is quiet."""
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**CORS_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def do_OPTIONS(self) -> None:  # noqa: N802 - stdlib naming
        """CORS preflight."""
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")

    def do_GET(self) -> None:  # noqa: N802
        """Answer the HTML page, or a query in ``?query=``."""
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            page = index_page(self.server.url + "/sparql", self.server.backend.description)
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            return
        if url.path != "/sparql":
            self._error(HTTPStatus.NOT_FOUND, f"no such resource {url.path}; the endpoint is /sparql")
            return
        self._handle(urllib.parse.parse_qs(url.query, keep_blank_values=True), None)

    def do_POST(self) -> None:  # noqa: N802
        """Answer a query posted as a form or as ``application/sparql-query``; refuse updates."""
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/sparql":
            self._error(HTTPStatus.NOT_FOUND, f"no such resource {url.path}; the endpoint is /sparql")
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY} bytes")
            return
        body = self.rfile.read(length).decode("utf-8", "replace")
        media = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if media == "application/sparql-update":
            self._error(HTTPStatus.FORBIDDEN, READ_ONLY)
            return
        if media == "application/x-www-form-urlencoded":
            for key, values in urllib.parse.parse_qs(body, keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
            self._handle(params, None)
            return
        if media == "application/sparql-query":
            self._handle(params, body)
            return
        self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    "POST a form (application/x-www-form-urlencoded) or application/sparql-query")

    def _handle(self, params: dict[str, list[str]], body_query: str | None) -> None:
        try:
            status, payload, media, extra = self._answer(params, body_query)
        except HttpError as err:
            self._error(err.status, str(err))
            return
        self._send(status, payload, media, extra)

    def _answer(self, params: dict[str, list[str]],
                body_query: str | None) -> tuple[int, bytes, str, dict[str, str]]:
        if "update" in params:
            raise HttpError(HTTPStatus.FORBIDDEN, READ_ONLY)
        if params.get("named-graph-uri"):
            raise HttpError(HTTPStatus.FORBIDDEN, "named-graph-uri is refused: use GRAPH over stored graphs.")
        defaults = params.get("default-graph-uri", [])
        if len(defaults) > 1:
            raise HttpError(HTTPStatus.BAD_REQUEST, "give at most one default-graph-uri")
        queries = [body_query] if body_query is not None else params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise HttpError(HTTPStatus.BAD_REQUEST, "give exactly one query (GET ?query=, a form field "
                                                    "query=, or an application/sparql-query body)")
        text = PREFIXES + queries[0]
        try:
            kind = self.server.kinds.get(text, lambda: QUERY_KINDS[check_read_only(text)[1].name])
        except QuerySyntaxError as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, user_lines(str(err))) from None
        except QueryRefused as err:
            raise HttpError(HTTPStatus.FORBIDDEN, str(err)) from None
        format_params = params.get("format", []) + params.get("output", [])
        fmt, media = negotiate(kind, self.headers.get("Accept"), format_params)
        answer = self._run(text, kind, defaults[0] if defaults else None)
        payload = (serialize_results(answer, fmt) if kind in ("SELECT", "ASK")
                   else serialize_graph(answer.graph, fmt))  # type: ignore[arg-type]
        extra = {"X-KMOA-Result-Cap": str(self.server.limit)}
        if answer.truncated:
            extra["X-KMOA-Truncated"] = "true"
        charset = "; charset=utf-8" if not media.endswith("+xml") else ""
        return HTTPStatus.OK, payload, media + charset, extra

    def _run(self, text: str, kind: str, default_graph: str | None) -> Answer:
        server = self.server
        if not server.slots.acquire(timeout=server.query_timeout):
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "too many queries running; try again shortly")
        try:
            return server.backend.answer(text, kind, server.query_timeout, server.limit, default_graph)
        except QueryTimeout as err:
            message = f"{err}: the query took too long and was stopped."
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, message) from None
        except QuerySyntaxError as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err)) from None
        except HttpError:
            raise
        except Exception as err:  # an evaluation error is the query's fault, not the server's
            raise HttpError(HTTPStatus.BAD_REQUEST, f"query failed: {type(err).__name__}: {err}") from None
        finally:
            server.slots.release()


def user_lines(message: str) -> str:
    """Shift 'line N' in a syntax error back past the predeclared prefixes."""
    import re

    return re.sub(r"line (\d+)", lambda m: f"line {max(int(m.group(1)) - PREFIX_LINES, 1)}", message, count=1)


def memory_backend(data_dir: Path | None = None) -> MemoryBackend:
    """Load the curated graph (from ``data_dir`` or the packaged data) into rdflib."""
    from graph.model import load_graph
    from loaders.rdf import to_rdf

    return MemoryBackend(to_rdf(load_graph(data_dir)))


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = 8890, timeout: float = 10.0,
                limit: int = 10_000, quiet: bool = False) -> SparqlHTTPServer:
    """Create a ready-to-run endpoint (call ``serve_forever``); port 0 picks a free port."""
    return SparqlHTTPServer((host, port), backend, timeout, limit, quiet=quiet)
