"""Quick clicks in a real headless Chromium are never lost: while the server holds back its answers (as a
busy machine is late with them), Next, Next, Next moves three steps, and a tap sent while the page's own
URL request is still in flight is the one the page shows."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from kmoa.graph.model import KnowledgeGraph
from tests.browser_fixtures import ServedApp, settled
from tests.conftest import HYP_DISINHIBITION, KETAMINE
from tests.test_explorer_browser import cy, open_app

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms


class HeldCallbacks:
    """WSGI middleware: while held, callback requests wait (at most a minute) until released."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.released = threading.Event()
        self.released.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("_dash-update-component"):
            self.released.wait(60)
        return self.app(environ, start_response)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Callback requests sent inside the block are answered when it ends."""
        self.released.clear()
        try:
            yield
        finally:
            self.released.set()


@pytest.fixture(scope="module")
def served(kg: KnowledgeGraph) -> Iterator[tuple[str, HeldCallbacks]]:
    """The explorer over the curated graph, with a hold on its callback answers."""
    app = ServedApp(kg)
    gate = HeldCallbacks(app.app.server.wsgi_app)
    app.app.server.wsgi_app = gate  # type: ignore[method-assign]
    yield app.url, gate
    gate.released.set()
    app.stop()


def step_in_url(page: Page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("step", [None])[0]


def sent(page: Page) -> Any:
    """A block that ends once the page has sent a callback request."""
    return page.expect_request(lambda request: "_dash-update-component" in request.url)


def test_quick_next_clicks_each_move_a_step(explorer_page: Page, served: tuple[str, HeldCallbacks],
                                            kg: KnowledgeGraph) -> None:
    url, gate = served
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    open_app(page, url, f"?tour={hyp.id}&step=1")
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[0].caption)
    with gate.held():  # each click is sent while the one before is still unanswered
        for _ in range(3):
            with sent(page):
                page.locator("#tour-next").click()
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[3].caption, timeout=SLOW)
    expect(page).to_have_url(f"{url}?view=tour&tour={hyp.id}&step=4", timeout=SLOW)
    # Next, Previous, Next, Next in quick succession: two steps on.
    with gate.held():
        for button in ("#tour-next", "#tour-prev", "#tour-next", "#tour-next"):
            with sent(page):
                page.locator(button).click()
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[5].caption, timeout=SLOW)
    settled(page)  # no late answer moves it on or back
    assert step_in_url(page) == "6"
    expect(page.locator("#tour-caption")).to_have_text(hyp.steps[5].caption)


def test_quick_clicker_presses_in_presentation_each_move_a_step(explorer_page: Page,
                                                               served: tuple[str, HeldCallbacks],
                                                               kg: KnowledgeGraph) -> None:
    url, gate = served
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    open_app(page, url, f"?tour={hyp.id}&step=2")
    page.get_by_role("button", name="Present").click()
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[1].caption, timeout=SLOW)
    with gate.held():
        for key in ("PageDown", "PageDown", "ArrowRight", "PageUp", "PageDown"):
            with sent(page):
                page.keyboard.press(key)
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[4].caption, timeout=SLOW)
    settled(page)  # no late answer moves it on or back
    assert step_in_url(page) == "5"
    expect(page.locator("#slide-caption")).to_have_text(hyp.steps[4].caption)


def tap_a_node_other_than_ketamine(page: Page) -> str:
    """Tap the first drawn node that is not ketamine, counting the callback it sends; its id."""
    other = str(cy(page, "return cy.nodes().filter(n => n.id() !== arg)[0].id();", KETAMINE))
    with sent(page):
        cy(page, "cy.getElementById(arg).emit('tap');", other)
    return other


def test_a_tap_while_the_page_reads_its_link_is_not_lost(explorer_page: Page, served: tuple[str, HeldCallbacks],
                                                         kg: KnowledgeGraph) -> None:
    url, gate = served
    page = explorer_page
    with gate.held():
        # A link with a parameter the explorer drops: the page's router reads the address once it is drawn.
        with sent(page):
            open_app(page, url, f"?focus={KETAMINE}&bogus=1")
        other = tap_a_node_other_than_ketamine(page)
    panel = page.locator("#evidence-panel h2").first
    expect(panel).to_have_text(kg.nodes[other].name, timeout=SLOW)
    settled(page)  # no late answer moves it on or back
    assert "bogus" not in page.url
    expect(panel).to_have_text(kg.nodes[other].name)


def test_a_tap_as_soon_as_the_canvas_is_drawn_is_not_lost(explorer_page: Page, served: tuple[str, HeldCallbacks],
                                                          kg: KnowledgeGraph) -> None:
    url, gate = served
    page = explorer_page
    with gate.held():
        open_app(page, url, f"?focus={KETAMINE}")
        other = tap_a_node_other_than_ketamine(page)
    panel = page.locator("#evidence-panel h2").first
    expect(panel).to_have_text(kg.nodes[other].name, timeout=SLOW)
    settled(page)  # no late answer moves it on or back
    expect(panel).to_have_text(kg.nodes[other].name)
