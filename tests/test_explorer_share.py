"""Sharing in a real headless Chromium: *Link* copies the address bar, a fresh browser reopens exactly that view,
and a link with unknown or malformed parameters says so visibly and drops them from the address."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.path_answers import answer_paths
from kmoa.graph.paths import PathFilters
from tests.browser_fixtures import settled
from tests.conftest import HYP_DISINHIBITION
from tests.test_explorer_browser import choose, cy
from tests.test_explorer_browser import open_app as open_page

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: the compare view and path tracing take seconds on a busy machine


def open_app(page: Page, url: str, query: str = "") -> None:
    """Open the explorer and wait until its first callbacks have answered."""
    open_page(page, url, query)
    page.wait_for_load_state("networkidle")


def copy_link(page: Page) -> str:
    """Click *Link* and read what it put on the clipboard."""
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator("#share-status")).to_contain_text("Link copied")
    return str(page.evaluate("() => navigator.clipboard.readText()"))


# What a reader sees of a view: tab, titles, canvas nodes and classes, panel, tour, paths, compare view, query.
SNAPSHOT = """() => {
    const text = s => { const e = document.querySelector(s); return e ? e.innerText : null; };
    const shown = s => { const e = document.querySelector(s); return !!e && e.getClientRects().length > 0; };
    const canvas = document.getElementById('canvas');
    const cy = canvas && canvas._cyreg ? canvas._cyreg.cy : null;
    const query = document.getElementById('query-text');
    return {
        tab: text('.tab--selected'), title: text('#canvas-title'),
        nodes: !shown('#canvas-wrap') ? null : cy ? cy.nodes().map(n => n.id() + ' ' + n.classes().slice().sort()
            .join(',')).sort() : 'not drawn yet',
        panel: text('#evidence-panel'), tour: text('#tour-panel'), paths: text('#path-list'),
        compare: shown('#compare-view') ? text('#compare-view') : null, results: text('#query-results'),
        query: query ? query.value : null,
        controls: ['#path-source', '#path-target', '#tour-select'].map(text),
    };
}"""


def snapshot(page: Page) -> dict[str, Any]:
    """What a reader sees of a view now."""
    return dict(page.evaluate(SNAPSHOT))


def assert_shared_exactly(page: Page, fresh: Any) -> None:
    """The copied link is the address bar, and a new browser opening it comes to show the same view."""
    settled(page)  # the view once every callback the last action set off has been answered and drawn
    link = copy_link(page)
    assert link == page.url
    before = snapshot(page)
    other = fresh()
    other.goto(link)
    try:  # the view as the reader of the link sees it once it is drawn, however long a busy machine takes
        other.wait_for_function(f"(before) => JSON.stringify(({SNAPSHOT})()) === JSON.stringify(before)",
                                arg=before, timeout=SLOW)
    except PlaywrightTimeoutError:
        assert snapshot(other) == before  # names what differs
    assert other.url == link


def test_link_copies_the_address_and_reopens_explore(fresh: Any, explorer_url: str, kg: KnowledgeGraph) -> None:
    page = fresh()
    open_app(page, explorer_url)
    focus = kg.resolve("ketamine", kinds=("compound",))
    other = cy(page, "return cy.nodes().map(n => n.id()).filter(id => id !== arg);", focus)[0]
    cy(page, "cy.getElementById(arg).emit('tap');", other)
    page.wait_for_url(f"**expand={other}**")
    assert_shared_exactly(page, fresh)


def test_link_copies_a_traced_path_with_filters_and_its_selected_step(fresh: Any, explorer_url: str,
                                                                      kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    ranked = answer_paths(kg, source, target, k=3, filters=PathFilters(route="intravenous")).paths
    assert len(ranked) >= 2
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-paths")
    kind = kg.schema.node_kinds
    choose(page, "#path-source", "ketamine", f"{kg.nodes[source].name} · {kind['compound'].label}")
    choose(page, "#path-target", "treatment-resistant",
           f"{kg.nodes[target].name} · {kind[kg.nodes[target].kind].label}")
    page.click(".filters summary")
    choose(page, "#path-route", "intravenous", "intravenous")
    page.click("#path-trace")
    page.locator(".path-item").nth(1).locator(".path-head").click()
    expect(page.locator("#canvas-title")).to_contain_text("path #2 highlighted", timeout=SLOW)
    page.locator(".path-item.selected .step-button").first.click()
    page.wait_for_url("**sel=claim:**")
    assert_shared_exactly(page, fresh)
    assert "route=intravenous" in page.url


def test_link_copies_the_tour_step_reached(fresh: Any, explorer_url: str, kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    assert len(hyp.steps) >= 4
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-tours")
    choose(page, "#tour-select", "Disinhibition", hyp.name)
    for _ in range(3):
        page.click("#tour-next")
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[3].caption)
    assert_shared_exactly(page, fresh)
    assert parse_qs(urlparse(page.url).query)["step"] == ["4"]


def test_link_copies_the_compare_view(fresh: Any, explorer_url: str) -> None:
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-tours")
    page.click("#compare-open")
    expect(page.locator("#compare-view")).to_be_visible(timeout=SLOW)
    assert_shared_exactly(page, fresh)


def test_link_copies_the_compare_mechanisms_view(fresh: Any, explorer_url: str, kg: KnowledgeGraph) -> None:
    ketamine, mdd = kg.nodes[kg.resolve("ketamine")], kg.nodes[kg.resolve("major depressive disorder")]
    kinds = kg.schema.node_kinds
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-paths")
    choose(page, "#path-source", "ketamine", f"{ketamine.name} · {kinds['compound'].label}")
    choose(page, "#path-target", "major depressive", f"{mdd.name} · {kinds[mdd.kind].label}")
    page.get_by_text("Compare with another compound").click()
    choose(page, "#compare-with", "duloxetine", "duloxetine · drug (DrugMechDB, MESH:D000068736)")
    page.click("#compare-mechanisms")
    expect(page.locator("#mechanism-compare .mech-lane")).not_to_have_count(0, timeout=SLOW)
    assert_shared_exactly(page, fresh)
    assert "view=mechanisms" in page.url


def test_link_copies_the_query_and_reopens_its_results(fresh: Any, explorer_url: str) -> None:
    query = "SELECT ?node ?label WHERE { ?node a kmoa:Compound ; rdfs:label ?label } ORDER BY ?label LIMIT 3"
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-query")
    page.fill("#query-text", query)
    page.click("#query-run")
    expect(page.locator("#result-count")).to_have_text("3 rows", timeout=SLOW)
    page.wait_for_url("**view=query**")
    assert parse_qs(urlparse(page.url).query)["q"] == [query]
    assert_shared_exactly(page, fresh)


def test_leaving_compare_and_picking_the_tour_again_opens_it(fresh: Any, explorer_url: str,
                                                             kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = fresh()
    open_app(page, explorer_url, f"?tour={hyp.id}&step=2")
    page.click("#compare-open")
    expect(page.locator("#compare-view")).to_be_visible(timeout=SLOW)
    choose(page, "#tour-select", "Disinhibition", hyp.name)
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[0].caption, timeout=SLOW)
    expect(page.locator("#compare-view")).to_be_hidden()


BAD_LINKS = [
    ("focus", "CHEBI:999999"),
    ("tour", "KMOA:nope"),
    ("focus", '<script>window.__kmoa_xss = 1</script><img src=x onerror="window.__kmoa_xss = 2">'),
    ("sel", 'claim:"><svg onload=window.__kmoa_xss=3>'),
    ("view", "javascript:alert(1)"),
    ("step", "NaN"),
    ("path", "-3"),
    ("nonsense", "1"),
]


@pytest.mark.parametrize(("param", "value"), BAD_LINKS)
def test_a_bad_parameter_is_named_in_a_notice_and_removed(fresh: Any, explorer_url: str, kg: KnowledgeGraph,
                                                           param: str, value: str) -> None:
    from urllib.parse import urlencode

    ketamine = kg.nodes[kg.resolve("ketamine", kinds=("compound",))]
    page = fresh()
    extra = {"step": {"tour": HYP_DISINHIBITION}, "path": {"view": "paths", "source": "ketamine",
                                                           "target": "treatment-resistant depression"}}
    open_app(page, explorer_url, "?" + urlencode({**extra.get(param, {}), param: value}))
    notice = page.locator(f"#url-notices .url-notice[data-param='{param}']")
    expect(notice).to_be_visible(timeout=SLOW)
    expect(notice).to_contain_text(f"parameter {param}")
    expect(notice).to_contain_text("shown instead")
    page.wait_for_function("([p, v]) => new URLSearchParams(location.search).get(p) !== v", arg=[param, value])
    if param in ("focus", "tour", "view", "nonsense"):
        expect(notice).to_contain_text(f"neighbourhood of {ketamine.name}")
        expect(page.locator("#canvas-title")).to_contain_text(f"Neighbourhood of {ketamine.name}")
    assert page.evaluate("() => window.__kmoa_xss") is None
    assert page.locator("#react-entry-point script, #react-entry-point svg[onload]").count() == 0
    # The next action clears the notice.
    cy(page, "cy.nodes()[1].emit('tap');")
    expect(page.locator("#url-notices .url-notice")).to_have_count(0)


def test_a_parameter_too_long_for_the_server_is_named_and_removed(fresh: Any, explorer_url: str,
                                                                   kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = fresh()
    response = page.goto(f"{explorer_url}?tour={hyp.id}&step=2&q={'A' * 100_000}")
    assert response is not None and response.status == 200
    page.wait_for_selector("#tour-caption")
    notice = page.locator("#url-notices .url-notice[data-param='q']")
    expect(notice).to_contain_text("too long")
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[1].caption)
    assert "AAAA" not in page.url and "too_long" not in page.url


def test_a_refused_query_after_a_result_clears_the_canvas(fresh: Any, explorer_url: str) -> None:
    page = fresh()
    open_app(page, explorer_url)
    page.click("#tab-query")
    page.fill("#query-text", "SELECT ?node WHERE { ?node a kmoa:Compound } LIMIT 2")
    page.click("#query-run")
    expect(page.locator("#canvas-title")).to_have_text("2 nodes matched by the query", timeout=SLOW)
    page.fill("#query-text", "DELETE WHERE { ?s ?p ?o }")
    page.click("#query-run")
    expect(page.locator("#query-notice")).to_contain_text("Refused", timeout=SLOW)
    expect(page.locator("#canvas-title")).to_contain_text("refused or failed", timeout=SLOW)
    page.wait_for_function("() => document.getElementById('canvas')._cyreg.cy.nodes('.matched').length === 0")
