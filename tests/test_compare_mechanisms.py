"""Compare mechanisms: one answer (graph.compare) for `kmoa compare` and the explorer, the shipped DrugMechDB
paths, the lanes aligned at the indication, the URL, and the contrast tour. No browser.

Expectations are computed from the curated data, the shipped excerpt and the DrugMechDB fixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.explorer import callbacks, ids, mechanism_panels, panels
from kmoa.explorer import state as st
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.mechanisms import compare_for, lanes, load_public, stop_order
from kmoa.graph.compare import (
    DRUGMECHDB_CITATION,
    Comparison,
    bundled_drugmechdb,
    compare_mechanisms,
    contrast_tours,
)
from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.drugmechdb import edge_rows, mechanisms, read_as_imported, read_drugmechdb

FIXTURE = Path(__file__).parent / "fixtures" / "drugmechdb" / "indication_paths_excerpt.yaml"
SHIPPED = Path(str(bundled_drugmechdb()))


def texts(component: Any) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for child in component for t in texts(child)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


@pytest.fixture(scope="module")
def mdd(kg: KnowledgeGraph) -> str:
    return kg.resolve("major depressive disorder")


@pytest.fixture(scope="module")
def answer(kg: KnowledgeGraph, data: ExplorerData, mdd: str) -> Comparison:
    result = compare_for(kg, data.public, "ketamine", "duloxetine", mdd)
    assert isinstance(result, Comparison), result
    return result


def test_the_shipped_excerpt_is_a_separate_cited_source_without_defects(kg: KnowledgeGraph) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert "MIT License" in text and "https://doi.org/10.5281/zenodo.7868996" in text
    db = read_drugmechdb(SHIPPED)
    assert db.defects == [] and db.paths
    mdd = kg.nodes[kg.resolve("major depressive disorder")]
    assert {p.disease_id for p in db.paths} <= {mdd.id, *mdd.xref}
    assert {p.drug for p in db.paths} == {"duloxetine", "venlafaxine"}
    # Nothing of it is a claim of the review.
    assert not {p.id for p in db.paths} & set(kg.claims)
    # The same entries, with the same path ids, as in the fixture excerpt of the same release.
    fixture = {p.id: (p.drug, [(link["source"], link["key"], link["target"]) for link in p.links])
               for p in read_drugmechdb(FIXTURE).paths}
    for path in db.paths:
        if path.id in fixture:
            assert fixture[path.id] == (path.drug, [(k["source"], k["key"], k["target"]) for k in path.links])


def test_the_explorer_and_the_cli_give_the_same_answer(kg: KnowledgeGraph, answer: Comparison, mdd: str) -> None:
    """Every step the CLI prints, with its source, is in the explorer's view, in the same order per lane."""
    result = CliRunner().invoke(main, ["compare", "ketamine", "duloxetine", "--to", "major depressive disorder"])
    assert result.exit_code == 0, result.output
    shown = texts(mechanism_panels.mechanism_view(answer))
    words = " ".join(shown)
    direct = compare_mechanisms(kg, "ketamine", "duloxetine", mdd, public=lambda c, d: mechanisms(
        read_drugmechdb(SHIPPED), c, d))
    assert [[m.steps for m in s.mechanisms] for s in direct.sides] == \
        [[m.steps for m in s.mechanisms] for s in answer.sides]
    for side in answer.sides:
        assert side.mechanisms
        for mech in side.mechanisms:
            assert mech.title in words  # (the CLI cuts long titles to its column)
            for n, step in enumerate(mech.steps, start=1):
                assert f"[{n}] {step.source}: {step.reference}" in result.output
                assert f"{step.label} [{n}]" in shown
                if step.claim is not None:
                    assert f"“{kg.claims[step.claim].provenance.quote}”" in shown
                else:
                    assert f"Path: {mech.path}" in words and f"Line: {step.line} of {SHIPPED.name}" in words
    assert DRUGMECHDB_CITATION in words
    for fact in answer.sides[0].clinical:
        assert fact in shown


def test_lanes_end_at_the_shared_indication(answer: Comparison, mdd: str) -> None:
    drawn = lanes(answer)
    assert len(drawn) == sum(len(s.mechanisms) for s in answer.sides)
    assert {lane.compound for lane in drawn} == {"ketamine", "duloxetine"}
    for lane in drawn:
        assert lane.reaches_end
        assert lane.items[-1] == ("step", len(lane.mechanism.steps) - 1)  # the indication is drawn once, below
    assert answer.target == mdd
    view = mechanism_panels.mechanism_view(answer)
    ends = [c for c in view._traverse() if getattr(c, "id", None) == "mechanism-end"]
    assert len(ends) == 1 and texts(ends[0]) == [answer.target_name]


