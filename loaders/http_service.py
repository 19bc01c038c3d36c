"""What kmoa's HTTP endpoints (SPARQL, TRAPI) share: the request-body cap and the error answer."""

from __future__ import annotations

# Request bodies larger than this are refused with 413 before they are read.
MAX_BODY = 1 << 20


class HttpError(Exception):
    """An error answer: status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
