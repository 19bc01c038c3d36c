"""Read-only Cypher holds whatever the bytes: the server's own EXPLAIN of the unmodified text decides.

A corpus of bypass attempts (comments ended by every line-end character, block comments, unicode
escapes, subqueries, prefixes, administration, procedures) goes through the Python API, `kmoa
cypher` and the explorer's console (its pure callback and the `/_dash-update-component` route).
What a user would notice is checked: a local HTTP probe that `LOAD CSV` would fetch is never
fetched, another session's open transaction survives and its query text is never shown.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.stores import neo4j as nl
from kmoa.loaders.stores.neo4j import PlanOperator, plan_refusal

pytestmark = pytest.mark.neo4j

LINE_ENDS = ("\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c")
OK_ROWS = [{"r": ["ok"]}]


class Probe:
    """A local HTTP server that records every request (what LOAD CSV would make Neo4j fetch)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                probe.requests.append(self.path)
                body = b"fetched\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/probe.csv"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    server = Probe()
    yield server
    server.close()


def bypass_corpus(url: str) -> list[str]:
    """Texts that hide LOAD CSV from a checker that reads comments, escapes or nesting its own way."""
    load = f"LOAD CSV FROM '{url}' AS r RETURN r UNION ALL"
    texts = [f"// x{end}{load}\nRETURN ['ok'] AS r" for end in LINE_ENDS]
    texts += [f"/* x{end}*/ {load}\nRETURN ['ok'] AS r" for end in ("", "\r", "\u2028")]
    texts += [
        f"/* a /* b */ {load}\nRETURN ['ok'] AS r",
        f"L\\u004fAD CSV FROM '{url}' AS r RETURN r",
        f"LOAD CSV FROM '\\u0068ttp{url[4:]}' AS r RETURN r",
        f"RETURN 'it\\'s // not a comment' AS r UNION ALL {load}\nRETURN ['ok'] AS r",
        f"CALL {{ LOAD CSV FROM '{url}' AS r RETURN r }} RETURN r",
        f"CALL () {{ LOAD CSV FROM '{url}' AS r RETURN r }} RETURN r",
        f"WITH 1 AS x CALL (x) {{ LOAD CSV FROM '{url}' AS r RETURN r }} RETURN r",
        f"CYPHER runtime=slotted LOAD CSV FROM '{url}' AS r RETURN r",
        f"USE neo4j LOAD CSV FROM '{url}' AS r RETURN r",
        f"PROFILE LOAD CSV FROM '{url}' AS r RETURN r",
        f"LOAD CSV WITH HEADERS FROM '{url}' AS r RETURN r",
        f"MATCH (n) WITH count(n) AS c LOAD CSV FROM '{url}' AS r RETURN r",
    ]
    return texts


ADMINISTRATION = (
    "SHOW TRANSACTIONS",
    "SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery",
    "// x\rSHOW TRANSACTIONS YIELD currentQuery, parameters RETURN currentQuery, parameters",
    "SHOW SETTINGS",
    "SHOW USERS",
    "USE system SHOW USERS",
    "USE system SHOW DATABASES",
    "CREATE USER intruder SET PASSWORD 'intruder-password'",
    "CALL dbms.listConfig()",
    "CALL dbms.components()",
    "CALL dbms.security.listUsers()",
    "CALL db.info()",
    "CALL `dbms`.`listConfig`()",
    "CALL apoc.load.json('http://127.0.0.1:9/x')",
    "RETURN apoc.text.join(['a'], ',') AS r",
    "MATCH (n) CALL (n) { RETURN n.id AS r } IN TRANSACTIONS RETURN r",
    "CREATE (x:Intruder) RETURN x",
    "MATCH (n) // x\r DETACH DELETE n",
)


def _outcome_api(driver: Any, text: str) -> str:
    """'refused', 'error' or 'ok' (ran, and answered only the harmless ['ok'] row)."""
    try:
        result = nl.run_cypher(driver, text)
    except nl.CypherRefused:
        return "refused"
    except nl.CypherError:
        return "error"
    assert result.rows == OK_ROWS, (text, result.rows)
    return "ok"


def test_the_probe_sees_what_a_write_query_fetches(neo4j_driver: Any, probe: Probe) -> None:
    """Control: the probe does record a fetch when LOAD CSV is run on purpose (--write)."""
    before = len(probe.requests)
    # A generous timeout: the first fetch of a freshly started server is slow on a busy machine.
    result = nl.run_cypher(neo4j_driver, f"LOAD CSV FROM '{probe.url}' AS r RETURN r", write=True, timeout=120)
    assert result.rows == [{"r": ["fetched"]}]
    assert len(probe.requests) == before + 1


