"""`kmoa serve trapi` over imported rows: `--store oxigraph:DIR`, `--store neo4j:URI` and `--import KGX_DIR`.

The stores are real: an Oxigraph store on disk and the session's own Neo4j, each written through the
store adapter (``open_store(spec).write``) with the tiny fixture graph's rows and a small import
whose edges come from DrugMechDB; ``--import`` merges the same KGX folder with the curated graph in
memory, as ``kmoa paths --import`` does. Each server runs as a user starts it (a `kmoa` process).
Every answer is a valid TRAPI response in which an imported edge names its own primary knowledge
source (infores:drugmechdb, with infores:kmoa as aggregator) and a curated one infores:kmoa with the
review's DOI; ``/meta_knowledge_graph`` lists exactly the triples of the rows. Expectations are
computed from the rows and Biolink's hierarchy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kmoa.graph.model import KnowledgeGraph
from tests.conftest import KETAMINE, NMDA, TINY_DATA, opted_out
from tests.servers import free_port, start_kmoa, stop
from tests.trapi_client import (
    SERVICE,
    attrs,
    bound,
    expected_bindings,
    one_hop,
    post,
    primary_source,
    request,
    toolkit,
    valid,
)

__all__ = ["toolkit"]  # the fixture

SOURCE = "infores:drugmechdb"
DRUGMECHDB = Path(__file__).parent / "fixtures" / "drugmechdb" / "indication_paths_excerpt.yaml"
GRIN1 = "UniProtKB:Q05586"
DEPRESSION = "MESH:D003866"
IMPORT_NODES = ("id\tcategory\tname\n"
                f"{GRIN1}\tbiolink:Protein\tGRIN1\n"
                f"{DEPRESSION}\tbiolink:Disease\tDepressive Disorder\n")
IMPORT_EDGES = ("id\tsubject\tpredicate\tobject\tprimary_knowledge_source\tknowledge_level\tpublications\n"
                f"dm1\t{KETAMINE}\tbiolink:interacts_with\t{GRIN1}\t{SOURCE}\tknowledge_assertion\tPMID:1|PMID:2\n"
                f"dm2\t{GRIN1}\tbiolink:part_of\t{NMDA}\t{SOURCE}\tknowledge_assertion\t\n"
                f"dm3\t{KETAMINE}\tbiolink:treats\t{DEPRESSION}\t{SOURCE}\tknowledge_assertion\t\n")


@dataclass
class Served:
    """A running `kmoa serve trapi` and the rows it serves."""

    url: str
    nodes: dict[str, dict[str, Any]]
    edges: dict[str, dict[str, Any]]
    kg: KnowledgeGraph

    def category(self, curie: str) -> str:
        return str(self.nodes[curie]["category"][0])

    def triples(self) -> list[tuple[str, str, str, str]]:
        """(subject, Biolink predicate, object, id) of every served edge."""
        return [(e["subject"], e["predicate"], e["object"], i) for i, e in self.edges.items()]


@pytest.fixture(scope="module")
def import_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dmdb-kgx")
    (folder / "nodes.tsv").write_text(IMPORT_NODES, encoding="utf-8")
    (folder / "edges.tsv").write_text(IMPORT_EDGES, encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=["import", "oxigraph", "neo4j"])
def served(request: pytest.FixtureRequest, import_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The curated tiny graph merged with the import, served from memory, Oxigraph or Neo4j."""
    from kmoa.graph.imported import imported_edge_rows, imported_node_rows
    from kmoa.graph.model import load_graph
    from kmoa.graph.rows import edge_rows, node_rows
    from kmoa.loaders.formats.kgx_import import read_kgx
    from kmoa.loaders.stores.adapter import open_store

    kg = load_graph(TINY_DATA)
    imported = read_kgx(import_dir, kg, progress=False)
    nodes = [dict(r) for r in node_rows(kg)] + [dict(r) for r in imported_node_rows(kg, imported)]
    edges = [dict(r) for r in edge_rows(kg)] + [dict(r) for r in imported_edge_rows(imported)]
    folder = tmp_path_factory.mktemp(f"trapi-{request.param}")
    env: dict[str, str] = {}
    if request.param == "import":
        source = ["--import", str(import_dir)]
    elif request.param == "oxigraph":
        spec = f"oxigraph:{folder / 'store'}"
        with open_store(spec) as store:
            store.write(nodes, edges)
        source = ["--store", spec]
    else:
        if opted_out("KMOA_SKIP_NEO4J"):
            pytest.skip("KMOA_SKIP_NEO4J=1")
        info = request.getfixturevalue("neo4j_server_info")
        spec = f"neo4j:{info.uri}"
        with open_store(spec, user=info.user, password=info.password) as store:
            store.write(nodes, edges)
        source = ["--store", spec]
        env = {"NEO4J_USER": info.user, "NEO4J_PASSWORD": info.password}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        process = start_kmoa(["serve", "trapi", "--port", str(port), "--quiet", "--data", str(TINY_DATA), *source],
                             folder / "server.log", url + "/openapi.json", timeout=240)
    try:
        yield Served(url, {str(n["id"]): n for n in nodes}, {str(e["id"]): e for e in edges}, kg)
    finally:
        stop(process)


