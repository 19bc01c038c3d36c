"""The `kmoa` command line: thin commands over library functions, one module per group."""

from __future__ import annotations

import errno
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

# (module, attribute) of every command or group; each module stays small and imports lazily.
COMMANDS = [
    ("kmoa.cli.data", "validate"),
    ("kmoa.cli.data", "fmt"),
    ("kmoa.cli.data", "build"),
    ("kmoa.cli.data", "export"),
    ("kmoa.cli.query", "paths"),
    ("kmoa.cli.query", "sparql"),
    ("kmoa.cli.query", "queries"),
    ("kmoa.cli.compare_cmd", "compare"),
    ("kmoa.cli.plot_cmd", "plot"),
]
OPTIONAL_COMMANDS = [
    ("kmoa.cli.neo4j_server_cmd", "neo4j"),
    ("kmoa.cli.neo4j_cmd", "load"),
    ("kmoa.cli.neo4j_cmd", "cypher"),
    ("kmoa.cli.explore_cmd", "explore"),
    ("kmoa.cli.sparql_server_cmd", "serve"),
    ("kmoa.cli.sparql_server_cmd", "push"),
    ("kmoa.cli.trapi_cmd", "serve"),  # adds `serve trapi` to the serve group
    ("kmoa.cli.import_cmd", "import_"),
]


# Library errors that are the user's to fix: shown as one line, exit 1. Looked up only when their
# module is already loaded (an error of that class cannot exist otherwise), so startup stays fast.
USER_ERRORS = [
    ("kmoa.loaders.base", "OutputError"),
    ("kmoa.graph.curation", "NotADataFolder"),
    ("kmoa.graph.curation", "CurationError"),
    ("kmoa.graph.identifiers", "InvalidIdentifier"),
    ("kmoa.graph.model", "UnknownEntityError"),
    ("kmoa.graph.sparql", "QueryRefused"),
    ("kmoa.graph.sparql", "QuerySyntaxError"),
    ("kmoa.graph.sparql", "QueryTimeout"),
    ("kmoa.evidence_plot", "PlotError"),
    ("kmoa.graph.evidence", "NotACompound"),
    ("kmoa.loaders.formats.kgx", "KgxFormatError"),
    ("kmoa.loaders.formats.rdf", "RdfParseError"),
    ("kmoa.loaders.formats.drugmechdb", "DrugMechDBError"),
    ("kmoa.loaders.stores.oxigraph_store", "StoreError"),
    ("kmoa.loaders.stores.neo4j", "Neo4jConnectionError"),
    ("kmoa.loaders.stores.neo4j", "Neo4jLoadError"),
    ("kmoa.loaders.stores.neo4j", "CypherRefused"),
    ("kmoa.loaders.stores.neo4j", "CypherTimeout"),
    ("kmoa.loaders.stores.neo4j", "CypherError"),
    ("kmoa.neo4j_server", "Neo4jServerError"),
]


def os_error_message(err: OSError) -> str:
    """An OSError as '<path>: <reason>' (e.g. 'out/x.ttl: Permission denied')."""
    reason = err.strerror or str(err)
    paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


def user_error_message(err: BaseException) -> str | None:
    """The one-line message for an error the user can fix, or None for a bug (which keeps its traceback)."""
    for module_name, name in USER_ERRORS:
        cls = getattr(sys.modules.get(module_name), name, None)
        if cls is not None and isinstance(err, cls):
            return str(err)
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{err.object[err.start]:02x} at position {err.start} cannot be decoded"
    if isinstance(err, OSError) and err.errno != errno.EPIPE:
        return os_error_message(err)
    return None


_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class KmoaGroup(click.Group):
    """The top-level group: every user error ends as one line `Error: ...`, exit 2 for usage, 1 for failure."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; errors the user can fix become a ClickException (exit 1)."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as err:
            message = user_error_message(err)
            if message is None:
                raise
            raise click.ClickException(message) from err

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Like click's, but a usage error is one line naming the help command, not the usage block."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as err:  # `kmoa` alone prints the help
            err.show()
            _exit(err.exit_code)
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} -h')" if err.ctx is not None else ""
            click.echo(f"Error: {err.format_message()}{hint}", err=True)
            _exit(err.exit_code)
        except click.ClickException as err:
            err.show()
            _exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            _exit(1)
        _exit(rv if isinstance(rv, int) else 0)


def _exit(code: int) -> NoReturn:
    sys.exit(code)


@click.group(cls=KmoaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmoa")
def main() -> None:
    """Explore how ketamine and its relatives work: a knowledge graph built from one review."""


def _register() -> None:
    for module_name, attr in COMMANDS:
        main.add_command(getattr(importlib.import_module(module_name), attr))
    for module_name, attr in OPTIONAL_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue
        main.add_command(getattr(module, attr))


_register()
