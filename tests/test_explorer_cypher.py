"""The explorer's query console in Cypher mode, against the real Neo4j the test command starts."""

from __future__ import annotations

from typing import Any

import pytest

from kmoa.explorer import callbacks
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.graph.model import KnowledgeGraph
from tests.test_explorer_views import texts

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def cypher_data(neo4j_server_info: Any, neo4j_driver: Any, kg: KnowledgeGraph) -> ExplorerData:
    from kmoa.loaders.stores import neo4j as nl

    nl.load_graph(neo4j_driver, kg)
    info = neo4j_server_info
    return prepare(kg, neo4j=info.uri, neo4j_user=info.user, neo4j_password=info.password)


def test_cypher_results_highlight_the_nodes_they_name(cypher_data: ExplorerData) -> None:
    assert cypher_data.cypher is not None, cypher_data.cypher_note
    kg = cypher_data.kg
    out = callbacks.run_console(cypher_data, "cypher", "MATCH (c:Compound) RETURN c.id AS id, c.name AS name")
    compounds = {c for c, n in kg.nodes.items() if n.kind == "compound"}
    assert out["store"] is not None and set(out["store"]["matches"]) == compounds
    assert f"{len(compounds)} rows" in " ".join(texts(out["message"]))


def test_cypher_writes_are_refused_visibly(cypher_data: ExplorerData) -> None:
    for text in ("CREATE (n:Intruder {id: 'x'}) RETURN n", "MATCH (n) DETACH DELETE n"):
        out = callbacks.run_console(cypher_data, "cypher", text)
        assert out["store"] is None and out["results"] == []
        assert "Refused" in " ".join(texts(out["message"]))
    assert cypher_data.cypher is not None
    _, rows = cypher_data.cypher("MATCH (n:Intruder) RETURN count(n) AS n")
    assert rows == [{"n": 0}]


def test_named_queries_offer_their_cypher_twins(cypher_data: ExplorerData) -> None:
    for query in cypher_data.named_queries.values():
        if query.cypher:
            out = callbacks.run_console(cypher_data, "cypher", query.cypher)
            assert "row" in " ".join(texts(out["message"])), query.name
