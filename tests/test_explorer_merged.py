"""The explorer over a merged graph: curated records plus an imported KGX graph (`kmoa explore --import`).

A small KGX fixture joins ketamine to major depressive disorder through an imported gene; every
expectation is computed from that fixture and the curated data.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from kmoa.explorer import callbacks, ids, panels, views
from kmoa.explorer import state as st
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.graph.imported import ImportedGraph, imported_line, is_imported, kind_for
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import MechanismPath, PathFilters, trace_mechanism_paths
from kmoa.loaders.formats.kgx_import import read_kgx

KETAMINE = "CHEBI:6121"
MDD = "MONDO:0002009"
GENE = "NCBIGene:99990001"
GENE_NAME = "TESTGENE one"
SOURCE = "infores:test"
# (edges.tsv line, subject, predicate, object)
IMPORTED_EDGES = [
    (2, KETAMINE, "biolink:interacts_with", GENE),
    (3, GENE, "biolink:contributes_to", MDD),
]


def write_kgx(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodes.tsv").write_text(f"id\tcategory\tname\n{GENE}\tbiolink:Gene\t{GENE_NAME}\n", encoding="utf-8")
    rows = ["id\tsubject\tpredicate\tobject\tprimary_knowledge_source"]
    rows += [f"e{line}\t{s}\t{p}\t{o}\t{SOURCE}" for line, s, p, o in IMPORTED_EDGES]
    (folder / "edges.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def claim_id(line: int) -> str:
    return f"{SOURCE}/edges.tsv:{line}"


@pytest.fixture(scope="module")
def kgx_dir(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph) -> Path:
    if KETAMINE not in kg.nodes or MDD not in kg.nodes:
        pytest.skip(f"the curated graph lacks {KETAMINE} or {MDD}")
    return write_kgx(tmp_path_factory.mktemp("kgx") / "testkgx")


@pytest.fixture(scope="module")
def imported(kg: KnowledgeGraph, kgx_dir: Path) -> ImportedGraph:
    return read_kgx(kgx_dir, kg)


@pytest.fixture(scope="module")
def merged(kg: KnowledgeGraph, imported: ImportedGraph) -> ExplorerData:
    return prepare(kg, imported=imported)


def imported_path(paths: list[MechanismPath]) -> tuple[int, MechanismPath]:
    return next((i, p) for i, p in enumerate(paths) if p.nodes == (KETAMINE, GENE, MDD))


def texts(component: Any) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for child in component for t in texts(child)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def test_prepare_builds_the_merged_edges_once(merged: ExplorerData, imported: ImportedGraph) -> None:
    assert merged.imported is imported
    assert merged.merged is not None
    assert merged.merged.graph is imported


def test_tracer_finds_the_path_through_imported_edges(merged: ExplorerData) -> None:
    paths = views.trace(merged, KETAMINE, MDD)
    _, path = imported_path(paths)
    assert [s.claim_id for s in path.steps] == [claim_id(line) for line, *_ in IMPORTED_EDGES]
    assert all(is_imported(s) for s in path.steps)
    for step, (line, _, predicate, _) in zip(path.steps, IMPORTED_EDGES, strict=True):
        assert step.attributes["primary_knowledge_source"] == SOURCE
        assert imported_line(step.attributes) == line
        assert step.attributes["predicate"] == predicate
    # Curated paths are still found alongside, with their curated claims.
    curated = [p for p in paths if not any(is_imported(s) for s in p.steps)]
    assert curated
    assert all(s.claim_id in merged.kg.claims for p in curated for s in p.steps)


def test_imported_edges_and_nodes_are_drawn_distinguishably(merged: ExplorerData) -> None:
    paths = views.trace(merged, KETAMINE, MDD)
    index, path = imported_path(paths)
    sub = views.path_view(merged, paths, index, KETAMINE, MDD)
    elements = {e["data"]["id"]: e for e in views.elements_for(merged, sub)}
    edges = [e for e in elements.values() if "source" in e["data"]]
    imported_edges = {e["data"]["claim"] for e in edges if "imported" in e["classes"].split()}
    assert imported_edges == {s.claim_id for s in path.steps}
    curated_edges = [e for e in edges if e["data"]["claim"] in merged.kg.claims]
    assert curated_edges, "the best curated paths are drawn too"
    assert all("imported" not in e["classes"].split() for e in curated_edges)
    for edge in edges:
        if edge["data"]["claim"] in imported_edges:
            assert f"[{SOURCE}]" in edge["data"]["label"]
            assert "highlighted" in edge["classes"].split()
    gene = elements[GENE]
    kind = kind_for(merged.kg, "biolink:Gene")
    assert gene["data"]["label"] == GENE_NAME
    assert gene["data"]["kind"] == kind
    assert f"kind-{kind}" in gene["classes"].split() and "imported-node" in gene["classes"].split()
    assert "imported-node" not in elements[KETAMINE]["classes"].split()
    assert f"{merged.kg.nodes[KETAMINE].name} to {merged.kg.nodes[MDD].name}" in sub.title


def test_imported_step_panel_names_source_file_line_and_predicate(merged: ExplorerData) -> None:
    for line, subject, predicate, obj in IMPORTED_EDGES:
        info = views.evidence_panel_data(merged, f"claim:{claim_id(line)}")
        assert info is not None
        assert info["type"] == "imported_claim"
        assert (info["primary_knowledge_source"], info["file"], info["line"]) == (SOURCE, "edges.tsv", line)
        assert (info["subject"], info["biolink"], info["object"]) == (subject, predicate, obj)
        assert "quote" not in info
        words = " ".join(texts(panels.evidence_panel(info)))
        assert SOURCE in words and f"line {line}" in words and "edges.tsv" in words
        assert "Imported" in words and "no quote" in words
        assert merged.node_name(subject) in words and merged.node_name(obj) in words
    assert views.evidence_panel_data(merged, f"claim:{SOURCE}/edges.tsv:99") is None
    assert views.evidence_panel_data(merged, "claim:infores:other/edges.tsv:2") is None


def test_curated_steps_keep_their_review_evidence(merged: ExplorerData) -> None:
    kg = merged.kg
    paths = views.trace(merged, KETAMINE, MDD)
    step = next(s for p in paths for s in p.steps if not is_imported(s))
    info = views.evidence_panel_data(merged, f"claim:{step.claim_id}")
    assert info is not None and info["type"] == "claim"
    assert info["quote"] == kg.claims[step.claim_id].provenance.quote
    assert info["refs"] == list(kg.claims[step.claim_id].provenance.refs)


def test_path_list_and_legend_mark_imported_steps(merged: ExplorerData) -> None:
    paths = views.trace(merged, KETAMINE, MDD)
    index, path = imported_path(paths)
    steps = panels.path_steps(merged, path)
    words = " ".join(texts(steps))
    assert words.count("imported") == path.hops and SOURCE in words
    assert GENE_NAME in words
    legend = " ".join(texts(panels.legend(merged, views.kinds_shown(merged, views.path_view(merged, paths, index)))))
    assert f"imported edge ({SOURCE})" in legend


def test_imported_node_panel_and_pickers(merged: ExplorerData, kg: KnowledgeGraph) -> None:
    info = views.evidence_panel_data(merged, f"node:{GENE}")
    assert info is not None and info["type"] == "imported_node"
    assert info["name"] == GENE_NAME and info["category"] == "biolink:Gene"
    panel = panels.evidence_panel(info)
    assert GENE_NAME in texts(panel)
    assert {"Trace from here", "Trace to here"} <= set(texts(panel))
    # The pickers offer the imported node after the curated ones, which keep their order.
    values = [o["value"] for o in merged.node_options]
    curated = [o["value"] for o in prepare(kg).node_options]
    assert values == [*curated, GENE]
    # "Trace to here" on the imported node traces from the current source to it.
    state = {**st.default_state(kg), "source": KETAMINE}
    new = callbacks.ACTIONS[ids.TRACE_TO](merged, state, GENE, None, {})
    assert new is not None and (new["view"], new["target"]) == ("paths", GENE)
    assert views.scene_for(merged, new).paths[0].nodes == (KETAMINE, GENE)


def test_url_state_keeps_imported_ends_and_selection(merged: ExplorerData, imported: ImportedGraph,
                                                     kg: KnowledgeGraph) -> None:
    sel = f"claim:{claim_id(2)}"
    query = f"?view=paths&source={KETAMINE}&target={GENE}&sel={sel}"
    state = st.decode(query, kg, imported)
    assert (state["view"], state["source"], state["target"], state["sel"]) == ("paths", KETAMINE, GENE, sel)
    assert st.decode(st.encode(state), kg, imported) == state
    scene = views.scene_for(merged, state)
    assert scene.paths and scene.paths[0].nodes == (KETAMINE, GENE)
    # Without the import the same URL falls back to curated-only values.
    plain = st.decode(query, kg)
    assert plain["target"] is None and plain["sel"] is None


def test_filters_apply_to_the_curated_half(merged: ExplorerData) -> None:
    kg = merged.kg
    human = views.trace(merged, KETAMINE, MDD, human_only=True)
    imported_path(human)  # imported edges have no species: the filter keeps them
    for path in human:
        for step in path.steps:
            if not is_imported(step):
                assert step.attributes["species"] != "animal"
    strict = views.trace(merged, KETAMINE, MDD, min_evidence="rct")
    assert not any(is_imported(s) for p in strict for s in p.steps)
    assert strict == trace_mechanism_paths(kg, KETAMINE, MDD, k=views.PATH_LIMIT,
                                           filters=PathFilters(min_evidence="rct"))


def test_exports_of_a_merged_path_view(merged: ExplorerData) -> None:
    paths = views.trace(merged, KETAMINE, MDD)
    index, _ = imported_path(paths)
    sub = views.path_view(merged, paths, index)
    rows = list(csv.DictReader(io.StringIO(views.subgraph_csv(merged, sub))))
    by_claim = {r["claim"]: r for r in rows}
    for line, _, predicate, _ in IMPORTED_EDGES:
        row = by_claim[claim_id(line)]
        assert row["predicate"] == predicate and row["evidence_type"] == "imported"
    assert GENE_NAME in views.subgraph_json(merged, sub)


def test_without_import_nothing_changes(kg: KnowledgeGraph) -> None:
    data = prepare(kg)
    assert data.imported is None and data.merged is None
    assert views.trace(data, KETAMINE, MDD) == trace_mechanism_paths(kg, KETAMINE, MDD, k=views.PATH_LIMIT)
    legend = " ".join(texts(panels.legend(data, None)))
    assert "imported edge" not in legend


def test_cli_reports_a_malformed_import_with_its_line(tmp_path: Path, kgx_dir: Path) -> None:
    from kmoa.cli.explore_cmd import explore

    bad = write_kgx(tmp_path / "bad")
    with (bad / "edges.tsv").open("a", encoding="utf-8") as handle:
        handle.write(f"e4\t{KETAMINE}\tnot a predicate\t{GENE}\t{SOURCE}\n")
    result = CliRunner().invoke(explore, ["--import", str(bad)])
    assert result.exit_code == 1
    assert "edges.tsv:4" in result.output


def test_cli_builds_the_app_with_the_import(kgx_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dash import Dash

    from kmoa.cli.explore_cmd import explore

    ran: list[Any] = []
    monkeypatch.setattr(Dash, "run", lambda self, **kwargs: ran.append(kwargs))
    result = CliRunner().invoke(explore, ["--import", str(kgx_dir), "--port", "1"])
    assert result.exit_code == 0, result.output
    assert ran and ran[0]["port"] == 1
    assert f"{len(IMPORTED_EDGES)} edges, 1 new nodes ({SOURCE})" in result.output


# -- in a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def merged_url(merged: ExplorerData) -> Iterator[str]:
    from werkzeug.serving import make_server

    from kmoa.explorer.app import create_app

    app = create_app(merged.kg, data=merged)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="explorer-merged-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join(10)


@pytest.mark.browser
def test_browser_lists_and_explains_an_imported_step(explorer_page: Any, merged_url: str,
                                                     merged: ExplorerData) -> None:
    from playwright.sync_api import expect

    from tests.test_explorer_browser import cy, open_app

    paths = [r.path for r in views.answer_for(merged, KETAMINE, MDD).paths]
    index, path = imported_path(paths)
    open_app(explorer_page, merged_url, f"?source={KETAMINE}&target={MDD}&path={index + 1}")
    steps = explorer_page.locator(".path-item.selected .step-button")
    expect(steps).to_have_count(path.hops)
    expect(steps.nth(0)).to_contain_text(GENE_NAME)
    imported_edges = cy(explorer_page, "return cy.edges('.imported').map(e => e.data('claim'));")
    assert set(imported_edges) == {s.claim_id for s in path.steps}
    steps.nth(1).click()
    panel = explorer_page.locator("#evidence-panel")
    expect(panel.locator("#imported-notice")).to_contain_text(f"{SOURCE} (edges.tsv, line {IMPORTED_EDGES[1][0]})")
    expect(panel.locator(".quote-text")).to_have_count(0)
    assert f"sel=claim:{claim_id(IMPORTED_EDGES[1][0])}" in unquote(explorer_page.url)
    expect(explorer_page.locator("#legend")).to_contain_text(f"imported edge ({SOURCE})")
    # The URL reopens the same imported step.
    open_app(explorer_page, explorer_page.url)
    expect(explorer_page.locator("#evidence-panel #imported-notice")).to_contain_text(SOURCE)


def test_merged_paths_are_listed_as_kmoa_paths_lists_them(merged: ExplorerData, kg: KnowledgeGraph) -> None:
    state = st.trace(st.default_state(kg), KETAMINE, MDD)
    scene = views.scene_for(merged, state)
    assert scene.answer is not None
    assert list(scene.paths) == [r.path for r in scene.answer.paths]
    imported_path(list(scene.paths))  # the route through the imported gene is listed
    words = " ".join(texts(panels.path_list(merged, scene, state)))
    assert any(hyp.name in words for hyp in kg.hypotheses.values())
    # One path per hypothesis first, as in the curated view.
    labels = [r.hypothesis.hypothesis if r.hypothesis else None for r in scene.answer.paths]
    firsts = list(dict.fromkeys(labels))
    assert labels[:len(firsts)] == firsts
