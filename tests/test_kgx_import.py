"""`kmoa import kgx`: a small KGX graph generated from the curated data, merged into Oxigraph and Neo4j.

The fixture hangs imported edges off a curated mechanism step, maps one imported node onto a
curated compound by xref and one onto a curated gene by the imported node's xref, so merged paths
mix curated and imported edges. Nothing is hard-coded: the anchors are read from the curation.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.imported import (
    ImportedGraph,
    MergedEdges,
    imported_edge_rows,
    is_imported,
    search_merged_paths,
    trace_merged_paths,
)
from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.graph.paths import PathFilters, curated_edges, relatives_of
from kmoa.graph.search import Walk, crosses_mechanism, search_paths
from kmoa.graph.sources import default_source_dir, read_source
from kmoa.loaders.formats.kgx_import import KgxImportError, read_kgx
from kmoa.loaders.formats.rdf import iri, to_rdf
from kmoa.loaders.stores.oxigraph_store import (
    CURATED_GRAPH,
    build_store,
    import_into_oxigraph,
    read_only_store,
    source_graph,
)
from tests.path_reference import exhaustive_paths

NEW_GENE = "NCBIGene:990001"
MAPPED_GENE = "NCBIGene:990003"
NEW_DISEASE = "MONDO:0999999"
NODE_HEADER = "id\tcategory\tname\txref\tprovided_by"
EDGE_HEADER = "id\tsubject\tpredicate\tobject\tprimary_knowledge_source\tknowledge_level"

PRIMARY_KNOWLEDGE_SOURCE = read_source(default_source_dir()).infores  # the review's, reserved for curated edges


@dataclass
class Anchors:
    compound: str  # curated compound with an xref and a curated mechanism step
    alias: str  # that compound's xref, used as an imported node id
    mechanism: str  # target of the compound's first curated step
    gene: str  # a curated gene, reached through an imported node's xref
    disease: str  # a curated disease


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the curated data, so curators' edits during the run cannot skew expectations."""
    import shutil

    from kmoa.graph.curation import default_data_dir

    out = tmp_path_factory.mktemp("kgx-data") / "data"
    shutil.copytree(default_data_dir(), out)
    return out


@pytest.fixture(scope="module")
def kg(data_dir: Path) -> KnowledgeGraph:
    """The curated graph of the private copy (overrides the session fixture in this module)."""
    return load_graph(data_dir)


@pytest.fixture(scope="module")
def anchors(kg: KnowledgeGraph) -> Anchors:
    walk = Walk(kg.schema, curated_edges(kg))
    compound = next(c for c in sorted(kg.nodes)
                    if kg.nodes[c].kind == "compound" and kg.nodes[c].xref and walk.steps(c))
    gene = next(c for c in sorted(kg.nodes) if kg.nodes[c].kind == "gene")
    disease = next(c for c in sorted(kg.nodes) if kg.nodes[c].kind == "disease")
    return Anchors(compound, kg.nodes[compound].xref[0], walk.steps(compound)[0].target, gene, disease)


