"""The `kmoa` command line: thin commands over library functions, one module per group."""

from __future__ import annotations

import importlib

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
]
OPTIONAL_COMMANDS = [
    ("kmoa.cli.neo4j_server_cmd", "neo4j"),
    ("kmoa.cli.neo4j_cmd", "load"),
    ("kmoa.cli.neo4j_cmd", "cypher"),
    ("kmoa.cli.explore_cmd", "explore"),
    ("kmoa.cli.sparql_server_cmd", "serve"),
    ("kmoa.cli.sparql_server_cmd", "push"),
    ("kmoa.cli.import_cmd", "import_"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
