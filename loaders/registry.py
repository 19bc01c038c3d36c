"""The format-name registry: every registered reader and writer, by name, and ``export``.

It sits above the formats and stores it registers (importing them runs their ``register_sink`` /
``register_source`` decorators), so ``loaders/base.py`` stays below them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.base import SINKS, SOURCES, Sink, Source, output_path

T = TypeVar("T")


def _load_all() -> None:
    # Importing the modules runs their registration decorators.
    from kmoa.loaders.formats import graphs, kgx, rdf  # noqa: F401
    from kmoa.loaders.stores import oxigraph_store  # noqa: F401


def _made(registry: Mapping[str, Callable[[], T]], name: str, what: str) -> T:
    """A new reader or writer of a format name (ValueError listing the known ones)."""
    _load_all()
    try:
        return registry[name]()
    except KeyError:
        raise ValueError(f"unknown {what} format '{name}'; choose one of: {', '.join(sorted(registry))}") from None


def get_sink(name: str) -> Sink:
    """The sink for a format name, e.g. ``get_sink("turtle")``."""
    return _made(SINKS, name, "export")


def get_source(name: str) -> Source:
    """The source for a format name, e.g. ``get_source("kgx")``."""
    return _made(SOURCES, name, "import")


def export(kg: KnowledgeGraph, format_name: str, out: Path, force: bool = False) -> Path:
    """Write the graph in a format, atomically: on any error nothing is left at ``out``.

    Refuses (OutputError) to write into a folder that holds other files and no kmoa marker unless
    ``force``; even then only kmoa's own entries are replaced.
    """
    sink = get_sink(format_name)
    with output_path(out, directory=sink.directory, force=force) as tmp:
        sink.write(kg, tmp)
    return out