def test_bypass_corpus_through_the_python_api(neo4j_driver: Any, probe: Probe) -> None:
    before = len(probe.requests)
    outcomes = {text: _outcome_api(neo4j_driver, text) for text in bypass_corpus(probe.url)}
    assert probe.requests[before:] == [], outcomes
    # The bypass: \r (like \n and \r\n) ends the comment for the server, so the LOAD CSV is
    # seen and refused. Where the server reads the rest of the line as comment (\u2028, \u0085, ...),
    # it runs only RETURN ['ok'] (checked in _outcome_api): either way, check and server agree.
    for end in ("\n", "\r", "\r\n"):
        text = f"// x{end}LOAD CSV FROM '{probe.url}' AS r RETURN r UNION ALL\nRETURN ['ok'] AS r"
        assert outcomes[text] == "refused", repr(end)


def test_administration_through_the_python_api(neo4j_driver: Any) -> None:
    for text in ADMINISTRATION:
        assert _outcome_api(neo4j_driver, text) in ("refused", "error"), text
    users, _, _ = neo4j_driver.execute_query("SHOW USERS YIELD user RETURN collect(user) AS users", database_="system")
    assert "intruder" not in users[0]["users"]
    assert neo4j_driver.execute_query("MATCH (n:Intruder) RETURN count(n) AS c").records[0]["c"] == 0


def test_schema_reads_still_work(neo4j_driver: Any, tiny: KnowledgeGraph) -> None:
    nl.load_graph(neo4j_driver, tiny)
    labels = nl.run_cypher(neo4j_driver, "CALL db.labels() YIELD label RETURN label").rows
    assert {"label": "Compound"} in labels
    assert nl.run_cypher(neo4j_driver, "CALL `db`.`labels`()").rows == labels
    ran = nl.run_cypher(neo4j_driver, "// comment\rMATCH (c:Compound) RETURN count(c) AS n")
    assert ran.rows == [{"n": sum(1 for n in tiny.nodes.values() if n.kind == "compound")}]
    assert nl.run_cypher(neo4j_driver, "SHOW INDEXES YIELD name WHERE name = 'kmoa_entity_name' RETURN name").rows


@pytest.fixture
def other_session(neo4j_driver: Any) -> Iterator[tuple[Any, str, str]]:
    """Another session's open transaction: (transaction, its id, a marker in its metadata)."""
    marker = "kmoa_secret_marker_7f3a"
    with neo4j_driver.session(database="neo4j") as session:
        tx = session.begin_transaction(metadata={"note": marker})
        tx.run("RETURN 1").consume()
        records, _, _ = neo4j_driver.execute_query(
            "SHOW TRANSACTIONS YIELD transactionId, metaData WHERE metaData.note = $marker RETURN transactionId",
            marker=marker)
        assert len(records) == 1
        yield tx, records[0]["transactionId"], marker
        tx.rollback()


def test_other_sessions_are_neither_shown_nor_terminated(neo4j_driver: Any, neo4j_server_info: Any,
                                                        other_session: tuple[Any, str, str], tiny: KnowledgeGraph
                                                        ) -> None:
    tx, txid, marker = other_session
    texts = [f"TERMINATE TRANSACTIONS '{txid}'", f"// x\rTERMINATE TRANSACTIONS '{txid}'",
             f"/* x */ TERMINATE TRANSACTION '{txid}' YIELD message RETURN message",
             "SHOW TRANSACTIONS YIELD metaData RETURN metaData",
             "// x\rSHOW TRANSACTIONS YIELD metaData RETURN metaData"]
    auth = ["--uri", neo4j_server_info.uri, "--user", neo4j_server_info.user, "--password", neo4j_server_info.password]
    from kmoa.explorer import callbacks
    from kmoa.explorer.data import prepare

    data = prepare(tiny, neo4j=neo4j_server_info.uri, neo4j_user=neo4j_server_info.user,
                   neo4j_password=neo4j_server_info.password)
    for text in texts:
        assert _outcome_api(neo4j_driver, text) == "refused", text
        cli = CliRunner().invoke(main, ["cypher", text, "--format", "json", *auth])
        assert cli.exit_code == 1 and "refused" in cli.output and marker not in cli.output, (text, cli.output)
        console = json.dumps(callbacks.run_console(data, "cypher", text), default=str)
        assert "Refused" in console and marker not in console, text
    assert tx.run("RETURN 1 AS alive").single()["alive"] == 1  # still open: nothing terminated it


def test_bypass_corpus_through_the_cli(neo4j_server_info: Any, probe: Probe) -> None:
    info = neo4j_server_info
    auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
    before = len(probe.requests)
    for text in [*bypass_corpus(probe.url), *ADMINISTRATION]:
        result = CliRunner().invoke(main, ["cypher", text, "--format", "json", *auth])
        if result.exit_code == 0:
            assert json.loads(result.stdout) == OK_ROWS, (text, result.output)
        else:
            assert result.exit_code == 1 and "Traceback" not in result.output, (text, result.output)
            assert "refused" in result.output or "rror" in result.output, (text, result.output)
    assert probe.requests[before:] == []


