"""Loading the curated graph into the real Neo4j server: counts, atomic replacement, read-only Cypher.

Expectations come from the data (the KGX export, the KnowledgeGraph), never hard-coded.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_row, edge_rows, node_rows
from kmoa.graph.sparql import named_queries
from kmoa.loaders.registry import export
from kmoa.loaders.stores import neo4j as nl

pytestmark = pytest.mark.neo4j
REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def _settings(info: Any, **changes: str) -> nl.ConnectionSettings:
    values = {"uri": info.uri, "user": info.user, "password": info.password, "database": "neo4j"} | changes
    return nl.ConnectionSettings(**values)


def _cli_auth(info: Any) -> list[str]:
    return ["--uri", info.uri, "--user", info.user, "--password", info.password]


def _kgx_counts(kg: KnowledgeGraph, out: Path) -> tuple[int, int]:
    export(kg, "kgx", out)
    lines = [len((out / name).read_text(encoding="utf-8").splitlines()) - 1 for name in ("nodes.tsv", "edges.tsv")]
    return lines[0], lines[1]


def _count(driver: Any, query: str, **params: Any) -> int:
    return int(driver.execute_query(query, params, database_="neo4j").records[0][0])


def _leftovers(driver: Any) -> int:
    return _count(driver, f"MATCH (n) WHERE n:{nl.STAGING} OR n:{nl.RETIRED} RETURN count(n)")


def _batch_count(kg: KnowledgeGraph, batch_size: int) -> int:
    per_type: dict[str, int] = {}
    for claim in kg.claims.values():
        per_type[claim.predicate] = per_type.get(claim.predicate, 0) + 1
    return math.ceil(len(kg.nodes) / batch_size) + sum(math.ceil(n / batch_size) for n in per_type.values())


def _snapshot(driver: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of every named Cypher query: what a reader sees."""
    out = {}
    for name, query in named_queries().items():
        assert query.cypher, name
        result = nl.run_cypher(driver, query.cypher)
        out[name] = [tuple(json.dumps(row[c], sort_keys=True) for c in result.columns) for row in result.rows]
    return out


@pytest.fixture(scope="module")
def loaded(neo4j_driver: Any, kg: KnowledgeGraph) -> nl.LoadResult:
    return nl.load_graph(neo4j_driver, kg)


# --------------------------------------------------------------------------- rows -> properties


def test_node_properties_flatten_study_facts(kg: KnowledgeGraph) -> None:
    rows = {row["id"]: row for row in node_rows(kg)}
    study = next(n for n in kg.nodes.values() if n.study is not None and n.study.n is not None)
    facts = study.study
    assert facts is not None
    props = nl.node_properties(rows[study.id])
    assert props["n"] == facts.n
    assert props["refs"] == list(facts.refs)
    assert json.loads(props["study_facts"])["n"] == facts.n
    assert props["id"] == study.id and props["kmoa_kind"] == "study"
    assert all(v is not None and v != "" for v in props.values())


def test_edge_properties_keep_lists_and_rename_predicate(kg: KnowledgeGraph) -> None:
    row = next(r for r in edge_rows(kg) if r["review_refs"])
    props = nl.edge_properties(row)
    assert props["review_refs"] == row["review_refs"] and all(isinstance(r, int) for r in props["review_refs"])
    assert props["biolink_predicate"] == row["predicate"] and props["kmoa_predicate"] == row["kmoa_predicate"]
    assert "subject" not in props and "object" not in props