def write_kgx(folder: Path, a: Anchors, extra_edges: list[str] | None = None,
              extra_nodes: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nodes = [
        NODE_HEADER,
        f"{a.alias}\tbiolink:SmallMolecule\tthe compound, by its xref\t\tinfores:test",
        f"{NEW_GENE}\tbiolink:Gene\tnew gene one\t\tinfores:test",
        f"{MAPPED_GENE}\tbiolink:Gene\tgene known by xref\t{a.gene}\tinfores:test",
        f"{NEW_DISEASE}\tbiolink:Disease\tnew disease\t\tinfores:test",
        *(extra_nodes or []),
    ]
    edges = [
        EDGE_HEADER,
        f"t1\t{a.mechanism}\tbiolink:regulates\t{NEW_GENE}\tinfores:test_a\tknowledge_assertion",
        f"t2\t{NEW_GENE}\tbiolink:gene_associated_with_condition\t{NEW_DISEASE}\tinfores:test_b\t"
        "knowledge_assertion",
        f"t3\t{a.alias}\tbiolink:treats\t{NEW_DISEASE}\tinfores:test_c\tknowledge_assertion",
        f"t4\t{MAPPED_GENE}\tbiolink:interacts_with\t{NEW_GENE}\tinfores:test_a\tknowledge_assertion",
        f"t5\t{NEW_GENE}\tbiolink:gene_associated_with_condition\t{a.disease}\tinfores:test_b\t"
        "knowledge_assertion",
        *(extra_edges or []),
    ]
    (folder / "nodes.tsv").write_text("\n".join(nodes) + "\n", encoding="utf-8")
    (folder / "edges.tsv").write_text("\n".join(edges) + "\n", encoding="utf-8")
    return folder


def store_quads(path: Path) -> Counter[str]:
    """The store's quads, blank node labels blanked (each load labels them afresh)."""
    with read_only_store(path) as store:
        return Counter(re.sub(r"_:\w+", "_:b", str(q)) for q in store)


def ask(path: Path, query: str) -> Any:
    from kmoa.loaders.stores.sparql_engine import evaluate

    with read_only_store(path) as store:
        return evaluate(store, query, 10_000)


# -- reading and mapping ---------------------------------------------------------------------------


def test_nodes_matched_by_curie_and_xref(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    graph = read_kgx(write_kgx(tmp_path / "kgx", anchors), kg)
    assert graph.aliases == {anchors.alias: anchors.compound, MAPPED_GENE: anchors.gene}
    assert graph.nodes[graph.index[anchors.alias]] == anchors.compound
    assert graph.nodes[graph.index[MAPPED_GENE]] == anchors.gene
    # Curated endpoints referenced only by edges are the curated nodes themselves.
    assert graph.curated[graph.index[anchors.mechanism]] == 1
    assert graph.curated[graph.index[NEW_GENE]] == 0
    assert graph.edge_count == 5
    assert set(graph.source_names) == {"infores:test_a", "infores:test_b", "infores:test_c"}


@pytest.mark.parametrize(("file", "row", "message"), [
    ("edges", "t9\tX:1\tbiolink:treats", "expected 6 columns, found 3"),
    ("edges", f"t9\tNOPE:404\tbiolink:treats\t{NEW_DISEASE}\tinfores:x\tknowledge_assertion",
     "subject 'NOPE:404' is neither in nodes.tsv nor a curated node"),
    ("edges", f"t9\t{NEW_GENE}\ttreats\t{NEW_DISEASE}\tinfores:x\tknowledge_assertion",
     "predicate 'treats' is not a Biolink predicate"),
    ("edges", f"t9\t{NEW_GENE}\tbiolink:treats\t{NEW_DISEASE}\t\tknowledge_assertion",
     "primary_knowledge_source '' is not an infores CURIE"),
    ("edges", f"t9\t{NEW_GENE}\tbiolink:treats\t{NEW_DISEASE}\t{PRIMARY_KNOWLEDGE_SOURCE}\tknowledge_assertion",
     "reserved for curated edges"),
    ("nodes", "not a curie\tbiolink:Gene\tx\t\tinfores:test", "is not a CURIE"),
    ("nodes", "NCBIGene:5\tGene\tx\t\tinfores:test", "is not a Biolink class"),
    ("nodes", f"{NEW_GENE}\tbiolink:Gene\tagain\t\tinfores:test", f"duplicate node id '{NEW_GENE}'"),
])
def test_malformed_row_is_located_and_store_unchanged(tmp_path: Path, data_dir: Path, anchors: Anchors,
                                                      file: str, row: str, message: str) -> None:
    store = tmp_path / "store"
    good = write_kgx(tmp_path / "good", anchors)
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(good),
                                       "--store", f"oxigraph:{store}"])
    assert result.exit_code == 0, result.output
    before = store_quads(store)
    bad = write_kgx(tmp_path / "bad", anchors, extra_edges=[row] if file == "edges" else None,
                    extra_nodes=[row] if file == "nodes" else None)
    path = bad / f"{file}.tsv"
    lineno = path.read_text(encoding="utf-8").splitlines().index(row) + 1
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(bad),
                                       "--store", f"oxigraph:{store}"])
    assert result.exit_code != 0
    assert f"{path}:{lineno}: " in result.output
    assert message in result.output
    assert store_quads(store) == before


