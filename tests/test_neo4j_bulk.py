"""Bulk reloads with neo4j-admin: the same graph as an online load, and a failed or killed import changes nothing.

The bulk path replaces the database files of the server, so it runs against this test session's own
managed server (``kmoa neo4j start`` in the session's cache): the import goes into a folder of its own
while the server answers, then the server restarts on the new database, on the same port.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa import neo4j_reload as reload
from kmoa import neo4j_server
from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_rows, node_rows
from kmoa.graph.sparql import named_queries
from kmoa.loaders.stores import neo4j as nl
from kmoa.loaders.stores import neo4j_bulk as nb


def _settings(info: Any) -> nl.ConnectionSettings:
    return nl.ConnectionSettings(uri=info.uri, user=info.user, password=info.password)


def _answers(driver: Any) -> dict[str, list[str]]:
    """Rows of every named Cypher query (what a reader sees), order-insensitive."""
    out = {}
    for name, query in named_queries().items():
        assert query.cypher, name
        rows = nl.run_cypher(driver, query.cypher, timeout=300).rows  # a restarted server starts cold
        out[name] = sorted(json.dumps(row, sort_keys=True) for row in rows)
    return out


def _properties(driver: Any) -> list[list[str]]:
    """Every node's and relationship's properties (the generation id aside), as a reader gets them.

    An empty list is absent (the importer cannot write one), so no property holds one."""
    nodes = nl.run_cypher(driver, "MATCH (n:Entity) RETURN labels(n) AS labels, properties(n) AS p",
                          timeout=300, limit=10**6).rows
    rels = nl.run_cypher(driver, "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, type(r) AS t, b.id AS b, "
                         "properties(r) AS p", timeout=300, limit=10**6).rows
    for row in [*nodes, *rels]:
        row["p"].pop("load_id", None)
        assert [] not in row["p"].values(), row
        if "labels" in row:
            row["labels"] = sorted(row["labels"])
    return [sorted(json.dumps(row, sort_keys=True) for row in rows) for rows in (nodes, rels)]


def _headers(folder: Path, prefix: str) -> list[list[str]]:
    headers = []
    for path in sorted(folder.glob(f"{prefix}-*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            headers.append(next(csv.reader(fh)))
    return headers


# --------------------------------------------------------------------------- the importer's files


def test_import_files_have_typed_headers(kg: KnowledgeGraph, tmp_path: Path) -> None:
    files = nb.import_files_for_rows(node_rows(kg), edge_rows(kg), "gen", tmp_path)
    assert (files.node_count, files.relationship_count) == (len(node_rows(kg)) + 1, len(edge_rows(kg)))
    nodes = [column for header in _headers(tmp_path, "nodes") for column in header]
    edges = [column for header in _headers(tmp_path, "edges") for column in header]
    assert {"id:ID", ":LABEL", "n:long", "xref:string[]", "refs:long[]", "load_id:string"} <= set(nodes)
    assert {":START_ID", ":END_ID", ":TYPE", "id:string", "asserted:boolean", "review_refs:long[]",
            "canmat_level:long"} <= set(edges)


def test_a_column_of_mixed_types_splits_its_file(tmp_path: Path, tiny: KnowledgeGraph) -> None:
    nodes, edges = node_rows(tiny), edge_rows(tiny)
    first, second = edges[0], next(e for e in edges if e["kmoa_predicate"] == edges[0]["kmoa_predicate"]
                                   and e is not edges[0])
    first["dose"], second["dose"] = 5, "0.5 mg/kg"
    files = nb.import_files_for_rows(nodes, edges, "gen", tmp_path)
    headers = _headers(tmp_path, "edges")
    assert any("dose:long" in h for h in headers) and any("dose:string" in h for h in headers)
    assert files.relationship_count == len(edges)


def test_a_list_holding_the_delimiter_is_refused(tmp_path: Path, tiny: KnowledgeGraph) -> None:
    nodes = node_rows(tiny)
    nodes[0]["synonym"] = ["one\x1ftwo"]
    with pytest.raises(nb.BulkImportError, match="synonym"):
        nb.import_files_for_rows(nodes, edge_rows(tiny), "gen", tmp_path)


def test_worker_processes_write_the_same_files(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """Large loads write their relationship files in forked processes: byte for byte what one process writes,
    and a defective value is still refused with its relationship type named."""
    plan = nl.plan_load(node_rows(kg), edge_rows(kg))
    one = nb.write_import_files(plan, "gen", tmp_path / "one", "before", workers=1)
    two = nb.write_import_files(plan, "gen", tmp_path / "two", "before", workers=2)
    assert (one.nodes, one.relationships, one.multiline) == (two.nodes, two.relationships, two.multiline)
    assert len(one.relationships) > 2
    for name in one.nodes + one.relationships:
        if name != "meta.csv":  # its load time differs
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    edges = edge_rows(kg)
    edges[-1]["publications"] = ["PMID:1\x1fPMID:2"]
    with pytest.raises(nb.BulkImportError, match=f"relationship type {edges[-1]['kmoa_predicate']}.*U\\+001F"):
        nb.write_import_files(nl.plan_load(node_rows(kg), edges), "gen", tmp_path / "bad", workers=2)


def test_import_files_read_back_as_the_rows(tmp_path: Path, tiny: KnowledgeGraph) -> None:
    """Every cell of the importer's CSV, read with Python's csv reader, is the row's value as the
    importer reads it: commas, quotes, line breaks, empty texts and lists, numbers and booleans."""
    nodes, edges = node_rows(tiny), edge_rows(tiny)
    tricky = ['a, b', 'say "no"', "line\nbreak", "carriage\rreturn", "", 'all, "of\r\n it"']
    for i, edge in enumerate(edges):
        edge["note"] = tricky[i % len(tricky)]
        edge["publications"] = [tricky[(i + 1) % len(tricky)], "PMID:1"] if i % 3 else []
    files = nb.import_files_for_rows(nodes, edges, "gen", tmp_path)
    by_id = {edge["id"]: edge for edge in edges}
    seen = 0
    for name in files.relationships:
        with open(tmp_path / name, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            breaks = False
            for cells in reader:
                row = dict(zip(header, cells, strict=True))
                edge = by_id[row["id:string"]]
                seen += 1
                assert (row[":START_ID"], row[":END_ID"]) == (edge["subject"], edge["object"])
                assert row.get("note:string", "") == edge["note"]
                assert row.get("publications:string[]", "") == "\x1f".join(edge["publications"])
                assert row["asserted:boolean"] in ("true", "false")
                breaks = breaks or any("\n" in cell or "\r" in cell for cell in cells)
        assert (name in files.multiline) == breaks, name
    assert seen == len(edges)


def test_help_explains_the_modes() -> None:
    for command in (["load", "neo4j"], ["import", "kgx"], ["import", "drugmechdb"]):
        text = " ".join(CliRunner().invoke(main, [*command, "--help"]).output.split())
        assert "--mode [auto|bulk|online]" in text, command
        assert "neo4j-admin database import" in text and "one transaction" in text, command


# --------------------------------------------------------------------------- against the managed server


@pytest.mark.neo4j
def test_bulk_load_answers_like_an_online_load(neo4j_server_info: Any, neo4j_driver: Any,
                                              kg: KnowledgeGraph) -> None:
    online = nl.load_graph(neo4j_driver, kg)
    counts, answers, properties = nl.graph_counts(neo4j_driver), _answers(neo4j_driver), _properties(neo4j_driver)
    result = reload.reload_rows(_settings(neo4j_server_info), node_rows(kg), edge_rows(kg), mode="bulk")
    assert result.mode == "bulk"
    assert nl.graph_counts(neo4j_driver) == counts == (len(node_rows(kg)), len(edge_rows(kg)))
    assert _answers(neo4j_driver) == answers
    assert _properties(neo4j_driver) == properties  # every property of every node and relationship
    meta = nl.active_generation(neo4j_driver)
    assert meta is not None and (meta["active"], meta["previous"]) == (result.load_id, online.load_id)
    # The previous database is kept, named after its generation, and the message says where and how to remove it.
    assert result.kept is not None and result.kept.name == online.load_id
    assert (result.kept / "databases" / "neo4j").is_dir()
    assert str(result.kept) in reload.kept_message(result) and "rm -r" in reload.kept_message(result)
    # The constraints of an online load exist on the bulk-loaded database too: a duplicate id is refused.
    with pytest.raises(nl.CypherError, match="already exists"):
        nl.run_cypher(neo4j_driver, "MATCH (n:Entity) WITH n LIMIT 1 CREATE (:Entity {id: n.id})", write=True)
    # An online load over the bulk-loaded graph replaces it as usual.
    again = nl.load_graph(neo4j_driver, kg)
    assert again.previous == result.load_id and _answers(neo4j_driver) == answers


def _import_writing(cache: Path) -> bool:
    """Whether the importer has begun writing the new database's store files."""
    return any((cache / reload.IMPORTS).glob("*/home/data/databases/neo4j/*"))


