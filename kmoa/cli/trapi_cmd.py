"""`kmoa serve trapi`: a TRAPI 1.5 knowledge-provider endpoint (one-hop lookups) over the curated graph."""

from __future__ import annotations

from pathlib import Path

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.options import PORT, ROW_CAP, SECONDS
from kmoa.cli.sparql_server_cmd import serve, serve_until_stopped


@serve.command("trapi")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=PORT, default=3000, show_default=True, help="Port (0 picks a free one).")
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds before a query is stopped (503).")
@click.option("--limit", type=ROW_CAP, default=1000, show_default=True, help="Maximum results per answer.")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
@DATA_OPTION
def serve_trapi(host: str, port: int, timeout: float, limit: int, quiet: bool, data_dir: Path | None) -> None:
    """Serve TRAPI 1.5 at http://HOST:PORT/query (one-hop lookups), /meta_knowledge_graph and /openapi.json."""
    from kmoa.graph.curation import CurationError
    from kmoa.loaders.servers.trapi_server import load_index, make_server

    try:
        index = load_index(data_dir)
    except (CurationError, RuntimeError) as err:
        fail(str(err))
    try:
        server = make_server(index, host, port, timeout=timeout, limit=limit, quiet=quiet)
    except OSError as err:
        fail(f"cannot listen on {host}:{port}: {err}")
    click.echo(f"TRAPI {server.url}/query over the curated graph ({len(index.rows)} edges, Biolink "
               f"{index.biolink.version}; timeout {timeout:g} s, at most {limit} results); Ctrl-C stops it")
    serve_until_stopped(server)
