"""Neo4j's bulk importer (``neo4j-admin database import full``) fed with the online loader's rows.

Same graph as :func:`loaders.stores.neo4j.load_rows`
    The KGX node and edge rows go through the online loader's own functions (``plan_load`` checks
    ids and endpoints; ``node_labels``, ``node_properties`` and ``edge_columns`` give labels, types
    and properties), so both paths write the same labels, relationship types, properties, ``load_id``
    and ``KmoaMeta`` record. Only the transport differs: the importer's CSV with typed headers
    (``n:long``, ``xref:string[]``, ``asserted:boolean``), one file per label set or relationship
    type (a column whose rows mix types, say ``n`` as a number here and a text there, splits its
    file so that every value keeps its type). Lists are joined with U+001F, a character no curated
    or imported text holds (a value holding it is refused); fields with line breaks are read as
    multi-line only in the files that have them. An empty list is written as an absent property,
    which is what the importer can express; queries read lists through ``coalesce(x, [])``.

One import, into a data folder of its own
    :func:`run_import` writes a complete new database (``data/databases/neo4j`` and
    ``data/transactions/neo4j``) under a folder the caller names, never into a running server's
    files, so the server keeps answering from its database during the import. The importer is
    all-or-nothing: a defective row, a failure or a killed process gives a non-zero exit (a
    :class:`BulkImportError` naming the importer's complaint) and a folder to throw away. Putting a
    finished database in place of a server's is the server owner's step: ``kmoa.neo4j_server``
    does it for the server kmoa manages (stop, swap folders, start); another server's owner runs
    the importer and restarts it themselves.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmoa.loaders.base import Row
from kmoa.loaders.stores.neo4j import (
    ENTITY,
    META,
    META_KEY,
    LoadPlan,
    Neo4jLoadError,
    edge_columns,
    plan_load,
)

DATABASE = "neo4j"
"""The database the importer writes (Community serves one user database, named ``neo4j``)."""
ARRAY_DELIMITER = "\x1f"
IMPORT_HEAP = "1g"
OFF_HEAP = "2g"
"""The importer's off-heap cap (its default, 90 % of free memory, is too much on a shared machine)."""

_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


class BulkImportError(Neo4jLoadError):
    """The importer refused the rows or did not finish; nothing was put in place of any database."""


@dataclass
class ImportFiles:
    """The importer's CSV files (relative to ``folder``), which of them have multi-line fields, and counts."""

    folder: Path
    nodes: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    multiline: list[str] = field(default_factory=list)
    node_count: int = 0
    relationship_count: int = 0


@dataclass(frozen=True)
class ImportReport:
    """What the importer says it wrote, and how long it took."""

    nodes: int
    relationships: int
    seconds: float


# --------------------------------------------------------------------------- rows -> CSV


def _type_name(value: Any) -> str:
    """The importer type of one value: ``long``, ``string[]`` ... (an empty list has none: '')."""
    if isinstance(value, (list, tuple)):
        kinds = {_type_name(v) for v in value}
        if not kinds:
            return ""
        if kinds == {"long", "double"}:
            return "double[]"
        if len(kinds) > 1:
            return "string[]" if kinds <= {"string"} else "mixed[]"
        return kinds.pop() + "[]"
    name = _TYPES.get(type(value))
    if name is None:
        raise BulkImportError(f"value {value!r} of type {type(value).__name__} has no Neo4j import type")
    return name


_SCALARS = {str: "string", bool: "boolean", int: "long", float: "double"}


def _column_type(values: Sequence[Any]) -> str | None:
    """One importer type for every value of a column, or None if the values need different ones."""
    types = set(map(type, values)) - {type(None)}
    if len(types) == 1 and (only := next(iter(types))) in _SCALARS:
        return _SCALARS[only]
    if types == {list}:
        elements = set(map(type, itertools.chain.from_iterable(v for v in values if v)))
        if not elements:
            return ""
        if elements == {str}:
            return "string[]"
    if not types:
        return ""
    return _column_type_of_each(values)


