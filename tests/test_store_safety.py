"""Identifiers that cannot inject, and Oxigraph stores that are replaced atomically.

Each test reproduces a failure seen before these guarantees existed: a KGX node id that closed
its IRI and wrote a quad into the curated graph; a crash between the two renames of the store swap
that left no store (and a server that then built a curated-only one); two concurrent imports that
both reported success while one was lost; hidden copies left by a killed import; and a server whose
workers answered from different versions of the store.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.curation import CurationError, read_curation
from kmoa.graph.identifiers import InvalidIdentifier, check_curie, curie_problem
from kmoa.graph.imported import imported_edge_rows, imported_node_rows
from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.loaders.formats.kgx_import import nquads, read_kgx
from kmoa.loaders.registry import export
from kmoa.loaders.stores.oxigraph_store import (
    ACTIVE,
    CURATED_GRAPH,
    GENERATIONS,
    StoreError,
    active_generation,
    build_store,
    import_into_oxigraph,
    read_only_store,
    source_graph,
    writer_lock,
)
from tests.conftest import TINY_DATA
from tests.servers import free_port, start_kmoa, stop

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

# The id from the report, and variants with each character or escape that can end or bend an IRI.
INJECTED = ("CHEBI:999999><https://w3id.org/kmoa/vocab/injected_claim><https://example.org/FAKE_CURATED_FACT>"
            "<https://w3id.org/kmoa/graph/curated>.#")
INJECTION_IDS = [
    INJECTED,
    "NEWPREFIX:1><https://w3id.org/kmoa/vocab/injected_claim><https://example.org/x>.#",
    "NEWPREFIX:a<b",
    'NEWPREFIX:a"b',
    "NEWPREFIX:a b",
    "NEWPREFIX:a\rb",
    "NEWPREFIX:a\u2028b",
    "NEWPREFIX:a\x85b",
    "NEWPREFIX:a#b",
    "NEWPREFIX:a\\u003E<https://example.org/x>",
    "NEWPREFIX:a\\U0000003Eb",
    "NEWPREFIX:a\uff1eb",
    "NEWPREFIX:a{b}",
    "NEWPREFIX:a|b",
    "NEWPREFIX:a^b",
    "NEWPREFIX:a`b",
    "CHEBI:12a",
    "NEWPREFIX:",
    ":123",
]
NODE_HEADER = "id\tcategory\tname"
EDGE_HEADER = "id\tsubject\tpredicate\tobject\tprimary_knowledge_source"


def write_kgx(folder: Path, source: str, edges: int = 3, first_node: str | None = None) -> Path:
    """A small KGX graph: a chain of new genes, every edge from ``source``."""
    folder.mkdir(parents=True, exist_ok=True)
    genes = [f"NCBIGene:{990000 + i}" for i in range(edges + 1)]
    if first_node is not None:
        genes[0] = first_node
    nodes = [NODE_HEADER, *(f"{g}\tbiolink:Gene\tgene {i}" for i, g in enumerate(genes))]
    rows = [EDGE_HEADER, *(f"e{i}\t{genes[i]}\tbiolink:interacts_with\t{genes[i + 1]}\t{source}"
                           for i in range(edges))]
    (folder / "nodes.tsv").write_text("\n".join(nodes) + "\n", encoding="utf-8", newline="\n")
    (folder / "edges.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8", newline="\n")
    return folder


def located(folder: Path, bad: str) -> str:
    """How an import error locates a bad node id on line 2 (a bare CR ends a line in TSV, so no field)."""
    return f"{folder / 'nodes.tsv'}:2: " + ("" if "\r" in bad else "id: ")


def run_kmoa(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`kmoa ARGS` in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "kmoa", *args], capture_output=True, text=True, env=ENV,
                          cwd=ROOT, timeout=timeout, check=False)


def graph_counts(store: Path) -> dict[str, int]:
    """Quads per named graph of the store's active generation."""
    from collections import Counter

    with read_only_store(store) as opened:
        return dict(Counter(q.graph_name.value for q in opened))


