"""Read-only SPARQL on Oxigraph, in worker processes that have no network and can be killed.

Every SPARQL surface of kmoa (``kmoa sparql``, the explorer's console, ``kmoa serve sparql`` with
either store) evaluates here, so a query means the same thing everywhere and one engine decides
what it is:

* **One reading.** The worker asks pyoxigraph itself, on the unmodified text, whether the text is a
  query, an update (refused) or neither (a syntax error with the user's own line and column: the
  kmoa prefixes are given to the parser, not prepended). Whether a ``SERVICE`` or ``FROM`` keyword
  occurs is also decided by Oxigraph's parser: each place where the letters of the word occur
  (in any case, in comments, strings, IRIs or names alike) is altered in a copy, and a copy that
  no longer parses shows that the engine reads a keyword there.
* **No network, by construction.** Before it takes its first query, a worker installs a seccomp
  filter that makes ``socket()`` (and ``io_uring_setup``) fail, so a query can never make the
  engine fetch anything, whatever the classification above concludes.
* **Limits that hold.** The timeout covers parsing and evaluation: a worker still busy at the
  timeout is killed (pyoxigraph has no cancellation) and replaced. Oxigraph's regular expressions
  run in linear time. Brackets nested deeper than ``MAX_NESTING`` are refused before parsing, rows
  or triples beyond ``limit`` are cut (and said so), answers over ``max_bytes`` are refused.
* **Concurrency.** Each worker serves one query at a time; nothing in the parent is shared
  between queries except a queue of idle workers.

A worker costs a fraction of a second to start (a fresh interpreter importing pyoxigraph and
loading the store); workers start on first use, are reused, and die with the process that started
them.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import queue
import re
import signal
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.results import QueryResult
from kmoa.graph.sparql import (
    DEFAULT_LIMIT,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKER_MEMORY,
    MAX_NESTING,
    PREFIX_MAP,
    AnswerTooLarge,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooDeep,
    result_from_engine,
)
from kmoa.ontology.namespaces import CURATED_GRAPH

if TYPE_CHECKING:
    from kmoa.graph.model import KnowledgeGraph

# A term from a worker: ("uri", iri) | ("bnode", id) | ("literal", lexical, datatype, language).
Term = tuple[Any, ...]
SERVICE_REFUSED = "SERVICE clauses are refused: queries may not reach other endpoints."
FROM_REFUSED = "FROM / FROM NAMED are refused: queries may not load remote graphs."
UPDATE_REFUSED = "SPARQL updates are not allowed: queries are read-only."
# Words whose keyword use is refused, and the same-length stand-in that cannot be a keyword.
GUARDED = {"service": (SERVICE_REFUSED, "servxce"), "from": (FROM_REFUSED, "frxm")}
MAX_CANDIDATES = 200


class EngineError(RuntimeError):
    """The engine could not answer (a worker that cannot start, or that died)."""


# -- network confinement -----------------------------------------------------------------------

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
# machine -> (audit arch, socket syscall number); io_uring_setup is 425 on both.
_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
_IO_URING_SETUP = 425


def confine_network() -> None:
    """Make ``socket()`` and ``io_uring_setup()`` fail with EACCES in this process, for good.

    Uses a seccomp filter (Linux, x86-64 or AArch64); raises OSError where that is not possible,
    so a worker that cannot be confined never answers a query.
    """
    machine = platform.machine()
    if os.uname().sysname != "Linux" or machine not in _ARCHES:
        raise OSError(f"cannot confine query workers on {os.uname().sysname}/{machine} (Linux x86-64 or AArch64)")
    arch, socket_nr = _ARCHES[machine]

    def stmt(code: int, k: int) -> bytes:
        return struct.pack("HBBI", code, 0, 0, k)

    def jump(code: int, k: int, if_true: int, if_false: int) -> bytes:
        return struct.pack("HBBI", code, if_true, if_false, k)

    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    deny = _RET_ERRNO | errno.EACCES
    program = [
        stmt(load, 4),                     # seccomp_data.arch
        jump(jeq, arch, 1, 0),
        stmt(ret, _RET_ERRNO | errno.EPERM),  # another ABI: refuse every system call
        stmt(load, 0),                     # seccomp_data.nr
        jump(jge, 0x40000000, 3, 0),       # x32 system calls: refused
        jump(jeq, socket_nr, 2, 0),
        jump(jeq, _IO_URING_SETUP, 1, 0),
        stmt(ret, _RET_ALLOW),
        stmt(ret, deny),
    ]
    code = ctypes.create_string_buffer(b"".join(program))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Program(len(program), ctypes.addressof(code))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "cannot install the seccomp filter that keeps query workers off the network")


# -- classification by the engine's own parser ---------------------------------------------------


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{ ( [`` in the text (counted everywhere, strings and comments too)."""
    depth = deepest = 0
    for char in text:
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]" and depth:
            depth -= 1
    return deepest


