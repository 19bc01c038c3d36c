"""A Neo4j load is invisible to every query until it is active, also while it runs and after it is killed.

The loader runs in a separate process that pauses in the middle of its load (after a chosen batch)
and is then killed with SIGKILL, as a user's Ctrl-\\ or an OOM killer would. Queries not anchored
on a label (`MATCH (a)-[r:antagonist_of]->(b)`, `MATCH ()-[r]->()`, `MATCH (n)`) must give the
active graph's answers during the load and after the kill, and the next load needs no `--force`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_rows, node_rows
from kmoa.loaders.stores import neo4j as nl
from tests.test_kgx_import import EDGE_HEADER, NODE_HEADER

pytestmark = pytest.mark.neo4j

REPO = Path(__file__).resolve().parent.parent
BATCH = 25

PAUSING_LOAD = textwrap.dedent("""
    import sys, time
    import neo4j
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores import neo4j as nl

    uri, user, password, pause_at, marker = sys.argv[1:6]

    def pause(done):
        if done == int(pause_at):
            open(marker, "w").close()
            time.sleep(3600)  # killed here, in the middle of the load

    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        nl.load_graph(driver, load_graph(), batch_size=int(sys.argv[6]), on_batch=pause)
""")

UNANCHORED = {
    "antagonist_of": "MATCH (a)-[r:antagonist_of]->(b) RETURN count(r) AS n",
    "relationships": "MATCH ()-[r]->() RETURN count(r) AS n",
    "nodes": "MATCH (n) WHERE n.load_id IS NOT NULL RETURN count(n) AS n",
    "staged or retired": "MATCH (n) WHERE n:KmoaStaging OR n:KmoaRetired RETURN count(n) AS n",
}


def _answers(driver: Any) -> dict[str, int]:
    """What a user's read-only queries answer (through run_cypher, as `kmoa cypher` runs them)."""
    return {name: nl.run_cypher(driver, query).rows[0]["n"] for name, query in UNANCHORED.items()}


def _expected(kg: KnowledgeGraph) -> dict[str, int]:
    """The answers of the graph as loaded: counted from the rows the loader writes."""
    edges = edge_rows(kg)
    return {"antagonist_of": sum(1 for row in edges if row["kmoa_predicate"] == "antagonist_of"),
            "relationships": len(edges), "nodes": len(node_rows(kg)), "staged or retired": 0}


