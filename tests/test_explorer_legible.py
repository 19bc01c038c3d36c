"""A readable canvas in a real headless Chromium: a neighbourhood stays within its cap and legible after
expansions, "Show more" draws more, parallel claims are one edge, hovering names nodes and edges, Fit fits,
and negated and clinical edges have their own style explained in the legend."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.explorer import views
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.state import MORE_STEP
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.rows import edge_reading
from tests.test_explorer_browser import CY, cy
from tests.test_explorer_share import open_app as open_page

pytestmark = pytest.mark.browser
MIN_LABEL_PX = 10  # a node label drawn smaller than this is not legible at a normal viewing distance
# Whether every element is inside the visible part of the canvas (the body of a function of ``cy``).
INSIDE = ("const e = cy.extent(), b = cy.elements().boundingBox();"
          "return b.x1 >= e.x1 && b.x2 <= e.x2 && b.y1 >= e.y1 && b.y2 <= e.y2;")


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


def open_app(page: Page, url: str, query: str = "") -> None:
    """Open the explorer: the page is drawn for its address, and a tap as soon as it is drawn counts
    (tests/test_explorer_quick_clicks.py)."""
    open_page(page, url, query)


def ketamine(kg: KnowledgeGraph) -> str:
    return kg.resolve("ketamine", kinds=("compound",))


def busiest_pair(data: ExplorerData, focus: str) -> list[str]:
    """Two neighbours of the focus whose expansion would add the most nodes (the hairball case)."""
    first = views.neighbourhood(data, focus).nodes[1:]
    degree = {n: len(views.node_claim_ids(data, n)) for n in first}
    return sorted(first, key=lambda n: -degree[n])[:2]


def drawn(page: Page) -> dict[str, Any]:
    """Node and edge counts, rendered label sizes (px) and how many node labels overlap another."""
    return cy(page, """
        const nodes = cy.nodes();
        const boxes = nodes.map(n => n.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true}));
        let overlaps = 0;
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) { overlaps++; }
          }
        }
        return {nodes: nodes.length, edges: cy.edges().length, overlaps: overlaps,
                label_px: nodes.map(n => parseFloat(n.style('font-size')) * cy.zoom()),
                pairs: cy.edges().map(e => [e.source().id(), e.target().id()].sort().join(' '))};""")


def tap(page: Page, element: str) -> None:
    cy(page, "cy.getElementById(arg).emit('tap');", element)


def test_two_expansions_from_ketamine_stay_within_the_cap_and_legible(explorer_page: Page, explorer_url: str,
                                                                      data: ExplorerData) -> None:
    page = explorer_page
    focus = ketamine(data.kg)
    first, second = busiest_pair(data, focus)
    expected = views.neighbourhood(data, focus, [first, second])
    assert expected.hidden, "the two expansions have more neighbours than the cap draws"
    open_app(page, explorer_url)
    tap(page, first)
    page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(views.neighbourhood(
        data, focus, [first]).nodes))
    tap(page, second)
    page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(expected.nodes))
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_function(f"() => {{ const cy = {CY}; {INSIDE} }}")  # the fit has brought every node into view
    page.wait_for_function(f"() => !{CY}.animated()")  # and has finished animating
    shown = drawn(page)
    assert shown["nodes"] <= views.DRAWN_LIMIT
    assert len(shown["pairs"]) == len(set(shown["pairs"])), "two drawn edges join the same two nodes"
    assert min(shown["label_px"]) >= MIN_LABEL_PX, sorted(shown["label_px"])[:3]
    assert shown["overlaps"] == 0
    expect(page.locator("#canvas-title")).to_contain_text(f"{expected.hidden} more neighbours not shown")
    expect(page.locator("#show-more")).to_have_text(f"Show {MORE_STEP} more ({expected.hidden} not shown)")


def test_show_more_draws_more_neighbours(explorer_page: Page, explorer_url: str, data: ExplorerData) -> None:
    page = explorer_page
    focus = ketamine(data.kg)
    before = views.neighbourhood(data, focus)
    after = views.neighbourhood(data, focus, more=MORE_STEP)
    assert set(before.nodes) < set(after.nodes)
    open_app(page, explorer_url)
    assert drawn(page)["nodes"] == len(before.nodes)
    page.get_by_role("button", name=f"Show {MORE_STEP} more").click()
    page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(after.nodes))
    assert set(cy(page, "return cy.nodes().map(n => n.id());")) == set(after.nodes)
    expect(page.locator("#show-more")).to_contain_text(f"({after.hidden} not shown)")
    page.wait_for_url(f"**more={MORE_STEP}**")


def test_fit_brings_the_whole_graph_back_into_view(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    cy(page, "cy.zoom({level: 3, renderedPosition: {x: 0, y: 0}});")
    assert not cy(page, INSIDE)
    page.locator("#canvas-fit").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {{ const cy = {CY}; {INSIDE} }}")


def test_hovering_a_node_or_an_edge_shows_what_it_is(explorer_page: Page, explorer_url: str,
                                                     data: ExplorerData) -> None:
    page = explorer_page
    kg = data.kg
    open_app(page, explorer_url)
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    tip = page.locator("#canvas-tooltip")
    expect(tip).to_be_hidden()
    focus = ketamine(kg)
    at = cy(page, "return cy.getElementById(arg).renderedPosition();", focus)
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(kg.nodes[focus].name)
    expect(tip).to_contain_text(kg.schema.node_kinds["compound"].label)
    expect(tip).to_contain_text(f"{len(views.node_claim_ids(data, focus))} claims")
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] - 2)
    expect(tip).to_be_hidden()
    # The longest edge, hovered at its midpoint: its label appears and the tooltip gives its evidence.
    edge, mid, claim = cy(page, """
        const length = e => Math.hypot(e.source().renderedPosition().x - e.target().renderedPosition().x,
                                       e.source().renderedPosition().y - e.target().renderedPosition().y);
        const e = cy.edges().max(length).ele;
        return [e.id(), e.renderedMidpoint(), e.data('claim')];""")
    assert cy(page, "return cy.getElementById(arg).style('label');", edge) == ""
    page.mouse.move(box["x"] + mid["x"], box["y"] + mid["y"])
    expect(tip).to_be_visible()
    attrs = data.edge_rows[claim]
    expect(tip).to_contain_text(kg.schema.evidence_types[attrs["evidence_type"]].label)
    expect(tip).to_contain_text(f"section {attrs['review_section']}")
    label = cy(page, "return cy.getElementById(arg).style('label');", edge)
    no_effect = edge_reading(kg.schema, attrs)[1]
    assert kg.schema.predicates[attrs["kmoa_predicate"]].label_for(no_effect) in label


def test_parallel_claims_are_one_edge_with_a_count_and_a_click_lists_them(explorer_page: Page, explorer_url: str,
                                                                          data: ExplorerData) -> None:
    page = explorer_page
    kg = data.kg
    sub = views.neighbourhood(data, ketamine(kg))
    group = max(sub.edges, key=lambda e: len(e.claims))
    assert len(group.claims) > 1
    open_app(page, explorer_url)
    assert len(drawn(page)["pairs"]) == len(sub.edges)
    label = cy(page, "return cy.getElementById(arg).data('label');", group.id)
    assert f"×{len(group.claims)}" in label or f"+{len(group.claims) - 1} more" in label
    tap(page, group.id)
    panel = page.locator("#evidence-panel")
    expect(panel.locator("h3", has_text="Other claims between these nodes")).to_have_text(
        f"Other claims between these nodes ({len(group.claims) - 1})")
    expect(panel.locator("h3:has-text('Other claims') + ul > li")).to_have_count(len(group.claims) - 1)


def test_negated_and_clinical_edges_have_their_own_style_in_the_legend(explorer_page: Page, explorer_url: str,
                                                                       data: ExplorerData) -> None:
    page = explorer_page
    kg = data.kg
    focus = ketamine(kg)
    open_app(page, explorer_url)
    styles = cy(page, "return cy.edges().map(e => [e.classes().join(' '), e.style('target-arrow-shape'), "
                      "e.style('line-color'), e.style('line-style')]);")
    negated = [s for s in styles if "negative" in s[0].split()]
    others = [s for s in styles if "negative" not in s[0].split()]
    assert negated, f"{kg.nodes[focus].name}'s neighbourhood has a negated claim"
    for _, arrow, colour, line in negated:
        assert arrow == "circle" and line == "dashed"
        assert all((arrow, colour) != (o[1], o[2]) for o in others)
    legend = page.locator("#legend")
    expect(legend).to_contain_text("NOT so: the review negates it")
    expect(legend).to_contain_text("treats / studied to treat")