def _unescaped(text: str) -> tuple[str, list[tuple[int, int]]]:
    r"""Text with SPARQL's ``\uXXXX``/``\UXXXXXXXX`` escapes decoded, and each character's raw span.

    Mirrors the pre-parsing step of the SPARQL grammar (section 19.2), so a keyword spelt with
    escapes is found too should the engine decode them.
    """
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            width = {"u": 4, "U": 8}.get(text[i + 1])
            if width:
                digits = text[i + 2:i + 2 + width]
                if len(digits) == width and re.fullmatch(r"[0-9A-Fa-f]+", digits):
                    value = int(digits, 16)
                    if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                        out.append(chr(value))
                        spans.append((i, i + 2 + width))
                        i += 2 + width
                        continue
            # A backslash and the character after it are kept as they are.
            out += [char, text[i + 1]]
            spans += [(i, i + 1), (i + 1, i + 2)]
            i += 2
            continue
        out.append(char)
        spans.append((i, i + 1))
        i += 1
    return "".join(out), spans


def candidate_spans(text: str, word: str) -> list[tuple[int, int]]:
    """Raw spans of every occurrence of ``word`` (any case, escapes decoded) anywhere in the text."""
    found = {(m.start(), m.end()) for m in re.finditer(re.escape(word), text, re.IGNORECASE)}
    if "\\" in text:
        decoded, spans = _unescaped(text)
        for m in re.finditer(re.escape(word), decoded, re.IGNORECASE):
            found.add((spans[m.start()][0], spans[m.end() - 1][1]))
    return sorted(found)