def _column_type_of_each(values: Sequence[Any]) -> str | None:
    """``_column_type``, value by value (columns of several types, lists of numbers)."""
    kinds = {_type_name(v) for v in values if v is not None} - {""}
    if kinds in ({"long", "double"}, {"long[]", "double[]"}):
        return "double[]" if "double[]" in kinds else "double"
    if "mixed[]" in kinds or len(kinds) > 1:
        return None
    return kinds.pop() if kinds else ""


def _text(value: Any, where: str) -> str:
    """A value as the importer reads it (lists joined with the array delimiter)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        parts = [_text(v, where) for v in value]
        if any(ARRAY_DELIMITER in p for p in parts):
            raise BulkImportError(f"{where}: a list value holds U+001F, the bulk importer's list delimiter")
        return ARRAY_DELIMITER.join(parts)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _uniform_groups(columns: dict[str, list[Any]], size: int) -> list[tuple[list[int] | None, dict[str, str]]]:
    """Split rows so every column has one type per group: [(row indexes or None for all, {column: type})]."""
    types = {name: _column_type(values) for name, values in columns.items()}
    mixed = [name for name, kind in types.items() if kind is None]
    if not mixed:
        return [(None, {name: kind for name, kind in types.items() if kind})]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in range(size):
        key = tuple(_type_name(columns[name][i]) if columns[name][i] is not None else "" for name in mixed)
        groups.setdefault(key, []).append(i)
    out: list[tuple[list[int] | None, dict[str, str]]] = []
    for rows in groups.values():
        sub = {name: [values[i] for i in rows] for name, values in columns.items()}
        out.append((rows, {name: kind for name, kind in
                           ((n, _column_type(v)) for n, v in sub.items()) if kind}))
    return out


def _write_csv(files: ImportFiles, name: str, header: list[str], rows: Iterable[Sequence[str]],
               multiline: bool) -> None:
    with open(files.folder / name, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    if multiline:
        files.multiline.append(name)


_QUOTED = re.compile(r'[,"\r\n]')


def _csv_column(texts: list[str]) -> list[str]:
    """A column's texts as CSV fields (quoted, quotes doubled, where ``csv.writer`` would quote them)."""
    joined = "\x1f".join(texts)
    if not any(c in joined for c in ',"\r\n'):
        return texts
    return ['"' + t.replace('"', '""') + '"' if _QUOTED.search(t) else t for t in texts]


def _write_columns(files: ImportFiles, name: str, header: list[str], columns: list[list[str]],
                   multiline: bool) -> None:
    """Write a CSV file from its columns of texts (as ``csv.writer`` writes rows of at least two fields)."""
    fields = [_csv_column(texts) for texts in columns]
    step = 100_000
    with open(files.folder / name, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(_csv_column(header)) + "\n")
        for start in range(0, len(fields[0]) if fields else 0, step):
            lines = map(",".join, zip(*(f[start:start + step] for f in fields), strict=True))
            fh.write("\n".join(lines) + "\n")
    if multiline:
        files.multiline.append(name)


def _texts(values: list[Any], kind: str, where: str) -> list[str]:
    """The importer's text of each value of a column of one type (``kind``); '' for None and []."""
    if kind == "string":
        return ["" if v is None else v for v in values]
    if kind == "boolean":
        return ["" if v is None else "true" if v else "false" for v in values]
    if kind == "long":
        return ["" if v is None else str(v) for v in values]
    if kind == "string[]":
        if ARRAY_DELIMITER in "".join(itertools.chain.from_iterable(v for v in values if v)):
            raise BulkImportError(f"{where}: a list value holds U+001F, the bulk importer's list delimiter")
        return ["" if not v else ARRAY_DELIMITER.join(v) for v in values]
    return ["" if v is None or v == [] else _text(v, where) for v in values]


