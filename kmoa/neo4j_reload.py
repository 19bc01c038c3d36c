"""Full reloads of Neo4j: the bulk importer for the server kmoa manages, one transaction otherwise.

Modes (``kmoa load neo4j --mode``, ``kmoa import kgx|drugmechdb --neo4j --mode``)
    ``online``  One transaction over Bolt (:func:`loaders.stores.neo4j.load_rows`): works with any
                server, cluster or Aura, and queries never pause; the server holds the whole
                load in its heap until the commit.
    ``bulk``    ``neo4j-admin database import full`` (:mod:`loaders.stores.neo4j_bulk`) writes a new
                database into a folder of its own while the server keeps answering from the
                current one. Only when the import wrote every row is the server stopped, the
                database folders swapped and the server started again on the same port
                (:func:`kmoa.neo4j_server.swap_database`): queries pause for that restart. A
                defective row, a failure or a killed importer leaves the served database as it
                was. Needs the files of the server, so only the one ``kmoa neo4j start`` runs is
                eligible; any other server is refused with a message saying so.
    ``auto``    ``bulk`` for the server kmoa manages when the load has at least
                :data:`BULK_MIN_EDGES` relationships (below that the importer's fixed cost, a JVM
                and a restart, is more than the whole online load), ``online`` otherwise.

The previous database of a bulk load is kept, never deleted: ``<cache>/previous-databases/<its
generation>/`` (``databases/neo4j`` and ``transactions/neo4j``). Remove such a folder with
``rm -r`` when it is no longer needed; nothing else reads it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kmoa import neo4j_server
from kmoa.loaders.stores import neo4j as nl

if TYPE_CHECKING:
    from kmoa.loaders.base import Row

Mode = Literal["auto", "bulk", "online"]
MODES: tuple[Mode, ...] = ("auto", "bulk", "online")
BULK_MIN_EDGES = 100_000
"""``auto`` uses the bulk importer from this many relationships on (about where it overtakes the
online load on the project's machine: a JVM start and a server restart cost tens of seconds)."""

DATABASE = "neo4j"
IMPORTS = "bulk-imports"
PREVIOUS = "previous-databases"

MODE_HELP = (
    "How to replace the graph. online: one transaction over Bolt, any server, no pause for readers. "
    "bulk: neo4j-admin database import into a new database while the current one keeps answering, then a "
    "restart of the server on the new one (only the `kmoa neo4j start` server, whose files kmoa owns; the "
    "previous database is kept under the cache's previous-databases/). auto: bulk for that server from "
    f"{BULK_MIN_EDGES:,} relationships on, online otherwise.")


class BulkRefused(nl.Neo4jLoadError):
    """Bulk loading was asked for a server whose files kmoa does not manage."""


@dataclass(frozen=True)
class ReloadResult:
    """What a reload wrote and how: the mode used, counts, generation and where the old database went."""

    mode: str
    nodes: int
    relationships: int
    load_id: str
    previous: str | None
    seconds: float
    kept: Path | None = None
    phases: dict[str, float] = field(default_factory=dict)


def managed_server(settings: nl.ConnectionSettings,
                   cache_dir: Path | str | None = None) -> neo4j_server.ServerInfo | None:
    """The running ``kmoa neo4j start`` server if ``settings`` name it (and its one database), else None."""
    local = neo4j_server.status(cache_dir)
    if local is None or settings.database != nl.DEFAULT_DATABASE:
        return None
    return local if settings.uri.rstrip("/") == local.uri else None


def choose_mode(mode: Mode, settings: nl.ConnectionSettings, edges: int,
                cache_dir: Path | str | None = None) -> Literal["bulk", "online"]:
    """The mode a reload of ``edges`` relationships uses; BulkRefused if bulk is asked for a server not ours."""
    if mode == "online":
        return "online"
    managed = managed_server(settings, cache_dir) is not None
    if mode == "bulk" and not managed:
        raise BulkRefused(
            f"--mode bulk replaces the database files of the server, and {settings.uri} (database "
            f"{settings.database}) is not the server kmoa manages (`kmoa neo4j start`), so kmoa cannot stop it or "
            "swap its files. Use --mode online (one transaction over Bolt, the default for such servers), or run "
            "`neo4j-admin database import full` on that server's machine yourself")
    return "bulk" if managed and (mode == "bulk" or edges >= BULK_MIN_EDGES) else "online"


def reload_rows(settings: nl.ConnectionSettings, nodes: Iterable[Row], edges: Iterable[Row],
                *, mode: Mode = "auto", batch_size: int = nl.DEFAULT_BATCH_SIZE, force: bool = False,
                progress: bool | None = None, cache_dir: Path | str | None = None,
                on_import: Callable[[subprocess.Popen[bytes]], None] | None = None) -> ReloadResult:
    """Replace the graph with these KGX rows, by the bulk importer or one transaction (see the module doc)."""
    node_list, edge_list = list(nodes), list(edges)
    if choose_mode(mode, settings, len(edge_list), cache_dir) == "bulk":
        return bulk_reload(settings, node_list, edge_list, force=force, cache_dir=cache_dir, on_import=on_import)
    with nl.open_driver(settings) as driver:
        result = nl.load_rows(driver, node_list, edge_list, database=settings.database, batch_size=batch_size,
                              force=force, progress=progress)
    return ReloadResult("online", result.nodes, result.relationships, result.load_id, result.previous,
                        result.seconds, phases=result.phases)


@contextmanager
def _only_bulk_load(folder: Path) -> Iterator[None]:
    """One bulk load per cache at a time (a lock file); refuse a second one instead of waiting."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise nl.Neo4jLoadError(f"another bulk load is running for this server (lock {folder / '.lock'}); "
                                    "wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def bulk_reload(settings: nl.ConnectionSettings, nodes: Iterable[Row], edges: Iterable[Row],
                *, force: bool = False, cache_dir: Path | str | None = None, threads: int | None = None,
                on_import: Callable[[subprocess.Popen[bytes]], None] | None = None) -> ReloadResult:
    """Import the rows into a new database with neo4j-admin, then serve it instead of the current one.

    The managed server answers from its current database until the import has written every row;
    an import that fails or is killed changes nothing there (its own folder is removed).
    """
    from kmoa.loaders.stores.neo4j_bulk import run_import, write_import_files

    if managed_server(settings, cache_dir) is None:
        choose_mode("bulk", settings, 0, cache_dir)  # raises BulkRefused with the explanation
    phase = nl.Phases()
    began, phases = phase.began, phase.times

    root = neo4j_server.data_folder(cache_dir).parent.parent
    imports = root / IMPORTS
    plan = nl.plan_load(nodes, edges)
    phase("plan")
    with _only_bulk_load(imports):
        for stale in imports.iterdir():  # left by a killed load of this cache: ours, never finished
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        load_id = nl.new_load_id()
        work = imports / load_id
        try:
            with nl.open_driver(settings) as driver:
                previous = (nl.active_generation(driver, settings.database) or {}).get("active")
            files = write_import_files(plan, load_id, work / "csv", previous)
            phase("write files")
            run_import(neo4j_server.admin_command(cache_dir), files, work / "home", threads=threads,
                       on_start=on_import)
            phase("import")
            with nl.open_driver(settings) as driver:
                running = nl.loads_in_progress(driver, settings.database)
                previous = (nl.active_generation(driver, settings.database) or {}).get("active")
            if running and not force:
                raise nl.Neo4jLoadError(
                    f"an online load (generation {running[0]['generation']}) is in progress on this server; wait for "
                    "it, or pass --force to switch anyway (the restart rolls it back)")
            (root / PREVIOUS).mkdir(mode=0o700, exist_ok=True)
            kept = _free_name(root / PREVIOUS / str(previous or f"before-{load_id}"))
            neo4j_server.swap_database(work / "home" / "data", kept, cache_dir)
            phase("switch")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    # The previous database's last transaction id is read by a second JVM (neo4j-admin) while the
    # server builds the indexes of the new one, instead of after them.
    with nl.open_driver(settings) as driver, ThreadPoolExecutor(max_workers=1) as pool:
        last = pool.submit(last_transaction, kept, cache_dir)
        nl.ensure_schema(driver, settings.database)
        counts = nl.graph_counts(driver, settings.database)
        phase("indexes")
        advance_transactions(driver, settings.database, last.result())
        phase("bookmarks")
    if counts != (len(plan.nodes), plan.edge_count):
        raise nl.Neo4jLoadError(f"the bulk-loaded database holds {counts[0]} nodes and {counts[1]} relationships, "
                                f"not {len(plan.nodes)} and {plan.edge_count}; the previous one is in {kept}")
    return ReloadResult("bulk", len(plan.nodes), plan.edge_count, load_id, previous,
                        round(time.perf_counter() - began, 3), kept, phases)


def last_transaction(data: Path, cache_dir: Path | str | None = None) -> int:
    """The last committed transaction id of the (not served) database under the data folder ``data``."""
    with tempfile.TemporaryDirectory(prefix="kmoa-neo4j-info-") as home:
        (Path(home) / "neo4j.conf").write_text(f"server.directories.data={data}\n", encoding="utf-8")
        proc = subprocess.run([*neo4j_server.admin_command(cache_dir, "256m"), "database", "info", DATABASE],
                              env=dict(os.environ, NEO4J_HOME=home, NEO4J_CONF=home), capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)
    match = re.search(r"Last committed transaction id:\s*(\d+)", proc.stdout)
    if match is None:
        output = (proc.stdout + proc.stderr)[-500:]
        raise nl.Neo4jLoadError(f"could not read the last transaction id of {data}: {output}")
    return int(match.group(1))


def advance_transactions(driver: Any, database: str, count: int) -> None:
    """Commit ``count`` tiny transactions, so the new database's transaction ids pass the old one's.

    Drivers keep bookmarks (the last transaction id they saw); a client that read the previous
    database would otherwise wait for a transaction the new one has not reached, and fail. The
    transactions set and then remove a property of the KmoaMeta node; the graph is unchanged.
    """
    with driver.session(database=database) as session:
        session.run(f"UNWIND range(1, $count) AS i CALL (i) {{ MATCH (m:{nl.META} {{key: $key}}) SET m.tick = i }} "
                    "IN TRANSACTIONS OF 1 ROWS", count=count, key=nl.META_KEY).consume()
        session.run(f"MATCH (m:{nl.META} {{key: $key}}) REMOVE m.tick", key=nl.META_KEY).consume()


def _free_name(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3`` ... if it exists (a kept database is never overwritten)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def folder_size(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def kept_message(result: ReloadResult) -> str:
    """Where the previous database went and how to remove it (empty for online loads)."""
    if result.kept is None:
        return ""
    size = folder_size(result.kept) / 1e6
    return (f"the previous database is kept in {result.kept} ({size:,.0f} MB); delete that folder (rm -r) when "
            "you no longer need it")