def _altered(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    parts, last = [], 0
    for start, end, stand_in in sorted(spans):
        parts += [text[last:start], stand_in]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _parses(text: str, base_iri: str | None = None) -> tuple[bool, str]:
    """(True, kind) if Oxigraph parses ``text`` as a query, else (False, its syntax error)."""
    import pyoxigraph as ox

    try:
        result = ox.Store().query(text, prefixes=PREFIX_MAP, base_iri=base_iri)
    except SyntaxError as err:
        return False, str(err)
    except Exception:  # noqa: BLE001 - it parsed; evaluating on the empty store failed (e.g. SERVICE)
        return True, ""
    if isinstance(result, ox.QueryBoolean):
        return True, "ASK"
    if isinstance(result, ox.QuerySolutions):
        return True, "SELECT"
    return True, "CONSTRUCT"


def _syntax_message(error: str, text: str = "") -> str:
    """Oxigraph's syntax error as one line: where (the user's line and column), near what, and what it expected."""
    match = re.match(r"error at (\d+):(\d+): (.*)", error, re.S)
    if not match:
        return "SPARQL syntax error: " + " ".join(error.split())
    line, column, detail = int(match[1]), int(match[2]), " ".join(match[3].split())
    expected = detail.removeprefix("expected one of ").removeprefix("expected ")
    # Oxigraph lists what it expected: keywords, character classes, and messages such as "Prefix not found".
    items = [item.strip() for item in re.split(r",\s*(?![^\[]*\])", expected)]
    messages = [item for item in items if " " in item and not item.startswith(("[", "'", '"'))]
    words = [item for item in items if re.fullmatch(r"[A-Z]+|\"[^\"]*\"", item)]
    if messages:
        detail = "; ".join(m[0].lower() + m[1:] for m in messages)
    elif words:
        detail = "expected " + ", ".join(words)
    where = f"line {line}, column {column}"
    lines = text.splitlines() if text else []
    if 0 < line <= len(lines):
        before, after = lines[line - 1][:max(column - 1, 0)], lines[line - 1][max(column - 1, 0):]
        near = (before.split()[-1] if before.strip() and not before[-1].isspace() else "") + \
            (after.split()[0] if after.strip() and not after[0].isspace() else "")
        near = near or (after.split() or [""])[0]
        if near:
            where += f", near '{near[:30]}'"
    return f"SPARQL syntax error at {where}: {detail}"


def _is_update(text: str, base_iri: str | None = None) -> bool:
    """Whether Oxigraph reads the text as an update (tried on a throwaway empty store, no network)."""
    import pyoxigraph as ox

    try:
        ox.Store().update(text, prefixes=PREFIX_MAP, base_iri=base_iri)
    except SyntaxError:
        return False
    except Exception:  # noqa: BLE001 - it parsed as an update; running it on the empty store failed
        return True
    return True


def classify(text: str, base_iri: str | None = None) -> str:
    """The query's kind (SELECT, ASK, CONSTRUCT) as Oxigraph reads it; refusals and syntax errors raise.

    Runs in a confined worker: parsing an ASK on the empty store evaluates it there. ``base_iri``
    resolves relative IRIs (the endpoint's own URL there).
    """
    if nesting_depth(text) > MAX_NESTING:
        raise QueryTooDeep(f"the query has brackets nested more than {MAX_NESTING} deep; simplify it")
    ok, kind = _parses(text, base_iri)
    if not ok:
        if _is_update(text, base_iri):
            raise QueryRefused(UPDATE_REFUSED)
        raise QuerySyntaxError(_syntax_message(kind, text))
    candidates = [(start, end, word) for word in GUARDED for start, end in candidate_spans(text, word)]
    if not candidates:
        return kind

    def stand_in(start: int, end: int, word: str) -> str:
        raw = GUARDED[word][1]
        original = text[start:end]
        if len(original) == len(raw):  # keep the case of each letter
            return "".join(r.upper() if o.isupper() else r for o, r in zip(original, raw, strict=True))
        return raw

    every = [(s, e, stand_in(s, e, w)) for s, e, w in candidates]
    if _parses(_altered(text, _non_overlapping(every)), base_iri)[0]:
        return kind  # no occurrence is a keyword to the engine
    if len(candidates) > MAX_CANDIDATES:
        raise QueryRefused(f"the words SERVICE/FROM occur more than {MAX_CANDIDATES} times; "
                           "the query cannot be checked")
    for start, end, word in candidates:
        if not _parses(_altered(text, [(start, end, stand_in(start, end, word))]), base_iri)[0]:
            raise QueryRefused(GUARDED[word][0])
    return kind


def _non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for span in sorted(spans):
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


# -- evaluation in a worker ------------------------------------------------------------------------


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


def _size(term: Term | None) -> int:
    return 0 if term is None else 16 + sum(len(part) for part in term[1:] if isinstance(part, str))


def evaluate(store: Any, text: str, limit: int, max_bytes: int = DEFAULT_MAX_BYTES,
             default_graph: str | None = None, base_iri: str | None = None) -> tuple[Any, ...]:
    """Classify, then run a query on an open store, capped at ``limit`` rows/triples and ``max_bytes``.

    Returns ("ASK", bool), ("SELECT", vars, rows, truncated) or ("CONSTRUCT", ntriples, truncated).
    The default graph is the union of all graphs unless ``default_graph`` names one.
    """
    import pyoxigraph as ox

    kind = classify(text, base_iri)
    options: dict[str, Any] = {"prefixes": PREFIX_MAP, "base_iri": base_iri,
                               "use_default_graph_as_union": default_graph is None}
    if default_graph is not None:
        options["default_graph"] = [ox.NamedNode(default_graph)]
    result = store.query(text, **options)
    too_large = f"the answer is over {max_bytes} bytes; add a LIMIT or ask for fewer or shorter values"
    if kind == "ASK":
        return ("ASK", bool(result))
    size = 0
    if kind == "SELECT":
        names = [v.value for v in result.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in result:
            if len(rows) >= limit:
                return ("SELECT", names, rows, True)
            row = tuple(_term(solution[i]) for i in range(len(names)))
            size += sum(_size(t) for t in row)
            if size > max_bytes:
                raise AnswerTooLarge(too_large)
            rows.append(row)
        return ("SELECT", names, rows, False)
    lines: list[str] = []
    for triple in result:
        if len(lines) >= limit:
            return ("CONSTRUCT", "".join(lines), True)
        line = f"{triple} .\n"
        size += len(line)
        if size > max_bytes:
            raise AnswerTooLarge(too_large)
        lines.append(line)
    return ("CONSTRUCT", "".join(lines), False)


def _memory_store(data: bytes) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    if data:
        store.bulk_load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(CURATED_GRAPH))
    return store


ERRORS: dict[str, type[Exception]] = {
    "QueryRefused": QueryRefused, "QuerySyntaxError": QuerySyntaxError, "QueryTooDeep": QueryTooDeep,
    "AnswerTooLarge": AnswerTooLarge, "failed": QueryFailed,
}


def _worker_main(conn: Any) -> None:
    """Worker process: receive the store, open it, give up the network, answer until told to stop.

    An on-disk store's active generation is pinned for the life of the worker (a writer will not
    remove it); the ready message names it, so the engine can replace workers after a flip.
    """
    try:
        kind, source = conn.recv()
    except (EOFError, OSError):
        return
    try:
        if kind == "data":
            store = _memory_store(source)
            confine_network()
            conn.send(("ready", ""))
            _serve(store, conn)
            return
        import pyoxigraph as ox

        from kmoa.loaders.stores.oxigraph_store import StoreError, pinned_generation

        try:
            with pinned_generation(Path(source)) as generation:
                store = ox.Store.read_only(str(generation))
                confine_network()
                conn.send(("ready", str(generation)))
                _serve(store, conn)
        except StoreError as err:
            conn.send(("error", "EngineError", str(err)))
    except OSError as err:
        conn.send(("error", "EngineError", str(err)))


def _serve(store: Any, conn: Any) -> None:
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            if request[0] == "query":
                conn.send(("ok", evaluate(store, *request[1:])))
            elif request[0] == "classify":
                conn.send(("ok", classify(request[1])))
            else:  # ("network", host, port): what a connection attempt from here gives
                import socket

                try:
                    socket.create_connection((request[1], request[2]), timeout=2).close()
                    conn.send(("ok", "connected"))
                except OSError as err:
                    conn.send(("ok", f"{type(err).__name__}: {err}"))
        except (QueryRefused, QuerySyntaxError, AnswerTooLarge) as err:
            conn.send(("error", type(err).__name__, str(err)))
        except SyntaxError as err:
            conn.send(("error", "QuerySyntaxError", _syntax_message(str(err))))
        except Exception as err:  # reported to the caller; the worker keeps serving
            conn.send(("error", "failed", f"{type(err).__name__}: {err}"))


def worker_entry() -> None:
    """Entry point of a worker process: its connection is the file descriptor in argv[1]."""
    import sys
    import time
    from multiprocessing.connection import Connection

    parent = os.getppid()

    def watch_parent() -> None:  # die with the parent, even in the middle of a query
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True, name="parent-watch").start()
    memory = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if memory:  # heap and anonymous mappings: an allocation past it aborts the worker, not the machine
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    _worker_main(Connection(int(sys.argv[1])))


