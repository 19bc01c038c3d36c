"""Presentation mode and the page layout in a real headless Chromium: from a projector at 1024×768 and
1920×1080 labels are at least 18 px on screen and the caption and quote are in large type; the canvas keeps its
room from 1024 px wide up, and below that the page stacks."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.explorer import state as st
from kmoa.explorer import views
from kmoa.explorer.data import prepare
from kmoa.graph.model import KnowledgeGraph
from tests.conftest import HYP_DISINHIBITION, KETAMINE, TRD
from tests.test_explorer_browser import cy
from tests.test_explorer_share import SLOW, open_app

pytestmark = pytest.mark.browser
MIN_LABEL_PX = 18


def labels_on_screen(page: Page) -> list[float]:
    """Rendered height of every drawn node label: its font size times the canvas zoom, in CSS pixels."""
    return [float(px) for px in cy(page, "return cy.nodes().filter(n => n.style('label')).map(n => "
                                         "parseFloat(n.style('font-size')) * cy.zoom());")]


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not drawn"
    return dict(found)


def font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def assert_presenting(page: Page, width: int, height: int) -> None:
    """Panels hidden, the canvas the full width, every node inside it, labels large, caption and quote readable."""
    expect(page.locator("html")).to_have_class("presenting")
    for hidden in (".sidebar", ".evidence", ".topbar"):
        expect(page.locator(hidden)).to_be_hidden()
    canvas = box(page, "#canvas")
    assert canvas["width"] >= width - 2 and canvas["height"] >= height * 0.4, canvas
    page.wait_for_function(f"() => {{ const cy = document.getElementById('canvas')._cyreg.cy; return cy.nodes()"
                           f".every(n => parseFloat(n.style('font-size')) * cy.zoom() >= {MIN_LABEL_PX}); }}")
    sizes = labels_on_screen(page)
    assert sizes and min(sizes) >= MIN_LABEL_PX, sizes
    # Fitted: every node is drawn inside the canvas.
    outside = cy(page, "const w = cy.width(), h = cy.height(); return cy.nodes().filter(n => { "
                       "const b = n.renderedBoundingBox({includeLabels: false}); "
                       "return b.x1 < 0 || b.y1 < 0 || b.x2 > w || b.y2 > h; }).map(n => n.id());")
    assert not outside, outside
    for selector, at_least in (("#slide-caption", 26), ("#slide-quote", 20)):
        expect(page.locator(selector)).to_be_in_viewport(ratio=1)
        assert font_px(page, selector) >= at_least, selector


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1920, 1080)])
def test_presenting_a_tour_from_a_projector(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph,
                                            width: int, height: int) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, explorer_url, f"?tour={hyp.id}&step=1")
    before = labels_on_screen(page)
    present = page.get_by_role("button", name="Present")
    expect(present).to_have_attribute("aria-pressed", "false")
    present.click()
    expect(page.get_by_role("button", name="Leave presentation")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => document.fullscreenElement === document.documentElement")  # the whole screen
    assert_presenting(page, width, height)
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[0].caption, timeout=SLOW)
    expect(page.locator("#slide-quote")).to_contain_text(kg.claims[hyp.steps[0].claim].provenance.quote, timeout=SLOW)
    # The arrow keys and a clicker's Page Down / Page Up step through; labels stay large at every step.
    page.keyboard.press("ArrowRight")
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[1].caption, timeout=SLOW)
    page.keyboard.press("PageDown")
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[2].caption, timeout=SLOW)
    assert_presenting(page, width, height)
    page.keyboard.press("PageUp")
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[1].caption, timeout=SLOW)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[0].caption, timeout=SLOW)
    # Escape leaves: panels back, labels back to their normal size.
    page.keyboard.press("Escape")
    expect(page.locator("html")).not_to_have_class("presenting")
    page.wait_for_function("() => !document.fullscreenElement")
    expect(page.locator(".sidebar")).to_be_visible()
    expect(page.locator(".evidence")).to_be_visible()
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[0].caption, timeout=SLOW)
    # The canvas is refitted and its labels restored a frame or two after the panels come back.
    page.wait_for_function("(most) => { const cy = document.getElementById('canvas')._cyreg.cy; return cy.nodes()"
                           ".every(n => parseFloat(n.style('font-size')) * cy.zoom() <= most); }",
                           arg=max(before) * 1.5)


def test_presenting_a_path_steps_through_its_claims(explorer_page: Page, explorer_url: str,
                                                    kg: KnowledgeGraph) -> None:
    data = prepare(kg)
    scene = views.scene_for(data, st.trace(st.default_state(kg), KETAMINE, TRD))
    path = scene.paths[0]
    page = explorer_page
    page.set_viewport_size({"width": 1280, "height": 800})
    open_app(page, explorer_url, f"?view=paths&source={KETAMINE}&target={TRD}")
    page.locator("#canvas-title").click()
    page.keyboard.press("p")  # the key does what the button does
    expect(page.locator("#slide-caption")).to_have_text(" → ".join(data.node_name(n) for n in path.nodes), timeout=SLOW)
    for i, step in enumerate(path.steps):
        page.keyboard.press("ArrowRight")
        expect(page.locator(".slide-counter")).to_contain_text(f"step {i + 1} of {len(path.steps)}", timeout=SLOW)
        expect(page.locator("#slide-caption")).to_have_text(
            f"{data.node_name(step.source)} — {step.label} → {data.node_name(step.target)}", timeout=SLOW)
        claim = kg.claims[step.claim_id]
        expect(page.locator("#slide-quote")).to_contain_text(claim.provenance.quote, timeout=SLOW)
        page.wait_for_function("(claim) => document.getElementById('canvas')._cyreg.cy.edges(':selected')"
                               ".map(e => e.data('claim')).join() === claim", arg=step.claim_id)
    assert_presenting(page, 1280, 800)
    expect(page.locator("#slide-next")).to_be_disabled()
    page.keyboard.press("p")
    expect(page.locator("html")).not_to_have_class("presenting")
    expect(page.locator(".sidebar")).to_be_visible()


LABEL_BOXES = """const w = cy.width(), h = cy.height();
    return cy.elements().filter(e => e.visible() && e.style('label') && parseFloat(e.style('text-opacity')) > 0)
      .map(e => {
        const b = e.renderedBoundingBox({includeNodes: false, includeEdges: false, includeLabels: true});
        return {id: e.id(), x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, w: w, h: h};
    }).filter(b => b.x2 > b.x1 && b.y2 > b.y1);"""
OVERLAPS = ("(() => { const cy = document.getElementById('canvas')._cyreg.cy; const boxes = (() => { "
            + LABEL_BOXES + """ })();
    const out = [];
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
        if (a.x1 < b.x2 - 1 && b.x1 < a.x2 - 1 && a.y1 < b.y2 - 1 && b.y1 < a.y2 - 1) { out.push([a.id, b.id]); }
    }));
    return out; })()""")


def label_overlaps(page: Page) -> list[list[str]]:
    """Pairs of drawn labels (nodes' and edges') whose boxes on screen overlap."""
    return list(page.evaluate(f"() => {OVERLAPS}"))


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1920, 1080)])
def test_presenting_every_tour_no_labels_overlap(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph,
                                                 width: int, height: int) -> None:
    page = explorer_page
    page.set_viewport_size({"width": width, "height": height})
    for hyp in sorted(kg.hypotheses.values(), key=lambda h: -len(h.steps)):
        step = min(2, len(hyp.steps))
        open_app(page, explorer_url, f"?tour={hyp.id}&step={step}")
        page.get_by_role("button", name="Present").click()
        expect(page.locator("#slide-caption")).to_have_text(hyp.steps[step - 1].caption, timeout=SLOW)
        # What the audience sees once the canvas has settled: large labels, none over another, all on screen.
        page.wait_for_function(f"() => {{ const cy = document.getElementById('canvas')._cyreg.cy; "
                               f"const w = cy.width(), h = cy.height(); "
                               f"return cy.nodes().every(n => parseFloat(n.style('font-size')) * cy.zoom() >= "
                               f"{MIN_LABEL_PX} && (b => b.x1 >= 0 && b.y1 >= 0 && b.x2 <= w && b.y2 <= h)("
                               f"n.renderedBoundingBox({{includeLabels: true}}))) && {OVERLAPS}.length === 0; }}",
                               timeout=SLOW)
        assert_presenting(page, width, height)
        assert not label_overlaps(page), hyp.id
        boxes = cy(page, LABEL_BOXES)
        assert len(boxes) >= len(cy(page, "return cy.nodes().map(n => n.id());")), hyp.id
        off_screen = [b["id"] for b in boxes if b["x1"] < 0 or b["y1"] < 0 or b["x2"] > b["w"] or b["y2"] > b["h"]]
        assert not off_screen, (hyp.id, off_screen)


def layout_boxes(page: Page) -> dict[str, Any]:
    return {name: box(page, selector) for name, selector in
            (("canvas", "#canvas"), ("sidebar", ".sidebar"), ("panel", ".evidence"))}


def test_at_1024_wide_the_canvas_keeps_its_room_beside_both_panels(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    page.set_viewport_size({"width": 1024, "height": 768})
    open_app(page, explorer_url, f"?tour={HYP_DISINHIBITION}&step=1")
    boxes = layout_boxes(page)
    canvas = boxes["canvas"]
    assert canvas["width"] >= 400 and canvas["height"] >= 300, canvas
    assert boxes["sidebar"]["x"] + boxes["sidebar"]["width"] <= canvas["x"] + 1
    assert canvas["x"] + canvas["width"] <= boxes["panel"]["x"] + 1
    assert boxes["panel"]["x"] + boxes["panel"]["width"] <= 1024 + 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1024


@pytest.mark.parametrize("width", [1024, 1280, 1600])
def test_every_tab_label_is_whole_inside_the_sidebar(explorer_page: Page, explorer_url: str, width: int) -> None:
    """At 1024 px the tabs' default padding cut "Query" to "Qu" and pushed it past the sidebar."""
    page = explorer_page
    page.set_viewport_size({"width": width, "height": 800})
    open_app(page, explorer_url)
    sidebar = box(page, ".sidebar")
    tabs = page.locator("[role=tab]").evaluate_all(
        "tabs => tabs.map(t => { const r = t.getBoundingClientRect();"
        " return {label: t.innerText.trim(), left: r.left, right: r.right, cut: t.scrollWidth > t.clientWidth}; })")
    assert [t["label"] for t in tabs] == ["Explore", "Paths", "Tours", "Evidence", "Query"]
    for tab in tabs:
        assert not tab["cut"], (width, tab)
        assert sidebar["x"] - 1 <= tab["left"] and tab["right"] <= sidebar["x"] + sidebar["width"] + 1, (width, tab)


def test_below_1024_wide_the_page_stacks_under_a_full_width_canvas(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    page.set_viewport_size({"width": 800, "height": 900})
    open_app(page, explorer_url)
    boxes = layout_boxes(page)
    canvas = boxes["canvas"]
    assert canvas["width"] >= 760 and canvas["height"] >= 360, canvas
    assert boxes["sidebar"]["y"] >= canvas["y"] + canvas["height"]
    assert boxes["panel"]["y"] >= boxes["sidebar"]["y"] + boxes["sidebar"]["height"] - 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 800
    expect(page.locator("#tab-paths")).to_be_visible()
