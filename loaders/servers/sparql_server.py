"""A read-only SPARQL 1.1 Protocol endpoint at ``/sparql`` over the curated graph or an Oxigraph store.

* Queries by ``GET ?query=``, form-encoded ``POST`` and ``POST`` with ``application/sparql-query``
  (UTF-8 only); other methods get 405 with ``Allow``.
* Results as SPARQL JSON, XML, CSV or TSV; graphs (CONSTRUCT/DESCRIBE) as Turtle, N-Triples,
  RDF/XML or JSON-LD, chosen by the ``Accept`` header or a ``format`` parameter (JSON and Turtle
  by default).
* Both stores are evaluated by ``loaders.stores.sparql_engine`` (Oxigraph in worker processes without
  network access): updates, ``SERVICE`` and ``FROM``/``FROM NAMED`` are refused with 403 as the
  engine itself reads the query; every query has a timeout that kills its worker (503), a row cap
  (``X-KMOA-Truncated``) and a byte cap (507); deep nesting is 400.
* Requests: bodies over ``MAX_BODY`` get 413, a malformed ``Content-Length`` 400, a connection idle
  for ``idle_timeout`` seconds 408.
* CORS headers on every answer, ``OPTIONS`` preflight, and an HTML page at ``/`` with an example.

The standard library's ``ThreadingHTTPServer`` serves each request in its own thread; its listen
backlog holds ``request_queue_size`` pending connections.
"""

from __future__ import annotations

import csv
import html
import io
import json
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from xml.sax.saxutils import escape, quoteattr

from kmoa.graph.results import QueryResult, ask_result
from kmoa.graph.sparql import (
    DEFAULT_MAX_BYTES,
    AnswerTooLarge,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    ntriples_graph,
    rdflib_term,
)
from kmoa.loaders.servers.http_service import IDLE_TIMEOUT, EndpointHandler, EndpointServer, HttpError

if TYPE_CHECKING:
    from rdflib import Graph

READ_ONLY = "SPARQL updates are not allowed: this endpoint is read-only."
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
    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
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


class Backend(Protocol):
    """A store the endpoint can ask."""

    description: str

    def answer(self, text: str, timeout: float, limit: int, max_bytes: int, default_graph: str | None,
               base_iri: str | None = None) -> QueryResult:
        """Evaluate a query read-only with a timeout, a result cap and a byte cap."""

    def close(self) -> None:
        """Release the store."""


@dataclass
class EngineBackend:
    """A store answered by ``sparql_engine.QueryEngine`` workers (default graph = union of all graphs)."""

    engine: Any
    description: str

    def answer(self, text: str, timeout: float, limit: int, max_bytes: int, default_graph: str | None,
               base_iri: str | None = None) -> QueryResult:
        """Evaluate in a worker process that is killed at the timeout (relative IRIs against ``base_iri``)."""
        result = self.engine.query(text, timeout, limit, max_bytes, default_graph, base_iri)
        if result[0] == "ASK":
            return ask_result(result[1])
        if result[0] == "SELECT":
            _, names, rows, truncated = result
            return QueryResult(names, [{n: rdflib_term(t) for n, t in zip(names, row, strict=True)}
                                            for row in rows], truncated=truncated)
        return QueryResult([], [], result[2], kind="CONSTRUCT", graph=ntriples_graph(result[1]))

    def close(self) -> None:
        """Stop the worker processes."""
        self.engine.close()


def OxigraphBackend(path: Path, workers: int = 2) -> EngineBackend:  # noqa: N802 - reads as the store kind
    """An on-disk Oxigraph store, opened read-only by each worker."""
    from kmoa.loaders.stores.oxigraph_store import StoreError, is_store
    from kmoa.loaders.stores.sparql_engine import QueryEngine

    if not is_store(path):
        raise StoreError(f"{path} is not an Oxigraph store")
    return EngineBackend(QueryEngine(Path(path), workers=workers),
                         f"Oxigraph store {path} (default graph = union of all graphs)")


def memory_backend(data_dir: Path | None = None, workers: int = 2) -> EngineBackend:
    """The curated graph (from ``data_dir`` or the packaged data), in memory in each worker."""
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores.sparql_engine import QueryEngine

    return EngineBackend(QueryEngine.for_graph(load_graph(data_dir), workers=workers),
                         "curated graph (in memory)")


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


def serialize_results(answer: QueryResult, fmt: str) -> bytes:
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


class SparqlHTTPServer(EndpointServer):
    """A threaded HTTP server holding the backend and the limits (its workers bound the queries at once)."""

    def __init__(self, address: tuple[str, int], backend: Backend, timeout: float, limit: int,
                 quiet: bool = False, max_bytes: int = DEFAULT_MAX_BYTES, idle_timeout: float = IDLE_TIMEOUT):
        super().__init__(address, SparqlHandler, timeout=timeout, limit=limit, quiet=quiet, idle_timeout=idle_timeout)
        self.backend = backend
        self.max_bytes = max_bytes


def _media_type(header: str | None) -> tuple[str, dict[str, str]]:
    """The media type of a Content-Type header, lower-cased, and its parameters."""
    media, *params = (header or "").split(";")
    values = {}
    for param in params:
        key, _, value = param.partition("=")
        values[key.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), values


