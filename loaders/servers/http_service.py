"""What kmoa's HTTP endpoints (SPARQL, TRAPI) share: limits, the error answer, server and handler plumbing.

Each endpoint subclasses ``EndpointServer`` and ``EndpointHandler`` and adds its own routes and its
own error body (``_error``). Written once, here: the per-query limits a server holds (timeout,
result cap, how many queries at once), one thread per request with a listen backlog, the idle
timeout (a silent client gets 408), sending, CORS, 405 for other methods, quiet logging and reading
a capped request body (413 over ``MAX_BODY``, 400 for a malformed ``Content-Length``).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Request bodies larger than this are refused with 413 before they are read.
MAX_BODY = 1 << 20
# After refusing an oversized body, read and drop at most this much of it, for at most LINGER_SECONDS,
# so that a client still sending can read the 413 (a "lingering close"); then close the connection.
LINGER_BYTES = 16 << 20
LINGER_SECONDS = 2.0
IDLE_TIMEOUT = 30.0
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"


class HttpError(Exception):
    """An error answer: status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class EndpointServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the query limits, an idle timeout per connection and quiet logging.

    ``query_timeout`` (seconds) and ``limit`` (answers per query) are enforced by whatever runs the
    query; ``max_concurrent`` queries run at once (``query_slot``), further ones wait up to the query
    timeout and are then refused.
    """

    daemon_threads = True
    # The listen backlog: connections waiting to be accepted (the standard library's is 5).
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type[EndpointHandler], *, timeout: float, limit: int,
                 quiet: bool = False, idle_timeout: float = IDLE_TIMEOUT, max_concurrent: int | None = None):
        super().__init__(address, handler)
        self.query_timeout = timeout
        self.limit = limit
        self.quiet = quiet
        self.idle_timeout = idle_timeout
        self.slots = threading.BoundedSemaphore(max_concurrent) if max_concurrent else None

    @contextmanager
    def query_slot(self, busy: int = HTTPStatus.SERVICE_UNAVAILABLE) -> Iterator[None]:
        """Hold one of the ``max_concurrent`` query slots; HttpError ``busy`` if none frees within the timeout."""
        if self.slots is None:
            yield
            return
        if not self.slots.acquire(timeout=self.query_timeout):
            raise HttpError(busy, "too many queries running; try again shortly", {"Retry-After": "1"})
        try:
            yield
        finally:
            self.slots.release()

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


class EndpointHandler(BaseHTTPRequestHandler, ABC):
    """Sending, CORS, 405 for methods other than ``ALLOWED_METHODS``, and a capped request body."""

    server: EndpointServer
    cors_headers: dict[str, str] = {}
    responding = False  # set once a response has started (a timeout after that is not answered)

    def setup(self) -> None:
        """Give the connection the server's idle timeout."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def handle_one_request(self) -> None:
        """Answer one request; a client that stays silent past the idle timeout gets 408.

        The standard library's version, except that a read that times out is answered.
        """
        self.command, self.request_version, self.requestline = "", "HTTP/1.0", ""
        self.responding = False
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
                return
            method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if self.responding:
                return
            try:
                self._error(HTTPStatus.REQUEST_TIMEOUT,
                            f"no complete request within {self.server.idle_timeout:g} s; closing the connection")
            except OSError:
                pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Log a request unless the server is quiet."""
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.responding = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**self.cors_headers, **(extra or {})}.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if getattr(self, "linger", 0):
            self._drain(self.linger)

    def _drain(self, limit: int) -> None:
        """Read and drop up to ``limit`` bytes of an unread body within LINGER_SECONDS (a lingering close)."""
        import time

        self.wfile.flush()
        deadline = time.monotonic() + LINGER_SECONDS
        left = limit
        try:
            while left > 0 and time.monotonic() < deadline:
                self.connection.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = self.rfile.read1(min(left, 65536)) if hasattr(self.rfile, "read1") else self.rfile.read(
                    min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass
        self.linger = 0

    @abstractmethod
    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        """Answer an error, in the endpoint's own format (plain text, a TRAPI response, ...)."""

    def _not_allowed(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not supported: this endpoint answers "
                                                   f"{ALLOWED_METHODS}", {"Allow": ALLOWED_METHODS})

    do_PUT = do_DELETE = do_PATCH = _not_allowed  # noqa: N815 - stdlib naming

    def do_OPTIONS(self) -> None:  # noqa: N802 - stdlib naming
        """CORS preflight."""
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain", {"Allow": ALLOWED_METHODS})

    def _body(self, missing: str | None = None) -> bytes:
        """The request body within MAX_BODY; HttpError for a chunked, malformed or oversized one.

        Without a Content-Length the body is empty, or with ``missing`` that message is a 411.
        """
        if self.headers.get("Transfer-Encoding"):
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (no chunked encoding)")
        raw = self.headers.get("Content-Length")
        if raw is None:
            if missing is not None:
                raise HttpError(HTTPStatus.LENGTH_REQUIRED, missing)
            return b""
        if not re.fullmatch(r"[0-9]{1,18}", raw.strip()):
            raise HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length must be a non-negative integer, not {raw!r}")
        length = int(raw)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for the next request
            self.linger = min(length, LINGER_BYTES)
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"request body of {length} bytes is over the {MAX_BODY}-byte limit (Content-Length)")
        return self.rfile.read(length)