def test_batches_carry_exactly_the_row_properties(kg: KnowledgeGraph) -> None:
    """The positional batch rows + shared values decode to edge_properties/node_properties."""
    rows = edge_rows(kg)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_type.setdefault(row["kmoa_predicate"], []).append(row)
    element_ids = {curie: f"eid-{curie}" for curie in kg.nodes}
    for rel_type, group in by_type.items():
        batch = nl.edge_batch(rel_type, group, "gen", element_ids)
        names = re.findall(r"r\.`([^`]+)` = row\[(\d+)\]", batch.query)
        for row, data in zip(group, batch.params["rows"], strict=True):
            assert list(data[:3]) == [row["id"], element_ids[row["subject"]], element_ids[row["object"]]]
            decoded = {**batch.params["common"], **{name: data[int(i)] for name, i in names}}
            expected = nl.edge_properties(row)
            expected.pop("id")
            assert {k: v for k, v in decoded.items() if v is not None} == expected
    plan = nl.plan_load(node_rows(kg), rows)
    batch = nl.node_batch(plan.nodes, "gen")
    names = re.findall(r"n\.`([^`]+)` = row\[(\d+)\]", batch.query)
    for node, data in zip(plan.nodes, batch.params["rows"], strict=True):
        decoded = {**batch.params["common"], **{name: data[int(i)] for name, i in names}}
        assert {k: v for k, v in decoded.items() if v is not None} == node["p"]


def test_relationship_batches_find_their_ends_by_element_id(neo4j_driver: Any, kg: KnowledgeGraph) -> None:
    """Each relationship's end nodes are looked up by element id, whatever the database's statistics.

    With a label in the pattern, a new server's empty statistics made the planner seek the
    ``load_id`` index and filter every node of the load by element id for each row: the first
    load after a start wrote 837 relationships a second instead of tens of thousands.
    """
    rows = edge_rows(kg)
    element_ids = {curie: f"4:00000000-0000-0000-0000-000000000000:{i}" for i, curie in enumerate(kg.nodes)}
    batch = nl.edge_batch(rows[0]["kmoa_predicate"], rows[:5], "gen", element_ids)
    nl.ensure_schema(neo4j_driver)  # the indexes a load makes first
    with neo4j_driver.session() as session:
        plan = session.run("EXPLAIN " + batch.query, batch.params).consume().plan
    kinds = [op.name for op in nl.plan_operators(plan)]
    assert kinds.count("NodeByElementIdSeek") == 2, kinds
    assert not {"NodeIndexSeek", "NodeByLabelScan", "AllNodesScan"} & set(kinds), kinds


def test_plan_rejects_dangling_edges(kg: KnowledgeGraph) -> None:
    edges = edge_rows(kg)
    edges[0] = dict(edges[0], object="KMOA:not_a_node")
    with pytest.raises(nl.Neo4jLoadError, match="KMOA:not_a_node"):
        nl.plan_load(node_rows(kg), edges)


# --------------------------------------------------------------------------- load


def test_counts_equal_kgx_export(loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph,
                                 tmp_path: Path) -> None:
    nodes, edges = _kgx_counts(kg, tmp_path / "kgx")
    assert (loaded.nodes, loaded.relationships) == (nodes, edges)
    assert nl.graph_counts(neo4j_driver) == (nodes, edges)
    # Nothing else is left in the database: no staged or retired generation, no stray relationship.
    assert _count(neo4j_driver, "MATCH ()-[r]->() RETURN count(r)") == edges
    assert _leftovers(neo4j_driver) == 0


def test_second_load_is_idempotent(loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph,
                                   tmp_path: Path) -> None:
    before = _snapshot(neo4j_driver)
    again = nl.load_graph(neo4j_driver, kg)
    assert again.previous is not None and again.load_id != again.previous
    assert nl.graph_counts(neo4j_driver) == _kgx_counts(kg, tmp_path / "kgx")
    assert nl.active_generation(neo4j_driver)["active"] == again.load_id  # type: ignore[index]
    assert _count(neo4j_driver, "MATCH (n) WHERE n.load_id = $old RETURN count(n)", old=again.previous) == 0
    assert _count(neo4j_driver, "MATCH (n:Entity) WHERE n.load_id <> $gen RETURN count(n)", gen=again.load_id) == 0
    assert _snapshot(neo4j_driver) == before