def edge_counts(store: Path) -> dict[str, int]:
    """Imported edges (direct ``biolink:interacts_with`` triples) per named graph."""
    from collections import Counter

    with read_only_store(store) as opened:
        return dict(Counter(q.graph_name.value for q in opened
                            if q.predicate.value == "https://w3id.org/biolink/vocab/interacts_with"))


def generations(store: Path) -> list[str]:
    """The generation folders on disk."""
    folder = store / GENERATIONS
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@pytest.fixture(scope="module")
def tiny_kg() -> KnowledgeGraph:
    return load_graph(TINY_DATA)


# -- identifiers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", INJECTION_IDS)
def test_identifier_check_refuses(bad: str) -> None:
    problem = curie_problem(bad)
    assert problem is not None
    with pytest.raises(InvalidIdentifier):
        check_curie(bad)


@pytest.mark.parametrize("good", ["CHEBI:6121", "HGNC:1033", "KMOA:rapid_antidepressant_effect",
                                  "DOI:10.1007/s44192-022-00012-3", "UniProtKB:P12345-2", "NEWPREFIX:a.b-c_d/e:f",
                                  "infores:hetionet", "biolink:SmallMolecule", "drugbank:DB01221"])
def test_identifier_check_accepts_real_ids(good: str) -> None:
    assert curie_problem(good) is None


def test_every_curated_identifier_passes(kg: KnowledgeGraph) -> None:
    ids = [*kg.nodes, *kg.hypotheses, *(x for n in kg.nodes.values() for x in n.xref)]
    assert ids
    assert [(i, curie_problem(i)) for i in ids if curie_problem(i)] == []


@pytest.mark.parametrize("bad", INJECTION_IDS)
def test_kgx_import_into_oxigraph_refuses_injected_id(tmp_path: Path, bad: str) -> None:
    store = tmp_path / "store"
    good = write_kgx(tmp_path / "good", "infores:good")
    first = CliRunner().invoke(main, ["import", "kgx", "--data", str(TINY_DATA), str(good),
                                      "--store", f"oxigraph:{store}"])
    assert first.exit_code == 0, first.output
    before = graph_counts(store)
    folder = write_kgx(tmp_path / "bad", "infores:bad", first_node=bad)
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(TINY_DATA), str(folder),
                                       "--store", f"oxigraph:{store}"])
    assert result.exit_code == 1
    assert located(folder, bad) in result.output  # file, line and field
    assert "Traceback" not in result.output
    assert graph_counts(store) == before
    with read_only_store(store) as opened:
        quads = [str(q) for q in opened]
    assert quads and [q for q in quads if "injected" in q or "FAKE" in q or "example.org" in q] == []


@pytest.mark.parametrize("bad", INJECTION_IDS[:12])
def test_kgx_import_into_neo4j_refuses_before_connecting(tmp_path: Path, bad: str) -> None:
    folder = write_kgx(tmp_path / "bad", "infores:bad", first_node=bad)
    result = CliRunner().invoke(main, ["import", "kgx", "--data", str(TINY_DATA), str(folder), "--neo4j",
                                       "--uri", "bolt://127.0.0.1:9", "--password", "unused"])
    assert result.exit_code == 1
    assert located(folder, bad) in result.output