def test_a_compound_nobody_knows_is_explained(kg: KnowledgeGraph, data: ExplorerData, mdd: str) -> None:
    why = compare_for(kg, data.public, "ketamine", "gepirone", mdd)
    assert isinstance(why, str) and "gepirone" in why
    assert "gepirone" in " ".join(texts(mechanism_panels.mechanism_view(why)))


def test_the_url_reopens_the_comparison(kg: KnowledgeGraph, data: ExplorerData, mdd: str) -> None:
    public = data.public
    assert public is not None
    state = st.decode("?source=ketamine&other=Duloxetine&target=major depressive disorder", kg, None, public)
    assert (state["view"], state["source"], state["other"], state["target"]) == \
        ("mechanisms", kg.resolve("ketamine"), public.resolve("duloxetine"), mdd)
    assert state["notices"] == []
    again = st.decode(st.encode(state), kg, None, public)
    assert {k: again[k] for k in ("view", "source", "other", "target")} == \
        {k: state[k] for k in ("view", "source", "other", "target")}
    bad = st.decode("?view=mechanisms&source=ketamine&other=aspirin&target=MDD", kg, None, public)
    assert bad["view"] == "explore" and [n["param"] for n in bad["notices"]] == ["other"]
    # Esketamine is a compound of the review: compared by the review's own mechanisms.
    esk = st.decode("?source=ketamine&other=esketamine&target=MDD", kg, None, public)
    assert esk["other"] == kg.resolve("esketamine") and esk["view"] == "mechanisms"


def test_the_compare_button_opens_the_view_and_writes_the_url(data: ExplorerData, mdd: str) -> None:
    kg = data.kg
    start = st.default_state(kg)
    out = callbacks.route(data, ids.COMPARE_RUN, 1, {"source": kg.resolve("ketamine"), "target": mdd,
                                                     "other": "MESH:D000068736"}, start)
    state = out["state"]
    assert state["view"] == "mechanisms" and out["tab"] == "paths"
    assert st.decode(out["url"], kg, None, data.public)["other"] == "MESH:D000068736"
    drawn = callbacks.render(data, state)
    assert drawn["canvas_style"] == {"display": "none"} and drawn["compare_style"] == {}
    assert "duloxetine" in " ".join(texts(drawn["compare"]))
    assert drawn["legend"] == []  # the canvas' legend is not shown beside the lanes


def test_the_contrast_tour_walks_the_review_then_drugmechdb(kg: KnowledgeGraph, data: ExplorerData) -> None:
    public = data.public
    assert public is not None
    for tour in contrast_tours().values():
        prepared = public.tours[tour.id]
        stops = prepared.stops
        hyp = kg.hypotheses[tour.hypothesis]
        review = [s for s in stops if s.lane == 0]
        drugmechdb = [s for s in stops if s.lane == 1]
        assert stops[0].step.claim == tour.opening.claim and stops[-1].step.claim == tour.closing.claim
        assert [s.step.claim for s in review] == [s.claim for s in hyp.steps[:len(review)]]
        assert [s.caption for s in review] == [s.caption for s in hyp.steps[:len(review)]]
        ends = {tour.target, *kg.nodes[tour.target].xref}
        assert review[-1].step.object_id in ends and drugmechdb[-1].step.object_id in ends
        path = next(p for p in read_drugmechdb(SHIPPED).paths if p.id == tour.public_path)
        assert len(drugmechdb) == len(path.links) and all(s.step.claim is None for s in drugmechdb)
        assert stop_order(prepared)[(1, 0)] == 1 + len(review)
        for position, stop in enumerate(stops):
            words = " ".join(texts(mechanism_panels.contrast_tour_panel(prepared, position)))
            assert stop.caption in words
            if stop.step.claim is None:
                assert "From DrugMechDB" in words and "MIT" in words and DRUGMECHDB_CITATION in words
                assert path.id in words and f"{stop.step.line} of {SHIPPED.name}" in words
            else:
                assert "From the review" in words and kg.claims[stop.step.claim].provenance.quote in words


def test_the_contrast_tour_is_offered_linked_and_stepped(data: ExplorerData) -> None:
    kg = data.kg
    public = data.public
    assert public is not None
    tour_id, prepared = next(iter(public.tours.items()))
    total = len(prepared.stops)
    opened = callbacks.route(data, ids.TOUR, tour_id, {}, st.default_state(kg))["state"]
    assert (opened["view"], opened["tour"], opened["step"]) == ("tour", tour_id, 0)
    later = callbacks.route(data, {"type": ids.TOUR_GO, "index": f"{tour_id}#{total}"}, 1, {}, opened)["state"]
    assert later["step"] == total - 1
    again = st.decode(st.encode(later), kg, None, public)
    assert (again["view"], again["tour"], again["step"]) == ("tour", tour_id, total - 1)
    drawn = callbacks.render(data, later)
    assert drawn["next_disabled"] and not drawn["prev_disabled"]
    assert drawn["compare_style"] == {} and prepared.tour.name in drawn["title"]
    previous = callbacks.route(data, ids.TOUR_PREV, 1, {}, later)["state"]
    assert previous["step"] == total - 2
    # Without public paths (or in a graph without the hypothesis) the id is not a tour.
    assert st.decode(f"?tour={tour_id}", kg)["view"] == "explore"