def test_every_malformed_row_is_listed(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    bad_rows = [f"b{i}\t{NEW_GENE}\tbiolink:treats\tNOPE:{i}\tinfores:x\tknowledge_assertion" for i in range(3)]
    folder = write_kgx(tmp_path / "kgx", anchors, extra_edges=bad_rows)
    lines = (folder / "edges.tsv").read_text(encoding="utf-8").splitlines()
    with pytest.raises(KgxImportError) as err:
        read_kgx(folder, kg)
    for row in bad_rows:
        assert f"edges.tsv:{lines.index(row) + 1}: object 'NOPE:" in str(err.value)
    assert str(err.value).startswith("3 malformed row(s)")


# -- Oxigraph --------------------------------------------------------------------------------------


def test_import_into_oxigraph_keeps_sources_apart(tmp_path: Path, kg: KnowledgeGraph, data_dir: Path,
                                                   anchors: Anchors) -> None:
    store = tmp_path / "store"
    folder = write_kgx(tmp_path / "kgx", anchors)
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(folder),
                                       "--store", f"oxigraph:{store}", "--name", "fixture"])
    assert result.exit_code == 0, result.output
    graphs = {row[0][1] for row in ask(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")[2]}
    sources = {source_graph(s) for s in ("infores:test_a", "infores:test_b", "infores:test_c")}
    assert CURATED_GRAPH in graphs and sources <= graphs
    curated_count = ask(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CURATED_GRAPH}> {{ ?s ?p ?o }} }}")
    assert int(curated_count[2][0][0][1]) == len(to_rdf(kg))
    # The edge written from the compound's xref lands on the curated compound, in its source's graph.
    treats = ask(store, f"ASK {{ GRAPH <{source_graph('infores:test_c')}> "
                        f"{{ <{iri(anchors.compound)}> biolink:treats <{iri(NEW_DISEASE)}> }} }}")
    assert treats == ("ASK", True)
    # Imported edges never land in the curated graph.
    leaked = ask(store, f"ASK {{ GRAPH <{CURATED_GRAPH}> {{ ?s biolink:treats <{iri(NEW_DISEASE)}> }} }}")
    assert leaked == ("ASK", False)
    label = ask(store, f"SELECT ?l WHERE {{ <{iri(NEW_GENE)}> rdfs:label ?l }}")
    assert [row[0][1] for row in label[2]] == ["new gene one"]
    xref = ask(store, f"ASK {{ <{iri(anchors.compound)}> kmoa:xref \"{anchors.alias}\" }}")
    assert xref == ("ASK", True)


