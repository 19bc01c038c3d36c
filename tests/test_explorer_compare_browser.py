"""Compare mechanisms and the contrast tour in a real headless Chromium, on the curated graph and with a
DrugMechDB import (the fixture excerpt).

Every expectation is computed from graph.compare's answer, the shipped DrugMechDB excerpt and the fixture.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.mechanisms import compare_for, lanes
from kmoa.graph.compare import DRUGMECHDB_CITATION, Comparison, bundled_drugmechdb, contrast_tours
from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.drugmechdb import read_as_imported, read_drugmechdb
from tests.browser_fixtures import VIEWPORT
from tests.test_explorer_browser import choose, cy
from tests.test_explorer_legible import open_app

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "drugmechdb" / "indication_paths_excerpt.yaml"
SHIPPED = Path(str(bundled_drugmechdb()))
SLOW = 30_000  # ms: a comparison traces the review's paths first


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


@pytest.fixture(scope="module")
def answer(kg: KnowledgeGraph, data: ExplorerData) -> Comparison:
    result = compare_for(kg, data.public, "ketamine", "duloxetine", kg.resolve("major depressive disorder"))
    assert isinstance(result, Comparison), result
    return result


@pytest.fixture(scope="module")
def imported_url(kg: KnowledgeGraph) -> Iterator[str]:
    """The explorer as `kmoa explore --import indication_paths_excerpt.yaml` starts it."""
    from werkzeug.serving import make_server

    from kmoa.explorer.app import create_app, request_handler

    db = read_drugmechdb(FIXTURE)
    app = create_app(kg, data=prepare(kg, imported=read_as_imported(db, kg), drugmechdb=db))
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=request_handler())
    thread = threading.Thread(target=server.serve_forever, name="explorer-drugmechdb", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join(10)


def open_view(page: Page, url: str, query: str = "") -> None:
    """Open the explorer on a view that hides the canvas and wait for its first callbacks."""
    page.goto(url + query)
    page.wait_for_load_state("networkidle")


def bottom(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return float(box["y"] + box["height"])


def check_lanes(page: Page, kg: KnowledgeGraph, result: Comparison) -> None:
    """One lane per mechanism, each ending just above the shared indication, each step with its source."""
    view = page.locator("#mechanism-compare")
    drawn = lanes(result)
    expect(view.locator(".mech-lane")).to_have_count(len(drawn), timeout=SLOW)
    expect(page.locator("#mechanism-end")).to_have_text(result.target_name)
    end_top = page.locator("#mechanism-end").bounding_box()
    assert end_top is not None
    last_arrows = []
    for i, lane in enumerate(drawn):
        box = view.locator(f".mech-lane[data-lane='{i}']")
        expect(box.locator(".lane-compound")).to_have_text(lane.compound)
        badge = "DrugMechDB" if lane.mechanism.path else "the review"
        expect(box.locator(".source-badge")).to_contain_text(badge)
        arrows = box.locator(".mech-arrow")
        expect(arrows).to_have_count(len(lane.mechanism.steps))
        for n, step in enumerate(lane.mechanism.steps, start=1):
            arrow = box.locator(f".mech-arrow[data-step='{n}']")
            expect(arrow.locator(".mech-label")).to_have_text(f"{step.label} [{n}]")
            expect(arrow.locator(".mech-where")).to_have_text("review" if step.claim else "DrugMechDB")
            source = view.locator(f".mech-sources-lane[data-lane='{i}'] li[data-step='{n}']")
            if step.claim:
                expect(source).to_contain_text(f"claim {step.claim}")
                expect(source).to_contain_text(kg.claims[step.claim].provenance.quote)
            else:
                expect(source).to_contain_text(f"Path: {lane.mechanism.path}")
                expect(source).to_contain_text(f"Line: {step.line} of {lane.mechanism.file}")
        last_arrows.append(bottom(page, f"#mechanism-compare .mech-lane[data-lane='{i}'] .mech-arrow >> nth=-1"))
    # Aligned at the shared end: every lane's last step ends on the same line, right above the indication.
    assert max(last_arrows) - min(last_arrows) < 2, last_arrows
    assert 0 <= end_top["y"] - max(last_arrows) < 40, (end_top, last_arrows)
    if any(lane.mechanism.path for lane in drawn):
        expect(page.locator("#mechanism-citation")).to_contain_text(DRUGMECHDB_CITATION)


def test_compare_ketamine_with_duloxetine_aligned_at_mdd_and_reopened_from_its_link(
        chromium: Browser, explorer_url: str, kg: KnowledgeGraph, answer: Comparison) -> None:
    contexts = [chromium.new_context(viewport=VIEWPORT) for _ in range(2)]
    errors: list[str] = []
    try:
        page = contexts[0].new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.set_default_timeout(SLOW)
        open_app(page, explorer_url)
        page.click("#tab-paths")
        kinds = kg.schema.node_kinds
        ketamine, mdd = kg.nodes[kg.resolve("ketamine")], kg.nodes[answer.target]
        choose(page, "#path-source", "ketamine", f"{ketamine.name} · {kinds['compound'].label}")
        choose(page, "#path-target", "major depressive", f"{mdd.name} · {kinds[mdd.kind].label}")
        page.get_by_text("Compare with another compound").click()
        choose(page, "#compare-with", "duloxetine", "duloxetine · drug (DrugMechDB, MESH:D000068736)")
        page.click("#compare-mechanisms")
        expect(page.locator("#mechanism-compare")).to_be_visible(timeout=SLOW)
        expect(page.locator("#canvas-wrap")).to_be_hidden()
        check_lanes(page, kg, answer)
        assert "view=mechanisms" in page.url and "other=MESH:D000068736" in page.url
        # A review step opens its claim in the evidence panel.
        step = next(s for s in answer.sides[0].mechanisms[0].steps if s.claim)
        page.locator(".mech-lane[data-lane='0'] .mech-label").first.click()
        expect(page.locator("#evidence-panel")).to_contain_text(kg.claims[str(step.claim)].provenance.quote)
        shown = page.locator("#mechanism-compare").inner_text()
        # The same view in a fresh browser, from the address alone.
        fresh = contexts[1].new_page()
        fresh.on("pageerror", lambda err: errors.append(str(err)))
        fresh.set_default_timeout(SLOW)
        open_view(fresh, page.url)
        expect(fresh.locator("#mechanism-compare")).to_be_visible(timeout=SLOW)
        check_lanes(fresh, kg, answer)
        assert fresh.locator("#mechanism-compare").inner_text() == shown
        expect(fresh.locator(".tab--selected")).to_have_text("Paths")
    finally:
        for context in contexts:
            context.close()
    assert not errors, errors


def test_the_contrast_tour_steps_through_the_review_then_drugmechdb(explorer_page: Page, explorer_url: str,
                                                                    data: ExplorerData) -> None:
    assert data.public is not None
    tour = next(iter(contrast_tours().values()))
    prepared = data.public.tours[tour.id]
    page = explorer_page
    open_app(page, explorer_url)
    page.click("#tab-tours")
    choose(page, "#tour-select", "Contrast", tour.name)
    total = len(prepared.stops)
    for position, stop in enumerate(prepared.stops):
        expect(page.locator("#tour-counter")).to_have_text(f"Step {position + 1} of {total}", timeout=SLOW)
        expect(page.locator("#tour-caption")).to_have_text(stop.caption)
        source = page.locator("#tour-quote")
        if stop.step.claim is None:
            expect(page.locator("#tour-source")).to_have_text("From DrugMechDB")
            expect(source).to_contain_text("MIT licence")
            expect(source).to_contain_text(tour.public_path)
            expect(source).to_contain_text(f"{stop.step.line} of {SHIPPED.name}")
            expect(source).to_contain_text(DRUGMECHDB_CITATION)
        else:
            expect(page.locator("#tour-source")).to_have_text("From the review")
            expect(source).to_contain_text(data.kg.claims[stop.step.claim].provenance.quote)
        if stop.lane is None:
            expect(page.locator(".mech-claim-card.current")).to_contain_text(stop.caption)
        else:
            current = page.locator(f".mech-lane[data-lane='{stop.lane}'] .mech-arrow.current")
            expect(current).to_have_attribute("data-step", str(stop.index + 1))
            expect(current.locator(".mech-where")).to_have_text("DrugMechDB" if stop.lane == 1 else "review")
            expect(page.locator(".mech-arrow.current")).to_have_count(1)
            expect(current).to_be_in_viewport()
        if position < total - 1:
            page.click("#tour-next")
    expect(page.locator("#tour-next")).to_be_disabled()
    assert f"tour={tour.id}" in page.url and f"step={total}" in page.url
    expect(page.locator(".mech-lane[data-lane='1'] .source-badge")).to_contain_text("DrugMechDB")


def test_with_a_drugmechdb_import_the_tracer_reaches_its_nodes(explorer_page: Page, imported_url: str,
                                                               kg: KnowledgeGraph) -> None:
    """Ketamine's curated mechanism reaches a disease only DrugMechDB knows, through a node both share."""
    db = read_drugmechdb(FIXTURE)
    target = "MESH:D065631"
    name = next(str(n["name"]) for p in db.paths for n in p.nodes if n.get("id") == target)
    page = explorer_page
    open_app(page, imported_url)
    page.click("#tab-paths")
    ketamine = kg.nodes[kg.resolve("ketamine")]
    choose(page, "#path-source", "ketamine", f"{ketamine.name} · {kg.schema.node_kinds['compound'].label}")
    choose(page, "#path-target", "allergic", f"{name} · disease or indication (imported, {target})")
    page.click("#path-trace")
    first = page.locator(".path-item").first
    expect(first.locator(".chain")).to_contain_text(f"→ {name}", timeout=SLOW)
    expect(first.locator(".chain")).to_contain_text(ketamine.name)
    page.wait_for_function("(id) => document.getElementById('canvas')._cyreg.cy.getElementById(id).length > 0",
                           arg=target)
    assert cy(page, "return cy.getElementById(arg).hasClass('imported-node');", target)
    # A DrugMechDB step names its path and YAML line; a curated step keeps the review's quote.
    claims = cy(page, "return cy.edges('.highlighted').map(e => e.data('claim'));")
    imported = [c for c in claims if c not in kg.claims]
    curated = [c for c in claims if c in kg.claims]
    assert imported and curated
    cy(page, "cy.edges().filter(e => e.data('claim') === arg).emit('tap');", imported[-1])
    panel = page.locator("#evidence-panel")
    expect(panel).to_contain_text("DrugMechDB path")
    expect(panel).to_contain_text(f"{FIXTURE.name}, line ")
    # The compare view compares with the imported file: gepirone is not in the shipped excerpt.
    open_view(page, imported_url, "?source=ketamine&other=gepirone&target=MDD")
    expect(page.locator(".mech-lane[data-compound='gepirone']")).to_have_count(1, timeout=SLOW)
    expect(page.locator("#mechanism-compare")).to_contain_text(f"of {FIXTURE.name}")