def test_bypass_corpus_through_the_explorer_console(neo4j_server_info: Any, tiny: KnowledgeGraph,
                                                    probe: Probe) -> None:
    from kmoa.explorer import callbacks
    from kmoa.explorer.data import prepare

    info = neo4j_server_info
    data = prepare(tiny, neo4j=info.uri, neo4j_user=info.user, neo4j_password=info.password)
    assert data.cypher is not None, data.cypher_note
    before = len(probe.requests)
    for text in [*bypass_corpus(probe.url), *ADMINISTRATION]:
        out = callbacks.run_console(data, "cypher", text)
        shown = json.dumps(out, default=str)
        if out["results"] == []:
            assert "Refused" in shown or "Failed" in shown, (text, shown)
        else:
            assert "ok" in shown and "fetched" not in shown, (text, shown)
    assert probe.requests[before:] == []


def test_bypass_through_the_dash_route(neo4j_server_info: Any, tiny: KnowledgeGraph, probe: Probe) -> None:
    """One unauthenticated POST to /_dash-update-component, as a browser (or anyone) would send it."""
    from kmoa.explorer import ids
    from kmoa.explorer.app import create_app

    info = neo4j_server_info
    app = create_app(tiny, neo4j=info.uri, neo4j_user=info.user, neo4j_password=info.password)
    client = app.server.test_client()
    text = f"// x\rLOAD CSV FROM '{probe.url}' AS r RETURN r UNION ALL\nRETURN ['ok'] AS r"
    outputs = [{"id": ids.RESULTS, "property": "children"}, {"id": ids.QUERY_MESSAGE, "property": "children"},
               {"id": ids.QUERY_STORE, "property": "data"}]
    payload = {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [{"id": ids.QUERY_RUN, "property": "n_clicks", "value": 1}],
        "state": [{"id": ids.QUERY_LANG, "property": "value", "value": "cypher"},
                  {"id": ids.QUERY_TEXT, "property": "value", "value": text}],
        "changedPropIds": [f"{ids.QUERY_RUN}.n_clicks"],
    }
    before = len(probe.requests)
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert "Refused" in body and "LOAD CSV" in body
    assert probe.requests[before:] == []


# --------------------------------------------------------------------------- the decision, without a server


def _op(name: str, details: str = "", database: str = "neo4j") -> PlanOperator:
    return PlanOperator(name, database, details)


def test_plan_refusal_reads_only_what_the_plan_says() -> None:
    read = [_op("ProduceResults", "n"), _op("Expand", "(a)-[r:antagonist_of]->(b)"), _op("AllNodesScan", "a")]
    assert plan_refusal("r", read, "neo4j") is None
    assert "writes" in (plan_refusal("w", read, "neo4j") or "")
    assert "LOAD CSV" in (plan_refusal("r", [*read, _op("LoadCSV", "line")], "neo4j") or "")
    assert "database 'system'" in (plan_refusal("r", [_op("ProduceResults", database="system")], "neo4j") or "")
    unknown = plan_refusal("r", [_op("SomeFutureOperator")], "neo4j") or ""
    assert "SomeFutureOperator" in unknown and "--write" in unknown


def test_plan_refusal_procedures_and_plugin_functions() -> None:
    allowed = [_op("ProcedureCall", "db.labels() :: (label :: STRING)")]
    assert plan_refusal("r", allowed, "neo4j") is None
    for details in ("db.info() :: (id :: STRING)", "apoc.load.json($url) :: (value :: MAP)",
                    "`db.labels`() :: (label :: STRING)", "db.labels.evil() :: (x :: STRING)"):
        assert "calls procedure" in (plan_refusal("r", [_op("ProcedureCall", details)], "neo4j") or ""), details
    functions = ["apoc.cypher.runFirstColumnSingle"]
    for details in ("apoc.cypher.runFirstColumnSingle($q, {}) AS r", "`apoc`.`cypher`.`runFirstColumnSingle`($q) AS r",
                    "APOC.Cypher.RunFirstColumnSingle ($q) AS r"):
        reason = plan_refusal("r", [_op("Projection", details)], "neo4j", functions) or ""
        assert "user-defined function" in reason, details
    assert plan_refusal("r", [_op("Projection", "my.apoc.cypher.runFirstColumnSingleX($q) AS r")], "neo4j",
                        functions) is None


def test_timeout_and_limit_must_make_sense(neo4j_driver: Any) -> None:
    for options in ({"timeout": 0}, {"timeout": -1}, {"limit": -5}):
        with pytest.raises(ValueError):
            nl.run_cypher(neo4j_driver, "RETURN 1 AS x", **options)  # type: ignore[arg-type]
