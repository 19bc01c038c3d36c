"""Keyboard and accessibility in a real headless Chromium: fast typing in the search boxes, every tab walked with
the keyboard alone, the list of drawn nodes, and axe-core on every view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.explorer import ids
from kmoa.graph.model import KnowledgeGraph
from tests.browser_fixtures import settled
from tests.test_explorer_keyboard import tab_to
from tests.test_explorer_share import SLOW, open_app

pytestmark = pytest.mark.browser
OPEN_SEARCH = ".dash-dropdown-content[data-state=open] input.dash-dropdown-search"


@contextmanager
def slow_cpu(page: Page, rate: float = 6) -> Iterator[None]:
    """Run the page's scripts ``rate`` times slower (a busy laptop), as Chromium's devtools do."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    try:
        yield
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        cdp.detach()


@pytest.mark.parametrize("enter", [True, False], ids=["enter-then-type", "type-on-the-closed-box"])
def test_fast_typing_in_the_search_box_keeps_every_character(explorer_page: Page, explorer_url: str,
                                                             kg: KnowledgeGraph, enter: bool) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    for _ in range(3):  # the characters were lost now and then: type the name three times
        tab_to(page, "a.closest('.search')")
        with slow_cpu(page):
            if enter:
                page.keyboard.press("Enter")
            page.keyboard.type("esketamine")  # no delay between keys
        expect(page.locator(OPEN_SEARCH)).to_have_value("esketamine")
        page.keyboard.press("Escape")
    tab_to(page, "a.closest('.search')")
    page.keyboard.press("Enter")
    page.keyboard.type("esketamine")
    node = kg.nodes[kg.resolve("esketamine")]
    option = page.locator(".dash-dropdown-content[data-state=open] [role=option]").first
    expect(option).to_contain_text(node.name, timeout=SLOW)



def focus_shown(page: Page) -> dict[str, Any]:
    """The focused element, the nearest id at or around it, and whether its focus is visible (a 2 px outline or a
    focus shadow)."""
    return dict(page.evaluate("""() => {
        const a = document.activeElement;
        const style = getComputedStyle(a);
        const box = a.getBoundingClientRect();
        return {tag: a.tagName, within: a.id || (a.closest('[id]') || {id: ''}).id,
                text: (a.innerText || a.value || '').trim().slice(0, 60),
                drawn: box.width > 0 && box.height > 0,
                ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                      || style.boxShadow !== 'none'};
    }"""))


def walk(page: Page, limit: int = 400) -> list[dict[str, Any]]:
    """Every element Tab reaches, from the top of the page until focus leaves the page or comes back around."""
    tab_to(page, "true", limit=1)
    seen = [focus_shown(page)]
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):
            break
        here = focus_shown(page)
        if here == seen[0]:
            break
        seen.append(here)
    return seen


TAB_CONTROLS = {
    "Explore": ["show-studies"],
    "Paths": ["path-source", "path-target", "path-trace"],
    "Tours": ["tour-select", "compare-open"],
    "Evidence": [ids.EV_COMPOUND, ids.EV_SHOW],
    "Query": ["query-named", "query-text", "query-run"],
}