def _wait(condition: Any, what: str, proc: subprocess.Popen[str] | None = None, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if proc is not None and proc.poll() is not None:
            error = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"the loader exited ({proc.returncode}) before {what}: {error}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def paused_load(neo4j_server_info: Any, neo4j_driver: Any, kg: KnowledgeGraph,
                tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A loader process paused half-way through its load (killed at the end if still alive)."""
    nl.load_graph(neo4j_driver, kg)
    info = neo4j_server_info
    marker = tmp_path / "paused"
    plan = nl.plan_load(node_rows(kg), edge_rows(kg))
    total = -(-len(plan.nodes) // BATCH) + sum(-(-len(rows) // BATCH) for rows in plan.edges_by_type.values())
    proc = subprocess.Popen([sys.executable, "-c", PAUSING_LOAD, info.uri, info.user, info.password,
                             str(total // 2 + 1), str(marker), str(BATCH)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(marker.exists, "the loader paused", proc)
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        _wait(lambda: not nl.loads_in_progress(neo4j_driver), "the server to roll the load back")


def test_unanchored_queries_see_only_the_active_graph_during_and_after_a_killed_load(
        paused_load: subprocess.Popen[str], neo4j_driver: Any, neo4j_server_info: Any, kg: KnowledgeGraph) -> None:
    expected = _expected(kg)
    generation = nl.active_generation(neo4j_driver)
    assert expected["antagonist_of"] > 0
    # During the load: half of the new generation is written, none of it is visible.
    assert _answers(neo4j_driver) == expected
    assert len(nl.loads_in_progress(neo4j_driver)) == 1
    with pytest.raises(nl.Neo4jLoadError, match="--force"):
        nl.load_graph(neo4j_driver, kg)
    info = neo4j_server_info
    auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
    busy = CliRunner().invoke(main, ["load", "neo4j", *auth])
    assert busy.exit_code == 1 and "in progress" in busy.output and "--force" in busy.output
    assert _answers(neo4j_driver) == expected
    # Killed: the server rolls the transaction back; nothing is left, nothing to force.
    os.kill(paused_load.pid, signal.SIGKILL)
    paused_load.wait(timeout=60)
    _wait(lambda: not nl.loads_in_progress(neo4j_driver), "the server to roll the load back")
    assert _answers(neo4j_driver) == expected
    assert nl.active_generation(neo4j_driver) == generation
    result = nl.load_graph(neo4j_driver, kg)
    assert (result.nodes, result.relationships) == (expected["nodes"], expected["relationships"])
    assert _answers(neo4j_driver) == expected


def test_force_stops_a_hung_load(paused_load: subprocess.Popen[str], neo4j_driver: Any, kg: KnowledgeGraph,
                                 neo4j_server_info: Any) -> None:
    """A load that hangs (its process stopped, its transaction open) is stopped by --force."""
    os.kill(paused_load.pid, signal.SIGSTOP)
    try:
        info = neo4j_server_info
        auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
        forced = CliRunner().invoke(main, ["load", "neo4j", "--force", *auth])
        assert forced.exit_code == 0, forced.output
        assert not nl.loads_in_progress(neo4j_driver)
        assert _answers(neo4j_driver) == _expected(kg)
    finally:
        os.kill(paused_load.pid, signal.SIGCONT)


def test_import_says_force_and_force_works(paused_load: subprocess.Popen[str], neo4j_driver: Any,
                                          neo4j_server_info: Any, kg: KnowledgeGraph, tmp_path: Path) -> None:
    """`kmoa import kgx --neo4j` during another load names it and suggests --force, which then works."""
    info = neo4j_server_info
    auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
    folder = tmp_path / "kgx"
    folder.mkdir()
    gene = next(c for c in sorted(kg.nodes) if kg.nodes[c].kind == "gene")
    (folder / "nodes.tsv").write_text(f"{NODE_HEADER}\nNCBIGene:990001\tbiolink:Gene\tnew gene\t\tinfores:test\n")
    (folder / "edges.tsv").write_text(f"{EDGE_HEADER}\nt1\tNCBIGene:990001\tbiolink:interacts_with\t{gene}\t"
                                      "infores:test\tknowledge_assertion\n")
    busy = CliRunner().invoke(main, ["import", "kgx", str(folder), "--neo4j", *auth])
    assert busy.exit_code == 1 and "in progress" in busy.output and "--force" in busy.output, busy.output
    assert _answers(neo4j_driver) == _expected(kg)
    os.kill(paused_load.pid, signal.SIGSTOP)
    try:
        forced = CliRunner().invoke(main, ["import", "kgx", str(folder), "--neo4j", "--force", *auth])
        assert forced.exit_code == 0, forced.output
        imported = nl.run_cypher(neo4j_driver, "MATCH ()-[r]->() WHERE r.imported RETURN count(r) AS n").rows
        assert imported[0]["n"] > 0
    finally:
        os.kill(paused_load.pid, signal.SIGCONT)
        nl.load_graph(neo4j_driver, kg)


def test_a_failed_load_leaves_nothing(neo4j_driver: Any, kg: KnowledgeGraph) -> None:
    nl.load_graph(neo4j_driver, kg)
    before = nl.active_generation(neo4j_driver)
    with pytest.raises(nl.InjectedFailure):
        nl.load_graph(neo4j_driver, kg, batch_size=BATCH, fail_after_batches=3)
    assert _answers(neo4j_driver) == _expected(kg)
    assert nl.active_generation(neo4j_driver) == before
    assert not nl.loads_in_progress(neo4j_driver)