def _form(text: str) -> dict[str, list[str]]:
    """Parse URL-encoded parameters whose percent-escapes must decode as UTF-8 (HttpError otherwise)."""
    try:
        return urllib.parse.parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "the parameters are not UTF-8") from None


class SparqlHandler(EndpointHandler):
    """``/`` (HTML), ``/sparql`` (GET, HEAD, POST, OPTIONS; other methods 405)."""

    server: SparqlHTTPServer
    server_version = "kmoa-sparql/0.2"
    cors_headers = CORS_HEADERS

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8", extra)

    def do_GET(self) -> None:  # noqa: N802
        """Answer the HTML page, or a query in ``?query=``."""
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            page = index_page(self.server.url + "/sparql", self.server.backend.description)
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            return
        if url.path not in ("/sparql", "/sparql/"):
            self._error(HTTPStatus.NOT_FOUND, f"no such resource {url.path}; the endpoint is /sparql")
            return
        try:
            params = _form(url.query)
        except HttpError as err:
            self._error(err.status, str(err), err.headers)
            return
        self._handle(params, None)

    do_HEAD = do_GET  # noqa: N815

    def do_POST(self) -> None:  # noqa: N802
        """Answer a query posted as a form or as ``application/sparql-query``; refuse updates."""
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/sparql", "/sparql/"):
            self._error(HTTPStatus.NOT_FOUND, f"no such resource {url.path}; the endpoint is /sparql")
            return
        try:
            params = _form(url.query)
            body = self._body()
            media, media_params = _media_type(self.headers.get("Content-Type"))
            charset = media_params.get("charset", "utf-8").lower()
            if media == "application/sparql-update":
                raise HttpError(HTTPStatus.FORBIDDEN, READ_ONLY)
            if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
                raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                                "POST a form (application/x-www-form-urlencoded) or application/sparql-query")
            if charset not in ("utf-8", "utf8"):
                raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"queries must be UTF-8, not {charset}")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as err:
                raise HttpError(HTTPStatus.BAD_REQUEST, f"the request body is not UTF-8 (byte {err.start})") from None
            if media == "application/x-www-form-urlencoded":
                for key, values in _form(text).items():
                    params.setdefault(key, []).extend(values)
                query = None
            else:
                query = text
        except HttpError as err:
            self._error(err.status, str(err), err.headers)
            return
        self._handle(params, query)

    def _handle(self, params: dict[str, list[str]], body_query: str | None) -> None:
        try:
            status, payload, media, extra = self._answer(params, body_query)
        except HttpError as err:
            self._error(err.status, str(err), err.headers)
            return
        self._send(status, payload, media, extra)

    def _answer(self, params: dict[str, list[str]],
                body_query: str | None) -> tuple[int, bytes, str, dict[str, str]]:
        if "update" in params:
            raise HttpError(HTTPStatus.FORBIDDEN, READ_ONLY)
        if params.get("named-graph-uri"):
            raise HttpError(HTTPStatus.FORBIDDEN, "named-graph-uri is refused: this endpoint does not load or "
                                                  "assemble datasets; use GRAPH over the stored graphs.")
        defaults = params.get("default-graph-uri", [])
        if len(defaults) > 1:
            raise HttpError(HTTPStatus.BAD_REQUEST, "give at most one default-graph-uri: this endpoint does not "
                                                    "merge graphs into a dataset")
        queries = [body_query] if body_query is not None else params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise HttpError(HTTPStatus.BAD_REQUEST, "give exactly one query (GET ?query=, a form field "
                                                    "query=, or an application/sparql-query body)")
        answer = self._run(queries[0], defaults[0] if defaults else None)
        format_params = params.get("format", []) + params.get("output", [])
        fmt, media = negotiate(answer.kind, self.headers.get("Accept"), format_params)
        payload = (serialize_results(answer, fmt) if answer.kind in ("SELECT", "ASK")
                   else serialize_graph(answer.graph, fmt))  # type: ignore[arg-type]
        extra = {"X-KMOA-Result-Cap": str(self.server.limit)}
        if answer.truncated:
            extra["X-KMOA-Truncated"] = "true"
        charset = "; charset=utf-8" if not media.endswith("+xml") else ""
        return HTTPStatus.OK, payload, media + charset, extra

    def _run(self, text: str, default_graph: str | None) -> QueryResult:
        from kmoa.loaders.stores.sparql_engine import EngineError

        server = self.server
        try:
            return server.backend.answer(text, server.query_timeout, server.limit, server.max_bytes, default_graph,
                                         server.url + "/sparql")
        except QueryRefused as err:
            raise HttpError(HTTPStatus.FORBIDDEN, str(err)) from None
        except QueryTimeout as err:
            message = f"{err}: the query took too long and was stopped."
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, message) from None
        except (QuerySyntaxError, QueryFailed) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(err)) from None
        except AnswerTooLarge as err:
            raise HttpError(HTTPStatus.INSUFFICIENT_STORAGE, str(err)) from None
        except EngineError as err:
            raise HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, str(err)) from None


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = 8890, timeout: float = 10.0,
                limit: int = 10_000, quiet: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                idle_timeout: float = IDLE_TIMEOUT) -> SparqlHTTPServer:
    """Create a ready-to-run endpoint (call ``serve_forever``); port 0 picks a free port."""
    return SparqlHTTPServer((host, port), backend, timeout, limit, quiet=quiet, max_bytes=max_bytes,
                            idle_timeout=idle_timeout)
