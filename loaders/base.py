"""The small interface every reader and writer shares, and the format-name registry."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kmoa.graph.model import KnowledgeGraph


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


Row = Mapping[str, Any]


class RowError(ValueError):
    """A row a sink cannot take (a duplicate id, an edge to a node not written, a bad identifier); nothing is kept."""


class RowSink(ABC):
    """Consumes a graph as a stream of rows (``graph.rows``): every node, then every edge, then ``finish``.

    Every writer and store takes rows this way, whatever produced them (the curated graph, a KGX
    import, DrugMechDB), as KGX's own sinks do. A row uses the column names of ``graph.rows.NodeRow``
    / ``EdgeRow`` (a source may add columns of its own, which a sink may ignore). Nothing a sink
    writes counts until ``finish`` returns.
    """

    @abstractmethod
    def write_node(self, row: Row) -> None:
        """Take one node row."""

    @abstractmethod
    def write_edge(self, row: Row) -> None:
        """Take one edge row (after every node row)."""

    @abstractmethod
    def finish(self) -> None:
        """Complete the output."""


def write_rows(sink: RowSink, nodes: Iterable[Row], edges: Iterable[Row]) -> RowSink:
    """Stream ``nodes`` then ``edges`` into ``sink`` and finish it."""
    for node in nodes:
        sink.write_node(node)
    for edge in edges:
        sink.write_edge(edge)
    sink.finish()
    return sink


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


OUTPUT_MARKER = ".kmoa-output"
_MARKER_HEADER = "# Written by kmoa. It may replace the entries listed below; it never touches other files.\n"


class OutputError(Exception):
    """An output location kmoa will not write to (it could destroy something kmoa did not write)."""


def _missing_ancestors(path: Path) -> list[Path]:
    """Folders above ``path`` that do not exist yet, deepest first; OutputError if one of them is a file."""
    missing: list[Path] = []
    for parent in Path(os.path.abspath(path)).parents:
        if parent.is_dir():
            return missing
        if parent.exists() or parent.is_symlink():
            raise OutputError(f"{parent} is a file, not a folder: cannot write {path}")
        missing.append(parent)
    return missing


SCRATCH_MARKER = ".kmoa-scratch"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_dead_scratch(final: Path) -> None:
    """Remove scratch folders beside ``final`` left by killed runs on this machine (never anything else)."""
    host = socket.gethostname()
    for folder in final.parent.glob(f".{glob.escape(final.name)}.*"):
        marker = folder / SCRATCH_MARKER
        try:
            owner_host, _, pid = marker.read_text(encoding="utf-8").strip().rpartition(" ")
            if folder.is_symlink() or owner_host != host or _process_alive(int(pid)):
                continue
        except (OSError, ValueError):
            continue
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _scratch_beside(final: Path) -> Iterator[Path]:
    """A hidden scratch folder beside ``final`` (parents created); removed, with any parents it made, on exit.

    The folder names its owner (host and process) so that the next run removes it if the owner
    was killed before it could clean up.
    """
    created = _missing_ancestors(final)
    tmp_root: Path | None = None
    try:
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            _remove_dead_scratch(final)
            tmp_root = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
            (tmp_root / SCRATCH_MARKER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
        except OSError as err:
            raise OutputError(f"cannot write {final}: {err.strerror or err}") from None
        yield tmp_root
    except BaseException:
        if tmp_root is not None:
            shutil.rmtree(tmp_root, ignore_errors=True)
            tmp_root = None
        for folder in created:  # deepest first; only the empty folders this call made
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    finally:
        if tmp_root is not None:
            shutil.rmtree(tmp_root, ignore_errors=True)


def _named(final: Path | str) -> Path:
    """``final`` as a path with a last component ('.' and '..' made absolute); OutputError if it has none."""
    if isinstance(final, str) and not final.strip():
        raise OutputError("the output path is empty: give a file or folder name")
    path = Path(final)
    if path.name in ("", ".", ".."):
        path = Path(os.path.abspath(path))
    if not path.name:
        raise OutputError(f"'{final}' does not name a file or folder kmoa can write")
    return path


def _swap(new: Path, final: Path, backup: Path) -> None:
    """Replace the folder ``final`` by ``new``, keeping the old one at ``backup``; undone if the second step fails."""
    os.replace(final, backup)
    try:
        os.replace(new, final)
    except BaseException:
        os.replace(backup, final)
        raise


@contextmanager
def atomic_path(final: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; move it into place only if the block succeeds.

    A folder at ``final`` is swapped out whole: callers that protect a user's files use
    ``output_path`` instead. On failure the temporary path is removed and ``final`` is untouched.
    """
    final = _named(final)
    with _scratch_beside(final) as tmp_root:
        tmp = tmp_root / final.name
        if directory:
            tmp.mkdir()
        yield tmp
        if final.is_dir() and directory:
            _swap(tmp, final, tmp_root / ".old")
        else:
            os.replace(tmp, final)