def test_imported_edges_keep_their_provenance(tmp_path: Path, kg: KnowledgeGraph, data_dir: Path,
                                              anchors: Anchors) -> None:
    """Each imported edge: its KGX id, source, knowledge level and publications, queryable in SPARQL."""
    folder = tmp_path / "kgx"
    write_kgx(folder, anchors)
    edges = folder / "edges.tsv"
    rows = edges.read_text(encoding="utf-8").splitlines()
    rows[0] += "\tpublications"
    rows[1:] = [row + ("\tPMID:111|PMID:222" if row.startswith("t3\t") else "\t") for row in rows[1:]]
    rows = [row.replace("\tknowledge_assertion\t", "\tprediction\t") if row.startswith("t4\t") else row
            for row in rows]
    edges.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(folder),
                                       "--store", f"oxigraph:{store}", "--name", "fixture"])
    assert result.exit_code == 0, result.output
    answer = ask(store, """
        SELECT ?id ?g ?s ?p ?o ?source ?level (GROUP_CONCAT(?pub; separator="|") AS ?pubs) WHERE {
          GRAPH ?g { ?e kmoa:id ?id ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                        biolink:primary_knowledge_source ?source ; biolink:knowledge_level ?level .
                     OPTIONAL { ?e biolink:publications ?pub } }
          FILTER(?source != "infores:kmoa")
        } GROUP BY ?id ?g ?s ?p ?o ?source ?level ORDER BY ?id""")
    found = {row[0][1]: [term[1] if term else None for term in row[1:]] for row in answer[2]}
    assert sorted(found) == ["t1", "t2", "t3", "t4", "t5"]
    graph = read_kgx(folder, kg)
    for e in range(graph.edge_count):
        kgx_id = graph.edge_id(e)
        g, s, p, o, source, level, pubs = found[kgx_id]
        assert source is not None and g == source_graph(source)  # the statement sits in its source's graph
        predicate = graph.predicate_names[graph.predicates[e]]
        ends = graph.nodes[graph.subjects[e]], graph.nodes[graph.objects[e]]
        assert (s, p, o) == (str(iri(ends[0])), str(iri(predicate)), str(iri(ends[1])))
        direct = ask(store, f"ASK {{ GRAPH <{g}> {{ <{s}> <{p}> <{o}> }} }}")
        assert direct == ("ASK", True)
        assert level == ("prediction" if kgx_id == "t4" else "knowledge_assertion")
        assert sorted(pubs.split("|") if pubs else []) == (["PMID:111", "PMID:222"] if kgx_id == "t3" else [])
    rows_for_neo4j = {row["kgx_id"]: row for row in imported_edge_rows(graph)}
    assert rows_for_neo4j["t3"]["publications"] == ["PMID:111", "PMID:222"]
    assert rows_for_neo4j["t4"]["knowledge_level"] == "prediction"

    lean = tmp_path / "lean"
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(folder),
                                       "--store", f"oxigraph:{lean}", "--no-edge-provenance"])
    assert result.exit_code == 0, result.output
    assert ask(lean, f"ASK {{ GRAPH <{source_graph('infores:test_a')}> {{ ?e kmoa:id ?id }} }}") == ("ASK", False)
    assert ask(lean, f"ASK {{ ?s biolink:treats <{iri(NEW_DISEASE)}> }}") == ("ASK", True)


