"""The small interface every reader and writer shares, and the format-name registry."""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.model import KnowledgeGraph


class Sink(ABC):
    """Writes a knowledge graph to a file or directory."""

    format_name: str
    #: True when ``write`` produces a directory rather than one file.
    directory: bool = False

    @abstractmethod
    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        """Write the graph to ``out`` (the caller makes this atomic)."""


class Source(ABC):
    """Reads a knowledge graph back from a file or directory."""

    format_name: str

    @abstractmethod
    def read(self, path: Path) -> KnowledgeGraph:
        """Read the graph at ``path``."""


SINKS: dict[str, Callable[[], Sink]] = {}
SOURCES: dict[str, Callable[[], Source]] = {}


def register_sink(cls: type[Sink]) -> type[Sink]:
    """Class decorator: make a sink available by its format name."""
    SINKS[cls.format_name] = cls
    return cls


def register_source(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source available by its format name."""
    SOURCES[cls.format_name] = cls
    return cls


def _load_all() -> None:
    # Importing the modules runs their registration decorators.
    from loaders import graphs, kgx, oxigraph_store, rdf  # noqa: F401


def get_sink(name: str) -> Sink:
    """The sink for a format name, e.g. ``get_sink("turtle")``."""
    _load_all()
    try:
        return SINKS[name]()
    except KeyError:
        raise ValueError(f"unknown export format '{name}'; choose one of: {', '.join(sorted(SINKS))}") from None


def get_source(name: str) -> Source:
    """The source for a format name, e.g. ``get_source("kgx")``."""
    _load_all()
    try:
        return SOURCES[name]()
    except KeyError:
        raise ValueError(f"unknown import format '{name}'; choose one of: {', '.join(sorted(SOURCES))}") from None


@contextmanager
def atomic_path(final: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; move it into place only if the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp = tmp_root / final.name
    if directory:
        tmp.mkdir()
    try:
        yield tmp
        if final.is_dir() and directory:
            backup = final.parent / f".{final.name}.old-{os.getpid()}"
            os.replace(final, backup)
            os.replace(tmp, final)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def export(kg: KnowledgeGraph, format_name: str, out: Path) -> Path:
    """Write the graph in a format, atomically: on any error nothing is left at ``out``."""
    sink = get_sink(format_name)
    with atomic_path(out, directory=sink.directory) as tmp:
        sink.write(kg, tmp)
    return out
