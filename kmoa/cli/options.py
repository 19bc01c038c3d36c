"""Option types shared by the commands, checked by click before any work starts (a bad value exits 2)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click


class Seconds(click.FloatRange):
    """Seconds a query (or a wait) may take: a finite number above zero, since every query has a timeout."""

    name = "seconds"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        """Refuse nan and infinity, which a plain range lets through."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return number


#: Seconds a query (or a wait) may take: more than zero, since every query has a timeout.
SECONDS = Seconds(min=0, min_open=True, max=86_400)
#: A count of things: at least one.
AT_LEAST_ONE = click.IntRange(min=1)
#: A row cap: at least one, at most a billion.
ROW_CAP = click.IntRange(min=1, max=1_000_000_000)
#: A TCP port to listen on (0 lets the system pick a free one).
PORT = click.IntRange(min=0, max=65535)


class OutputPath(click.ParamType):
    """A path to write to: not empty (an empty argument would mean the current folder)."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """The path, or a usage error for an empty or blank argument."""
        if isinstance(value, Path):
            return value
        if not str(value).strip():
            self.fail("is empty: give a file or folder name", param, ctx)
        return Path(value)


OUTPUT_PATH = OutputPath()


def http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Accept only http:// and https:// URLs with a host (no file:, ftp: or bare words)."""
    if value is None:
        return None
    from kmoa.loaders.stores.sparql_remote import RemoteEndpointError, check_http_url

    try:
        return check_http_url(value)
    except RemoteEndpointError as err:
        raise click.BadParameter(str(err)) from None


STORE_LOCATORS = {"memory": "", "oxigraph": "DIR", "neo4j": "URI", "sparql": "URL"}


def store_spec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A store selector naming a registered store: memory:, oxigraph:DIR, neo4j:URI or sparql:URL."""
    if value is None:
        return None
    from kmoa.loaders.stores.adapter import STORES

    scheme, colon, locator = value.partition(":")
    if scheme == "memory" and not locator:
        return "memory:"
    if not colon or scheme not in STORES or not locator:
        raise click.BadParameter(f"'{value}' names no store; use one of "
                                 + ", ".join(f"{s}:{STORE_LOCATORS.get(s, 'LOCATOR')}" for s in STORES))
    if scheme == "sparql":
        http_url(ctx, param, locator)
    return value


def store_alias(scheme: str) -> Any:
    """Callback of an old flag (``--endpoint URL``, ``--uri URI``) that stands for ``--store scheme:VALUE``."""
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        return None if value is None else store_spec(ctx, param, f"{scheme}:{value}")

    return callback


def route_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A route of administration the schema knows (ontology/schema.yaml ``routes``)."""
    if value is None:
        return None
    from kmoa.ontology.schema import load_schema

    routes = load_schema().routes
    if value not in routes:
        raise click.BadParameter(f"'{value}' is not a route; choose one of: {', '.join(routes)}")
    return value


FORCE_OPTION = click.option(
    "--force", is_flag=True,
    help="Write into a folder that holds other files and no kmoa marker; only kmoa's own entries are replaced.")
