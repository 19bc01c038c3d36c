"""The explorer app: ``create_app(kg)`` prepares the data once and wires the page and callbacks."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.model import KnowledgeGraph

if TYPE_CHECKING:
    from dash import Dash

    from kmoa.explorer.data import ExplorerData

ASSETS = Path(__file__).parent / "assets"
INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def create_app(kg: KnowledgeGraph, neo4j: str | None = None, neo4j_user: str | None = None,
               neo4j_password: str | None = None, data: ExplorerData | None = None) -> Dash:
    """A Dash app over the graph; ``neo4j`` (a bolt URI) turns on Cypher in the query console."""
    from dash import Dash

    from kmoa.explorer.callbacks import register_callbacks
    from kmoa.explorer.data import prepare

    # Figures are drawn server-side (explorer.figure) and every layout is a preset one computed here, so the page
    # loads dash-cytoscape's plain bundle, not the extra-layouts one (1.4 MB against 0.5 MB to fetch and parse).
    data = data or prepare(kg, neo4j=neo4j, neo4j_user=neo4j_user, neo4j_password=neo4j_password)
    app = Dash(__name__, title="kmoa explorer · ketamine mechanisms of action", assets_folder=str(ASSETS),
               update_title="", index_string=INDEX,
               meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
    app.layout = partial(serve_layout, data)
    register_callbacks(app, data)
    return app


def serve_layout(data: ExplorerData) -> Any:
    """The page for the URL that asked for it (the layout request's Referer), drawn server-side."""
    from urllib.parse import urlparse

    from flask import has_request_context, request

    from kmoa.explorer.layout import prerendered
    from kmoa.explorer.state import decode

    search: str | None = None
    if has_request_context() and request.referrer:
        search = urlparse(request.referrer).query
    return prerendered(data, decode(search, data.kg, data.imported, data.public),
                       url_search=None if search is None else f"?{search}" if search else "")


def request_handler() -> type:
    """The development server's request handler: a link too long for it is redirected without its long parameters.

    Python's HTTP server answers a request line over 65,536 characters with a bare 414; a shared link that
    long instead opens the explorer with a notice naming the parameter that was removed.
    """
    from werkzeug.serving import WSGIRequestHandler

    from kmoa.explorer.state import long_link_redirect

    class Handler(WSGIRequestHandler):
        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            line = getattr(self, "raw_requestline", b"") or b""
            if code != 414 or not line.startswith(b"GET "):
                super().send_error(code, message, explain)
                return
            location = long_link_redirect(line.decode("latin-1"))
            self.close_connection = True
            self.send_response_only(303)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

    return Handler