@pytest.mark.parametrize("bad", INJECTION_IDS[:12])
def test_writers_refuse_an_id_the_reader_did_not_check(tmp_path: Path, tiny_kg: KnowledgeGraph, bad: str) -> None:
    """N-Quads, Neo4j rows and Turtle refuse a bad id even when it bypassed the KGX reader."""
    graph = read_kgx(write_kgx(tmp_path / "kgx", "infores:x"), tiny_kg)
    new = next(i for i in range(len(graph.nodes)) if not graph.curated[i])
    graph.nodes[new] = bad
    with pytest.raises(ValueError):
        "".join(nquads(graph, progress=False))
    with pytest.raises(ValueError):
        list(imported_node_rows(tiny_kg, graph))
    nodes = dict(tiny_kg.nodes)
    victim = sorted(nodes)[0]
    nodes[bad] = replace(nodes.pop(victim), id=bad)
    tampered = replace(tiny_kg, nodes=nodes, claims={}, hypotheses={})
    for fmt, name in (("turtle", "g.ttl"), ("ntriples", "g.nt")):
        with pytest.raises(ValueError):
            export(tampered, fmt, tmp_path / name)
        assert not (tmp_path / name).exists()
    assert list(imported_edge_rows(graph))  # the edge rows carry only checked node ids and predicates


@pytest.mark.parametrize("bad", ["CHEBI:1><https://example.org/x>", 'KMOA:a"b', "KMOA:a#b", "KMOA:a b"])
def test_curation_refuses_injected_id_naming_file_line_field(tmp_path: Path, bad: str) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(TINY_DATA, data)
    path = data / "nodes" / "tiny.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"- id: '{bad}'\n  kind: outcome\n  name: injected\n", encoding="utf-8")
    line = text.count("\n") + 1
    with pytest.raises(CurationError) as caught:
        read_curation(data)
    shown = str(caught.value)
    assert f"tiny.yaml:{line}:" in shown and "id: " in shown


# -- one writer at a time ---------------------------------------------------------------------------


def test_second_writer_gets_a_clear_error(tmp_path: Path, tiny_kg: KnowledgeGraph) -> None:
    store = tmp_path / "store"
    import_into_oxigraph(store, tiny_kg, read_kgx(write_kgx(tmp_path / "a", "infores:a"), tiny_kg))
    before = graph_counts(store)
    with writer_lock(store):
        result = run_kmoa("import", "kgx", "--data", str(TINY_DATA), str(write_kgx(tmp_path / "b", "infores:b")),
                          "--store", f"oxigraph:{store}")
    assert result.returncode == 1
    assert f"is being written by process {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr
    assert graph_counts(store) == before