def _write_group(files: ImportFiles, name: str, fixed: list[tuple[str, list[str]]], columns: dict[str, list[Any]],
                 size: int, where: str) -> list[str]:
    """Write ``fixed`` (header, texts) columns then the typed property ``columns``; return the file names."""
    written = []
    for part, (rows, types) in enumerate(_uniform_groups(columns, size)):
        names = sorted(types)
        header = [h for h, _ in fixed] + [f"{n}:{types[n]}" for n in names]
        cells = [texts if rows is None else [texts[i] for i in rows] for _, texts in fixed]
        multiline = False
        for n in names:
            values = columns[n] if rows is None else [columns[n][i] for i in rows]
            texts = _texts(values, types[n], f"{where}, property {n}")
            if not multiline and types[n].startswith("string"):
                joined = "".join(texts)
                multiline = "\n" in joined or "\r" in joined
            cells.append(texts)
        file = f"{name}-{part}.csv"
        _write_columns(files, file, header, cells, multiline)
        written.append(file)
    return written


_EDGES: dict[str, list[Row]] = {}
"""The relationship rows by type while worker processes write their files (inherited by ``fork``)."""

PARALLEL_MIN_EDGES = 200_000
"""From this many relationships on, their files are written by worker processes, one per core (at most 4)."""


def _write_edges_of_type(folder: Path, number: int, rel_type: str) -> tuple[list[str], list[str]]:
    """In a worker process: write one relationship type's files from the rows inherited through ``fork``."""
    return _write_edges(folder, number, rel_type, _EDGES[rel_type])


def _write_edges(folder: Path, number: int, rel_type: str, edges: list[Row]) -> tuple[list[str], list[str]]:
    """Write one relationship type's files; return their names and those with multi-line fields."""
    columns = edge_columns(edges)
    columns = {k: [None if v == "" else v for v in values] if "" in values else values
               for k, values in columns.items()}
    fixed = [(":START_ID", [r["subject"] for r in edges]), (":END_ID", [r["object"] for r in edges]),
             (":TYPE", [rel_type] * len(edges)), ("id:string", [r["id"] for r in edges])]
    files = ImportFiles(folder)
    written = _write_group(files, f"edges-{number:03d}", fixed, columns, len(edges), f"relationship type {rel_type}")
    return written, files.multiline


def _write_relationships(plan: LoadPlan, files: ImportFiles, workers: int) -> None:
    """Every relationship type's files, in type order; by ``workers`` forked processes when more than one.

    The rows reach the workers through ``fork`` (``_EDGES``), not pickled; each returns only file names.
    """
    types = sorted(plan.edges_by_type)
    if workers > 1 and len(types) > 1:
        _EDGES.update(plan.edges_by_type)
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                done = list(pool.map(_write_edges_of_type, [files.folder] * len(types), range(len(types)), types))
        finally:
            _EDGES.clear()
    else:
        done = [_write_edges(files.folder, n, t, plan.edges_by_type[t]) for n, t in enumerate(types)]
    for written, multiline in done:
        files.relationships += written
        files.multiline += multiline


def write_import_files(plan: LoadPlan, load_id: str, folder: Path, previous: str | None = None,
                       workers: int | None = None) -> ImportFiles:
    """The importer's CSV for a checked load plan: nodes by label set, relationships by type, KmoaMeta.

    ``workers`` processes write the relationship files (default: one per core, at most 4, from
    ``PARALLEL_MIN_EDGES`` relationships on, else this process); the files are the same either way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(folder, node_count=len(plan.nodes) + 1, relationship_count=plan.edge_count)
    for number, (labels, rows) in enumerate(plan.nodes_by_labels()):
        keys = sorted(set().union(*(r["p"] for r in rows)))
        columns = {k: [r["p"].get(k) for r in rows] for k in keys}
        columns["load_id"] = [load_id] * len(rows)
        label_text = ARRAY_DELIMITER.join((ENTITY, *labels))
        fixed = [("id:ID", [r["id"] for r in rows]), (":LABEL", [label_text] * len(rows))]
        files.nodes += _write_group(files, f"nodes-{number:03d}", fixed, columns, len(rows), f"node label {labels}")
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0))) if plan.edge_count >= PARALLEL_MIN_EDGES else 1
    _write_relationships(plan, files, workers)
    all_labels = sorted({label for group in plan.label_groups for label in group})
    meta = [META, META_KEY, load_id, previous or "", ARRAY_DELIMITER.join(all_labels), str(len(plan.nodes)),
            str(plan.edge_count), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())]
    _write_csv(files, "meta.csv", [":LABEL", "key", "active", "previous", "labels:string[]", "nodes:long",
                                   "relationships:long", "loaded_at:datetime"], [meta], False)
    files.nodes.append("meta.csv")
    return files


def import_files_for_rows(nodes: Iterable[Row], edges: Iterable[Row], load_id: str,
                          folder: Path, previous: str | None = None) -> ImportFiles:
    """Check the KGX rows as the online loader does (``plan_load``) and write the importer's CSV."""
    return write_import_files(plan_load(nodes, edges), load_id, folder, previous)