def _wait_for(condition: Any, what: str, limit: float = 900) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.mark.neo4j
def test_killed_import_leaves_the_previous_database_answering(neo4j_server_info: Any, neo4j_driver: Any,
                                                             kg: KnowledgeGraph, tiny: KnowledgeGraph,
                                                             isolated_neo4j_cache: Path) -> None:
    nl.load_graph(neo4j_driver, tiny)
    before, generation = nl.graph_counts(neo4j_driver), nl.active_generation(neo4j_driver)
    answers = _answers(neo4j_driver)
    seen_during: list[tuple[int, int]] = []

    def kill_mid_import(proc: subprocess.Popen[bytes]) -> None:
        _wait_for(lambda: proc.poll() is not None or _import_writing(isolated_neo4j_cache), "the import to start")
        assert proc.poll() is None, "the importer ended before it could be killed"
        seen_during.append(nl.graph_counts(neo4j_driver))  # the server answers from its database meanwhile
        proc.send_signal(signal.SIGKILL)

    with pytest.raises(nb.BulkImportError, match="stopped by signal 9"):
        reload.reload_rows(_settings(neo4j_server_info), node_rows(kg), edge_rows(kg), mode="bulk",
                           on_import=kill_mid_import)
    assert seen_during == [before]
    assert nl.graph_counts(neo4j_driver) == before != (len(node_rows(kg)), len(edge_rows(kg)))
    assert nl.active_generation(neo4j_driver) == generation and _answers(neo4j_driver) == answers
    assert [p for p in (isolated_neo4j_cache / reload.IMPORTS).iterdir() if p.is_dir()] == []