def test_every_tab_is_walked_with_the_keyboard_and_focus_is_always_visible(explorer_page: Page,
                                                                           explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    for name, controls in TAB_CONTROLS.items():
        tab_to(page, "a.getAttribute('role') === 'tab'")
        while page.evaluate("() => document.activeElement.innerText.trim()") != name:
            page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
        settled(page)
        reached = walk(page)
        within = {r["within"] for r in reached}
        canvas = [] if name == "Evidence" else ["node-list"]  # the evidence view draws no canvas to list
        missing = [c for c in [*controls, "search", "share-link", "present-toggle", *canvas] if c not in within]
        assert not missing, f"{name}: Tab never reaches {missing}"
        hidden = [r for r in reached if not (r["drawn"] and r["ring"])]
        assert not hidden, f"{name}: focus not visible on {hidden}"


def test_the_keyboard_walk_operates_the_tracer(explorer_page: Page, explorer_url: str, kg: KnowledgeGraph) -> None:
    from tests.conftest import KETAMINE, TRD

    page = explorer_page
    open_app(page, explorer_url)
    tab_to(page, "a.getAttribute('role') === 'tab'")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Paths")).to_have_attribute("aria-selected", "true")
    for picker, typed, curie in (("path-source", "ketamine", KETAMINE),
                                 ("path-target", "treatment-resistant depression", TRD)):
        tab_to(page, f"a.id === '{picker}'")
        page.keyboard.press("Enter")
        page.keyboard.type(typed)
        # Enter picks the first option shown: wait until the list has filtered to the one wanted (as a user
        # does), not for any option containing the name ("esketamine" contains "ketamine").
        node = kg.nodes[curie]
        option = f"{node.name} · {kg.schema.node_kinds[node.kind].label}"
        expect(page.locator(".dash-dropdown-content[data-state=open] [role=option]").first).to_have_text(
            option, timeout=SLOW)
        page.keyboard.press("Enter")
        expect(page.locator(f"#{picker}")).to_have_text(option)
    tab_to(page, "a.id === 'path-trace'")
    page.keyboard.press("Enter")
    expect(page.locator("#canvas-title")).to_contain_text("mechanism path", timeout=SLOW)
    tab_to(page, "a.classList.contains('step-button')")
    page.keyboard.press("Enter")
    expect(page.locator("#evidence-panel .quote")).to_be_visible(timeout=SLOW)


def test_the_drawn_nodes_are_a_keyboard_list_that_opens_each_nodes_panel(explorer_page: Page, explorer_url: str,
                                                                         kg: KnowledgeGraph) -> None:
    from tests.conftest import NMDA
    from tests.test_explorer_browser import cy

    page = explorer_page
    open_app(page, explorer_url)
    drawn = cy(page, "return cy.nodes().map(n => n.data('label'));")
    summary = page.locator("#node-list summary")
    expect(summary).to_have_text(f"Nodes on the canvas ({len(drawn)})")
    tab_to(page, "a.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    items = page.locator("#node-list .node-items button")
    expect(items).to_have_count(len(drawn))
    names = [text.split(" · ")[0] for text in items.all_inner_texts()]
    assert sorted(names) == sorted(drawn)
    name = kg.nodes[NMDA].name
    tab_to(page, f"a.closest('#node-list') && a.innerText.startsWith({name!r} + ' · ')")
    page.keyboard.press("Enter")
    expect(page.locator("#evidence-panel h2")).to_have_text(name, timeout=SLOW)
    page.wait_for_function("(id) => document.getElementById('canvas')._cyreg.cy.nodes(':selected')"
                           ".map(n => n.id()).join() === id", arg=NMDA)


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
VIEWS = {
    "explore": "",
    "paths": "?view=paths&source={KETAMINE}&target={TRD}",
    "tour": "?tour={HYP_DISINHIBITION}&step=2",
    "query": "?view=query",
    "compare": "?view=compare",
    "compare mechanisms": "?view=mechanisms&source=ketamine&other=duloxetine&target=MDD",
    "evidence": "?view=evidence&compound={KETAMINE}&compare=esketamine&indication={TRD}",
    "presentation": "?tour={HYP_DISINHIBITION}&step=2",
}


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed from the npm registry by `scripts/test` (npm ci in tests/axe); never skipped."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run `npm ci --prefix tests/axe` (scripts/test does)")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("view", list(VIEWS))
def test_axe_finds_no_serious_or_critical_violations(explorer_page: Page, explorer_url: str, axe_source: str,
                                                     view: str) -> None:
    from tests.conftest import HYP_DISINHIBITION, KETAMINE, TRD

    page = explorer_page
    query = VIEWS[view].format(KETAMINE=KETAMINE, TRD=TRD, HYP_DISINHIBITION=HYP_DISINHIBITION)
    if view in ("query", "compare", "compare mechanisms", "evidence"):  # nothing on the canvas
        page.goto(explorer_url + query)
        page.wait_for_load_state("networkidle")
    else:
        open_app(page, explorer_url, query)
    if view == "compare mechanisms":
        expect(page.locator("#mechanism-compare .mech-lane")).not_to_have_count(0, timeout=SLOW)
    if view == "query":
        page.click("#query-run")
        expect(page.locator("#result-count")).to_be_visible(timeout=SLOW)
    if view == "explore":
        page.locator("#node-list summary").click()
    if view == "presentation":
        page.get_by_role("button", name="Present").click()
        expect(page.locator("#slide-caption")).to_be_visible()
    settled(page)
    page.add_script_tag(content=axe_source)
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({rule: v.id, impact: v.impact, help: v.help,
                    where: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))""")
    assert not violations, f"{view}: {violations}"
