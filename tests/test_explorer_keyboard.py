"""The explorer from the keyboard alone, in a real headless Chromium: tabs, *Link*, the search box."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.graph.model import KnowledgeGraph
from tests.browser_fixtures import settled
from tests.test_explorer_share import SLOW, open_app

pytestmark = pytest.mark.browser
TABS = ["Explore", "Paths", "Tours", "Evidence", "Query"]


def focused(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => { const a = document.activeElement; return {id: a.id, "
                              "role: a.getAttribute('role'), tag: a.tagName, text: (a.innerText || '').trim()}; }"))


def tab_to(page: Page, test: str, limit: int = 80) -> dict[str, Any]:
    """From the top of the page, press Tab until the focused element passes ``test`` (a JS predicate on it).

    The page must have finished drawing (the search box is there), and Tab must start from the top:
    a blur alone leaves Chromium's sequential-focus starting point where the last focus was, so the
    walk starts from a click on the page's top-left corner instead.
    """
    page.wait_for_selector("#search", state="visible")
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.mouse.click(1, 1)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const a = document.activeElement; return !!({test}); }}"):
            return focused(page)
    raise AssertionError(f"Tab never reached an element with {test}; last: {focused(page)}")


def test_the_views_are_a_tablist_walked_with_the_keyboard(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    tablist = page.get_by_role("tablist")
    expect(tablist).to_have_count(1)
    tabs = tablist.get_by_role("tab")
    expect(tabs).to_have_text(TABS)
    expect(page.get_by_role("tab", name="Explore")).to_have_attribute("aria-selected", "true")
    tab_to(page, "a.getAttribute('role') === 'tab'")
    assert focused(page)["text"] == "Explore"
    for name in TABS[1:]:
        page.keyboard.press("ArrowRight")
        assert focused(page)["text"] == name
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#query-run")).to_be_visible()
    page.keyboard.press("ArrowRight")
    assert focused(page)["text"] == "Explore"
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert focused(page)["text"] == "Evidence"
    expect(page.locator("#evidence-show")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    assert focused(page)["text"] == "Tours"
    expect(page.locator("#compare-open")).to_be_visible()
    # Only the selected tab is in the Tab order.
    expect(page.locator("[role=tab][tabindex='0']")).to_have_count(1)


def test_link_is_a_button_reached_and_pressed_by_keyboard(explorer_page: Page, explorer_url: str) -> None:
    page = explorer_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_app(page, explorer_url)
    link = page.get_by_role("button", name="Link", exact=True)
    expect(link).to_have_count(1)
    tab_to(page, "a.id === 'share-link'")
    page.keyboard.press("Enter")
    expect(page.locator("#share-status")).to_contain_text("Link copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == page.url


@pytest.mark.parametrize(("typed", "expected"), [("esketamine", "esketamine"), ("ketamine", "ketamine"),
                                                 ("ketamin", "ketamine")])
def test_search_reached_by_keyboard_lists_the_exact_name_first(explorer_page: Page, explorer_url: str,
                                                               kg: KnowledgeGraph, typed: str, expected: str) -> None:
    page = explorer_page
    open_app(page, explorer_url)
    tab_to(page, "a.id === 'search'")
    page.keyboard.press("Enter")
    box = page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search")
    box.fill(typed)
    node = kg.nodes[kg.resolve(expected)]
    label = f"{node.name} — {kg.schema.node_kinds[node.kind].label} ({node.id})"
    expect(page.locator(".dash-dropdown-content[data-state=open] [role=option]").first).to_have_text(
        label, timeout=SLOW)
    page.keyboard.press("Enter")
    expect(page.locator("#canvas-title")).to_contain_text(f"Neighbourhood of {node.name}", timeout=SLOW)


def test_the_path_pickers_rank_exact_names_first_and_offer_the_right_kinds(explorer_page: Page, explorer_url: str,
                                                                          kg: KnowledgeGraph) -> None:
    page = explorer_page
    open_app(page, explorer_url, "?view=explore")
    page.click("#tab-paths")
    ketamine = kg.nodes[kg.resolve("ketamine", kinds=("compound",))]
    page.click("#path-source")
    box = page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search")
    box.press_sequentially("ketamine", delay=40)
    options = page.locator(".dash-dropdown-content[data-state=open] [role=option]")
    expect(options.first).to_have_text(f"{ketamine.name} · {kg.schema.node_kinds['compound'].label}", timeout=SLOW)
    compound = kg.schema.node_kinds["compound"].label
    for text in options.all_inner_texts():
        assert text.endswith(f"· {compound}"), text
    box.press("Enter")  # picks ketamine itself ("(2R,6R)-hydroxynorketamine · compound" contains its name)
    expect(page.locator("#path-source")).to_have_text(f"{ketamine.name} · {compound}")
    page.click("#path-target")
    box = page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search")
    box.press_sequentially("depression", delay=40)
    allowed = {kg.schema.node_kinds[k].label for k in ("outcome", "disease", "adverse_effect")}
    expect(options.first).to_be_visible(timeout=SLOW)
    settled(page)  # the options of the whole word, not of its first letters
    for text in options.all_inner_texts():
        assert text.rsplit(" · ", 1)[1] in allowed, text
