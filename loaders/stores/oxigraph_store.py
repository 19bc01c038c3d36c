"""An on-disk Oxigraph store for graphs too large for rdflib: named graphs, generations swapped atomically.

The curated graph is the named graph ``CURATED_GRAPH``, every imported source has its own, and
queries see their union. A writer builds a new generation and flips the ``active`` pointer to it
with one rename; readers pin the generation they opened. Details: ``docs/atomic-loading.md``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from glob import escape as glob_escape
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.results import QueryResult
from kmoa.loaders.base import Sink, Source, register_sink, register_source
from kmoa.loaders.stores.adapter import RdfStore
from kmoa.ontology.namespaces import CURATED_GRAPH, ROWS_GRAPH, source_graph

if TYPE_CHECKING:
    from kmoa.graph.imported import ImportedGraph
    from kmoa.loaders.formats.kgx_import import ImportSummary

STORE_PREFIX = "oxigraph:"
# Store layout: DIR/active -> generations/gen-NNNNNN (a symlink replaced atomically), DIR/write.lock.
ACTIVE = "active"
GENERATIONS = "generations"
GEN_PREFIX = "gen-"
READERS_SUFFIX = ".readers"
LOCK = "write.lock"


class StoreError(RuntimeError):
    """A store that cannot be opened, built or queried."""


def parse_store_spec(spec: str) -> Path | None:
    """``memory`` (or ``memory:``) -> None, ``oxigraph:DIR`` -> DIR; ValueError otherwise."""
    if spec in ("memory", "memory:"):
        return None
    if spec.startswith(STORE_PREFIX) and len(spec) > len(STORE_PREFIX):
        return Path(spec[len(STORE_PREFIX):])
    raise ValueError(f"unknown store '{spec}': use 'memory' or 'oxigraph:DIR'")


def is_store(path: Path) -> bool:
    """Tell whether ``path`` holds an Oxigraph store (generations with an ``active`` pointer, or legacy)."""
    return active_generation(path) is not None


def active_generation(path: Path) -> Path | None:
    """The folder of the store's active generation (the store itself for the legacy layout); None if none."""
    path = Path(path)
    pointer = path / ACTIVE
    if pointer.is_symlink():
        target = path / os.readlink(pointer)
        return target if (target / "CURRENT").is_file() else None
    if (path / "CURRENT").is_file():
        return path
    return None


def curated_ntriples(kg: KnowledgeGraph) -> bytes:
    """Serialise the curated graph (``to_rdf``) as N-Triples."""
    from kmoa.loaders.formats.rdf import to_rdf

    return to_rdf(kg).serialize(format="nt", encoding="utf-8")


