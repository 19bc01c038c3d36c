"""The explorer in a real headless Chromium: what a reader sees and clicks.

Expectations come from the curated data (names, ranked paths, captions, quotes, query results).
Canvas elements are inspected and tapped through the Cytoscape instance the page holds
(``container._cyreg.cy``), everything else through the page's own controls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.explorer import views
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.path_answers import answer_paths
from kmoa.graph.paths import PathFilters
from kmoa.loaders.stores.sparql_engine import run_query
from tests.browser_fixtures import (
    HOSTILE_CAPTION,
    HOSTILE_CLAIM,
    HOSTILE_HYPOTHESIS,
    HOSTILE_NAME,
    HOSTILE_NODE,
    HOSTILE_QUOTE,
    settled,
)
from tests.conftest import HYP_DISINHIBITION

pytestmark = pytest.mark.browser

CY = "document.getElementById('canvas')._cyreg.cy"


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


def cy(page: Page, body: str, arg: Any = None) -> Any:
    """Evaluate JavaScript with ``cy`` bound to the canvas' Cytoscape instance."""
    return page.evaluate(f"(arg) => {{ const cy = {CY}; {body} }}", arg)


def open_app(page: Page, url: str, query: str = "") -> None:
    page.goto(url + query)
    page.wait_for_function(f"() => {{ const el = document.getElementById('canvas'); "
                           f"return el && el._cyreg && el._cyreg.cy && {CY}.elements().length > 0; }}")
    expect(page.locator("#canvas-title")).not_to_be_empty()


def highlighted(page: Page) -> set[str]:
    return set(cy(page, "return cy.nodes('.highlighted').map(n => n.id());"))


def choose(page: Page, dropdown: str, typed: str, option: str, keeps_value: bool = True) -> None:
    """Pick an option of a dcc.Dropdown: open it, type into its search box, click the option."""
    page.click(dropdown)
    search = page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search")
    search.fill(typed)
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.locator(".dash-dropdown-content[data-state=open]")).to_have_count(0)
    if keeps_value:
        expect(page.locator(dropdown)).to_contain_text(option)


def test_opens_on_a_neighbourhood_with_its_evidence(explorer_page: Page, explorer_url: str, data: ExplorerData) -> None:
    kg = data.kg
    focus = kg.resolve("ketamine", kinds=("compound",))
    open_app(explorer_page, explorer_url)
    expect(explorer_page.locator("#canvas-title")).to_contain_text(f"Neighbourhood of {kg.nodes[focus].name}")
    expect(explorer_page.locator("#evidence-panel h2")).to_have_text(kg.nodes[focus].name)
    expected = views.neighbourhood(data, focus)
    assert set(cy(explorer_page, "return cy.nodes().map(n => n.id());")) == set(expected.nodes)
    assert cy(explorer_page, "return cy.getElementById(arg).hasClass('focus');", focus)
    for kind in {kg.nodes[n].kind for n in expected.nodes}:
        expect(explorer_page.locator("#legend")).to_contain_text(kg.schema.node_kinds[kind].label)


def test_search_esketamine_focuses_it_and_shows_its_panel(explorer_page: Page, explorer_url: str,
                                                          kg: KnowledgeGraph) -> None:
    esk = kg.nodes[kg.resolve("esketamine")]
    open_app(explorer_page, explorer_url)
    label = f"{esk.name} — {kg.schema.node_kinds[esk.kind].label} ({esk.id})"
    choose(explorer_page, "#search", "esketamine", label, keeps_value=False)
    panel = explorer_page.locator("#evidence-panel")
    expect(panel.locator("h2")).to_have_text(esk.name)
    expect(panel).to_contain_text(esk.id)
    for synonym in esk.synonyms:
        expect(panel).to_contain_text(synonym)
    expect(explorer_page.locator("#canvas-title")).to_contain_text(f"Neighbourhood of {esk.name}")
    explorer_page.wait_for_function(f"(id) => {CY}.getElementById(id).hasClass('focus')", arg=esk.id)
    assert f"focus={esk.id}" in explorer_page.url


