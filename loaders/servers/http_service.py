"""What kmoa's HTTP endpoints (SPARQL, TRAPI) share: limits, the error answer, server and handler plumbing.

Each endpoint subclasses ``EndpointServer`` and ``EndpointHandler`` and adds its own routes and its
own error body (``_error``); sending, CORS, 405 for other methods, the idle timeout, quiet logging
and reading a capped request body are written once, here.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
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

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class EndpointServer(ThreadingHTTPServer):
    """A threaded HTTP server with an idle timeout per connection and optional quiet logging."""

    daemon_threads = True
    quiet = False
    idle_timeout = IDLE_TIMEOUT

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
