"""`kmoa serve sparql` (a read-only SPARQL endpoint) and `kmoa push sparql` (Graph Store Protocol upload)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from socketserver import BaseServer

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.options import PORT, ROW_CAP, SECONDS, http_url
from kmoa.graph.sparql import DEFAULT_MAX_BYTES
from kmoa.loaders.servers.sparql_server import IDLE_TIMEOUT
from kmoa.ontology.namespaces import CURATED_GRAPH


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(server: BaseServer, close: Callable[[], None] | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the server (and ``close``, e.g. a query backend)."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if close is not None:
            close()


@click.group()
def serve() -> None:
    """Serve the graph over HTTP."""


@serve.command("sparql")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=PORT, default=8890, show_default=True, help="Port (0 picks a free one).")
@click.option("--store", default="memory", show_default=True,
              help="memory: (the curated graph, in memory) or oxigraph:DIR (an on-disk store).")
@click.option("--create", is_flag=True,
              help="With oxigraph:DIR: build DIR with the curated graph if it does not exist yet.")
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds (> 0) before a query, parsing included, is stopped (503).")
@click.option("--limit", type=ROW_CAP, default=10_000, show_default=True,
              help="Maximum rows (or triples) per answer.")
@click.option("--max-bytes", type=click.IntRange(min=1024), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Answers larger than this are refused (507) instead of being built.")
@click.option("--idle-timeout", type=SECONDS, default=IDLE_TIMEOUT, show_default=True,
              help="Seconds a connection may stay silent before it is closed (408).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query worker processes (each holds the store; one query at a time each).")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
@DATA_OPTION
def serve_sparql(host: str, port: int, store: str, create: bool, timeout: float, limit: int, max_bytes: int,
                 idle_timeout: float, workers: int, quiet: bool, data_dir: Path | None) -> None:
    """Serve a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql (no updates, SERVICE or FROM).

    Queries are evaluated by Oxigraph in worker processes without network access, killed at the timeout.
    """
    from kmoa.graph.curation import CurationError
    from kmoa.loaders.servers.sparql_server import Backend, OxigraphBackend, make_server, memory_backend
    from kmoa.loaders.stores.oxigraph_store import StoreError, parse_store_spec

    try:
        location = parse_store_spec(store)
    except ValueError as err:
        fail(str(err))
    backend: Backend
    try:
        if location is None:
            backend = memory_backend(data_dir, workers=workers)
        else:
            from kmoa.loaders.stores.oxigraph_store import build_store, is_store

            if not location.exists() and create:
                from kmoa.graph.model import load_graph

                click.echo(f"building an Oxigraph store with the curated graph in {location}", err=True)
                build_store(location, load_graph(data_dir))
            elif not location.exists():
                fail(f"no Oxigraph store at {location}: create one with `kmoa import kgx KGX_DIR --store "
                     f"oxigraph:{location}`, or pass --create for one holding only the curated graph")
            elif not is_store(location):
                fail(f"{location} holds no Oxigraph store (no active generation); "
                     f"a store is created by `kmoa import kgx KGX_DIR --store oxigraph:{location}`")
            backend = OxigraphBackend(location, workers=workers)
    except (CurationError, StoreError) as err:
        fail(str(err))
    try:
        server = make_server(backend, host, port, timeout=timeout, limit=limit, quiet=quiet, max_bytes=max_bytes,
                             idle_timeout=idle_timeout)
    except OSError as err:
        backend.close()
        fail(f"cannot listen on {host}:{port}: {err}")
    click.echo(f"SPARQL endpoint {server.url}/sparql over the {backend.description} "
               f"(timeout {timeout:g} s, at most {limit} rows); Ctrl-C stops it", err=False)
    serve_until_stopped(server, backend.close)


@click.group()
def push() -> None:
    """Send the graph to a remote store."""


@push.command("sparql")
@click.option("--endpoint", required=True, callback=http_url,
              help="Graph Store Protocol URL, e.g. http://localhost:7878/store (Oxigraph), "
                   "http://host:8890/sparql-graph-crud-auth (Virtuoso), "
                   "http://host:7200/repositories/REPO/rdf-graphs/service (GraphDB).")
@click.option("--graph", "graph_iri", default=CURATED_GRAPH, show_default=True,
              help="Named graph to replace (or append to, with --append).")
@click.option("--user", help="User name for HTTP authentication.")
@click.option("--password", envvar="KMOA_SPARQL_PASSWORD", help="Password (or set KMOA_SPARQL_PASSWORD).")
@click.option("--auth", type=click.Choice(["basic", "digest"]), default="basic", show_default=True)
@click.option("--append", is_flag=True, help="POST (add triples) instead of PUT (replace the graph).")
@click.option("--store", "store_spec",
              help="Push every named graph of an Oxigraph store (oxigraph:DIR) under its own IRI "
                   "instead of the curated graph.")
@click.option("--timeout", type=SECONDS, default=600.0, show_default=True, help="Seconds allowed for each upload.")
@DATA_OPTION
def push_sparql(endpoint: str, graph_iri: str, user: str | None, password: str | None, auth: str,
                append: bool, store_spec: str | None, timeout: float, data_dir: Path | None) -> None:
    """Upload the curated graph (or a whole store) through the SPARQL 1.1 Graph Store Protocol."""
    from kmoa.graph.curation import CurationError
    from kmoa.graph.sparql import QueryTimeout
    from kmoa.loaders.stores.sparql_remote import RemoteEndpointError, push_graph

    options = {"user": user, "password": password, "auth": auth, "replace": not append, "timeout": timeout}
    try:
        if store_spec:
            from kmoa.loaders.stores.oxigraph_store import dump_graphs, parse_store_spec

            location = parse_store_spec(store_spec)
            if location is None:
                fail("--store must be oxigraph:DIR")
                return
            for name, path in dump_graphs(location):
                status = push_graph(endpoint, path, name, **options)  # type: ignore[arg-type]
                click.echo(f"pushed <{name}> ({path.stat().st_size} bytes) to {endpoint}: HTTP {status}")
            return
        from kmoa.graph.model import load_graph
        from kmoa.loaders.formats.rdf import to_rdf

        graph = to_rdf(load_graph(data_dir))
        status = push_graph(endpoint, graph, graph_iri, **options)  # type: ignore[arg-type]
    except (CurationError, RemoteEndpointError, QueryTimeout, ValueError) as err:
        fail(str(err))
    click.echo(f"pushed {len(graph)} triples into <{graph_iri}> at {endpoint}: HTTP {status}")
