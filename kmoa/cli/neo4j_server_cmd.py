"""`kmoa neo4j start|stop|status`: manage the local Neo4j server (no Docker).

`start` prints only the `export NEO4J_URI=... NEO4J_USER=... NEO4J_PASSWORD=...`
line on stdout (progress goes to stderr), so a shell can do
`eval "$(kmoa neo4j start)"`. `status` never prints the password (a status line ends up in
logs and screenshots); it says which owner-only file holds it.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from kmoa import neo4j_server
from kmoa.cli.options import SECONDS

_CACHE_OPTION = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for jars, data and logs (default: $KMOA_CACHE/neo4j or ~/.cache/kmoa/neo4j).",
)


@click.group(name="neo4j")
def neo4j() -> None:
    """Run a local Neo4j Community 5.26 server fetched from Maven Central."""


@neo4j.command()
@_CACHE_OPTION
@click.option("--timeout", type=SECONDS, default=120.0, show_default=True, help="Seconds to wait for Bolt.")
def start(cache_dir: Path | None, timeout: float) -> None:
    """Start the server (or reuse a running one) and print the export line."""
    began = time.monotonic()
    running = neo4j_server.status(cache_dir)
    if running is None:
        click.echo(
            f"Starting Neo4j {neo4j_server.NEO4J_VERSION} (the first start downloads it with Maven)...",
            err=True,
        )
    unfinished = None if running else neo4j_server.unfinished_swap(cache_dir)
    try:
        info = running or neo4j_server.start(cache_dir, timeout=timeout)
    except neo4j_server.Neo4jServerError as err:
        raise click.ClickException(str(err)) from err
    if unfinished:
        click.echo("A bulk load was stopped while it switched databases: the database it was replacing is back in "
                   f"place and served (it was being moved to {unfinished}).", err=True)
    verb = "Already running" if running else f"Started in {time.monotonic() - began:.1f}s"
    click.echo(f"{verb}: {info.uri} (pid {info.pid}, home {info.home})", err=True)
    click.echo(info.shell_exports())


@neo4j.command()
@_CACHE_OPTION
def stop(cache_dir: Path | None) -> None:
    """Stop the server started from this cache folder."""
    try:
        stopped = neo4j_server.stop(cache_dir)
    except neo4j_server.Neo4jServerError as err:
        raise click.ClickException(str(err)) from err
    click.echo("Stopped." if stopped else "No server was running.", err=True)


@neo4j.command()
@_CACHE_OPTION
def status(cache_dir: Path | None) -> None:
    """Show whether the server runs; exit code 1 if it does not."""
    try:
        info = neo4j_server.status(cache_dir)
    except neo4j_server.Neo4jServerError as err:
        raise click.ClickException(str(err)) from err
    if info is None:
        click.echo("Not running.", err=True)
        click.get_current_context().exit(1)
    click.echo(f"Running: {info.uri} (pid {info.pid}, home {info.home})", err=True)
    click.echo(f"Password: in {neo4j_server.credentials_file(cache_dir)} (owner only); "
               '`eval "$(kmoa neo4j start)"` exports it.', err=True)
    click.echo(info.shell_exports(with_password=False))
