"""One contract, every store: write rows, read them back, query, hand out candidate edges, fail atomically.

Each store is opened by its selector (``open_store("scheme:locator")``) and is real: Oxigraph on disk,
the session's Neo4j server, an Oxigraph server process behind the SPARQL and Graph Store Protocols.
The rows are the tiny fixture graph's (``graph.rows``) plus a small import's (``graph.imported``), so
the curated provenance (section, references, quote) and the imported one (KGX id, knowledge level,
publications) must both come back from every store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kmoa.graph.imported import imported_edge_rows, imported_node_rows
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_rows, node_rows, walked_predicate
from kmoa.loaders.base import RowError
from kmoa.loaders.formats.kgx_import import read_kgx
from kmoa.loaders.stores.adapter import STORES, Store, StoreSpecError, open_store
from tests.conftest import ANTIDEPRESSANT_EFFECT, KETAMINE, NMDA, TINY_DATA, opted_out
from tests.servers import start_oxigraph, stop

IMPORT_NODES = "id\tcategory\tname\n" "UniProtKB:Q05586\tbiolink:Protein\tGRIN1\n"
IMPORT_EDGES = ("id\tsubject\tpredicate\tobject\tprimary_knowledge_source\tknowledge_level\tpublications\n"
                f"e1\t{KETAMINE}\tbiolink:interacts_with\tUniProtKB:Q05586\tinfores:test\tknowledge_assertion\t"
                "PMID:1|PMID:2\n"
                f"e2\tUniProtKB:Q05586\tbiolink:part_of\t{NMDA}\tinfores:test\tprediction\t\n")
NEW_GENE = "HGNC:4584"  # an imported gene the curated graph does not have
COUNT = {"sparql": "SELECT (COUNT(?e) AS ?n) WHERE { ?e a kmoa:EdgeRow }",
         "cypher": "MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS n"}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tiny graph's rows and a small import's, as every source hands them to a store."""
    from kmoa.graph.curation import read_curation

    kg = KnowledgeGraph.from_curation(read_curation(TINY_DATA))
    folder = tmp_path_factory.mktemp("import")
    (folder / "nodes.tsv").write_text(IMPORT_NODES, encoding="utf-8")
    (folder / "edges.tsv").write_text(IMPORT_EDGES, encoding="utf-8")
    imported = read_kgx(folder, kg, name="test", progress=False)
    nodes = [dict(r) for r in node_rows(kg)] + [dict(r) for r in imported_node_rows(kg, imported)]
    edges = [dict(r) for r in edge_rows(kg)] + [dict(r) for r in imported_edge_rows(imported)]
    return nodes, edges


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base, process = start_oxigraph(tmp_path_factory.mktemp("oxigraph-server"))
    yield base
    stop(process)


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every registered store, opened by its selector."""
    scheme = request.param
    if scheme == "memory":
        opened = open_store("memory:")
    elif scheme == "oxigraph":
        opened = open_store(f"oxigraph:{tmp_path / 'store'}")
    elif scheme == "neo4j":
        if opted_out("KMOA_SKIP_NEO4J"):
            pytest.skip("KMOA_SKIP_NEO4J=1")
        info = request.getfixturevalue("neo4j_server_info")
        opened = open_store(f"neo4j:{info.uri}", user=info.user, password=info.password)
    else:
        base = request.getfixturevalue("oxigraph_server")
        opened = open_store(f"sparql:{base}/query", graph_store=f"{base}/store")
    with opened:
        yield opened


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as every store gives it back: empty cells absent, lists in sorted order."""
    return {k: sorted(v, key=str) if isinstance(v, list) else v for k, v in row.items() if v not in (None, "", [])}


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(row["id"]): plain(row) for row in rows}


def test_rows_read_back_with_their_provenance(store: Store, rows: tuple[list[dict[str, Any]], ...]) -> None:
    nodes, edges = rows
    store.write(nodes, edges)
    assert by_id(store.node_rows()) == by_id(nodes)
    back = by_id(store.edge_rows())
    assert back == by_id(edges)
    curated = next(e for e in edges if e.get("review_refs"))
    assert back[curated["id"]]["supporting_text"] == curated["supporting_text"]
    imported = back["kgx:test:2"]
    assert (imported["kgx_id"], imported["knowledge_level"], imported["publications"]) == \
        ("e1", "knowledge_assertion", ["PMID:1", "PMID:2"])


