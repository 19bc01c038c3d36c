"""An on-disk Oxigraph store for graphs too large for rdflib, and a query pool with hard timeouts.

Layout of a store: the curated graph lives in the named graph ``CURATED_GRAPH``; every imported
source (``primary_knowledge_source``) in its own named graph under ``SOURCE_GRAPH_BASE``; nodes of an
imported data set in ``IMPORT_GRAPH_BASE + name``. Queries treat the default graph as the union of
all graphs, so plain SPARQL sees the merged graph while ``GRAPH ?g`` tells the sources apart.

pyoxigraph evaluates queries in native code that neither honours a timeout nor can be interrupted
from Python, so ``OxigraphQueryPool`` runs queries in worker *processes* (each holding the store
open read-only); a query that outlives its timeout has its worker killed and replaced.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.model import KnowledgeGraph
from graph.sparql import QuerySyntaxError, QueryTimeout
from loaders.base import Sink, Source, atomic_path, register_sink, register_source
from loaders.sparql_remote import CURATED_GRAPH

SOURCE_GRAPH_BASE = "https://w3id.org/kmoa/graph/source/"
IMPORT_GRAPH_BASE = "https://w3id.org/kmoa/graph/import/"
STORE_PREFIX = "oxigraph:"
# A term from a worker: ("uri", iri) | ("bnode", id) | ("literal", lexical, datatype, language).
Term = tuple[Any, ...]


class StoreError(RuntimeError):
    """A store that cannot be opened, built or queried."""


def parse_store_spec(spec: str) -> Path | None:
    """``memory`` -> None, ``oxigraph:DIR`` -> DIR; ValueError otherwise."""
    if spec == "memory":
        return None
    if spec.startswith(STORE_PREFIX) and len(spec) > len(STORE_PREFIX):
        return Path(spec[len(STORE_PREFIX):])
    raise ValueError(f"unknown store '{spec}': use 'memory' or 'oxigraph:DIR'")


def is_store(path: Path) -> bool:
    """Tell whether ``path`` holds an Oxigraph (RocksDB) store."""
    return (path / "CURRENT").is_file()


def source_graph(source: str) -> str:
    """Named-graph IRI of one knowledge source, e.g. ``infores:hetionet``."""
    from urllib.parse import quote

    return SOURCE_GRAPH_BASE + quote(source, safe=":")


def curated_ntriples(kg: KnowledgeGraph) -> bytes:
    """Serialise the curated graph (``to_rdf``) as N-Triples."""
    from loaders.rdf import to_rdf

    return to_rdf(kg).serialize(format="nt", encoding="utf-8")


def load_curated(store: Any, kg: KnowledgeGraph) -> None:
    """Replace the curated named graph of an open, writable store with the current curation."""
    import pyoxigraph as ox

    graph = ox.NamedNode(CURATED_GRAPH)
    if store.contains_named_graph(graph):
        store.clear_graph(graph)
    store.bulk_load(input=curated_ntriples(kg), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


def build_store(path: Path, kg: KnowledgeGraph) -> Path:
    """Create (or replace, atomically) a store at ``path`` holding the curated graph."""
    with atomic_path(path, directory=True) as tmp:
        _write_curated(tmp, kg)
    return path


def _write_curated(out: Path, kg: KnowledgeGraph) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(out))
    load_curated(store, kg)
    store.flush()
    del store


@contextmanager
def updating_store(path: Path) -> Iterator[Any]:
    """Yield a writable copy of the store at ``path`` (fresh if none); swap it in only on success.

    A failed update leaves the store exactly as it was; readers that already opened the old
    files keep reading them until they reopen.
    """
    import pyoxigraph as ox

    with atomic_path(path, directory=True) as tmp:
        if is_store(path):
            tmp.rmdir()
            ox.Store.read_only(str(path)).backup(str(tmp))
        store = ox.Store(str(tmp))
        yield store
        store.flush()
        del store


@register_sink
class OxigraphSink(Sink):
    """An Oxigraph store directory holding the curated graph in its named graph."""

    format_name = "oxigraph"
    directory = True

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        """Create the store at ``out`` and bulk-load the curated graph."""
        _write_curated(out, kg)


@register_source
class OxigraphSource(Source):
    """Reads the curated named graph of an Oxigraph store back into a KnowledgeGraph."""

    format_name = "oxigraph"

    def read(self, path: Path) -> KnowledgeGraph:
        """Read the curated named graph back."""
        import pyoxigraph as ox
        from rdflib import Graph

        from loaders.rdf import from_rdf

        if not is_store(path):
            raise StoreError(f"{path} is not an Oxigraph store")
        store = ox.Store.read_only(str(path))
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(CURATED_GRAPH))
        g = Graph()
        g.parse(data=data, format="nt")
        return from_rdf(g)


# -- query workers -------------------------------------------------------------------------------


def _term(term: Any) -> Term | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.datatype.value, term.language)
    return ("literal", str(term), None, None)


def evaluate(store: Any, text: str, limit: int, default_graph: str | None = None) -> tuple[Any, ...]:
    """Run a query on an open store, capped at ``limit`` rows or triples.

    Returns ("ASK", bool), ("SELECT", vars, rows, truncated) or ("GRAPH", ntriples, truncated).
    """
    import pyoxigraph as ox

    options: dict[str, Any] = {"use_default_graph_as_union": default_graph is None}
    if default_graph is not None:
        options["default_graph"] = [ox.NamedNode(default_graph)]
    result = store.query(text, **options)
    if isinstance(result, ox.QueryBoolean):
        return ("ASK", bool(result))
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in result:
            if len(rows) >= limit:
                return ("SELECT", names, rows, True)
            rows.append(tuple(_term(solution[i]) for i in range(len(names))))
        return ("SELECT", names, rows, False)
    lines: list[str] = []
    for triple in result:
        if len(lines) >= limit:
            return ("GRAPH", "".join(lines), True)
        lines.append(f"{triple} .\n")
    return ("GRAPH", "".join(lines), False)


def _worker_main(path: str, conn: Any) -> None:
    """Worker process: open the store read-only, answer (text, limit, default_graph) requests."""
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(path)
    except OSError as err:
        conn.send(("error", "StoreError", str(err)))
        return
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        text, limit, default_graph = request
        try:
            conn.send(("ok", evaluate(store, text, limit, default_graph)))
        except SyntaxError as err:
            conn.send(("error", "QuerySyntaxError", str(err)))
        except Exception as err:  # reported to the caller, the worker keeps serving
            conn.send(("error", type(err).__name__, str(err)))


@dataclass
class _Worker:
    process: Any
    conn: Any


@dataclass
class OxigraphQueryPool:
    """Worker processes answering queries on one store; a query past its timeout kills its worker."""

    path: Path
    workers: int = 2
    start_timeout: float = 60.0
    _idle: queue.Queue[_Worker | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not is_store(self.path):
            raise StoreError(f"{self.path} is not an Oxigraph store")
        self._idle = queue.Queue()
        for _ in range(self.workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_worker_main, args=(str(self.path), child), daemon=True,
                                  name="kmoa-oxigraph-query")
        process.start()
        child.close()
        if not parent.poll(self.start_timeout):
            process.kill()
            raise StoreError(f"query worker for {self.path} did not start")
        message = parent.recv()
        if message[0] != "ready":
            process.join()
            raise StoreError(f"cannot open {self.path}: {message[2]}")
        return _Worker(process, parent)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def query(self, text: str, timeout: float, limit: int,
              default_graph: str | None = None) -> tuple[Any, ...]:
        """Answer one query (see ``evaluate``); QueryTimeout if it runs past ``timeout`` seconds."""
        started = time.monotonic()
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {timeout:g} s") from None
        try:
            if worker is None or not worker.process.is_alive():
                worker = self._spawn()
            worker.conn.send((text, limit, default_graph))
            if not worker.conn.poll(max(timeout - (time.monotonic() - started), 0.0)):
                self._kill(worker)
                worker = None
                raise QueryTimeout(f"query stopped after {timeout:g} s (raise --timeout for long queries)")
            message = worker.conn.recv()
        except QueryTimeout:
            raise
        except (EOFError, OSError) as err:
            if worker is not None:
                self._kill(worker)
            worker = None
            raise StoreError(f"query worker failed: {err}") from None
        finally:
            self._idle.put(worker)
        if message[0] == "error":
            if message[1] == "QuerySyntaxError":
                raise QuerySyntaxError(f"SPARQL syntax error: {message[2]}")
            raise StoreError(f"{message[1]}: {message[2]}")
        return message[1]  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop every worker."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
                worker.process.join(2)
                if worker.process.is_alive():
                    self._kill(worker)


def dump_graphs(path: Path) -> Iterator[tuple[str, Path]]:
    """Yield each named graph of a store as (IRI, temporary N-Triples file); files go afterwards."""
    import tempfile

    import pyoxigraph as ox

    store = ox.Store.read_only(str(path))
    with tempfile.TemporaryDirectory(prefix="kmoa-dump-") as folder:
        for i, graph in enumerate(sorted(store.named_graphs(), key=lambda g: str(g))):
            out = Path(folder) / f"graph{i}.nt"
            store.dump(str(out), format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
            yield graph.value, out
            out.unlink()