def test_unknown_knowledge_level_is_located(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    row = f"t9\t{NEW_GENE}\tbiolink:interacts_with\t{MAPPED_GENE}\tinfores:test_a\tprobably"
    folder = write_kgx(tmp_path / "kgx", anchors, extra_edges=[row])
    with pytest.raises(KgxImportError, match=r"edges.tsv:7: knowledge_level 'probably' is not one of"):
        read_kgx(folder, kg)


def test_oxigraph_sink_and_source_round_trip(tmp_path: Path, kg: KnowledgeGraph) -> None:
    from kmoa.loaders.registry import export, get_source

    out = export(kg, "oxigraph", tmp_path / "store")
    back = get_source("oxigraph").read(out)
    assert back.nodes == kg.nodes
    assert back.claims == kg.claims
    assert back.hypotheses == kg.hypotheses


def test_reimport_replaces_rather_than_duplicates(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    store, folder = tmp_path / "store", write_kgx(tmp_path / "kgx", anchors)
    graph = read_kgx(folder, kg)
    import_into_oxigraph(store, kg, graph)
    first = store_quads(store)
    import_into_oxigraph(store, kg, read_kgx(folder, kg))
    assert store_quads(store) == first


def test_failure_while_writing_leaves_store_unchanged(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from kmoa.loaders.formats import kgx_import

    store = build_store(tmp_path / "store", kg)
    before = store_quads(store)
    real = kgx_import.nquads

    def failing(graph: ImportedGraph, progress: bool | None = None, provenance: bool = True) -> Any:
        chunks = real(graph, progress, provenance)
        yield next(chunks)
        raise OSError("disk full (injected)")

    monkeypatch.setattr(kgx_import, "nquads", failing)
    with pytest.raises(OSError, match="injected"):
        import_into_oxigraph(store, kg, read_kgx(write_kgx(tmp_path / "kgx", anchors), kg))
    assert store_quads(store) == before


def test_endpoint_serves_the_merged_store(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    from kmoa.loaders.servers.sparql_server import OxigraphBackend

    store = tmp_path / "store"
    import_into_oxigraph(store, kg, read_kgx(write_kgx(tmp_path / "kgx", anchors), kg))
    backend = OxigraphBackend(store, workers=1)
    try:
        answer = backend.answer(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s <https://w3id.org/biolink/vocab/treats> "
                                f"<{iri(NEW_DISEASE)}> }} }}", 10, 100, 1 << 20, None)
    finally:
        backend.close()
    assert [str(row["g"]) for row in answer.rows] == [source_graph("infores:test_c")]


# -- merged paths -----------------------------------------------------------------------------------


def test_merged_paths_mix_curated_and_imported_edges(tmp_path: Path, kg: KnowledgeGraph,
                                                     anchors: Anchors) -> None:
    graph = read_kgx(write_kgx(tmp_path / "kgx", anchors), kg)
    found = trace_merged_paths(kg, graph, anchors.compound, NEW_DISEASE, k=10, hub_damping=0.0,
                               filters=PathFilters(allow_direct=True))
    assert found
    routes = {tuple(p.nodes) for p in found}
    # The imported biolink:treats edge is a clinical verdict: evidence for the pair, never a step.
    assert (anchors.compound, NEW_DISEASE) not in routes
    assert (anchors.compound, anchors.mechanism, NEW_GENE, NEW_DISEASE) in routes
    # As in `kmoa paths`, a mechanism path must cross a gene, receptor, process, ... by default.
    default = {tuple(p.nodes) for p in trace_merged_paths(kg, graph, anchors.compound, NEW_DISEASE, k=10,
                                                           hub_damping=0.0)}
    assert (anchors.compound, NEW_DISEASE) not in default
    assert (anchors.compound, anchors.mechanism, NEW_GENE, NEW_DISEASE) in default
    mixed = [p for p in found if len({is_imported(s) for s in p.steps}) == 2]
    assert mixed, "some path should use both a curated and an imported edge"
    for path in found:
        for step in path.steps:
            source = step.attributes["primary_knowledge_source"]
            assert is_imported(step) == (source != PRIMARY_KNOWLEDGE_SOURCE)
            if is_imported(step):
                assert source.startswith("infores:test_")
                assert step.strength == pytest.approx(0.3)


def test_merged_paths_reach_curated_targets_through_imported_edges(tmp_path: Path, kg: KnowledgeGraph,
                                                                   anchors: Anchors) -> None:
    graph = read_kgx(write_kgx(tmp_path / "kgx", anchors), kg)
    found = trace_merged_paths(kg, graph, anchors.compound, anchors.disease, k=50, hub_damping=0.0)
    assert any(p.nodes[-2:] == (NEW_GENE, anchors.disease) and is_imported(p.steps[-1]) for p in found)


def _random_kgx(folder: Path, rng: random.Random, kg: KnowledgeGraph, anchors: Anchors) -> Path:
    """A skewed random graph of 300 nodes hanging off the curated anchors."""
    genes = [f"NCBIGene:98{i:04d}" for i in range(300)]
    weights = [(i + 1) ** -1.0 for i in range(len(genes))]
    rows = [f"{g}\tbiolink:Gene\tg{i}\t\tinfores:test" for i, g in enumerate(genes)]
    edges = set()
    pool = genes + [anchors.compound, anchors.mechanism, anchors.disease, NEW_DISEASE]
    for _ in range(3000):
        s = rng.choices(pool[:300], weights)[0] if rng.random() < 0.9 else rng.choice(pool[300:])
        o = rng.choices(genes, weights)[0] if rng.random() < 0.8 else rng.choice(pool[300:])
        if s != o:
            edges.add((s, o))
    folder.mkdir(parents=True)
    (folder / "nodes.tsv").write_text("\n".join([NODE_HEADER, *rows,
                                                 f"{NEW_DISEASE}\tbiolink:Disease\td\t\tinfores:test"]) + "\n")
    (folder / "edges.tsv").write_text("\n".join(
        [EDGE_HEADER] + [f"r{i}\t{s}\tbiolink:regulates\t{o}\tinfores:test_{i % 3}\tknowledge_assertion"
                         for i, (s, o) in enumerate(sorted(edges))]) + "\n")
    return folder


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_search_equals_brute_force(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors, seed: int) -> None:
    """On a skewed random import, the merged search gives exactly the k best of every simple path."""
    graph = read_kgx(_random_kgx(tmp_path / "kgx", random.Random(seed), kg, anchors), kg)
    merged = MergedEdges(kg, graph)
    for target in (NEW_DISEASE, anchors.disease):
        fast = search_merged_paths(kg, graph, anchors.compound, target, k=10, max_hops=3, merged=merged)
        walk = Walk(kg.schema, merged, hub_damping=kg.schema.walk.hub_damping_merged)
        accept = crosses_mechanism(kg.schema.walk, merged.kind_of)
        full = exhaustive_paths(walk, anchors.compound, target, 10, 3, accept)
        assert fast.exact
        assert [(p.nodes, p.score) for p in fast.paths] == [(p.nodes, p.score) for p in full]
        assert fast.paths, "the random graph should connect the compound to the target"


class _PlainEdges:
    """The merged edges seen only through ``CandidateEdges`` (each edge oriented one by one)."""

    def __init__(self, merged: MergedEdges):
        self.edges_from, self.edges_to = merged.edges_from, merged.edges_to
        self.kind_of, self.degree = merged.kind_of, merged.degree


def _mixed_kgx(folder: Path, rng: random.Random, kg: KnowledgeGraph, anchors: Anchors) -> Path:
    """A skewed random import with compounds, studies, parallel edges and clinical predicates."""
    categories = ["biolink:Gene"] * 6 + ["biolink:SmallMolecule", "biolink:Study", "biolink:Disease",
                                         "biolink:NamedThing"]
    nodes = {f"NCBIGene:97{i:04d}": rng.choice(categories) for i in range(120)}
    rows = [f"{n}\t{c}\tn{i}\t\tinfores:test" for i, (n, c) in enumerate(nodes.items())]
    names = list(nodes)
    weights = [(i + 1) ** -1.0 for i in range(len(names))]
    pool = names + [anchors.compound, anchors.mechanism, anchors.gene, anchors.disease, NEW_DISEASE]
    predicates = ["biolink:regulates"] * 6 + ["biolink:treats", "biolink:in_clinical_trials_for",
                                               "biolink:interacts_with"]
    edges = []
    for _ in range(900):
        s = rng.choices(names, weights)[0] if rng.random() < 0.8 else rng.choice(pool[len(names):])
        o = rng.choices(names, weights)[0] if rng.random() < 0.8 else rng.choice(pool[len(names):])
        if s != o:
            edges.append((s, rng.choice(predicates), o))
    edges += edges[:50]  # parallel edges
    folder.mkdir(parents=True)
    (folder / "nodes.tsv").write_text("\n".join([NODE_HEADER, *rows,
                                                 f"{NEW_DISEASE}\tbiolink:Disease\td\t\tinfores:test"]) + "\n")
    (folder / "edges.tsv").write_text("\n".join(
        [EDGE_HEADER] + [f"m{i}\t{s}\t{p}\t{o}\tinfores:test_{i % 3}\tknowledge_assertion"
                         for i, (s, p, o) in enumerate(edges)]) + "\n")
    return folder


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sorted_neighbours_walk_as_each_edge_does(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors,
                                                  seed: int) -> None:
    """The import's precomputed neighbours give the candidates, steps and k best paths that
    orienting every edge gives, under every filter and every split of the hops."""
    rng = random.Random(seed)
    graph = read_kgx(_mixed_kgx(tmp_path / "kgx", rng, kg, anchors), kg)
    merged = MergedEdges(kg, graph)
    plain = _PlainEdges(merged)
    compound = anchors.compound
    relatives = relatives_of(kg, compound)
    nodes = sorted(set(graph.nodes) | {anchors.mechanism, anchors.disease})
    for filters, related in [(PathFilters(), None), (PathFilters(compound=compound), relatives),
                             (PathFilters(human_only=True, allow_direct=True), None),
                             (PathFilters(min_evidence="rct"), None)]:
        damping = rng.choice([0.0, 0.5, 1.0])
        fast = Walk(kg.schema, merged, filters, related, damping)
        slow = Walk(kg.schema, plain, filters, related, damping)
        for node in nodes:
            for forward in (True, False):
                assert list(fast.candidates(node, forward)) == list(slow.candidates(node, forward)), (node, forward)
        accept = None if filters.allow_direct else crosses_mechanism(kg.schema.walk, merged.kind_of)
        for target in (NEW_DISEASE, anchors.disease, rng.choice(graph.nodes)):
            expected = exhaustive_paths(slow, compound, target, 10, 3, accept)
            for max_hops in (3, 4):
                reference = search_paths(Walk(kg.schema, plain, filters, related, damping), compound, target,
                                         k=10, max_hops=max_hops, accept=accept)
                if max_hops == 3:
                    assert [(p.nodes, p.score) for p in reference.paths] == [(p.nodes, p.score) for p in expected]
                for backward_depth in range(max_hops + 1):
                    found = search_paths(Walk(kg.schema, merged, filters, related, damping), compound, target,
                                         k=10, max_hops=max_hops, accept=accept, backward_depth=backward_depth)
                    assert found.exact
                    assert [(p.nodes, p.score, p.mean_strength, [s.claim_id for s in p.steps])
                            for p in found.paths] == \
                        [(p.nodes, p.score, p.mean_strength, [s.claim_id for s in p.steps])
                         for p in reference.paths], (filters, target, max_hops, backward_depth)


def test_search_is_bounded(tmp_path: Path, kg: KnowledgeGraph, anchors: Anchors) -> None:
    """A budget too small for the exact answer still returns real paths, flagged as not exact."""
    graph = read_kgx(_random_kgx(tmp_path / "kgx", random.Random(4), kg, anchors), kg)
    merged = MergedEdges(kg, graph)
    full = search_merged_paths(kg, graph, anchors.compound, anchors.disease, k=10, merged=merged)
    small = search_merged_paths(kg, graph, anchors.compound, anchors.disease, k=10, merged=merged,
                                max_steps=max(full.steps_built // 20, 1))
    assert full.exact and not small.exact
    assert small.steps_built < full.steps_built
    walk = Walk(kg.schema, merged, hub_damping=kg.schema.walk.hub_damping_merged)
    for path in small.paths:
        assert path.nodes[0] == anchors.compound and path.nodes[-1] == anchors.disease
        for step in path.steps:
            assert step in walk.steps(step.source)


# -- Neo4j ----------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_import_into_neo4j(tmp_path: Path, kg: KnowledgeGraph, data_dir: Path, anchors: Anchors,
                           neo4j_server_info: Any, neo4j_driver: Any) -> None:
    from kmoa.loaders.stores import neo4j as nl

    info = neo4j_server_info
    auth = ["--uri", info.uri, "--user", info.user, "--password", info.password]
    try:
        folder = write_kgx(tmp_path / "kgx", anchors)
        result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(folder), "--neo4j", *auth])
        assert result.exit_code == 0, result.output
        records, _, _ = neo4j_driver.execute_query(
            "MATCH (a:Entity)-[r]->(b:Entity) WHERE r.imported RETURN a.id AS s, type(r) AS t, b.id AS o, "
            "r.primary_knowledge_source AS src")
        imported = {(r["s"], r["t"], r["o"], r["src"]) for r in records}
        assert (anchors.compound, "treats", NEW_DISEASE, "infores:test_c") in imported
        assert (anchors.gene, "interacts_with", NEW_GENE, "infores:test_a") in imported
        assert len(imported) == 5
        curated, _, _ = neo4j_driver.execute_query(
            "MATCH (:Entity)-[r]->(:Entity) WHERE r.primary_knowledge_source = $kmoa RETURN count(r) AS n",
            kmoa=PRIMARY_KNOWLEDGE_SOURCE)
        assert curated[0]["n"] == len(kg.claims)
        generation = nl.active_generation(neo4j_driver)
        bad = write_kgx(tmp_path / "bad", anchors, extra_edges=[f"t9\t{NEW_GENE}\tbiolink:treats\tNOPE:1\t"
                                                                "infores:x\tknowledge_assertion"])
        result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(bad), "--neo4j",
                                           *auth])
        assert result.exit_code != 0 and "edges.tsv:7: object 'NOPE:1'" in result.output
        assert nl.active_generation(neo4j_driver) == generation
    finally:
        nl.load_graph(neo4j_driver, kg)


# -- one TSV reader: byte-order marks and CRLF line ends ----------------------------------------------

ENCODINGS = {"BOM": lambda b: b"\xef\xbb\xbf" + b, "CRLF": lambda b: b.replace(b"\n", b"\r\n"),
             "BOM and CRLF": lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n")}


def recode(folder: Path, variant: str) -> Path:
    for name in ("nodes.tsv", "edges.tsv"):
        path = folder / name
        path.write_bytes(ENCODINGS[variant](path.read_bytes()))
    return folder


@pytest.mark.parametrize("variant", sorted(ENCODINGS))
def test_kgx_source_reads_bom_and_crlf_files_the_same(tmp_path: Path, tiny: KnowledgeGraph, variant: str) -> None:
    from kmoa.loaders.registry import export, get_source

    plain = get_source("kgx").read(export(tiny, "kgx", tmp_path / "plain"))
    again = get_source("kgx").read(recode(export(tiny, "kgx", tmp_path / "recoded"), variant))
    assert again.nodes == plain.nodes
    assert again.claims == plain.claims


@pytest.mark.parametrize("variant", sorted(ENCODINGS))
def test_kmoa_import_kgx_reads_bom_and_crlf_files_the_same(tmp_path: Path, data_dir: Path, anchors: Anchors,
                                                           variant: str) -> None:
    stores = {}
    for label in ("plain", "recoded"):
        folder = write_kgx(tmp_path / label / "kgx", anchors)
        if label == "recoded":
            recode(folder, variant)
        stores[label] = tmp_path / label / "store"
        result = CliRunner().invoke(main, ["import", "kgx", "--data", str(data_dir), str(folder),
                                           "--store", f"oxigraph:{stores[label]}", "--name", "fixture"])
        assert result.exit_code == 0, result.output
    assert store_quads(stores["recoded"]) == store_quads(stores["plain"])
    label = ask(stores["recoded"], f"SELECT ?l WHERE {{ <{iri(NEW_GENE)}> rdfs:label ?l }}")
    assert [row[0][1] for row in label[2]] == ["new gene one"]  # no stray \r, no BOM in the first id
