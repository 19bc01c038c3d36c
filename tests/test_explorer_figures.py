"""Exports without a browser: the claims CSV's columns come from the claim record, figures are well-formed SVG with
their title and legend, and HTML in the data stays text in figures and handouts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import fields

import pytest

from kmoa.explorer import views
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.figure import scene_figure
from kmoa.explorer.handout import tour_handout
from kmoa.explorer.state import default_state
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim, Provenance
from tests.browser_fixtures import HOSTILE_CAPTION, HOSTILE_HYPOTHESIS, HOSTILE_NAME, HOSTILE_NODE, hostile_graph

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


def test_the_csv_columns_are_every_field_of_the_claim_record(data: ExplorerData) -> None:
    record = {f.name for f in fields(Claim) if f.compare} - {"id", "provenance"} | {f.name for f in fields(Provenance)}
    assert record <= set(views.CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(views.claims_csv(data, sorted(data.kg.claims)))))
    assert len(rows) == len(data.kg.claims)
    for row in rows:
        claim = data.kg.claims[row["claim"]]
        assert (row["route"], row["dose"], row["timing"]) == (claim.route or "", claim.dose or "",
                                                              claim.timing or ""), claim.id


def test_a_figure_is_svg_with_the_views_title_its_kinds_in_the_legend_and_every_node(data: ExplorerData) -> None:
    state = default_state(data.kg)
    scene = views.scene_for(data, state)
    root = ET.fromstring(scene_figure(data, scene))
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    title = " ".join("".join(t.itertext()) for g in root.iter(f"{SVG}g") if g.get("class") == "title"
                     for t in g.iter(f"{SVG}tspan"))
    assert title == scene.subgraph.title
    for kind in views.kinds_shown(data, scene.subgraph):
        assert data.kg.schema.node_kinds[kind].label in texts
    assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "node") == len(scene.subgraph.nodes)


def test_html_in_the_data_stays_text_in_figures_and_handouts(kg: KnowledgeGraph) -> None:
    data = prepare(hostile_graph(kg))
    scene = views.scene_for(data, {**default_state(data.kg), "focus": HOSTILE_NODE})
    svg = scene_figure(data, scene)
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "img", "foreignObject")]
    assert any(HOSTILE_NAME[:20] in "".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    handout = tour_handout(data, HOSTILE_HYPOTHESIS)
    assert "<script" not in handout and "<img" not in handout
    assert HOSTILE_CAPTION.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in handout


def test_png_and_svg_are_offered_only_while_the_canvas_draws_something(data: ExplorerData) -> None:
    from kmoa.explorer import callbacks
    from kmoa.explorer.state import decode

    kg = data.kg
    explore = callbacks.render(data, default_state(kg))
    assert explore["png_disabled"] is False and explore["svg_disabled"] is False
    assert callbacks.figure_export(data, default_state(kg), "svg") is not None
    for link in ("view=compare", "view=evidence&compound=arketamine&indication=post-traumatic stress disorder"):
        state = decode(link, kg)
        drawn = callbacks.render(data, state)
        assert drawn["png_disabled"] and drawn["svg_disabled"], link
        assert callbacks.figure_export(data, state, "png") is None, link
    # The evidence view exports its chart (the figure `kmoa plot evidence` writes).
    state = decode("view=evidence&compound=ketamine&indication=treatment-resistant depression", kg)
    drawn = callbacks.render(data, state)
    assert drawn["png_disabled"] is False and drawn["svg_disabled"] is False
    figure = callbacks.figure_export(data, state, "svg")
    assert figure is not None and "Clinical evidence: ketamine in treatment-resistant depression" in figure["svg"]