def test_query_in_the_stores_language(store: Store, rows: tuple[list[dict[str, Any]], ...]) -> None:
    nodes, edges = rows
    store.write(nodes, edges)
    answer = store.query(COUNT[store.language])
    assert answer.rows == [{"n": len(edges)}]
    assert answer.columns == answer.variables == ["n"]


def test_candidate_edges_for_the_path_search(store: Store, rows: tuple[list[dict[str, Any]], ...]) -> None:
    nodes, edges = rows
    store.write(nodes, edges)
    outgoing = store.edges_from(KETAMINE)
    assert sorted(e["id"] for e in outgoing) == sorted(e["id"] for e in edges if e["subject"] == KETAMINE)
    assert sorted(e["id"] for e in store.edges_to(NMDA)) == sorted(e["id"] for e in edges if e["object"] == NMDA)
    walked = {e["id"]: walked_predicate(e) for e in outgoing}
    assert walked["kgx:test:2"] == "biolink:interacts_with"  # an imported edge walks its Biolink predicate
    curated = next(e for e in edges if e["subject"] == KETAMINE and e.get("kmoa_predicate"))
    assert walked[curated["id"]] == curated["kmoa_predicate"]  # a curated one its kmoa predicate
    only = store.edges_from(KETAMINE, predicates={"biolink:interacts_with"})
    assert [e["id"] for e in only] == ["kgx:test:2"]
    # the edges of one Biolink predicate (what a TRAPI query by categories asks of a store)
    assert [e["id"] for e in store.edge_rows("predicate", "biolink:interacts_with")] == ["kgx:test:2"]
    part_of = sorted(e["id"] for e in edges if e["predicate"] == "biolink:part_of")
    assert part_of and sorted(e["id"] for e in store.edge_rows("predicate", "biolink:part_of")) == part_of
    assert store.kind_of(KETAMINE) == next(n["kmoa_kind"] for n in nodes if n["id"] == KETAMINE)
    assert store.kind_of("UniProtKB:Q05586") == "imported_entity"
    assert store.degree(KETAMINE) == sum(KETAMINE in (e["subject"], e["object"]) for e in edges)


def test_paths_are_those_of_the_one_search(store: Store, tiny: KnowledgeGraph) -> None:
    """Over the same rows every store gives the paths ``graph.search`` finds over the curated graph."""
    from kmoa.graph.paths import search_curated_paths

    store.write(node_rows(tiny), edge_rows(tiny))
    expected = search_curated_paths(tiny, KETAMINE, ANTIDEPRESSANT_EFFECT, k=5)
    found = store.paths(KETAMINE, ANTIDEPRESSANT_EFFECT, k=5)
    assert expected.paths, "the tiny graph has a mechanism path from ketamine to the antidepressant effect"
    assert [(p.nodes, round(p.score, 9)) for p in found.paths] == [(p.nodes, round(p.score, 9)) for p in expected.paths]
    assert [s.claim_id for p in found.paths for s in p.steps] == [s.claim_id for p in expected.paths for s in p.steps]


def test_a_failed_write_leaves_the_previous_rows(store: Store, rows: tuple[list[dict[str, Any]], ...]) -> None:
    nodes, edges = rows
    store.write(nodes, edges)
    before = (by_id(store.node_rows()), by_id(store.edge_rows()))

    def breaking() -> Iterator[dict[str, Any]]:
        yield from edges[:3]
        raise OSError("the source broke off")

    with pytest.raises(OSError, match="broke off"):
        store.write(nodes[:2], breaking())
    dangling = {**edges[0], "id": "dangling", "object": "GO:0000001"}
    with pytest.raises(RowError, match="dangling"):
        store.write(nodes, [*edges, dangling])
    assert (by_id(store.node_rows()), by_id(store.edge_rows())) == before


