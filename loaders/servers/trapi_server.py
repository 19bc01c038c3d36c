"""A TRAPI 1.5 knowledge-provider endpoint over the curated graph (standard library HTTP server).

* ``POST /query``: a one-hop query graph (``loaders.servers.trapi.answer``); an unsupported query gets 400
  with a TRAPI-style body naming the field.
* ``GET /meta_knowledge_graph``: the category–predicate–category triples the graph holds.
* ``GET /openapi.json``: the OpenAPI description with the ``info.x-translator`` and ``info.x-trapi``
  metadata a Translator registry reads.

The same limits as the SPARQL endpoint: bodies over ``MAX_BODY`` get 413, a malformed or negative
``Content-Length`` 400, other methods 405 with ``Allow``; each query has a deadline checked by the
matching loop (503 when it is stopped) and a result cap (a warning in ``logs``, ``X-KMOA-Truncated``);
at most ``max_concurrent`` queries run at once; a silent client is dropped after ``idle_timeout``.
The server never makes an outbound request: Biolink comes from the installed biolink-model package.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from typing import Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.servers.http_service import ALLOWED_METHODS, IDLE_TIMEOUT, EndpointHandler, EndpointServer, HttpError
from kmoa.loaders.servers.trapi import (
    SERVICE_INFORES,
    TRAPI_VERSION,
    Biolink,
    TrapiError,
    TrapiGraph,
    TrapiTimeout,
    answer_capped,
    error_response,
    meta_knowledge_graph,
)

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
            "x-trapi": {"version": TRAPI_VERSION, "operations": ["lookup"],
                        "test_data_location": None},
        },
        "servers": [{"url": server_url, "x-maturity": "development"}],
        "paths": {
            "/query": {"post": {
                "summary": "Answer a one-hop TRAPI query graph (lookup)",
                "requestBody": {"required": True, **json_body},
                "responses": {"200": {"description": "A TRAPI Response", **json_body},
                              "400": {"description": "A query graph this provider does not support", **json_body},
                              "413": {"description": "Request body too large"},
                              "503": {"description": "The query timed out or the server is busy"}},
            }},
            "/meta_knowledge_graph": {"get": {
                "summary": "The category-predicate-category triples this provider holds",
                "responses": {"200": {"description": "A TRAPI MetaKnowledgeGraph", **json_body}},
            }},
        },
    }


class TrapiHTTPServer(EndpointServer):
    """A threaded HTTP server holding the indexed graph and the limits."""

    # The listen backlog: connections waiting to be accepted (the standard library's is 5).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], index: TrapiGraph, timeout: float, limit: int,
                 max_concurrent: int = 8, quiet: bool = False, idle_timeout: float = IDLE_TIMEOUT):
        super().__init__(address, TrapiHandler)
        self.index = index
        self.query_timeout = timeout
        self.limit = limit
        self.quiet = quiet
        self.idle_timeout = idle_timeout
        self.slots = threading.BoundedSemaphore(max_concurrent)
        self.meta = json.dumps(meta_knowledge_graph(index)).encode("utf-8")


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
            self._error(err.status, str(err))
            return
        self._json(status, value, extra)

    def _answer(self) -> tuple[int, Any, dict[str, str]]:
        body = self._body(missing="send the query as a JSON body with a Content-Length")
        media = (self.headers.get("Content-Type") or "application/json").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"POST the query as application/json, not {media}")
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {err}") from None
        server = self.server
        if not server.slots.acquire(timeout=server.query_timeout):
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "too many queries running; try again shortly")
        try:
            response, truncated = answer_capped(server.index, message, server.limit, server.query_timeout)
        except TrapiError as err:
            return HTTPStatus.BAD_REQUEST, error_response(err, server.index.biolink.version), {}
        except TrapiTimeout as err:
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, str(err)) from None
        finally:
            server.slots.release()
        extra = {"X-KMOA-Result-Cap": str(server.limit)}
        if truncated:
            extra["X-KMOA-Truncated"] = "true"
        return HTTPStatus.OK, response, extra


def load_index(data_dir: Path | None = None, kg: KnowledgeGraph | None = None) -> TrapiGraph:
    """The curated graph (from ``data_dir`` or the packaged data) indexed with Biolink for lookups."""
    from kmoa.graph.model import load_graph

    return TrapiGraph(kg or load_graph(data_dir), Biolink.load())


def make_server(index: TrapiGraph, host: str = "127.0.0.1", port: int = 3000, timeout: float = 10.0,
                limit: int = 1000, quiet: bool = False) -> TrapiHTTPServer:
    """Create a ready-to-run endpoint (call ``serve_forever``); port 0 picks a free port."""
    return TrapiHTTPServer((host, port), index, timeout, limit, quiet=quiet)
