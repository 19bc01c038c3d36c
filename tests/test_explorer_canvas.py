"""The canvas in a real headless Chromium: how clinical edges are drawn and explained, and how far a wheel notch
zooms."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kmoa.graph.model import KnowledgeGraph
from tests.test_explorer_browser import cy
from tests.test_explorer_share import open_app

pytestmark = pytest.mark.browser


def test_treats_is_not_drawn_as_an_inhibition_and_the_legend_says_so(explorer_page: Page, explorer_url: str,
                                                                     kg: KnowledgeGraph) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    styles = cy(page, "return cy.edges().map(e => [e.data('predicate') || '', e.classes().join(' '), "
                      "e.style('target-arrow-shape'), e.style('line-color')]);")
    clinical = set(kg.schema.walk.clinical)
    drawn = [s for s in styles if any(f"pred-{p}" in s[1].split() for p in clinical)]
    assert drawn, "ketamine's neighbourhood has treats / studied-to-treat edges"
    inhibiting = [s for s in styles if "effect-inhibiting" in s[1].split() and "clinical" not in s[1].split()
                  and "negative" not in s[1].split()]
    for _, classes, arrow, colour in drawn:
        if "negative" in classes.split():
            assert arrow == "circle"  # a null or negative finding keeps its own style
            continue
        assert arrow == "diamond", classes
        assert all(colour != other[3] for other in inhibiting), classes
    for _, classes, arrow, _ in inhibiting:
        assert arrow == "tee", classes
    legend = page.locator("#legend")
    expect(legend).to_contain_text("treats / studied to treat")
    expect(legend).not_to_contain_text("blocks / treats")


def test_one_wheel_notch_zooms_gently(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    before = cy(page, "return cy.zoom();")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -100)
    page.wait_for_function("(z) => document.getElementById('canvas')._cyreg.cy.zoom() !== z", arg=before)
    after = cy(page, "return cy.zoom();")
    assert 1.0 < after / before <= 1.35, (before, after)


def test_a_nodes_claim_count_list_and_download_agree(explorer_page: Page, explorer_url: str,
                                                     kg: KnowledgeGraph) -> None:
    import csv
    import io

    from kmoa.explorer import views
    from kmoa.explorer.data import prepare
    from kmoa.explorer.panels import CLAIM_LIST_LIMIT

    data = prepare(kg)
    focus = kg.resolve("ketamine", kinds=("compound",))
    claims = views.node_claim_ids(data, focus)
    assert len(claims) > CLAIM_LIST_LIMIT
    page = explorer_page
    open_app(page, explorer_url)
    panel = page.locator("#evidence-panel")
    expect(panel.locator("h3", has_text="Claims")).to_have_text(f"Claims ({len(claims)})")
    expect(panel.locator(".claim-list > li")).to_have_count(CLAIM_LIST_LIMIT)
    expect(panel).to_contain_text(f"{CLAIM_LIST_LIMIT} of {len(claims)} listed")
    with page.expect_download() as download:
        panel.get_by_role("button", name=f"Download all {len(claims)} claims (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == len(claims)
    for row in rows:
        assert focus in (row[views.CSV_COLUMNS[1]], row[views.CSV_COLUMNS[4]]), row


def test_a_one_line_sparql_syntax_error_names_line_1(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    page.click("#tab-query")
    page.fill("#query-text", "SELECT ?x WHERE { ?x ?y }")
    page.click("#query-run")
    expect(page.locator("#query-notice")).to_contain_text("line 1,", timeout=20_000)


def test_tour_steps_not_reached_are_muted_not_hidden(explorer_page: Page, explorer_url: str) -> None:
    from tests.conftest import HYP_DISINHIBITION

    page = explorer_page
    open_app(page, explorer_url, f"?tour={HYP_DISINHIBITION}&step=1")
    future = cy(page, "return cy.elements('.future').map(e => Number(e.style('opacity')));")
    assert future, "step 1 of a tour has steps not yet reached"
    current = cy(page, "return cy.elements('.current').map(e => Number(e.style('opacity')));")
    assert all(0.4 <= o < 0.75 for o in future), future
    assert all(o > max(future) for o in current), (current, future)


def test_a_clickers_page_keys_step_through_a_tour(explorer_page: Page, explorer_url: str,
                                                  kg: KnowledgeGraph) -> None:
    from tests.conftest import HYP_DISINHIBITION

    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    open_app(page, explorer_url, f"?tour={hyp.id}&step=1")
    page.locator("#canvas-title").click()
    page.keyboard.press("PageDown")
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[1].caption)
    page.keyboard.press("PageUp")
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[0].caption)
