"""Remote triple stores over HTTP: SPARQL 1.1 Protocol queries and Graph Store Protocol uploads.

Works against any standard store (Oxigraph, Fuseki, Virtuoso, GraphDB, QLever, Neptune): queries
are sent as form-encoded POSTs to the query endpoint, graphs are PUT (replace) or POSTed (append)
to the Graph Store Protocol endpoint with ``?graph=IRI``. Queries are checked read-only locally
first, by the same engine that answers embedded queries (``loaders.stores.sparql_engine.query_kind``), so
``kmoa sparql --endpoint`` never sends an update, a ``SERVICE`` call or a ``FROM``.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kmoa.graph.results import QueryResult
from kmoa.graph.sparql import (
    DEFAULT_LIMIT,
    DEFAULT_TIMEOUT,
    PREFIX_LINE,
    QueryRefused,
    QueryTimeout,
)
from kmoa.loaders.stores.adapter import RdfStore
from kmoa.loaders.stores.sparql_engine import query_kind as query_kind
from kmoa.ontology.namespaces import CURATED_GRAPH as CURATED_GRAPH
from kmoa.ontology.namespaces import ROWS_GRAPH

if TYPE_CHECKING:
    from rdflib import Graph

MAX_RESPONSE_BYTES = 512 * 1024 * 1024
JSON_RESULTS = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class RemoteEndpointError(QueryRefused):
    """The remote store refused or failed the request (or could not be reached); carries its message."""


def _with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to http(s) and never from https down to http; credentials stay on their origin.

    urllib itself follows redirects to ftp: and copies every header, Authorization included, to any host.
    """

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        newurl = urllib.parse.urljoin(req.full_url, newurl)
        try:
            check_http_url(newurl)
        except RemoteEndpointError:
            raise RemoteEndpointError(f"{req.full_url} redirected to '{newurl}', which is not http(s); "
                                      "not followed") from None
        old, new = _origin(req.full_url), _origin(newurl)
        if old[0] == "https" and new[0] == "http":
            raise RemoteEndpointError(f"{req.full_url} redirected from https to '{newurl}'; not followed")
        redirected = super().redirect_request(req, fp, code, msg, headers, newurl)
        if redirected is not None and new != old:
            redirected.remove_header("Authorization")
        return redirected


def _auth_opener(url: str, user: str | None, password: str | None,
                 auth: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_CheckedRedirects()]
    if user is not None and auth == "digest":
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password or "")
        handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
    return urllib.request.build_opener(*handlers)


def _headers(user: str | None, password: str | None, auth: str) -> dict[str, str]:
    if user is None or auth != "basic":
        return {}
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _read_body(response: Any, deadline: float, max_bytes: int) -> bytes:
    """Read the whole response body, stopping at the deadline or the size cap."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise QueryTimeout("the endpoint is still sending results after the timeout")
        chunk = response.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise RemoteEndpointError(f"response larger than {max_bytes} bytes; add a LIMIT to the query")
        chunks.append(chunk)


def check_http_url(url: str) -> str:
    """Return ``url`` if it is an http:// or https:// URL with a host; RemoteEndpointError otherwise.

    urllib also opens file:, ftp: and data: URLs, which would let an "endpoint" read local files.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # ValueError for a port that is not a number or is out of range
    except ValueError:  # also an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise RemoteEndpointError(f"'{url}' is not an http:// or https:// URL with a host")
    return url


def _send(request: urllib.request.Request, opener: urllib.request.OpenerDirector, timeout: float,
          max_bytes: int = MAX_RESPONSE_BYTES) -> tuple[int, str, bytes]:
    """Status, content type and body of a request; RemoteEndpointError / QueryTimeout on failure."""
    check_http_url(request.full_url)
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            body = _read_body(response, deadline, max_bytes)
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as err:
        detail = err.read(2000).decode("utf-8", "replace").strip()
        message = f"{request.full_url} answered HTTP {err.code} {err.reason}: {detail}"
        raise RemoteEndpointError(message) from None
    except TimeoutError:
        raise QueryTimeout(f"no answer from {request.full_url} within {timeout:g} s") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise QueryTimeout(f"no answer from {request.full_url} within {timeout:g} s") from None
        raise RemoteEndpointError(f"cannot reach {request.full_url}: {err.reason}") from None


def term_value(binding: dict[str, Any] | None) -> Any:
    """Convert a SPARQL JSON term to the plain Python value ``loaders.stores.sparql_engine.run_query`` gives."""
    if binding is None:
        return None
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind in ("uri", "bnode"):
        return value
    from rdflib import Literal, URIRef

    datatype = binding.get("datatype")
    literal = Literal(value, lang=binding.get("xml:lang"), datatype=URIRef(datatype) if datatype else None)
    python = literal.toPython()
    return python if isinstance(python, (int, float, bool, str)) else str(literal)


