"""A TRAPI 1.5 knowledge-provider endpoint (standard library HTTP server) over rows of any origin.

The rows are the curated graph's (``load_index``), the curated graph merged with an import
(``merged_index``) or any store's (``store_index``).

* ``POST /query``: a one-hop query graph (``loaders.servers.trapi.answer_capped``).
* ``GET /meta_knowledge_graph``: the category–predicate–category triples the served graph holds.
* ``GET /openapi.json``: the OpenAPI description with the ``info.x-translator`` and ``info.x-trapi``
  metadata a Translator registry reads.

``POST /query`` answers only with the status codes TRAPI gives it: 200 (with or without results;
an answer cut by the result cap says so in ``description``, a ``WARNING`` in ``logs`` and
``X-KMOA-Truncated``), 400 (a malformed body or an id, category or predicate Biolink does not
know; a TRAPI-style body whose ``field`` names it), 413 (a body over ``MAX_BODY``, or more ids on
a node than ``batch_size_limit``), 429 (``max_concurrent`` queries already running; ``Retry-After``),
500 (the query ran past its deadline and was stopped, or the store failed) and 501 (a valid query
beyond a one-hop lookup). The HTTP limits are the SPARQL endpoint's (``http_service``): other
methods 405 with ``Allow``, a silent client 408 after ``idle_timeout``. The server never makes an
outbound request: Biolink comes from the installed biolink-model package.
"""

from __future__ import annotations

import json
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.servers.http_service import (
    ALLOWED_METHODS,
    IDLE_TIMEOUT,
    MAX_BODY,
    EndpointHandler,
    EndpointServer,
    HttpError,
)
from kmoa.loaders.servers.trapi import (
    MAX_IDS,
    SERVICE_INFORES,
    TRAPI_VERSION,
    Biolink,
    RowTable,
    TrapiError,
    TrapiGraph,
    TrapiTimeout,
    answer_capped,
    curated_graph,
    error_response,
    record_urls,
)

if TYPE_CHECKING:
    from kmoa.loaders.stores.adapter import Store

# The status codes TRAPI gives ``POST /query``; any other refusal of a query body is answered 400.
TRAPI_STATUSES = frozenset({200, 400, 413, 429, 500, 501})

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "X-KMOA-Truncated, X-KMOA-Result-Cap",
}
TEAM = "kmoa"
CONTACT = "https://w3id.org/kmoa"


def openapi(server_url: str, biolink_version: str) -> dict[str, Any]:
    """The OpenAPI 3 description, with the Translator registry's ``x-translator`` and ``x-trapi`` metadata."""
    json_body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kmoa: ketamine mechanisms of action (TRAPI knowledge provider)",
            "version": "0.1.0",
            "description": "One-hop lookups over a curated knowledge graph of ketamine's mechanisms of action, "
                           "built from one review (doi:10.1007/s44192-022-00012-3); every edge carries the "
                           "review's verbatim quote, section, reference numbers and evidence level.",
            "license": {"name": "MIT"},
            "contact": {"url": CONTACT},
            "termsOfService": CONTACT,
            "x-translator": {"component": "KP", "team": [TEAM], "infores": SERVICE_INFORES,
                             "biolink-version": biolink_version},
            "x-trapi": {"version": TRAPI_VERSION, "operations": ["lookup"], "asyncquery": False,
                        "batch_size_limit": MAX_IDS, "test_data_location": None},
        },
        "servers": [{"url": server_url, "x-maturity": "development"}],
        # A registry reads x-translator / x-trapi only from an API tagged "translator" / "trapi".
        "tags": [{"name": "translator"}, {"name": "trapi"}, {"name": "query"}, {"name": "meta_knowledge_graph"}],
        "paths": {
            "/query": {"post": {
                "summary": "Answer a one-hop TRAPI query graph (lookup)",
                "requestBody": {"required": True, **json_body},
                "responses": {
                    "200": {"description": "A TRAPI Response, with or without results; a response cut by the "
                                           "result cap says so in description and logs", **json_body},
                    "400": {"description": "A malformed query, or an id, category or predicate Biolink does "
                                           "not know", **json_body},
                    "413": {"description": f"A body over {MAX_BODY} bytes, or more than {MAX_IDS} ids on a "
                                           "query node (batch_size_limit)", **json_body},
                    "429": {"description": "Too many queries running at once; retry after Retry-After",
                            **json_body},
                    "500": {"description": "The query ran past the server's timeout and was stopped, or the "
                                           "store failed", **json_body},
                    "501": {"description": "A valid TRAPI query beyond a one-hop lookup", **json_body}},
            }},
            "/meta_knowledge_graph": {"get": {
                "summary": "The category-predicate-category triples this provider holds",
                "responses": {"200": {"description": "A TRAPI MetaKnowledgeGraph", **json_body}},
            }},
        },
    }


class TrapiHTTPServer(EndpointServer):
    """A threaded HTTP server holding the indexed graph and the limits."""

    def __init__(self, address: tuple[str, int], index: TrapiGraph, timeout: float, limit: int,
                 max_concurrent: int = 8, quiet: bool = False, idle_timeout: float = IDLE_TIMEOUT):
        super().__init__(address, TrapiHandler, timeout=timeout, limit=limit, quiet=quiet,
                         idle_timeout=idle_timeout, max_concurrent=max_concurrent)
        self.index = index
        self.meta = json.dumps(index.meta).encode("utf-8")