def test_labels_types_and_properties(loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph) -> None:
    for node in list(kg.nodes.values())[:40]:
        kind = kg.schema.node_kinds[node.kind]
        record = neo4j_driver.execute_query("MATCH (n:Entity {id: $id}) RETURN labels(n) AS labels, n.name AS name",
                                            id=node.id, database_="neo4j").records[0]
        assert set(record["labels"]) == {"Entity", kind.class_name, kind.biolink.replace(":", "_")}
        assert record["name"] == node.name
    claim = next(c for c in kg.claims.values() if c.provenance.refs)
    attrs = edge_row(kg, claim)
    rec = neo4j_driver.execute_query(
        "MATCH (s:Entity)-[r]->(o:Entity) WHERE r.id = $id RETURN s.id AS s, o.id AS o, type(r) AS t, "
        "properties(r) AS p", id=claim.id, database_="neo4j").records
    assert len(rec) == 1
    props = rec[0]["p"]
    assert (rec[0]["s"], rec[0]["o"], rec[0]["t"]) == (claim.subject, claim.object, claim.predicate)
    assert props["biolink_predicate"] == attrs["predicate"]
    assert props["review_refs"] == attrs["review_refs"]
    assert props["studies"] == attrs["studies"]
    assert props["evidence_type"] == attrs["evidence_type"]
    assert props["evidence_strength"] == attrs["evidence_strength"]
    ids = [r["id"] for r in neo4j_driver.execute_query("MATCH (:Entity)-[r]->() RETURN r.id AS id",
                                                       database_="neo4j").records]
    assert sorted(ids) == sorted(kg.claims)


def test_negated_relationships_never_read_as_assertions(loaded: nl.LoadResult, neo4j_driver: Any,
                                                         kg: KnowledgeGraph) -> None:
    """Every claim the review negates is a relationship with negated = true; asserted ones are not negated."""
    records = neo4j_driver.execute_query(
        "MATCH (:Entity)-[r]->(:Entity) RETURN r.id AS id, coalesce(r.negated, false) AS negated, "
        "r.asserted AS asserted", database_="neo4j").records
    by_id = {r["id"]: (r["negated"], r["asserted"]) for r in records}
    for claim in kg.claims.values():
        assert by_id[claim.id] == (kg.is_negated(claim), kg.is_asserted(claim)), claim.id
    # What a script asks for "ketamine treats" gets only what the review asserts.
    asserted = {r["d"] for r in neo4j_driver.execute_query(
        "MATCH (:Entity {id: 'CHEBI:6121'})-[r:treats]->(d:Entity) WHERE r.asserted RETURN d.id AS d",
        database_="neo4j").records}
    expected = {c.object for c in kg.claims.values()
                if c.subject == "CHEBI:6121" and c.predicate == "treats" and kg.is_asserted(c)}
    assert asserted == expected
    assert "MONDO:0002009" not in asserted and "EFO:0009854" not in asserted


def test_trials_filterable_by_n(loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph) -> None:
    expected = sorted(n.id for n in kg.nodes.values() if n.study and n.study.n is not None and n.study.n >= 100)
    result = nl.run_cypher(neo4j_driver, "MATCH (s:Study) WHERE s.n >= $n RETURN s.id AS id ORDER BY id", {"n": 100})
    assert [r["id"] for r in result.rows] == expected


def test_failure_in_late_batch_keeps_previous_graph(loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph,
                                                    tmp_path: Path) -> None:
    counts = _kgx_counts(kg, tmp_path / "kgx")
    before_gen = nl.active_generation(neo4j_driver)["active"]  # type: ignore[index]
    before = _snapshot(neo4j_driver)
    batch_size = 25
    total = _batch_count(kg, batch_size)
    assert total > 3
    seen: list[int] = []
    with pytest.raises(nl.InjectedFailure):
        nl.load_graph(neo4j_driver, kg, batch_size=batch_size, fail_after_batches=total - 1, on_batch=seen.append)
    assert seen[-1] == total - 1  # the failure came late, after most of the staging was written
    assert nl.graph_counts(neo4j_driver) == counts
    assert nl.active_generation(neo4j_driver)["active"] == before_gen  # type: ignore[index]
    assert nl.active_generation(neo4j_driver).get("loading") is None  # type: ignore[union-attr]
    assert _snapshot(neo4j_driver) == before
    assert _leftovers(neo4j_driver) == 0
    # And the next load works normally.
    nl.load_graph(neo4j_driver, kg)
    assert nl.graph_counts(neo4j_driver) == counts