def parse_json_results(body: bytes, limit: int) -> QueryResult:
    """SPARQL 1.1 JSON results (SELECT or ASK) as a QueryResult, capped at ``limit`` rows."""
    try:
        data = json.loads(body)
    except ValueError as err:
        raise RemoteEndpointError(f"the endpoint did not return SPARQL JSON results: {err}") from None
    if "boolean" in data:
        return QueryResult(["ask"], [{"ask": bool(data["boolean"])}], kind="ASK")
    variables = list(data.get("head", {}).get("vars", []))
    bindings = data.get("results", {}).get("bindings", [])
    rows = [{v: term_value(b.get(v)) for v in variables} for b in bindings[:limit]]
    return QueryResult(variables, rows, truncated=len(bindings) > limit)


def _rdf_format(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    return {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
            "application/rdf+xml": "xml", "application/ld+json": "json-ld",
            "application/n-quads": "nquads"}.get(media, "turtle")


def query_endpoint(endpoint: str, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT, *,
                   user: str | None = None, password: str | None = None, auth: str = "basic",
                   default_graph: str | None = None, add_prefixes: bool = True) -> QueryResult:
    """Run a read-only query on a remote SPARQL endpoint; the same QueryResult as ``run_query``.

    ``default_graph`` sends the protocol's ``default-graph-uri`` (e.g. the pushed named graph);
    parameters already in the endpoint URL are kept, so ``...?default-graph-uri=IRI`` works too.
    """
    kind = query_kind(text, timeout)
    full = (PREFIX_LINE + text) if add_prefixes else text  # on the first line: error line numbers stay the user's
    form = {"query": full}
    if default_graph:
        form["default-graph-uri"] = default_graph
    accept = JSON_RESULTS if kind in ("SELECT", "ASK") else GRAPH_ACCEPT
    request = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(form).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept,
                 **_headers(user, password, auth)})
    _, content_type, body = _send(request, _auth_opener(endpoint, user, password, auth), timeout)
    if kind in ("SELECT", "ASK"):
        return parse_json_results(body, limit)
    from rdflib import Graph

    graph = Graph()
    try:
        graph.parse(data=body, format=_rdf_format(content_type))
    except Exception as err:  # rdflib raises parser-specific types
        raise RemoteEndpointError(f"the endpoint returned an unreadable graph: {err}") from None
    return QueryResult([], [], kind=kind, graph=graph)


def graph_store_url(endpoint: str, graph_iri: str | None) -> str:
    """Build the Graph Store Protocol URL of a named graph (``?graph=``) or the default one (``?default``)."""
    if graph_iri is None:
        return _with_params(endpoint, {"default": ""})
    return _with_params(endpoint, {"graph": graph_iri})


def push_graph(endpoint: str, data: Graph | bytes | Path, graph_iri: str | None = CURATED_GRAPH, *,
               user: str | None = None, password: str | None = None, auth: str = "basic",
               replace: bool = True, content_type: str = "text/turtle", timeout: float = 300.0) -> int:
    """Upload triples to a Graph Store Protocol endpoint: PUT replaces the graph, POST appends.

    ``data`` is an rdflib Graph (sent as N-Triples, which is also valid Turtle, so the default
    ``text/turtle`` content type suits every store), raw bytes, or a file streamed from disk.
    Returns the HTTP status; raises RemoteEndpointError on failure.
    """
    body: bytes | IO[bytes]
    handle: IO[bytes] | None = None
    if isinstance(data, Path):
        handle = data.open("rb")
        body, length = handle, data.stat().st_size
    elif isinstance(data, bytes):
        body, length = data, len(data)
    else:
        body = data.serialize(format="nt", encoding="utf-8")
        length = len(body)
    url = graph_store_url(endpoint, graph_iri)
    request = urllib.request.Request(
        url, data=body, method="PUT" if replace else "POST",
        headers={"Content-Type": content_type, "Content-Length": str(length),
                 **_headers(user, password, auth)})
    try:
        status, _, _ = _send(request, _auth_opener(url, user, password, auth), timeout, max_bytes=1 << 20)
    finally:
        if handle is not None:
            handle.close()
    return status


# -- the store adapter ---------------------------------------------------------------------------


class RemoteSparqlStore(RdfStore):
    """``sparql:https://host/query``: a remote triple store, its rows in one named graph (``ROWS_GRAPH``).

    Queries go to the SPARQL Protocol endpoint with that graph as the default graph. Writes need the
    store's Graph Store Protocol URL (``graph_store``): one PUT replaces the rows graph, which the
    server applies at once or not at all.
    """

    scheme = "sparql"

    def __init__(self, locator: str, graph_store: str | None = None, user: str | None = None,
                 password: str | None = None, auth: str = "basic", **options: Any) -> None:
        super().__init__(check_http_url(locator))
        self.graph_store = check_http_url(graph_store) if graph_store else None
        self.user, self.password, self.auth = user, password, auth

    def replace(self, data: bytes) -> None:
        """One Graph Store Protocol PUT of the rows graph."""
        if self.graph_store is None:
            raise RemoteEndpointError(f"cannot write to {self.locator}: give the store's Graph Store Protocol URL")
        push_graph(self.graph_store, data, ROWS_GRAPH, user=self.user, password=self.password, auth=self.auth,
                   content_type="application/n-triples")

    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Read-only SPARQL on the endpoint, over the rows graph."""
        return query_endpoint(self.locator, text, timeout, limit, user=self.user, password=self.password,
                              auth=self.auth, default_graph=ROWS_GRAPH)