class TrapiHandler(EndpointHandler):
    """``/query`` (POST), ``/meta_knowledge_graph`` and ``/openapi.json`` (GET); other methods 405."""

    server: TrapiHTTPServer
    server_version = "kmoa-trapi/0.1"
    cors_headers = CORS_HEADERS

    def _json(self, status: int, value: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json", extra)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        """A JSON error body in the shape of a TRAPI response (status, description)."""
        self._json(status, {"status": HTTPStatus(status).phrase, "description": message}, extra)

    def do_GET(self) -> None:  # noqa: N802
        """The meta knowledge graph, the OpenAPI description, or a pointer to them at ``/``."""
        path = urllib.parse.urlsplit(self.path).path.rstrip("/") or "/"
        if path == "/meta_knowledge_graph":
            self._send(HTTPStatus.OK, self.server.meta, "application/json")
        elif path == "/openapi.json":
            self._json(HTTPStatus.OK, openapi(self.server.url, self.server.index.biolink.version))
        elif path == "/":
            self._json(HTTPStatus.OK, {"description": "kmoa TRAPI knowledge provider",
                                       "query": "POST /query", "meta_knowledge_graph": "GET /meta_knowledge_graph",
                                       "openapi": "GET /openapi.json", "trapi_version": TRAPI_VERSION})
        elif path == "/query":
            self._not_allowed()
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such resource {path}; see /openapi.json")

    do_HEAD = do_GET  # noqa: N815

    def do_POST(self) -> None:  # noqa: N802
        """Answer a TRAPI query posted as JSON to ``/query``."""
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if path != "/query":
            if path in ("/meta_knowledge_graph", "/openapi.json"):
                self._not_allowed()
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no such resource {path}; queries go to POST /query")
            return
        try:
            status, value, extra = self._answer()
        except HttpError as err:
            self._error(err.status if err.status in TRAPI_STATUSES else HTTPStatus.BAD_REQUEST, str(err), err.headers)
            return
        self._json(status, value, extra)

    def _answer(self) -> tuple[int, Any, dict[str, str]]:
        body = self._body(missing="send the query as a JSON body with a Content-Length")
        media = (self.headers.get("Content-Type") or "application/json").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise HttpError(HTTPStatus.BAD_REQUEST, f"POST the query as application/json, not {media}")
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {err}") from None
        server = self.server
        with server.query_slot(busy=HTTPStatus.TOO_MANY_REQUESTS):
            try:
                response, truncated = answer_capped(server.index, message, server.limit, server.query_timeout)
            except TrapiError as err:
                return err.status, error_response(err, server.index.biolink.version), {}
            except TrapiTimeout as err:
                raise HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, f"{err} (the server's timeout)") from None
            except Exception as err:  # a store that fails (connection lost, its own timeout): say so, keep serving
                raise HttpError(HTTPStatus.INTERNAL_SERVER_ERROR,
                                f"the store failed to answer: {type(err).__name__}: {err}") from None
        extra = {"X-KMOA-Result-Cap": str(server.limit)}
        if truncated:
            extra["X-KMOA-Truncated"] = "true"
        return HTTPStatus.OK, response, extra


def load_index(data_dir: Path | None = None, kg: KnowledgeGraph | None = None) -> TrapiGraph:
    """The curated graph (from ``data_dir`` or the packaged data) indexed with Biolink for lookups."""
    from kmoa.graph.model import load_graph

    return curated_graph(kg or load_graph(data_dir), Biolink.load())


def merged_index(kg: KnowledgeGraph, import_dir: Path) -> TrapiGraph:
    """The curated graph merged with an imported KGX folder, as ``kmoa paths --import`` merges them.

    Imported nodes that match curated ones (by id or xref) are the curated nodes; every imported
    edge keeps its own primary knowledge source. KgxImportError for a malformed folder.
    """
    from kmoa.graph.imported import imported_edge_rows, imported_node_rows
    from kmoa.graph.rows import edge_rows, node_rows
    from kmoa.loaders.formats.kgx_import import read_kgx

    imported = read_kgx(import_dir, kg, progress=False)
    table = RowTable([*node_rows(kg), *imported_node_rows(kg, imported)],
                     [*edge_rows(kg), *imported_edge_rows(imported)])
    return TrapiGraph(table, Biolink.load(), f"the kmoa curated graph merged with {import_dir}",
                      record_urls=record_urls(kg), imported_strength=kg.schema.walk.imported_strength)


def store_index(store: Store, kg: KnowledgeGraph) -> TrapiGraph:
    """A store's rows (``open_store``), edges asked of its candidate-edge lookups per query.

    ``kg`` (the curated graph) gives the curated sources' DOIs and the imported edges' strength.
    ValueError when the store holds no rows.
    """
    index = TrapiGraph(store, Biolink.load(), store.spec, record_urls=record_urls(kg),
                       imported_strength=kg.schema.walk.imported_strength)
    if not index.nodes:
        raise ValueError(f"{store.spec} holds no rows: nothing was written to it through the store adapter "
                         "(open_store(spec).write, or `kmoa import ... --store neo4j:URI`); to serve an import "
                         "kept as KGX files, use --import KGX_DIR")
    return index


def make_server(index: TrapiGraph, host: str = "127.0.0.1", port: int = 3000, timeout: float = 10.0,
                limit: int = 1000, quiet: bool = False) -> TrapiHTTPServer:
    """Create a ready-to-run endpoint (call ``serve_forever``); port 0 picks a free port."""
    return TrapiHTTPServer((host, port), index, timeout, limit, quiet=quiet)