@dataclass
class _Worker:
    process: Any
    conn: Any
    generation: str = ""


@dataclass
class QueryEngine:
    """Worker processes answering read-only queries over one store.

    ``source`` is an Oxigraph store directory (opened read-only) or N-Triples bytes loaded into an
    in-memory store in each worker (the curated graph, in the named graph ``CURATED_GRAPH``).
    """

    source: Path | bytes
    workers: int = 2
    start_timeout: float = 60.0
    # Bytes of heap a worker may use (RLIMIT_DATA); a query needing more stops with AnswerTooLarge.
    memory_limit: int = DEFAULT_WORKER_MEMORY
    _idle: queue.Queue[_Worker | None] = field(init=False, repr=False)
    _live: dict[int, _Worker] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("an engine needs at least one worker")
        self._idle = queue.LifoQueue()  # the most recently used (live) worker first
        for _ in range(self.workers):
            self._idle.put(None)  # started on first use

    @classmethod
    def for_graph(cls, graph: Any, workers: int = 2,
                  memory_limit: int = DEFAULT_WORKER_MEMORY) -> QueryEngine:
        """An engine over a KnowledgeGraph's RDF, an rdflib Graph, or N-Triples bytes."""
        if isinstance(graph, bytes):
            data = graph
        elif hasattr(graph, "serialize"):
            data = graph.serialize(format="nt", encoding="utf-8")
        else:
            from kmoa.loaders.formats.rdf import to_rdf

            data = to_rdf(graph).serialize(format="nt", encoding="utf-8")
        return cls(data, workers=workers, memory_limit=memory_limit)

    @classmethod
    def empty(cls) -> QueryEngine:
        """An engine over an empty store (to classify queries sent elsewhere)."""
        return cls(b"", workers=1)

    def _spawn(self) -> _Worker:
        """Start a worker: a fresh interpreter (nothing of this process is re-run), told its store."""
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        import kmoa

        root = str(Path(kmoa.__file__).parent.parent)  # the folder that holds the kmoa package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", "from kmoa.loaders.stores.sparql_engine import worker_entry; worker_entry()",
                 str(theirs.fileno()), str(self.memory_limit)], pass_fds=[theirs.fileno()], env=env,
                stdin=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # its failures come back over the connection, as one line
                start_new_session=True)
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        source = ("path", str(self.source)) if isinstance(self.source, Path) else ("data", self.source)
        worker = _Worker(process, conn)
        try:
            conn.send(source)
            if not conn.poll(self.start_timeout):
                raise EngineError("a query worker did not start")
            message = conn.recv()
        except (EOFError, OSError) as err:
            self._kill(worker)
            raise EngineError(f"a query worker could not start: {err or 'it exited'}") from None
        except EngineError:
            self._kill(worker)
            raise
        if message[0] != "ready":
            self._kill(worker)
            raise EngineError(f"a query worker could not start: {message[2]}")
        worker.generation = message[1]
        with self._lock:
            self._live[process.pid] = worker
        return worker

    def _kill(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()
        with self._lock:
            self._live.pop(worker.process.pid, None)

    def _stale(self, worker: _Worker) -> bool:
        """Whether an on-disk store's active generation is no longer the one the worker pinned."""
        if not isinstance(self.source, Path):
            return False
        from kmoa.loaders.stores.oxigraph_store import active_generation

        return worker.generation != str(active_generation(self.source))

    def _retire(self, worker: _Worker) -> None:
        """Stop an idle worker (it unpins its generation as it exits)."""
        try:
            worker.conn.send(None)
            worker.process.wait(2)
        except Exception:  # noqa: BLE001 - gone already, or slow to go: killed below
            pass
        self._kill(worker)

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers."""
        with self._lock:
            return sorted(self._live)

    def _ask(self, request: tuple[Any, ...], timeout: float) -> Any:
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {timeout:g} s; "
                               "try again shortly") from None
        try:
            if worker is not None and (worker.process.poll() is not None or self._stale(worker)):
                self._retire(worker)  # exited, or the store flipped: answer from the new generation
                worker = None
            if worker is None:
                worker = self._spawn()
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                self._kill(worker)
                worker = None
                raise QueryTimeout(f"query stopped after {timeout:g} s (raise the timeout for long queries)")
            message = worker.conn.recv()
        except QueryTimeout:  # a TimeoutError, so an OSError: not a worker failure
            raise
        except (EOFError, OSError) as err:
            aborted = False
            if worker is not None:
                try:
                    aborted = worker.process.wait(5) == -signal.SIGABRT
                except Exception:  # noqa: BLE001 - still running: killed below
                    pass
                self._kill(worker)
            worker = None
            if aborted:
                raise AnswerTooLarge(f"the query needed more than {self.memory_limit} bytes of memory and was "
                                     "stopped; add a LIMIT or narrow the query") from None
            raise EngineError(f"the query worker stopped on this query ({err or 'it exited'})") from None
        finally:
            self._idle.put(worker)
        if message[0] == "error":
            raise ERRORS.get(message[1], EngineError)(message[2])
        return message[1]

    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT,
              max_bytes: int = DEFAULT_MAX_BYTES, default_graph: str | None = None,
              base_iri: str | None = None) -> tuple[Any, ...]:
        """Answer one query (see ``evaluate``); QueryTimeout once it runs past ``timeout`` seconds."""
        request = ("query", text, limit, max_bytes, default_graph, base_iri)
        return self._ask(request, timeout)  # type: ignore[no-any-return]

    def classify(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """SELECT, ASK or CONSTRUCT, as the engine reads ``text``; refusals and syntax errors raise."""
        return self._ask(("classify", text), timeout)  # type: ignore[no-any-return]

    def network_check(self, url: str) -> str:
        """What a worker gets when it tries to connect to ``url`` (a diagnostic: it should be refused)."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        return self._ask(("network", parts.hostname, parts.port or 80), 10.0)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop every worker."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                self._retire(worker)

    def __enter__(self) -> QueryEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def curated_engine(kg: KnowledgeGraph, workers: int = 2) -> QueryEngine:
    """An engine over the curated graph of ``kg`` (what ``kmoa sparql`` and the explorer query)."""
    return QueryEngine.for_graph(kg, workers=workers)


def run_query(source: Any, query: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT,
              max_bytes: int = DEFAULT_MAX_BYTES) -> QueryResult:
    """Run a read-only query with a timeout, a row (or triple) cap and a byte cap.

    ``source`` is a ``QueryEngine`` (reuse one for many queries) or an rdflib
    Graph / KnowledgeGraph, for which a one-off engine is started and stopped.
    """
    if isinstance(source, QueryEngine):
        return result_from_engine(source.query(query, timeout, limit, max_bytes))
    with QueryEngine.for_graph(source, workers=1) as engine:
        return result_from_engine(engine.query(query, timeout, limit, max_bytes))


def query_kind(query: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """SELECT, ASK or CONSTRUCT as the engine reads ``query``; QueryRefused / QuerySyntaxError otherwise."""
    with QueryEngine.empty() as engine:
        return engine.classify(query, timeout)