def owned_entries(folder: Path) -> set[str] | None:
    """Names kmoa wrote into ``folder`` (listed in its marker), or None when it holds no marker."""
    marker = folder / OUTPUT_MARKER
    if not marker.is_file():
        return None
    lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()
    return {line for line in lines if line and not line.startswith("#") and "/" not in line
            and line not in (".", "..", OUTPUT_MARKER)}


def check_output(final: Path, directory: bool = False, force: bool = False) -> Path:
    """Refuse (OutputError) an output that could destroy what kmoa did not write.

    A file output may replace that one file. A folder output may be a new folder, an empty one, or
    one holding kmoa's marker; ``force`` also allows any other folder, where only the entries kmoa
    writes are replaced and every other file is kept.
    """
    final = _named(final)
    _missing_ancestors(final)
    if not directory:
        if final.is_dir():
            raise OutputError(f"{final} is a folder: give a file name for this output")
        return final
    if final.exists() and not final.is_dir():
        raise OutputError(f"{final} is a file, not a folder: give a folder for this output")
    if final.is_dir() and not force and owned_entries(final) is None and any(final.iterdir()):
        raise OutputError(f"{final} is not empty and was not written by kmoa (it has no {OUTPUT_MARKER}); "
                          "choose a new or empty folder, or pass --force to write kmoa's files into it "
                          "(other files are kept)")
    return final


def _holds_working_directory(folder: Path) -> bool:
    try:
        return Path.cwd().resolve().is_relative_to(folder.resolve())
    except OSError:
        return True


def _commit_folder(new: Path, final: Path, scratch: Path) -> None:
    """Move the finished folder ``new`` to ``final``, replacing only the entries kmoa owns there."""
    names = sorted(p.name for p in new.iterdir() if p.name != OUTPUT_MARKER)
    (new / OUTPUT_MARKER).write_text(_MARKER_HEADER + "".join(f"{n}\n" for n in names), encoding="utf-8")
    if not final.exists():
        os.rename(new, final)
        return
    owned = owned_entries(final) or set()
    others = [p for p in final.iterdir() if p.name not in {OUTPUT_MARKER, *owned, *names}]
    if not others and not final.is_symlink() and not _holds_working_directory(final):
        _swap(new, final, scratch / ".old")  # the whole folder is kmoa's: replace it at once
        return
    old = scratch / ".old"
    old.mkdir()
    moved: list[tuple[Path, Path]] = []  # (from, to), undone in reverse order on failure

    def move(source: Path, target: Path) -> None:
        os.replace(source, target)
        moved.append((source, target))

    try:
        for name in [*names, OUTPUT_MARKER]:
            target = final / name
            if target.exists() or target.is_symlink():
                move(target, old / name)
            move(new / name, target)
        for name in sorted(owned - set(names)):
            target = final / name
            if target.exists() or target.is_symlink():
                move(target, old / name)
    except BaseException:
        for source, target in reversed(moved):
            os.replace(target, source)
        raise


@contextmanager
def output_path(final: Path, directory: bool = False, force: bool = False) -> Iterator[Path]:
    """Like ``atomic_path``, for outputs a user names: checked by ``check_output``, folders get a marker.

    Nothing is written at ``final`` unless the block succeeds; a folder output replaces only the
    entries kmoa writes (and those its marker lists), never other files.
    """
    final = check_output(final, directory, force)
    if not directory:
        with atomic_path(final) as tmp:
            yield tmp
        return
    with _scratch_beside(final) as scratch:
        tmp = scratch / final.name
        tmp.mkdir()
        yield tmp
        _commit_folder(tmp, final, scratch)
