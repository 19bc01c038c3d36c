"""Keyboard and accessibility in a real headless Chromium: fast typing in the search boxes, every tab walked with
the keyboard alone, the list of drawn nodes, and axe-core on every view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from graph.model import KnowledgeGraph
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