@pytest.mark.neo4j
def test_defective_row_fails_the_import_and_changes_nothing(neo4j_server_info: Any, neo4j_driver: Any,
                                                           kg: KnowledgeGraph, tiny: KnowledgeGraph,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    nl.load_graph(neo4j_driver, tiny)
    before, answers = nl.graph_counts(neo4j_driver), _answers(neo4j_driver)
    write = nb.write_import_files

    def with_a_defective_row(*args: Any, **kwargs: Any) -> nb.ImportFiles:
        files = write(*args, **kwargs)
        with open(files.folder / files.relationships[0], "a", encoding="utf-8") as fh:
            fh.write("NO:SUCH_NODE,NO:OTHER_NODE,antagonist_of,defective\n")
        return files

    monkeypatch.setattr(nb, "write_import_files", with_a_defective_row)
    with pytest.raises(nb.BulkImportError, match=r"edges-000-0.csv line \d+: .*missing node NO:SUCH_NODE"):
        reload.reload_rows(_settings(neo4j_server_info), node_rows(kg), edge_rows(kg), mode="bulk")
    assert nl.graph_counts(neo4j_driver) == before and _answers(neo4j_driver) == answers


@pytest.mark.neo4j
def test_bulk_is_refused_for_a_server_kmoa_does_not_manage(neo4j_server_info: Any, neo4j_driver: Any,
                                                          tiny: KnowledgeGraph, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    nl.load_graph(neo4j_driver, tiny)
    before = nl.active_generation(neo4j_driver)
    monkeypatch.setenv("KMOA_CACHE", str(tmp_path / "another-cache"))  # kmoa manages no server from here
    info = neo4j_server_info
    settings = _settings(info)
    with pytest.raises(reload.BulkRefused, match="not the server kmoa manages.*--mode online"):
        reload.reload_rows(settings, node_rows(tiny), edge_rows(tiny), mode="bulk")
    assert reload.choose_mode("auto", settings, 10 * reload.BULK_MIN_EDGES) == "online"
    auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
    refused = CliRunner().invoke(main, ["load", "neo4j", "--mode", "bulk", "--data", "tests/fixtures/tiny", *auth])
    assert refused.exit_code == 1 and "not the server kmoa manages" in refused.output, refused.output
    assert nl.active_generation(neo4j_driver) == before
    loaded = CliRunner().invoke(main, ["load", "neo4j", "--data", "tests/fixtures/tiny", *auth])
    assert loaded.exit_code == 0 and "(online," in loaded.output, loaded.output


# --------------------------------------------------------------------------- a swap killed midway

SWAP_MOVES = [("data", "databases", "keep"), ("data", "transactions", "keep"),
              ("new", "databases", "data"), ("new", "transactions", "data")]


@pytest.mark.parametrize("done", range(len(SWAP_MOVES) + 1))
def test_the_next_start_undoes_a_swap_killed_after_any_move(tmp_path: Path, done: int) -> None:
    """Whichever of the swap's four folder moves a kill came after, the previous database returns whole."""
    cache = tmp_path / "neo4j"
    root = {"data": neo4j_server.data_folder(cache), "keep": tmp_path / "previous" / "gen-1",
            "new": tmp_path / "import" / "data"}
    for where, store in (("data", "previous"), ("new", "new")):
        for part in ("databases", "transactions"):
            (root[where] / part / "neo4j").mkdir(parents=True)
            (root[where] / part / "neo4j" / "marker").write_text(f"{store} {part}")
    (root["data"] / "databases" / "system").mkdir()
    neo4j_server._write_private(neo4j_server._swap_journal(cache), {"keep": str(root["keep"]), "new": str(root["new"])})
    for source, part, target in SWAP_MOVES[:done]:
        (root[target] / part).mkdir(parents=True, exist_ok=True)
        os.replace(root[source] / part / "neo4j", root[target] / part / "neo4j")

    neo4j_server._undo_unfinished_swap(cache)

    for where, store in (("data", "previous"), ("new", "new")):
        for part in ("databases", "transactions"):
            assert (root[where] / part / "neo4j" / "marker").read_text() == f"{store} {part}", (done, where, part)
    assert (root["data"] / "databases" / "system").is_dir()
    assert not root["keep"].exists() and not neo4j_server._swap_journal(cache).exists()


KILLED_SWAP = textwrap.dedent("""
    import os, sys
    from kmoa import neo4j_reload as reload, neo4j_server
    from kmoa.graph.model import load_graph
    from kmoa.graph.rows import edge_rows, node_rows
    from kmoa.loaders.stores import neo4j as nl

    real, moves = os.replace, []

    def replace(source, target):
        real(source, target)
        if "/databases/" in str(source) or "/transactions/" in str(source):
            moves.append(source)
            if len(moves) == int(sys.argv[1]):
                os._exit(9)  # killed in the middle of the swap, with the server stopped

    os.replace = replace
    info = neo4j_server.status()
    settings = nl.ConnectionSettings(uri=info.uri, user=info.user, password=info.password)
    kg = load_graph()
    reload.reload_rows(settings, node_rows(kg), edge_rows(kg), mode="bulk")
""")


@pytest.mark.neo4j
def test_a_bulk_load_killed_during_the_swap_leaves_the_previous_graph_at_the_next_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kg: KnowledgeGraph, tiny: KnowledgeGraph) -> None:
    """A server of its own: the bulk load is killed after the new store moved in, before its logs did."""
    neo4j_server.ensure_installed()
    monkeypatch.setenv("KMOA_CACHE", str(tmp_path / "cache"))
    info = neo4j_server.start(timeout=240)
    try:
        with nl.open_driver(_settings(info)) as driver:
            nl.load_graph(driver, tiny)
            before = nl.graph_counts(driver), _answers(driver), nl.active_generation(driver)
        killed = subprocess.run([sys.executable, "-c", KILLED_SWAP, "3"], cwd=Path(__file__).parent.parent,
                                capture_output=True, text=True, timeout=900)
        assert killed.returncode == 9, killed.stderr[-2000:]
        assert neo4j_server.status() is None  # the swap had stopped the server
        started = CliRunner().invoke(main, ["neo4j", "start", "--timeout", "240"])
        assert started.exit_code == 0, started.output
        assert "A bulk load was stopped while it switched databases" in started.output
        again = neo4j_server.status()
        assert again is not None
        with nl.open_driver(_settings(again)) as driver:
            assert (nl.graph_counts(driver), _answers(driver), nl.active_generation(driver)) == before
            result = reload.reload_rows(_settings(again), node_rows(kg), edge_rows(kg), mode="bulk")
        with nl.open_driver(_settings(neo4j_server.status())) as driver:
            assert nl.graph_counts(driver) == (len(node_rows(kg)), len(edge_rows(kg)))
            assert nl.active_generation(driver)["previous"] == before[2]["active"]  # type: ignore[index]
        assert result.kept is not None and (result.kept / "databases" / "neo4j").is_dir()
    finally:
        neo4j_server.stop()