def ask(served: Served, toolkit: Any, query: dict[str, Any]) -> dict[str, Any]:
    """Post a query; check the answer is valid TRAPI, ranked, and each edge carries its row's provenance."""
    status, _, body = post(served.url, query)
    assert status == 200, body
    valid(body, toolkit)
    imported_strength = served.kg.schema.walk.imported_strength
    for edge_id, edge in body["message"]["knowledge_graph"]["edges"].items():
        row, values = served.edges[edge_id], attrs(edge)
        assert primary_source(edge) == row["primary_knowledge_source"], edge_id
        assert (edge["subject"], edge["predicate"], edge["object"]) == (row["subject"], row["predicate"],
                                                                         row["object"]), edge_id
        assert values.get("biolink:publications") == (row.get("publications") or None), edge_id
        assert values["biolink:knowledge_level"] == row["knowledge_level"], edge_id
        if row.get("imported"):
            assert primary_source(edge) == SOURCE and values["kmoa:kgx_id"] == row["kgx_id"], edge_id
            assert values["kmoa:evidence_strength"] == pytest.approx(imported_strength), edge_id
            assert "biolink:supporting_text" not in values, edge_id
        else:
            doi = served.kg.source(row["curated_source"]).doi
            assert primary_source(edge) == SERVICE, edge_id
            assert edge["sources"][0]["source_record_urls"] == ["https://doi.org/" + doi.split(":", 1)[1]], edge_id
            assert values["biolink:supporting_text"] == row["supporting_text"], edge_id
            assert values["kmoa:section"] == row["review_section"], edge_id
            assert values["kmoa:evidence_strength"] == pytest.approx(row["evidence_strength"]), edge_id
    scores = [result["analyses"][0]["score"] for result in body["message"]["results"]]
    assert scores == sorted(scores, reverse=True)
    return body


def test_by_id_every_edge_of_ketamine_curated_and_imported(served: Served, toolkit: Any) -> None:
    body = ask(served, toolkit, one_hop({"ids": [KETAMINE]}, None, {}))
    want = expected_bindings(served.triples(), toolkit, "biolink:related_to", lambda c: c == KETAMINE,
                             lambda c: True)
    assert bound(body) == want
    sources = {primary_source(e) for e in body["message"]["knowledge_graph"]["edges"].values()}
    assert sources == {SERVICE, SOURCE}, "curated and imported edges of ketamine both come back"


def test_by_xref_category_and_inverse_predicate(served: Served, toolkit: Any) -> None:
    """Ketamine asked for by its DrugBank xref, as treated_by from the imported disease (a stored treats edge)."""
    xref = served.nodes[KETAMINE]["xref"][0]
    body = ask(served, toolkit, one_hop({"ids": [DEPRESSION]}, ["biolink:treated_by"],
                                        {"ids": [xref], "categories": ["biolink:ChemicalEntity"]}))
    want = expected_bindings(served.triples(), toolkit, "biolink:treated_by", lambda c: c == DEPRESSION,
                             lambda c: c == KETAMINE)
    assert want and bound(body) == want
    for result in body["message"]["results"]:
        assert result["node_bindings"]["n1"][0]["query_id"] == xref


def test_by_category_only(served: Served, toolkit: Any) -> None:
    def of(category: str) -> Any:
        return lambda c: category in toolkit.get_ancestors(served.category(c), formatted=True, mixin=True,
                                                           reflexive=True)

    body = ask(served, toolkit, one_hop({"categories": ["biolink:ChemicalEntity"]}, ["biolink:interacts_with"],
                                        {"categories": ["biolink:Protein"]}))
    want = expected_bindings(served.triples(), toolkit, "biolink:interacts_with", of("biolink:ChemicalEntity"),
                             of("biolink:Protein"))
    assert want and bound(body) == want