def test_concurrent_imports_lose_nothing(tmp_path: Path, tiny_kg: KnowledgeGraph) -> None:
    """Two imports of different sources at once: each either lands or says another writer is busy."""
    store = tmp_path / "store"
    build_store(store, tiny_kg)
    sources = ["infores:first", "infores:second"]
    folders = [write_kgx(tmp_path / s.split(":")[1], s, edges=2000) for s in sources]
    processes = [subprocess.Popen([sys.executable, "-m", "kmoa", "import", "kgx", "--data", str(TINY_DATA),
                                   str(f), "--store", f"oxigraph:{store}"], env=ENV, cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in folders]
    outcomes = [(p.wait(300), p.stderr.read() if p.stderr else "") for p in processes]
    graphs = edge_counts(store)
    landed = [s for s, (code, _) in zip(sources, outcomes, strict=True) if code == 0]
    assert landed, outcomes
    for source, (code, err) in zip(sources, outcomes, strict=True):
        if code == 0:
            assert graphs.get(source_graph(source)) == 2000, (source, graphs)
        else:
            assert code == 1 and "is being written by" in err and "Traceback" not in err, err
            assert source_graph(source) not in graphs


# -- crashes ----------------------------------------------------------------------------------------

# Runs `kmoa ARGS` with one writer step replaced, to crash (SIGKILL) at a chosen point.
CRASHING_RUN = """
import os, signal, sys, time
from pathlib import Path
where, marker = sys.argv[1], Path(sys.argv[2])
from kmoa.loaders.formats import kgx_import
from kmoa.loaders.stores import oxigraph_store
if where == "mid-write":
    real = kgx_import.nquads
    def slow(*args, **kwargs):
        chunks = real(*args, **kwargs)
        yield next(chunks)
        marker.touch()
        time.sleep(600)
        yield from chunks
    kgx_import.nquads = slow
else:
    real_replace = os.replace
    def crashing(src, dst):
        if Path(dst).name == oxigraph_store.ACTIVE:
            if where == "after-flip":
                real_replace(src, dst)
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
    oxigraph_store.os.replace = crashing
from kmoa.cli import main
main(sys.argv[3:], prog_name="kmoa")
"""


def crash_import(where: str, store: Path, folder: Path, tmp_path: Path) -> None:
    """Run an import of ``folder`` into ``store`` and kill -9 it at ``where``."""
    marker = tmp_path / f"{where}.reached"
    process = subprocess.Popen([sys.executable, "-c", CRASHING_RUN, where, str(marker), "import", "kgx",
                                "--data", str(TINY_DATA), str(folder), "--store", f"oxigraph:{store}"],
                               env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.stderr.read() if process.stderr else ""
    process.kill()  # SIGKILL: no clean-up code runs
    process.wait(30)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("where", ["mid-write", "before-flip", "after-flip"])
def test_killed_import_leaves_a_whole_store_and_the_next_run_cleans_up(tmp_path: Path, tiny_kg: KnowledgeGraph,
                                                                     where: str) -> None:
    store = tmp_path / "store"
    import_into_oxigraph(store, tiny_kg, read_kgx(write_kgx(tmp_path / "a", "infores:a"), tiny_kg))
    before = graph_counts(store)
    crash_import(where, store, write_kgx(tmp_path / "b", "infores:b", edges=50), tmp_path)

    # A whole store is there: the old one, or (killed after the flip) the new one with both sources.
    after = graph_counts(store)
    if where == "after-flip":
        assert edge_counts(store) == {source_graph("infores:a"): 3, source_graph("infores:b"): 50}
    else:
        assert after == before
    assert after[CURATED_GRAPH] == before[CURATED_GRAPH]
    assert len(generations(store)) == 2  # the killed run's generation (or the superseded one) is left

    result = run_kmoa("import", "kgx", "--data", str(TINY_DATA), str(write_kgx(tmp_path / "c", "infores:c")),
                      "--store", f"oxigraph:{store}")
    assert result.returncode == 0, result.stderr
    assert generations(store) == [active_generation(store).name]  # type: ignore[union-attr]
    assert not list(store.glob(".*")) and not list(tmp_path.glob(".store*"))
    final = edge_counts(store)
    assert final[source_graph("infores:a")] == 3 and final[source_graph("infores:c")] == 3
    assert (source_graph("infores:b") in final) == (where == "after-flip")


def test_serve_refuses_a_missing_store_instead_of_building_a_curated_only_one(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    result = run_kmoa("serve", "sparql", "--port", "0", "--store", f"oxigraph:{missing}", "--data", str(TINY_DATA),
                      timeout=120)
    assert result.returncode == 1
    assert f"no Oxigraph store at {missing}" in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists()
    empty = tmp_path / "killed-before-first-flip"
    (empty / GENERATIONS / "gen-000001").mkdir(parents=True)
    result = run_kmoa("serve", "sparql", "--port", "0", "--store", f"oxigraph:{empty}", "--data", str(TINY_DATA),
                      timeout=120)
    assert result.returncode == 1 and "holds no Oxigraph store" in result.stderr
    assert not (empty / ACTIVE).exists()


def test_writer_refuses_a_folder_that_is_not_a_store(tmp_path: Path, tiny_kg: KnowledgeGraph) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(StoreError, match="not an Oxigraph store"):
        build_store(folder, tiny_kg)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_store_in_the_layout_without_generations_is_read_and_migrated(tmp_path: Path,
                                                                      tiny_kg: KnowledgeGraph) -> None:
    import pyoxigraph as ox

    from kmoa.loaders.stores.oxigraph_store import load_curated

    store = tmp_path / "store"
    legacy = ox.Store(str(store))
    load_curated(legacy, tiny_kg)
    legacy.flush()
    del legacy
    before = graph_counts(store)
    import_into_oxigraph(store, tiny_kg, read_kgx(write_kgx(tmp_path / "a", "infores:a"), tiny_kg))
    after = graph_counts(store)
    assert after[CURATED_GRAPH] == before[CURATED_GRAPH] and edge_counts(store) == {source_graph("infores:a"): 3}
    assert sorted(p.name for p in store.iterdir()) == [ACTIVE, GENERATIONS, "write.lock"]


def test_hidden_copies_of_the_earlier_layout_are_removed(tmp_path: Path, tiny_kg: KnowledgeGraph) -> None:
    """A killed import used to leave `.NAME.XXXXXXXX/NAME`, a partial copy of the store, beside it."""
    import pyoxigraph as ox

    store = tmp_path / "store"
    build_store(store, tiny_kg)
    copy = tmp_path / ".store.k2j9x_0a" / "store"
    copy.mkdir(parents=True)
    ox.Store(str(copy)).flush()
    mine = [tmp_path / ".store.notes", tmp_path / ".store.abcdefgh"]
    mine[0].write_text("mine", encoding="utf-8")
    (mine[1] / "other").mkdir(parents=True)
    import_into_oxigraph(store, tiny_kg, read_kgx(write_kgx(tmp_path / "a", "infores:a"), tiny_kg))
    assert not copy.parent.exists()
    assert all(p.exists() for p in mine)
    assert (mine[1] / "other").is_dir()


# -- a server while the store flips --------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture
def served_store(tmp_path: Path, tiny_kg: KnowledgeGraph) -> Iterator[tuple[Path, Server]]:
    store = tmp_path / "store"
    import_into_oxigraph(store, tiny_kg, read_kgx(write_kgx(tmp_path / "a", "infores:a"), tiny_kg))
    port = free_port()
    process = start_kmoa(["serve", "sparql", "--port", str(port), "--store", f"oxigraph:{store}", "--workers", "2",
                          "--timeout", "30", "--quiet", "--data", str(TINY_DATA)], tmp_path / "server.log",
                         f"http://127.0.0.1:{port}/")
    yield store, Server(f"http://127.0.0.1:{port}/sparql", process)
    stop(process)


COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def served_counts(server: Server) -> dict[str, int]:
    import json

    url = server.url + "?" + urllib.parse.urlencode({"query": COUNTS})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        rows = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def test_server_answers_from_one_generation_and_follows_the_flip(
        served_store: tuple[Path, Server], tmp_path: Path, tiny_kg: KnowledgeGraph) -> None:
    store, server = served_store
    snapshots = [graph_counts(store)]
    assert served_counts(server) == snapshots[0]
    answers: list[Any] = []
    stop = threading.Event()

    def ask_repeatedly() -> None:
        while not stop.is_set():
            try:
                answers.append(served_counts(server))
            except Exception as err:  # recorded, asserted below
                answers.append(err)

    askers = [threading.Thread(target=ask_repeatedly) for _ in range(3)]
    for asker in askers:
        asker.start()
    try:
        for i, source in enumerate(["infores:b", "infores:c"]):
            import_into_oxigraph(store, tiny_kg,
                                 read_kgx(write_kgx(tmp_path / f"flip{i}", source, edges=200), tiny_kg))
            snapshots.append(graph_counts(store))
            # Once the flip is done, every worker answers from the new generation.
            for _ in range(6):
                assert served_counts(server) == snapshots[-1]
    finally:
        stop.set()
        for asker in askers:
            asker.join(120)
    assert answers
    assert [a for a in answers if a not in snapshots] == []
    assert edge_counts(store) == {source_graph(s): n for s, n in (("infores:a", 3), ("infores:b", 200),
                                                                  ("infores:c", 200))}
    # Generations the workers let go of were removed by the writer that came next.
    assert len(generations(store)) <= 2