def test_trace_ketamine_to_trd_lists_and_highlights_the_paths(explorer_page: Page, explorer_url: str,
                                                              kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    answer = answer_paths(kg, source, target, k=views.PATH_LIMIT)
    expected = [r.path for r in answer.paths]
    assert expected
    open_app(explorer_page, explorer_url)
    explorer_page.click("#tab-paths")
    kind = kg.schema.node_kinds
    choose(explorer_page, "#path-source", "ketamine", f"{kg.nodes[source].name} · {kind['compound'].label}")
    choose(explorer_page, "#path-target", "treatment-resistant",
           f"{kg.nodes[target].name} · {kind[kg.nodes[target].kind].label}")
    explorer_page.click("#path-trace")
    items = explorer_page.locator(".path-item")
    expect(items).to_have_count(len(expected))
    for item, ranked in zip(items.all(), answer.paths, strict=True):
        path = ranked.path
        expect(item.locator(".chain")).to_have_text(" → ".join(kg.nodes[n].name for n in path.nodes))
        expect(item.locator(".score")).to_have_text(f"score {path.score:.2f}")
        if ranked.hypothesis is not None:
            expect(item.locator(".path-hypothesis")).to_contain_text(ranked.hypothesis.name)
    expect(explorer_page.locator("#canvas-title")).to_contain_text("path #1 highlighted")
    explorer_page.wait_for_function(f"(n) => {CY}.nodes('.highlighted').length === n", arg=len(expected[0].nodes))
    assert highlighted(explorer_page) == set(expected[0].nodes)
    if len(expected) > 1:
        items.nth(1).locator(".path-head").click()
        expect(explorer_page.locator("#canvas-title")).to_contain_text("path #2 highlighted")
        explorer_page.wait_for_function(f"(ids) => ids.every(id => {CY}.getElementById(id).hasClass('highlighted'))",
                                        arg=list(expected[1].nodes))
        assert highlighted(explorer_page) == set(expected[1].nodes)
        assert "path=2" in explorer_page.url


def test_step_through_the_whole_disinhibition_tour(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    open_app(explorer_page, explorer_url)
    explorer_page.click("#tab-tours")
    choose(explorer_page, "#tour-select", "Disinhibition", hyp.name)
    total = len(hyp.steps)
    for i, step in enumerate(hyp.steps):
        claim = kg.claims[step.claim]
        expect(explorer_page.locator("#tour-counter")).to_have_text(f"Step {i + 1} of {total}")
        expect(explorer_page.locator("#tour-caption")).to_have_text(step.caption)
        expect(explorer_page.locator("#tour-quote .quote-text")).to_have_text(f"“{claim.provenance.quote}”")
        for ref in claim.provenance.refs:
            expect(explorer_page.locator("#tour-quote")).to_contain_text(f"[{ref}]")
        explorer_page.wait_for_function(f"(id) => {CY}.getElementById(id).hasClass('current')", arg=f"e:{step.claim}")
        assert {claim.subject, claim.object} <= highlighted(explorer_page)
        if i < total - 1:
            explorer_page.click("#tour-next")
    expect(explorer_page.locator("#tour-next")).to_be_disabled()
    explorer_page.click("#tour-prev")
    expect(explorer_page.locator("#tour-caption")).to_have_text(hyp.steps[-2].caption)
    assert f"step={total - 1}" in explorer_page.url


def test_clicking_an_edge_shows_its_quote_and_references(explorer_page: Page, explorer_url: str,
                                                         kg: KnowledgeGraph) -> None:
    open_app(explorer_page, explorer_url)
    claims = cy(explorer_page, "return cy.edges().map(e => [e.id(), e.data('claim')]);")
    edge_id, claim_id = next((e, c) for e, c in claims if kg.claims[c].provenance.refs)
    cy(explorer_page, "cy.getElementById(arg).emit('tap');", edge_id)
    prov = kg.claims[claim_id].provenance
    panel = explorer_page.locator("#evidence-panel")
    expect(panel.locator(".quote-text")).to_have_text(f"“{prov.quote}”")
    for ref in prov.refs:
        expect(panel.locator(".quote")).to_contain_text(f"[{ref}]")
    expect(panel).to_contain_text(kg.schema.evidence_types[prov.evidence_type].label)
    assert f"sel=claim:{claim_id}" in explorer_page.url


def test_path_step_buttons_show_each_steps_evidence(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    best = answer_paths(kg, source, target, k=1).paths[0].path
    open_app(explorer_page, explorer_url, f"?source={source}&target={target}&path=1")
    buttons = explorer_page.locator(".path-item.selected .step-button")
    expect(buttons).to_have_count(best.hops)
    for i, step in enumerate(best.steps):
        buttons.nth(i).click()
        quote = kg.claims[step.claim_id].provenance.quote
        expect(explorer_page.locator("#evidence-panel .quote-text")).to_have_text(f"“{quote}”")


def test_sparql_console_shows_results_and_highlights_nodes(explorer_page: Page, explorer_url: str,
                                                           data: ExplorerData) -> None:
    query = "SELECT ?node ?label WHERE { ?node a kmoa:Compound ; rdfs:label ?label } ORDER BY ?label"
    result = run_query(data.rdf, query)
    matches = views.query_matches(data, result.rows)
    assert matches
    open_app(explorer_page, explorer_url)
    explorer_page.click("#tab-query")
    explorer_page.fill("#query-text", query)
    explorer_page.click("#query-run")
    expect(explorer_page.locator("#result-count")).to_have_text(f"{len(result.rows)} rows")
    table = explorer_page.locator("#query-results table")
    for row in result.rows:
        expect(table).to_contain_text(str(row["label"]))
    expect(explorer_page.locator("#canvas-title")).to_contain_text(f"{len(matches)} nodes matched by the query")
    explorer_page.wait_for_function(f"(n) => {CY}.nodes('.matched').length === n", arg=min(len(matches),
                                                                                           views.MATCH_LIMIT))
    assert set(cy(explorer_page, "return cy.nodes('.matched').map(n => n.id());")) == set(matches[:views.MATCH_LIMIT])


def test_named_queries_fill_the_console(explorer_page: Page, explorer_url: str, data: ExplorerData) -> None:
    name, named = next(iter(data.named_queries.items()))
    rows = run_query(data.rdf, named.sparql).rows
    open_app(explorer_page, explorer_url)
    explorer_page.click("#tab-query")
    explorer_page.click("#query-named")
    explorer_page.get_by_role("option", name=named.title, exact=True).click()
    expect(explorer_page.locator("#query-text")).to_have_value(named.sparql)
    explorer_page.click("#query-run")
    expect(explorer_page.locator("#result-count")).to_have_text(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


def test_a_write_query_is_refused_visibly(explorer_page: Page, explorer_url: str) -> None:
    open_app(explorer_page, explorer_url)
    title = explorer_page.inner_text("#canvas-title")
    explorer_page.click("#tab-query")
    explorer_page.fill("#query-text", "DELETE WHERE { ?s ?p ?o }")
    explorer_page.click("#query-run")
    notice = explorer_page.locator("#query-notice")
    expect(notice).to_contain_text("Refused")
    expect(notice).to_be_visible()
    expect(explorer_page.locator("#query-results table")).to_have_count(0)
    settled(explorer_page)  # every callback the refusal set off has answered
    assert explorer_page.inner_text("#canvas-title") == title


def test_the_url_reopens_a_path_and_a_tour_step(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    paths = [r.path for r in answer_paths(kg, source, target, k=views.PATH_LIMIT).paths]
    pick = min(2, len(paths))
    open_app(explorer_page, explorer_url, f"?view=paths&source={source}&target={target}&path={pick}")
    expect(explorer_page.locator("#canvas-title")).to_contain_text(f"path #{pick} highlighted")
    assert highlighted(explorer_page) == set(paths[pick - 1].nodes)
    expect(explorer_page.locator("#path-source")).to_contain_text(kg.nodes[source].name)
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    step = min(3, len(hyp.steps))
    open_app(explorer_page, explorer_url, f"?view=tour&tour={hyp.id}&step={step}")
    expect(explorer_page.locator("#tour-caption")).to_have_text(hyp.steps[step - 1].caption)


def test_exports_download_the_canvas_and_the_subgraph(explorer_page: Page, explorer_url: str,
                                                      data: ExplorerData) -> None:
    open_app(explorer_page, explorer_url)
    shown = set(cy(explorer_page, "return cy.nodes().map(n => n.id());"))
    with explorer_page.expect_download() as download:
        explorer_page.click("#export-json")
    payload = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert {n["id"] for n in payload["nodes"]} == shown
    for button, suffix in (("#export-png", ".png"), ("#export-svg", ".svg"), ("#export-csv", ".csv")):
        with explorer_page.expect_download() as download:
            explorer_page.click(button)
        assert download.value.suggested_filename.endswith(suffix)
        head = open(download.value.path(), "rb").read(64)
        assert head
        if suffix == ".png":
            assert head.startswith(b"\x89PNG")
        if suffix == ".svg":
            assert b"<svg" in open(download.value.path(), "rb").read()


def test_html_and_script_in_the_data_render_as_inert_text(explorer_page: Page, hostile_url: str) -> None:
    page = explorer_page
    open_app(page, hostile_url, f"?focus={HOSTILE_NODE}")
    panel = page.locator("#evidence-panel")
    expect(panel.locator("h2")).to_have_text(HOSTILE_NAME)
    expect(panel.locator(".description")).to_have_text(HOSTILE_QUOTE)
    assert panel.locator("script, img, b").count() == 0
    page.get_by_role("button", name="← increases ←", exact=False).first.click()
    expect(panel.locator(".quote-text")).to_have_text(f"“{HOSTILE_QUOTE}”")
    open_app(page, hostile_url, f"?tour={HOSTILE_HYPOTHESIS}&step=1")
    expect(page.locator("#tour-caption")).to_have_text(HOSTILE_CAPTION)
    expect(page.locator("#tour-quote .quote-text")).to_have_text(f"“{HOSTILE_QUOTE}”")
    open_app(page, hostile_url, f"?sel=claim:{HOSTILE_CLAIM}")
    expect(panel.locator(".quote-text")).to_have_text(f"“{HOSTILE_QUOTE}”")
    page.click("#search")
    page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search").fill("xss probe")
    expect(page.locator(".dash-dropdown-content[data-state=open] [role=option]").first).to_contain_text(HOSTILE_NAME)
    assert page.locator("#react-entry-point script, #react-entry-point img").count() == 0
    assert page.evaluate("() => window.__kmoa_xss") is None


def test_clicking_a_node_expands_and_collapses_its_neighbours(explorer_page: Page, explorer_url: str,
                                                              data: ExplorerData) -> None:
    kg = data.kg
    focus = kg.resolve("ketamine", kinds=("compound",))
    before = views.neighbourhood(data, focus)
    other = next(n for n in before.nodes[1:] if set(views.neighbourhood(data, focus, [n]).nodes) - set(before.nodes))
    after = views.neighbourhood(data, focus, [other])
    open_app(explorer_page, explorer_url)
    cy(explorer_page, "cy.getElementById(arg).emit('tap');", other)
    explorer_page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(after.nodes))
    assert set(cy(explorer_page, "return cy.nodes().map(n => n.id());")) == set(after.nodes)
    assert cy(explorer_page, "return cy.getElementById(arg).hasClass('expanded');", other)
    expect(explorer_page.locator("#evidence-panel h2")).to_have_text(kg.nodes[other].name)
    assert f"expand={other}" in explorer_page.url
    cy(explorer_page, "cy.getElementById(arg).emit('tap');", other)
    explorer_page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(before.nodes))
    assert "expand=" not in explorer_page.url
    explorer_page.go_back()
    explorer_page.wait_for_function(f"(n) => {CY}.nodes().length === n", arg=len(after.nodes))


def test_arrow_keys_step_through_a_tour(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    open_app(explorer_page, explorer_url, f"?tour={hyp.id}&step=1")
    explorer_page.locator("#canvas-title").click()
    explorer_page.keyboard.press("ArrowRight")
    expect(explorer_page.locator("#tour-caption")).to_have_text(hyp.steps[1].caption)
    explorer_page.keyboard.press("ArrowLeft")
    expect(explorer_page.locator("#tour-caption")).to_have_text(hyp.steps[0].caption)


def test_tracer_filters_change_the_ranked_paths(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    answer = answer_paths(kg, source, target, k=views.PATH_LIMIT, filters=PathFilters(human_only=True))
    expected = [r.path for r in answer.paths]
    open_app(explorer_page, explorer_url, f"?source={source}&target={target}")
    explorer_page.click(".filters summary")
    explorer_page.get_by_label("human evidence only").check()
    explorer_page.click("#path-trace")
    if expected:
        items = explorer_page.locator(".path-item .chain")
        expect(items).to_have_count(len(expected))
        expect(items).to_have_text([" → ".join(kg.nodes[n].name for n in p.nodes) for p in expected])
    else:  # the panel says which filter removed the paths, as `kmoa paths` does
        assert answer.why_none
        expect(explorer_page.locator("#path-empty")).to_contain_text(answer.why_none)
    explorer_page.wait_for_url("**human=1**")


def test_more_paths_and_why_no_path(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    first = answer_paths(kg, source, target, k=views.PATH_LIMIT)
    assert first.more
    open_app(explorer_page, explorer_url, f"?source={source}&target={target}")
    items = explorer_page.locator(".path-item")
    expect(items).to_have_count(len(first.paths))
    explorer_page.click(".paths-more")
    shown = min(first.total, 2 * views.PATH_LIMIT)
    expect(items).to_have_count(shown)
    nxt = answer_paths(kg, source, target, k=views.PATH_LIMIT, offset=views.PATH_LIMIT).paths
    expect(items.nth(views.PATH_LIMIT).locator(".chain")).to_have_text(
        " → ".join(kg.nodes[n].name for n in nxt[0].path.nodes))
    explorer_page.wait_for_url(f"**shown={2 * views.PATH_LIMIT}**")
    # Filters that leave no mechanism path: the panel names them and lists the direct RCT claims.
    esketamine = kg.resolve("esketamine")
    answer = answer_paths(kg, esketamine, target, k=3, filters=PathFilters(human_only=True, min_evidence="rct"))
    assert not answer.paths and answer.direct
    open_app(explorer_page, explorer_url, f"?source={esketamine}&target={target}&min=rct&human=1")
    empty = explorer_page.locator("#path-empty")
    expect(empty).to_contain_text("--min-evidence rct removes")
    expect(empty.locator(".direct-claim")).to_have_count(len(answer.direct))
    empty.locator(".direct-claim .step-button").first.click()
    quote = kg.claims[answer.direct[0]["id"]].provenance.quote
    expect(explorer_page.locator("#evidence-panel .quote-text")).to_have_text(f"“{quote}”")