def test_an_unknown_curie_finds_nothing_and_says_so(served: Served, toolkit: Any) -> None:
    body = ask(served, toolkit, one_hop({"ids": ["CHEBI:0000000"]}, None, {}))
    assert body["message"]["results"] == []
    assert any("CHEBI:0000000" in log["message"] for log in body["logs"])


def test_meta_knowledge_graph_lists_exactly_the_triples_served(served: Served, toolkit: Any) -> None:
    from reasoner_pydantic import MetaKnowledgeGraph

    status, _, body = request(served.url + "/meta_knowledge_graph")
    assert status == 200
    MetaKnowledgeGraph.model_validate(body)
    held = {(served.category(s), p, served.category(o)) for s, p, o, _ in served.triples()}
    listed = [(e["subject"], e["predicate"], e["object"]) for e in body["edges"]]
    assert len(listed) == len(set(listed)) and set(listed) == held
    assert set(body["nodes"]) == {served.category(c) for c in served.nodes}
    assert ("biolink:SmallMolecule", "biolink:interacts_with", "biolink:Protein") in held


def test_a_store_without_rows_is_refused(tmp_path: Path) -> None:
    """An Oxigraph store nothing was written to through the adapter: a clear error, no empty endpoint."""
    from click.testing import CliRunner

    from kmoa.cli import main
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores.oxigraph_store import build_store

    build_store(tmp_path / "store", load_graph(TINY_DATA))
    result = CliRunner().invoke(main, ["serve", "trapi", "--port", "0", "--data", str(TINY_DATA),
                                       "--store", f"oxigraph:{tmp_path / 'store'}"])
    assert result.exit_code != 0 and "holds no rows" in result.output, result.output
    assert os.path.isdir(tmp_path / "store")  # the store is left as it was


def test_concurrent_clients_get_the_single_client_answers(served: Served) -> None:
    """8 loopback clients x 5 queries over the store's lookups: every answer as a lone client gets it."""
    from concurrent.futures import ThreadPoolExecutor

    queries = [one_hop({"ids": [KETAMINE]}, None, {}), one_hop({"ids": [NMDA]}, None, {}),
               one_hop({"categories": ["biolink:ChemicalEntity"]}, ["biolink:interacts_with"], {})]
    alone = [post(served.url, query)[2]["message"] for query in queries]

    def client(n: int) -> list[tuple[int, int, Any]]:
        return [(k, *post(served.url, queries[k])[::2]) for k in ((n + i) % len(queries) for i in range(5))]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [a for batch in pool.map(client, range(8)) for a in batch]
    assert [status for _, status, _ in answers] == [200] * 40
    for k, _, body in answers:
        assert body["message"] == alone[k]


def test_a_drugmechdb_edge_names_its_path_drug_disease_and_line(tmp_path: Path, toolkit: Any) -> None:
    """DrugMechDB converted as `kmoa import drugmechdb --out` writes it, merged: each edge's own provenance."""
    from kmoa.graph.model import load_graph
    from kmoa.graph.rows import IMPORT_PROVENANCE_COLUMNS
    from kmoa.loaders.formats.drugmechdb import read_drugmechdb, write_kgx
    from kmoa.loaders.servers.trapi import answer_capped
    from kmoa.loaders.servers.trapi_server import merged_index

    folder = write_kgx(read_drugmechdb(DRUGMECHDB), tmp_path / "dmdb")
    index = merged_index(load_graph(TINY_DATA), folder)
    rows = {str(e["id"]): e for e in index.lookup.edge_rows() if e.get("imported")}
    first = next(iter(rows.values()))
    body, _ = answer_capped(index, one_hop({"ids": [first["subject"]]}, None, {}))
    valid(body, toolkit)
    edges = body["message"]["knowledge_graph"]["edges"]
    assert first["id"] in edges
    for edge_id in set(edges) & set(rows):
        values = attrs(edges[edge_id])
        assert primary_source(edges[edge_id]) == SOURCE, edge_id
        kept = {f"kmoa:{c}": rows[edge_id][c] for c in IMPORT_PROVENANCE_COLUMNS if rows[edge_id].get(c)}
        assert kept and {k: values.get(k) for k in kept} == kept, edge_id
        assert values["kmoa:drugmechdb_path"] in values["kmoa:kgx_id"], edge_id
