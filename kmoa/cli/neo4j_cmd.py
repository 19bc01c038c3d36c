"""`kmoa load neo4j` and `kmoa cypher`: thin commands over loaders.stores.neo4j."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.options import AT_LEAST_ONE, ROW_CAP, SECONDS, store_spec
from kmoa.cli.output import FORMATS, render
from kmoa.cli.query import query_text


def connection_options(func: Any) -> Any:
    """--uri/--user/--password/--database, defaulting to NEO4J_* and then the local server."""
    options = [
        click.option("--uri", help="Bolt or neo4j URI (default: $NEO4J_URI, else the `kmoa neo4j start` server)."),
        click.option("--user", help="User (default: $NEO4J_USER, else neo4j)."),
        click.option("--password", help="Password (default: $NEO4J_PASSWORD)."),
        click.option("--database", help="Database (default: $NEO4J_DATABASE, else neo4j)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def neo4j_uri(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The URI of a ``neo4j:URI`` store selector."""
    if value is None:
        return None
    spec = store_spec(ctx, param, value)
    if spec is None or not spec.startswith("neo4j:"):
        raise click.BadParameter(f"'{value}' is not a Neo4j store: use neo4j:URI, e.g. neo4j:bolt://localhost:7687")
    return spec.partition(":")[2]


def _settings(uri: str | None, user: str | None, password: str | None, database: str | None):  # type: ignore[no-untyped-def]
    from kmoa import neo4j_server
    from kmoa.loaders.stores.neo4j import ConnectionSettings, Neo4jConnectionError

    try:
        return ConnectionSettings.resolve(uri, user, password, database, local=neo4j_server.status)
    except Neo4jConnectionError as err:
        fail(str(err))


def neo4j_store(uri: str | None, user: str | None, password: str | None, database: str | None, mode: str,
                batch_size: int, force: bool, progress: bool | None = None) -> tuple[str, dict[str, Any]]:
    """The ``open_store`` selector and options of a Neo4j store whose writes are full reloads.

    A write replaces the graph by ``kmoa.neo4j_reload.reload_rows`` (``--mode``: one transaction or
    the bulk importer of the local server); the URI and credentials default to NEO4J_* and then
    the ``kmoa neo4j start`` server.
    """
    from functools import partial

    from kmoa import neo4j_server
    from kmoa.neo4j_reload import reload_rows

    return f"neo4j:{uri or ''}", {
        "user": user, "password": password, "database": database, "local": neo4j_server.status,
        "load": partial(reload_rows, mode=mode, batch_size=batch_size,  # type: ignore[arg-type]
                        force=force, progress=progress)}


@click.group()
def load() -> None:
    """Load the graph into a database."""


def mode_option(func: Any) -> Any:
    """--mode auto|bulk|online, explained in --help (the choice is kmoa.neo4j_reload's)."""
    from kmoa.neo4j_reload import MODE_HELP, MODES

    return click.option("--mode", type=click.Choice(MODES), default="auto", show_default=True,
                        help=MODE_HELP)(func)


@load.command(name="neo4j")
@click.option("--store", callback=neo4j_uri, help="neo4j:URI: the Neo4j store (the same as --uri URI).")
@connection_options
@mode_option
@click.option("--batch-size", type=AT_LEAST_ONE, default=20_000, show_default=True,
              help="Rows per write batch of an online load.")
@click.option("--force", is_flag=True,
              help="Stop another load whose transaction is still open (a hung or stopped process) first.")
@DATA_OPTION
def load_neo4j(store: str | None, uri: str | None, user: str | None, password: str | None, database: str | None,
               mode: str, batch_size: int, force: bool, data_dir: Path | None) -> None:
    """Replace the graph in Neo4j; nothing of the new graph is visible before it is complete.

    A failed or killed load leaves the previous graph in place and nothing else. See --mode for
    the two ways (one transaction, or the bulk importer and a restart of the local server).
    """
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph
    from kmoa.graph.rows import edge_rows, node_rows
    from kmoa.loaders.stores.adapter import open_store
    from kmoa.loaders.stores.neo4j import Neo4jConnectionError, Neo4jLoadError, Neo4jStore, graph_counts
    from kmoa.neo4j_reload import kept_message
    from kmoa.neo4j_server import Neo4jServerError

    try:
        kg = load_graph(data_dir)
    except CurationError as err:
        fail(str(err))
    spec, options = neo4j_store(store or uri, user, password, database, mode, batch_size, force)
    try:
        with open_store(spec, **options) as opened:
            assert isinstance(opened, Neo4jStore)
            opened.write(node_rows(kg), edge_rows(kg))
            result, settings = opened.result, opened.settings
            nodes, rels = graph_counts(opened.driver, settings.database)
    except (Neo4jConnectionError, Neo4jLoadError, Neo4jServerError, ValueError) as err:
        fail(str(err))
    click.echo(f"loaded into {settings.uri} (database {settings.database}): {nodes} nodes, {rels} relationships "
               f"({result.mode}, generation {result.load_id}, {result.seconds:.1f} s)")
    if result.kept:
        click.echo(kept_message(result), err=True)


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"parameter '{pair}' is not KEY=VALUE")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


@click.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option("-n", "--named", help="Run the Cypher twin of a named query (see `kmoa queries`).")
@click.option("-p", "--param", "param_pairs", multiple=True, metavar="KEY=VALUE",
              help="Query parameter ($KEY); VALUE is parsed as JSON when it can be. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds before the server stops the query.")
@click.option("--limit", type=ROW_CAP, default=10_000, show_default=True, help="Maximum rows returned.")
@click.option("--write", is_flag=True, help="Allow queries that write (refused by default).")
@click.option("--store", callback=neo4j_uri, help="neo4j:URI: the Neo4j store (the same as --uri URI).")
@connection_options
def cypher(query: str | None, query_file: IO[str] | None, named: str | None, param_pairs: tuple[str, ...], fmt: str,
           timeout: float, limit: int, write: bool, store: str | None, uri: str | None, user: str | None,
           password: str | None, database: str | None) -> None:
    """Run a read-only Cypher query (QUERY, -f FILE or -n NAME) with a timeout and a row cap."""
    from kmoa.loaders.stores.neo4j import (
        CypherError,
        CypherRefused,
        CypherTimeout,
        Neo4jConnectionError,
        open_driver,
        run_cypher,
    )

    text = query_text(query, query_file, named, "cypher")
    settings = _settings(store or uri, user, password, database)
    try:
        with open_driver(settings) as driver:
            result = run_cypher(driver, text, _params(param_pairs), database=settings.database, timeout=timeout,
                                limit=limit, write=write)
    except (Neo4jConnectionError, CypherRefused, CypherTimeout, CypherError) as err:
        fail(str(err))
    click.echo(render(result.columns, result.rows, fmt))
    if result.truncated:
        click.echo(f"(truncated at {limit} rows; raise --limit)", err=True)