def test_an_import_merges_into_every_store_as_rows(store: Store, tmp_path: Path) -> None:
    """``Store.merge``: the curated graph and an import, through their one row mapping, into any store."""
    from kmoa.graph.curation import read_curation
    from kmoa.graph.imported import merged_rows

    kg = KnowledgeGraph.from_curation(read_curation(TINY_DATA))
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "nodes.tsv").write_text(IMPORT_NODES, encoding="utf-8")
    (folder / "edges.tsv").write_text(IMPORT_EDGES, encoding="utf-8")
    imported = read_kgx(folder, kg, name="test", progress=False)
    summary = store.merge(kg, imported, progress=False)
    nodes, edges = ([dict(r) for r in rows] for rows in merged_rows(kg, imported))
    assert by_id(store.node_rows()) == by_id(nodes)
    assert by_id(store.edge_rows()) == by_id(edges)
    assert (summary.edges, summary.sources, summary.target) == (2, ("infores:test",), store.spec)
    # an imported edge's row is found by each of its columns, as a curated one is
    imported = next(plain(r) for r in edges if r["id"] == "kgx:test:2")
    for column in ("id", "kgx_id", "subject", "object", "predicate", "knowledge_level"):
        assert imported in [plain(r) for r in store.edge_rows(column, imported[column])], column
    assert store.edge_rows("id", "kgx:test:9") == []


def test_a_selector_names_a_known_store() -> None:
    with pytest.raises(StoreSpecError, match="unknown store 'mongo:x'.*oxigraph:"):
        open_store("mongo:x")


def test_the_command_line_selects_stores_the_same_way(tmp_path: Path,
                                                      rows: tuple[list[dict[str, Any]], ...]) -> None:
    """`--store SPEC` on the command line names the same stores as ``open_store``."""
    import json

    from click.testing import CliRunner

    from kmoa.cli import main
    from kmoa.graph.curation import read_curation

    nodes, edges = rows
    with open_store(f"oxigraph:{tmp_path / 'store'}") as store:
        store.write(nodes, edges)
    runner = CliRunner()
    answer = runner.invoke(main, ["sparql", "--store", f"oxigraph:{tmp_path / 'store'}", "--format", "json",
                                  COUNT["sparql"]])
    assert answer.exit_code == 0, answer.output
    assert f'"n": {len(edges)}' in answer.output
    paths = runner.invoke(main, ["paths", KETAMINE, ANTIDEPRESSANT_EFFECT, "--store", f"oxigraph:{tmp_path / 'store'}",
                                 "--format", "json", "--data", str(TINY_DATA)])
    assert paths.exit_code == 0, paths.output
    from kmoa.graph.paths import search_curated_paths

    expected = search_curated_paths(KnowledgeGraph.from_curation(read_curation(TINY_DATA)), KETAMINE,
                                     ANTIDEPRESSANT_EFFECT, k=5)
    assert [tuple(p["nodes"]) for p in json.loads(paths.output)] == [p.nodes for p in expected.paths]
    refused = runner.invoke(main, ["sparql", "--store", "mongo:x", "ASK {}"])
    assert refused.exit_code == 2 and "oxigraph:DIR" in refused.output and "neo4j:URI" in refused.output
    cypher_only = runner.invoke(main, ["sparql", "--store", "neo4j:bolt://127.0.0.1:1", "ASK {}"])
    assert cypher_only.exit_code == 1 and "kmoa cypher --store neo4j:bolt://127.0.0.1:1" in cypher_only.output
    wrong = runner.invoke(main, ["cypher", "--store", f"oxigraph:{tmp_path}", "RETURN 1"])
    assert wrong.exit_code == 2 and "not a Neo4j store" in wrong.output
    not_into_memory = runner.invoke(main, ["import", "kgx", str(tmp_path), "--store", "memory:"])
    assert not_into_memory.exit_code == 1 and "oxigraph:DIR or neo4j:URI" in not_into_memory.output