# --------------------------------------------------------------------------- the importer


def import_arguments(files: ImportFiles, threads: int | None = None, off_heap: str = OFF_HEAP) -> list[str]:
    """The ``database import full`` arguments for these files (paths relative to ``files.folder``)."""
    args = ["database", "import", "full", DATABASE, "--array-delimiter=U+001F", f"--max-off-heap-memory={off_heap}",
            "--report-file=import.report", "--bad-tolerance=0", "--strict=true", "--verbose"]
    if threads:
        args.append(f"--threads={threads}")
    args += [f"--nodes={name}" for name in files.nodes]
    args += [f"--relationships={name}" for name in files.relationships]
    if files.multiline:
        args += ["--multiline-fields-format=v2", "--multiline-fields=" + ",".join(files.multiline)]
    return args  # the database comes first: --nodes takes every file name after it


_IMPORTED = re.compile(r"Imported:\s+(\d+) nodes\s+(\d+) relationships", re.S)


def run_import(admin_command: Sequence[str], files: ImportFiles, home: Path, *, threads: int | None = None,
               on_start: Callable[[subprocess.Popen[bytes]], None] | None = None) -> ImportReport:
    """Run the importer into ``home/data`` (a folder of its own); BulkImportError unless it wrote every row.

    ``admin_command`` starts Neo4j's admin tool (``java -cp ... org.neo4j.cli.AdminTool``);
    ``on_start`` receives the importer process (tests kill it).
    """
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text(f"server.directories.data={home / 'data'}\n"
                                     f"server.directories.logs={home / 'logs'}\n", encoding="utf-8")
    log = home / "import.log"
    env = {"NEO4J_HOME": str(home), "NEO4J_CONF": str(conf), "PATH": "/usr/bin:/bin"}
    began = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen([*admin_command, *import_arguments(files, threads)], cwd=files.folder, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, umask=0o077)
        if on_start is not None:
            on_start(proc)
        code = proc.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    match = _IMPORTED.search(text)
    if code != 0 or match is None:
        raise BulkImportError(f"neo4j-admin database import {_outcome(code)}: {_complaint(text, files.folder)}")
    nodes, rels = int(match.group(1)), int(match.group(2))
    if (nodes, rels) != (files.node_count, files.relationship_count):
        raise BulkImportError(f"neo4j-admin database import wrote {nodes} nodes and {rels} relationships, "
                              f"not the {files.node_count} and {files.relationship_count} of the rows")
    return ImportReport(nodes, rels, round(time.perf_counter() - began, 3))


def _outcome(code: int) -> str:
    if code < 0:
        return f"was stopped by signal {-code}"
    return f"failed (exit {code})" if code else "ended without its summary"


def _complaint(log: str, folder: Path) -> str:
    """The importer's own words: file, line and error of a defective row, else its first error lines."""
    row = re.search(r"source:([^,\]]+), position:\d+, line:(\d+)\].*?original error: ([^\n]+)", log, re.S)
    if row:
        return f"{Path(row.group(1)).name} line {row.group(2)}: {row.group(3).strip()[:400]}"
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"error|exception|invalid|fail|bad|duplicate|missing", line, re.I)]
    report = folder / "import.report"
    if not errors and report.is_file():
        errors = report.read_text(encoding="utf-8", errors="replace").splitlines()
    chosen = (errors or lines[-3:] or ["(no output)"])[:3]
    return " | ".join(line[:400] for line in chosen)