def test_a_load_too_big_for_one_transaction_says_what_to_do_and_keeps_the_graph(
        loaded: nl.LoadResult, neo4j_driver: Any, kg: KnowledgeGraph, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's out-of-memory error (raised here in the load's open transaction: Community
    cannot lower its limit while running) becomes a message naming the size and the bulk mode."""
    import neo4j.exceptions

    counts = _kgx_counts(kg, tmp_path / "kgx")
    before = _snapshot(neo4j_driver)
    real_activate = nl._activate

    def out_of_memory(tx: Any, *args: Any) -> None:
        real_activate(tx, *args)  # everything written, then the server refuses
        raise neo4j.exceptions.Neo4jError._hydrate_neo4j(
            code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            message="The allocation of an extra 2.0 MiB would use more than the limit 5.6 GiB.")

    monkeypatch.setattr(nl, "_activate", out_of_memory)
    with pytest.raises(nl.Neo4jLoadError) as caught:
        nl.load_graph(neo4j_driver, kg)
    message = str(caught.value)
    assert f"{counts[1]:,} relationships in one transaction" in message, message
    assert "--mode bulk" in message and "previous graph is unchanged" in message and "5.6 GiB" in message
    assert nl.graph_counts(neo4j_driver) == counts and _snapshot(neo4j_driver) == before


def test_the_stores_row_reads_carry_a_timeout_and_say_when_it_stopped_them(
        loaded: nl.LoadResult, neo4j_server_info: Any, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    import neo4j
    import neo4j.exceptions

    from kmoa.loaders.stores.adapter import open_store

    info = neo4j_server_info
    with open_store(f"neo4j:{info.uri}", user=info.user, password=info.password, timeout=7.5) as store:
        sent: list[Any] = []
        real = store.driver.execute_query

        def recording(query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(query)
            return real(query, *args, **kwargs)

        monkeypatch.setattr(store.driver, "execute_query", recording)
        assert len(store.node_rows()) == len(kg.nodes) and store.edge_rows("subject", "CHEBI:6121")
        assert sent and all(isinstance(q, neo4j.Query) and q.timeout == 7.5 for q in sent)

        def timed_out(*args: Any, **kwargs: Any) -> Any:
            raise neo4j.exceptions.Neo4jError._hydrate_neo4j(
                code="Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
                message="The transaction has been terminated.")

        monkeypatch.setattr(store.driver, "execute_query", timed_out)
        stopped = rf"reading rows from neo4j:{re.escape(info.uri)} stopped after 7.5 s"
        with pytest.raises(nl.CypherTimeout, match=stopped):
            store.edge_rows()


CRASHING_LOAD = textwrap.dedent("""
    import os, sys
    import neo4j
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores import neo4j as nl

    uri, user, password, stop_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    def crash(done):
        if done >= stop_at:
            os._exit(17)  # like kill -9: no cleanup runs

    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        nl.load_graph(driver, load_graph(), batch_size=25, on_batch=crash)
