"""Defects of the explorer found by trying it, each reproduced in a real headless Chromium: a failed query after a
result leaves no stale canvas, and the compare view's tour picker names no hypothesis it is not showing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kmoa.graph.model import KnowledgeGraph
from tests.conftest import HYP_DISINHIBITION
from tests.test_explorer_browser import CY
from tests.test_explorer_legible import open_app
from tests.test_explorer_share import SLOW

pytestmark = pytest.mark.browser


def test_a_failed_query_after_a_result_clears_the_canvas_and_title(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    page.click("#tab-query")
    page.fill("#query-text", "SELECT ?node WHERE { ?node a kmoa:Compound } LIMIT 2")
    page.click("#query-run")
    expect(page.locator("#canvas-title")).to_have_text("2 nodes matched by the query", timeout=SLOW)
    page.fill("#query-text", "SELECT ?node WHERE { ?node a kmoa:Compound ")  # a syntax error, not a refusal
    page.click("#query-run")
    expect(page.locator("#query-notice")).to_contain_text("line 1", timeout=SLOW)
    expect(page.locator("#canvas-title")).to_contain_text("refused or failed", timeout=SLOW)
    page.wait_for_function(f"() => {CY}.nodes().length === 0")


def test_the_compare_view_leaves_the_tour_picker_empty(explorer_page: Page, explorer_url: str,
                                                       kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    open_app(page, explorer_url, f"?tour={hyp.id}&step=2")
    expect(page.locator("#tour-select")).to_contain_text(hyp.name)
    page.click("#compare-open")
    expect(page.locator("#compare-view")).to_be_visible(timeout=SLOW)
    expect(page.locator("#tour-select")).not_to_contain_text(hyp.name)
    expect(page.locator("#tour-panel")).to_contain_text("Choose a hypothesis")