def test_tours_need_their_claims(tiny: KnowledgeGraph) -> None:
    assert load_public(tiny).tours == {}


def test_a_drugmechdb_file_as_the_import(kg: KnowledgeGraph) -> None:
    """`kmoa explore --import FILE.yaml`: the tracer reaches DrugMechDB nodes, the compare view uses the file."""
    db = read_drugmechdb(FIXTURE)
    merged = prepare(kg, imported=read_as_imported(db, kg), drugmechdb=db)
    assert merged.public is not None and merged.public.resolve("gepirone")
    target = "MESH:D065631"  # allergic rhinitis: only DrugMechDB knows it
    assert target not in kg.nodes and merged.has_node(target)
    from kmoa.explorer import views

    answer = views.answer_for(merged, kg.resolve("ketamine"), target)
    assert answer.paths
    first = answer.paths[0].path
    assert first.nodes[-1] == target and any(s.claim_id in kg.claims for s in first.steps)
    step = next(s for s in first.steps if s.claim_id not in kg.claims)
    info = views.evidence_panel_data(merged, f"claim:{step.claim_id}")
    assert info is not None and info["drugmechdb"] is not None
    edge = next(e for e in edge_rows(db) if e["id"].split("#")[0] == info["drugmechdb"]["path"]
                and e["source_line"] == info["drugmechdb"]["line"])
    assert (edge["subject"], edge["object"]) == (step.source, step.target)
    words = " ".join(texts(panels.evidence_panel(info)))
    assert f"{FIXTURE.name}, line {edge['source_line']}" in words and edge["drugmechdb_path"] in words
    mdd = kg.resolve("major depressive disorder")
    result = compare_for(kg, merged.public, "ketamine", "gepirone", mdd)
    assert isinstance(result, Comparison) and result.sides[1].mechanisms[0].file == FIXTURE.name


def test_a_converted_drugmechdb_folder_as_the_import_names_each_edges_path(kg: KnowledgeGraph,
                                                                           tmp_path: Path) -> None:
    """`kmoa explore --import DIR` (made by `kmoa import drugmechdb --out`): a step's panel names its path."""
    from kmoa.explorer import views
    from kmoa.loaders.formats.kgx_import import read_kgx

    out = tmp_path / "kgx"
    assert CliRunner().invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(out)]).exit_code == 0
    merged = prepare(kg, imported=read_kgx(out, kg))
    target = "MESH:D065631"
    first = views.answer_for(merged, kg.resolve("ketamine"), target).paths[0].path
    step = next(s for s in first.steps if s.claim_id not in kg.claims)
    info = views.evidence_panel_data(merged, f"claim:{step.claim_id}")
    assert info is not None and info["drugmechdb"] is not None
    edge = next(e for e in edge_rows(read_drugmechdb(FIXTURE)) if e["drugmechdb_path"] == info["drugmechdb"]["path"]
                and e["source_line"] == info["drugmechdb"]["line"])
    assert (edge["subject"], edge["object"]) == (step.source, step.target)
    words = " ".join(texts(panels.evidence_panel(info)))
    assert edge["drugmechdb_path"] in words and f"line {edge['source_line']}" in words
    assert edge["drugmechdb_drug"] in words


def test_the_compare_view_exports_every_step_with_its_source(data: ExplorerData, answer: Comparison) -> None:
    import csv
    import io
    import json

    state = st.decode("?source=ketamine&other=duloxetine&target=MDD", data.kg, None, data.public)
    table = list(csv.DictReader(io.StringIO(callbacks.export_data(data, state, "csv")["content"])))
    steps = [(side.name, n, step) for side in answer.sides for m in side.mechanisms
             for n, step in enumerate(m.steps, start=1)]
    assert [(r["compound"], int(r["step"]), r["label"]) for r in table] == [(c, n, s.label) for c, n, s in steps]
    for row, (_, _, step) in zip(table, steps, strict=True):
        assert row["text"] == step.text and row["claim"] == (step.claim or "")
        if step.claim is None:
            assert row["drugmechdb_path"] and int(row["line"]) == step.line and row["file"] == SHIPPED.name
    payload = json.loads(callbacks.export_data(data, state, "json")["content"])
    assert payload["indication"] == answer.target and len(payload["steps"]) == len(steps)
    assert payload["drugmechdb"]["citation"] == DRUGMECHDB_CITATION