""")


def test_crashed_load_leaves_previous_graph_and_is_recovered(loaded: nl.LoadResult, neo4j_driver: Any,
                                                              neo4j_server_info: Any, kg: KnowledgeGraph,
                                                              tmp_path: Path) -> None:
    counts = _kgx_counts(kg, tmp_path / "kgx")
    before = _snapshot(neo4j_driver)
    info = neo4j_server_info
    stop_at = _batch_count(kg, 25) - 2
    proc = subprocess.run([sys.executable, "-c", CRASHING_LOAD, info.uri, info.user, info.password, str(stop_at)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 17, proc.stderr
    # The crashed load's transaction dies with its connection: nothing of it was ever visible,
    # nothing is left behind, and the next load needs no --force.
    deadline = time.monotonic() + 120
    while nl.loads_in_progress(neo4j_driver) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert nl.loads_in_progress(neo4j_driver) == []
    assert _leftovers(neo4j_driver) == 0
    assert nl.graph_counts(neo4j_driver) == counts
    assert _snapshot(neo4j_driver) == before
    result = nl.load_graph(neo4j_driver, kg)
    assert (result.nodes, result.relationships) == counts
    assert nl.graph_counts(neo4j_driver) == counts
    assert _leftovers(neo4j_driver) == 0


# --------------------------------------------------------------------------- read-only cypher


def test_write_query_is_refused(loaded: nl.LoadResult, neo4j_driver: Any) -> None:
    for query in ("CREATE (x:Intruder) RETURN x", "MATCH (n:Entity) SET n.touched = true",
                  "CREATE INDEX intruder IF NOT EXISTS FOR (n:Intruder) ON (n.x)",
                  "PROFILE CREATE (x:Intruder) RETURN x", "CREATE USER intruder SET PASSWORD 'intruder-pw'",
                  "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
                  "LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS line RETURN line"):
        with pytest.raises(nl.CypherRefused, match="--write"):
            nl.run_cypher(neo4j_driver, query)
    assert _count(neo4j_driver, "MATCH (n:Intruder) RETURN count(n)") == 0
    assert _count(neo4j_driver, "MATCH (n:Entity) WHERE n.touched IS NOT NULL RETURN count(n)") == 0
    names = [r["name"] for r in neo4j_driver.execute_query("SHOW INDEXES YIELD name", database_="neo4j").records]
    assert "intruder" not in names


def test_cli_refuses_write_and_nothing_is_written(loaded: nl.LoadResult, neo4j_driver: Any,
                                                  neo4j_server_info: Any) -> None:
    result = CliRunner().invoke(main, ["cypher", "CREATE (x:Intruder) RETURN x", *_cli_auth(neo4j_server_info)])
    assert result.exit_code == 1
    assert "refused" in result.output and "--write" in result.output
    assert "Traceback" not in result.output
    assert _count(neo4j_driver, "MATCH (n:Intruder) RETURN count(n)") == 0


def test_cli_write_flag_allows_writes(loaded: nl.LoadResult, neo4j_driver: Any, neo4j_server_info: Any) -> None:
    label = "KmoaCliWriteProbe"
    try:
        result = CliRunner().invoke(main, ["cypher", f"CREATE (x:{label}) RETURN 1 AS created", "--write",
                                           *_cli_auth(neo4j_server_info)])
        assert result.exit_code == 0, result.output
        assert _count(neo4j_driver, f"MATCH (n:{label}) RETURN count(n)") == 1
    finally:
        neo4j_driver.execute_query(f"MATCH (n:{label}) DELETE n", database_="neo4j")


def test_read_session_is_a_second_guard(neo4j_driver: Any) -> None:
    import neo4j

    with neo4j_driver.session(database="neo4j", default_access_mode=neo4j.READ_ACCESS) as session:
        with pytest.raises(neo4j.exceptions.ClientError):
            session.run("CREATE (x:Intruder)").consume()
    assert _count(neo4j_driver, "MATCH (n:Intruder) RETURN count(n)") == 0


def test_cli_formats_and_limit(loaded: nl.LoadResult, neo4j_server_info: Any, kg: KnowledgeGraph) -> None:
    auth = _cli_auth(neo4j_server_info)
    compounds = sorted(n.id for n in kg.nodes.values() if n.kind == "compound")
    query = "MATCH (c:Compound) RETURN c.id AS id ORDER BY id"
    as_json = CliRunner().invoke(main, ["cypher", query, "--format", "json", *auth])
    assert as_json.exit_code == 0, as_json.output
    assert [r["id"] for r in json.loads(as_json.stdout)] == compounds
    as_csv = CliRunner().invoke(main, ["cypher", query, "--format", "csv", *auth])
    assert as_csv.stdout.splitlines() == ["id", *compounds]
    table = CliRunner().invoke(main, ["cypher", query, *auth])
    assert table.stdout.splitlines()[2:] == compounds
    capped = CliRunner().invoke(main, ["cypher", query, "--format", "json", "--limit", "2", *auth])
    assert capped.exit_code == 0
    assert [r["id"] for r in json.loads(capped.stdout)] == compounds[:2]
    assert "truncated at 2 rows" in capped.stderr


def test_cli_query_from_file_and_params(loaded: nl.LoadResult, neo4j_server_info: Any, kg: KnowledgeGraph,
                                        tmp_path: Path) -> None:
    path = tmp_path / "q.cypher"
    path.write_text("MATCH (n:Entity {id: $id}) RETURN n.name AS name", encoding="utf-8")
    curie = sorted(kg.nodes)[0]
    result = CliRunner().invoke(main, ["cypher", "-f", str(path), "-p", f"id={curie}", "--format", "json",
                                       *_cli_auth(neo4j_server_info)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"name": kg.nodes[curie].name}]


def test_cli_named_query(loaded: nl.LoadResult, neo4j_driver: Any, neo4j_server_info: Any) -> None:
    name, query = next(iter(named_queries().items()))
    assert query.cypher
    expected = nl.run_cypher(neo4j_driver, query.cypher)
    result = CliRunner().invoke(main, ["cypher", "-n", name, "--format", "json", *_cli_auth(neo4j_server_info)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected.rows


def test_timeout_stops_query(neo4j_driver: Any) -> None:
    with pytest.raises(nl.CypherTimeout):
        nl.run_cypher(neo4j_driver, "UNWIND range(1, 1000000000) AS x WITH x WHERE x % 7 = 100 RETURN count(x)",
                      timeout=1)


def test_syntax_error_is_clear(neo4j_driver: Any) -> None:
    with pytest.raises(nl.CypherError, match="syntax"):
        nl.run_cypher(neo4j_driver, "MATC (n) RETURN n")


# --------------------------------------------------------------------------- connection errors


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_bad_credentials_message(neo4j_server_info: Any) -> None:
    settings = _settings(neo4j_server_info, password="not-the-password")
    with pytest.raises(nl.Neo4jConnectionError) as err:
        nl.connect(settings)
    message = str(err.value)
    assert neo4j_server_info.uri in message and "NEO4J_PASSWORD" in message and "\n" not in message


def test_down_server_message(neo4j_server_info: Any) -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    with pytest.raises(nl.Neo4jConnectionError) as err:
        nl.connect(_settings(neo4j_server_info, uri=uri))
    assert uri in str(err.value) and "running" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("uri", ["http://localhost:7474", "localhost:7687", "bolt://127.0.0.1:notaport"])
def test_wrong_uri_message(neo4j_server_info: Any, uri: str) -> None:
    with pytest.raises(nl.Neo4jConnectionError) as err:
        nl.connect(_settings(neo4j_server_info, uri=uri))
    assert uri in str(err.value) and "NEO4J_URI" in str(err.value) and "\n" not in str(err.value)


def test_unknown_database_message(neo4j_server_info: Any) -> None:
    with pytest.raises(nl.Neo4jConnectionError, match="no database 'nope'"):
        nl.connect(_settings(neo4j_server_info, database="nope"))


@pytest.mark.parametrize("case", ["password", "down", "uri"])
def test_cli_connection_errors_are_one_line(neo4j_server_info: Any, case: str) -> None:
    info = neo4j_server_info
    uri = {"password": info.uri, "down": f"bolt://127.0.0.1:{_closed_port()}", "uri": "http://localhost:7474"}[case]
    password = "wrong" if case == "password" else info.password
    env = dict(os.environ, NEO4J_URI=uri, NEO4J_USER=info.user, NEO4J_PASSWORD=password)
    for args in (["cypher", "RETURN 1"], ["load", "neo4j"]):
        proc = subprocess.run([sys.executable, "-m", "kmoa", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error:") and uri in lines[0], proc.stderr


# --------------------------------------------------------------------------- CLI load


def test_cli_load_prints_kgx_counts(neo4j_server_info: Any, neo4j_driver: Any, kg: KnowledgeGraph,
                                    tmp_path: Path) -> None:
    nodes, edges = _kgx_counts(kg, tmp_path / "kgx")
    result = CliRunner().invoke(main, ["load", "neo4j", "--batch-size", "100", *_cli_auth(neo4j_server_info)])
    assert result.exit_code == 0, result.output
    assert f"{nodes} nodes, {edges} relationships" in result.stdout
    assert nl.graph_counts(neo4j_driver) == (nodes, edges)