def load_curated(store: Any, kg: KnowledgeGraph) -> None:
    """Replace the curated named graph of an open, writable store with the current curation."""
    import pyoxigraph as ox

    graph = ox.NamedNode(CURATED_GRAPH)
    if store.contains_named_graph(graph):
        store.clear_graph(graph)
    store.bulk_load(input=curated_ntriples(kg), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


def load_curated_rows(store: Any, kg: KnowledgeGraph) -> None:
    """Replace the rows graph (``ROWS_GRAPH``) of an open, writable store with the curated graph's rows."""
    import pyoxigraph as ox

    from kmoa.graph.rows import edge_rows, node_rows
    from kmoa.loaders.formats.row_rdf import row_lines

    graph = ox.NamedNode(ROWS_GRAPH)
    if store.contains_named_graph(graph):
        store.clear_graph(graph)
    store.bulk_load(input="".join(row_lines(node_rows(kg), edge_rows(kg))).encode("utf-8"),
                    format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


def build_store(path: Path, kg: KnowledgeGraph) -> Path:
    """Create a store at ``path`` holding only the curated graph, or replace the contents of one."""
    with updating_store(path, fresh=True) as store:
        load_curated(store, kg)
    return path


# -- generations: one writer, a pointer that flips, readers that pin what they read -------------------


@contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """Hold the store's writer lock; StoreError at once if another process holds it.

    ``path`` is created if missing; an existing folder must be empty or a store (nothing else of
    the user's is ever written into or removed).
    """
    import fcntl

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path} exists and is not a folder")
    if path.is_dir() and not is_store(path) and not (path / GENERATIONS).is_dir() \
            and any(p.name != LOCK for p in path.iterdir()):
        raise StoreError(f"{path} exists, is not empty and is not an Oxigraph store; choose another folder")
    path.mkdir(parents=True, exist_ok=True)
    with (path / LOCK).open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(f"{path} is being written by {holder}; wait until it finishes, then try again "
                             "(one writer at a time)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()


@contextmanager
def updating_store(path: Path, fresh: bool = False) -> Iterator[Any]:
    """Yield a writable new generation of the store at ``path``; flip ``active`` to it on success.

    The new generation starts as a copy of the active one (empty when ``fresh``); the flip is one
    atomic rename. One writer at a time (``writer_lock``). A failed or killed update leaves the
    active generation as it was; its unfinished generation is removed by the next writer. Readers
    keep the generation they opened until they reopen (the query pool does on its next query).
    """
    import pyoxigraph as ox

    path = Path(path)
    with writer_lock(path):
        current = active_generation(path)
        generation = _new_generation(path)
        remove_leftovers(path, keep=generation)
        try:
            if current is not None and not fresh:
                with read_only_store(path) as old:
                    old.backup(str(generation))
            store = ox.Store(str(generation))
            yield store
            store.flush()
            del store
            _flip(path, generation)
        except BaseException:
            _remove_generation(generation)
            raise
        if current == path:  # the legacy layout, now superseded by the first generation
            _remove_legacy_files(path)
        remove_leftovers(path)


def _new_generation(path: Path) -> Path:
    folder = path / GENERATIONS
    folder.mkdir(exist_ok=True)
    numbers = [int(match.group(1)) for p in folder.iterdir()
               if (match := re.fullmatch(re.escape(GEN_PREFIX) + r"(\d+)(\.readers)?", p.name))]
    generation = folder / f"{GEN_PREFIX}{max(numbers, default=0) + 1:06d}"
    _readers_file(generation).touch()
    return generation


def _readers_file(generation: Path) -> Path:
    return generation.with_name(generation.name + READERS_SUFFIX)


def _flip(path: Path, generation: Path) -> None:
    """Point ``active`` at ``generation``: a new symlink renamed over the old one (atomic)."""
    pointer = path / ACTIVE
    staged = path / f".{ACTIVE}.{os.getpid()}"
    if staged.is_symlink() or staged.exists():
        staged.unlink()
    _fsync_folder(generation)
    _fsync_folder(generation.parent)
    os.symlink(os.path.relpath(generation, path), staged)
    os.replace(staged, pointer)
    _fsync_folder(path)


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def remove_leftovers(path: Path, keep: Path | None = None) -> list[Path]:
    """Remove generations that are neither active, ``keep``, nor pinned by a reader.

    They are the unfinished generations of killed writes and superseded ones. Call only while
    holding the writer lock. Returns what was removed.
    """
    import fcntl

    path = Path(path)
    removed: list[Path] = _remove_hidden_copies(path)
    for staged in path.glob(f".{ACTIVE}.*"):
        staged.unlink()
    folder = path / GENERATIONS
    if not folder.is_dir():
        return removed
    active = active_generation(path)
    for entry in sorted(folder.iterdir()):
        if entry.name.endswith(READERS_SUFFIX):
            generation = entry.with_name(entry.name[:-len(READERS_SUFFIX)])
        elif entry.name.startswith(GEN_PREFIX):
            generation = entry
        else:
            continue
        if generation in (active, keep) or generation in removed:
            continue
        readers = _readers_file(generation)
        with readers.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a server still reads it; a later writer removes it
            shutil.rmtree(generation, ignore_errors=True)
            readers.unlink()
        removed.append(generation)
    return removed


def _remove_hidden_copies(path: Path) -> list[Path]:
    """Remove the partial copies that killed writes of the earlier layout left beside the store.

    They are ``.NAME.XXXXXXXX/NAME`` (the temporary folder of ``loaders.base.atomic_path``) holding
    nothing but a RocksDB store; anything else beside the store is left alone.
    """
    removed = []
    for entry in path.parent.glob(f".{glob_escape(path.name)}.*"):
        inner = entry / path.name
        if (re.fullmatch(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}", entry.name) and entry.is_dir()
                and [p.name for p in entry.iterdir()] == [path.name] and (inner / "CURRENT").is_file()
                and not (inner / ACTIVE).exists()):
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def _remove_generation(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)
    _readers_file(generation).unlink(missing_ok=True)


def _remove_legacy_files(path: Path) -> None:
    """Remove the RocksDB files of a store in the layout without generations (after its migration)."""
    legacy = re.compile(r"(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob))")
    for entry in path.iterdir():
        if entry.is_file() and legacy.fullmatch(entry.name):
            entry.unlink()


@contextmanager
def pinned_generation(path: Path, attempts: int = 20) -> Iterator[Path]:
    """Yield the active generation of the store at ``path``, pinned (a writer will not remove it)."""
    import fcntl

    path = Path(path)
    for _ in range(attempts):
        generation = active_generation(path)
        if generation is None:
            raise StoreError(f"{path} is not an Oxigraph store")
        if generation == path:  # legacy layout: nothing to pin
            yield generation
            return
        try:
            handle = _readers_file(generation).open("r")
        except FileNotFoundError:
            continue  # removed after a flip: read the pointer again
        with handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if os.fstat(handle.fileno()).st_nlink and (generation / "CURRENT").is_file():
                yield generation
                return
    raise StoreError(f"{path}: the active generation kept changing; try again")


@contextmanager
def read_only_store(path: Path) -> Iterator[Any]:
    """The store's active generation opened read-only, pinned while the block runs."""
    import pyoxigraph as ox

    with pinned_generation(path) as generation:
        store = ox.Store.read_only(str(generation))
        try:
            yield store
        finally:
            del store


@register_sink
class OxigraphSink(Sink):
    """An Oxigraph store directory holding the curated graph in its named graph."""

    format_name = "oxigraph"
    directory = True

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        """Create the store at ``out`` and bulk-load the curated graph."""
        build_store(out, kg)


@register_source
class OxigraphSource(Source):
    """Reads the curated named graph of an Oxigraph store back into a KnowledgeGraph."""

    format_name = "oxigraph"

    def read(self, path: Path) -> KnowledgeGraph:
        """Read the curated named graph back."""
        import pyoxigraph as ox
        from rdflib import Graph

        from kmoa.loaders.formats.rdf import from_rdf

        with read_only_store(path) as store:
            data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(CURATED_GRAPH))
        g = Graph()
        g.parse(data=data, format="nt")
        return from_rdf(g)


def dump_graphs(path: Path) -> Iterator[tuple[str, Path]]:
    """Yield each named graph of a store as (IRI, temporary N-Triples file); files go afterwards."""
    import tempfile

    import pyoxigraph as ox

    with read_only_store(path) as store, tempfile.TemporaryDirectory(prefix="kmoa-dump-") as folder:
        for i, graph in enumerate(sorted(store.named_graphs(), key=lambda g: str(g))):
            out = Path(folder) / f"graph{i}.nt"
            store.dump(str(out), format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
            yield graph.value, out
            out.unlink()


# -- imports -------------------------------------------------------------------------------------


def import_into_oxigraph(store_path: Path, kg: KnowledgeGraph, graph: ImportedGraph,
                         progress: bool | None = None, provenance: bool = True) -> ImportSummary:
    """Write curated + imported graphs into a copy of the store and swap it in.

    The new generation (``updating_store``) gets the current curated graph and its rows
    (``load_curated``, ``load_curated_rows``), one named graph per knowledge source (``source_graph``) and the imported
    nodes' labels and categories in ``IMPORT_GRAPH_BASE + name``; the store switches to it only
    when everything succeeded. Re-importing a source replaces its named graph.

    The import's rows (``graph.imported``, the one mapping every store is given) are written too:
    the new nodes' rows into the import's graph and each imported edge as its statement in Biolink's
    terms (``nquads``), in its knowledge source's graph beside the edge's direct triple, which is
    also the edge's row (``loaders.formats.row_rdf``); so the store adapter (``OxigraphStore``) and
    ``kmoa paths --store`` walk the imported edges and SPARQL users see each edge's provenance.
    ``provenance=False`` writes the imported edges as direct triples only, several times faster
    for a large import: then the path search over the store walks the curated rows alone.
    """
    import pyoxigraph as ox

    from kmoa.graph.imported import imported_node_rows
    from kmoa.loaders.formats.kgx_import import import_graph_iri, import_summary, nquads
    from kmoa.loaders.formats.row_rdf import row_lines

    began = time.perf_counter()
    node_graph = import_graph_iri(graph.name)
    with updating_store(Path(store_path)) as store:
        load_curated(store, kg)
        load_curated_rows(store, kg)
        for iri in [node_graph, *(source_graph(s) for s in graph.source_names)]:
            if store.contains_named_graph(ox.NamedNode(iri)):
                store.clear_graph(ox.NamedNode(iri))
        quads = nquads(graph, progress, provenance)
        if provenance:  # the statements are the edges' rows; the new nodes' rows go beside them
            quads = chain(quads, row_lines(imported_node_rows(kg, graph), (), graph_of=lambda row: node_graph))
        _bulk_load_streamed(store, quads)
    return import_summary(graph, began, f"oxigraph:{store_path}")


def _bulk_load_streamed(store: Any, chunks: Iterator[str]) -> None:
    """Bulk-load N-Quads while they are being generated (a pipe between a thread and the loader)."""
    import pyoxigraph as ox

    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "w", encoding="utf-8", buffering=1 << 20) as out:
                for chunk in chunks:
                    out.write(chunk)
        except BaseException as err:  # re-raised below; the loader then sees a short input
            failure.append(err)

    producer = threading.Thread(target=produce, name="kgx-nquads", daemon=True)
    producer.start()
    try:
        with os.fdopen(read_fd, "rb", buffering=1 << 20) as source:
            # Every term was built and checked by pyoxigraph's constructors (see ``nquads``), so the
            # parser's own IRI validation, which doubles the load time, is skipped.
            store.bulk_load(input=source, format=ox.RdfFormat.N_QUADS, lenient=True)
    finally:
        producer.join()
    if failure:
        raise failure[0]


# -- the store adapter ---------------------------------------------------------------------------


class OxigraphStore(RdfStore):
    """``oxigraph:DIR``: rows in their own named graph of the on-disk store, written as a new generation.

    A write replaces the rows graph (``ROWS_GRAPH``) and keeps the store's other graphs (the curated
    graph, imports); ``merge`` also writes an import's rows beside the earlier imports. The store
    switches to the new generation only when it is complete.
    """

    scheme = "oxigraph"

    def __init__(self, locator: str, **options: Any) -> None:
        super().__init__(locator)
        self.path = Path(locator)
        self._engine: Any = None

    def replace(self, data: bytes) -> None:
        """Write the rows graph into a new generation and switch to it."""
        import pyoxigraph as ox

        with updating_store(self.path) as store:
            rows = ox.NamedNode(ROWS_GRAPH)
            if store.contains_named_graph(rows):
                store.clear_graph(rows)
            store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=rows)

    def merge(self, kg: KnowledgeGraph, imported: ImportedGraph, progress: bool | None = None,
              provenance: bool = True, **options: Any) -> ImportSummary:
        """The import's rows beside the store's other imports (``import_into_oxigraph``), in a new generation."""
        return import_into_oxigraph(self.path, kg, imported, progress=progress, provenance=provenance)

    def query(self, text: str, timeout: float = 10.0, limit: int = 10_000) -> QueryResult:
        """Read-only SPARQL over the store (the default graph is the union of its graphs)."""
        from kmoa.loaders.stores.sparql_engine import QueryEngine, run_query

        if self._engine is None:
            self._engine = QueryEngine(self.path, workers=1)
        return run_query(self._engine, text, timeout=timeout, limit=limit)

    def close(self) -> None:
        """Stop the query workers (they unpin their generation)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