def test_cypher_on_the_command_line_names_its_store(neo4j_server_info: Any,
                                                    rows: tuple[list[dict[str, Any]], ...]) -> None:
    from click.testing import CliRunner

    from kmoa.cli import main

    info = neo4j_server_info
    nodes, edges = rows
    with open_store(f"neo4j:{info.uri}", user=info.user, password=info.password) as store:
        store.write(nodes, edges)
    answer = CliRunner().invoke(main, ["cypher", "--store", f"neo4j:{info.uri}", "--user", info.user, "--password",
                                       info.password, "--format", "json", COUNT["cypher"]])
    assert answer.exit_code == 0, answer.output
    assert f'"n": {len(edges)}' in answer.output


@pytest.mark.parametrize("scheme", ["oxigraph", "neo4j"])
def test_paths_walk_what_an_import_wrote(scheme: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """`kmoa import kgx` then `kmoa paths --store`: the store's paths are the merged graph's, imported steps included.

    Every import reaches every store as rows (``graph.imported``), so a store filled by an import
    answers the path search like one filled by ``Store.write``. The imported gene has a kind the
    schema walks (``biolink:Gene``), so paths pass through it.
    """
    import json

    from click.testing import CliRunner

    from kmoa.cli import main
    from kmoa.graph.curation import read_curation
    from kmoa.graph.imported import search_merged_paths

    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "nodes.tsv").write_text(f"id\tcategory\tname\n{NEW_GENE}\tbiolink:Gene\tGRIN1\n", encoding="utf-8")
    (folder / "edges.tsv").write_text(
        "id\tsubject\tpredicate\tobject\tprimary_knowledge_source\n"
        f"g1\t{KETAMINE}\tbiolink:interacts_with\t{NEW_GENE}\tinfores:test\n"
        f"g2\t{NEW_GENE}\tbiolink:part_of\t{NMDA}\tinfores:test\n", encoding="utf-8")
    connection: list[str] = []
    env: dict[str, str] = {}
    if scheme == "neo4j":
        info = request.getfixturevalue("neo4j_server_info")
        spec = f"neo4j:{info.uri}"
        connection = ["--user", info.user, "--password", info.password, "--mode", "online"]
        env = {"NEO4J_USER": info.user, "NEO4J_PASSWORD": info.password}
    else:
        spec = f"oxigraph:{tmp_path / 'store'}"
    runner = CliRunner()
    imported = runner.invoke(main, ["import", "kgx", str(folder), "--name", "test", "--store", spec,
                                    "--data", str(TINY_DATA), *connection])
    assert imported.exit_code == 0, imported.output
    answer = runner.invoke(main, ["paths", KETAMINE, ANTIDEPRESSANT_EFFECT, "--store", spec, "-k", "50",
                                  "--format", "json", "--data", str(TINY_DATA)], env=env)
    assert answer.exit_code == 0, answer.output
    found = json.loads(answer.output)
    kg = KnowledgeGraph.from_curation(read_curation(TINY_DATA))
    expected = search_merged_paths(kg, read_kgx(folder, kg, name="test", progress=False), KETAMINE,
                                   ANTIDEPRESSANT_EFFECT, k=50, max_hops=8, hub_damping=0.0).paths
    assert any(NEW_GENE in p["nodes"] for p in found), "a path through the imported gene"
    assert sorted((round(p["score"], 9), p["nodes"]) for p in found) == \
        sorted((round(p.score, 9), list(p.nodes)) for p in expected)


def test_paths_over_a_store_without_rows_say_what_fills_one(tmp_path: Path) -> None:
    """A store holding only the curated RDF form (`serve sparql --create`) has no rows to walk: the command says so."""
    from click.testing import CliRunner

    from kmoa.cli import main
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores.oxigraph_store import build_store

    build_store(tmp_path / "store", load_graph(TINY_DATA))
    runner = CliRunner()
    spec = f"oxigraph:{tmp_path / 'store'}"
    answer = runner.invoke(main, ["paths", KETAMINE, ANTIDEPRESSANT_EFFECT, "--store", spec, "--data", str(TINY_DATA)])
    assert answer.exit_code == 1
    assert f"holds no row for {KETAMINE}, {ANTIDEPRESSANT_EFFECT}" in answer.output
    assert f"kmoa import kgx DIR --store {spec}" in answer.output and "Traceback" not in answer.output
