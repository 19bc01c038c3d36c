"""Browser fixtures: the explorer served on a free port, and Debian's headless Chromium via Playwright.

In CI (CI=true) a missing Chromium fails; on a laptop the browser tests are skipped only with
KMOA_SKIP_BROWSER=1. Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim, Hypothesis, HypothesisStep, Node, Provenance
from tests.conftest import opted_out

CHROMIUM = os.environ.get("KMOA_CHROMIUM", "/usr/bin/chromium")
# How long an assertion waits for what a user would see (Playwright's default is 5 s): on a busy machine a
# click's answer takes seconds to be drawn, and an assertion that gives up first fails a working page.
EXPECT_TIMEOUT = 20_000  # ms, as pages' own timeout below
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1600, "height": 950}
# Counts the page's Dash callback requests in flight (fetches to _dash-update-component, until their body is read),
# with the time the last one ended, so that a test can wait for everything an action set off to be answered.
# Playwright's "networkidle" cannot: it is reached once per navigation, so waiting for it again returns at once.
CALLBACK_COUNTER = """(() => {
  const calls = window.__kmoaCallbacks = {pending: 0, since: performance.now()};
  const fetch = window.fetch;
  window.fetch = function (input) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (!url.includes("_dash-update-component")) { return fetch.apply(this, arguments); }
    calls.pending += 1;
    const done = () => { calls.pending -= 1; calls.since = performance.now(); };
    return fetch.apply(this, arguments).then(response => {
      response.clone().arrayBuffer().then(done, done);
      return response;
    }, error => { done(); throw error; });
  };
})();"""
QUIET_MS = 300  # a callback's answer sets off the next callback within a few ms; this long with none is the end


def settled(page: Any) -> None:
    """Wait until every callback request the page sent has been answered and none has been sent for QUIET_MS.

    For a check that something did not change (a refused query leaves the title), or of a whole view once an
    action's callbacks, and theirs, are done. The page must come from ``explorer_page`` or ``fresh``.
    """
    page.wait_for_function("(quiet) => { const c = window.__kmoaCallbacks; "
                           "return !!c && c.pending === 0 && performance.now() - c.since >= quiet; }", arg=QUIET_MS)


# Text that would run script if any of it were rendered as HTML.
HOSTILE_NAME = '<script>window.__kmoa_xss = 1</script><img src=x onerror="window.__kmoa_xss = 2">probe'
HOSTILE_QUOTE = '<b>bold?</b> <script>window.__kmoa_xss = 3</script> <a href="javascript:window.__kmoa_xss=4">x</a>'
HOSTILE_CAPTION = '<img src=x onerror="window.__kmoa_xss = 5"> step caption'
HOSTILE_NODE = "KMOA:xss_probe"
HOSTILE_CLAIM = "test.xss_probe"
HOSTILE_HYPOTHESIS = "KMOA:hyp_xss_probe"


def hostile_graph(kg: KnowledgeGraph) -> KnowledgeGraph:
    """A copy of the graph with a node, a claim and a hypothesis whose texts contain HTML and <script>."""
    compound = next(c for c, n in sorted(kg.nodes.items()) if n.kind == "compound")
    node = Node(id=HOSTILE_NODE, kind="process", name=HOSTILE_NAME, synonyms=("xss probe",),
                description=HOSTILE_QUOTE)
    prov = Provenance(source=next(iter(kg.sources)), section="2", refs=(1,), quote=HOSTILE_QUOTE,
                      evidence_type="review", species="human")
    claim = Claim(id=HOSTILE_CLAIM, subject=compound, predicate="increases", object=HOSTILE_NODE, provenance=prov)
    hyp = Hypothesis(id=HOSTILE_HYPOTHESIS, name=f"{HOSTILE_NAME} hypothesis", provenance=prov,
                     steps=(HypothesisStep(HOSTILE_CLAIM, HOSTILE_CAPTION),), supported_by=(HOSTILE_CLAIM,))
    return dataclasses.replace(
        kg, nodes={**kg.nodes, HOSTILE_NODE: node, hyp.id: hyp.as_node()},
        claims={**kg.claims, HOSTILE_CLAIM: claim}, hypotheses={**kg.hypotheses, hyp.id: hyp})


class ServedApp:
    """A Dash app served by werkzeug in a daemon thread."""

    def __init__(self, kg: KnowledgeGraph):
        from werkzeug.serving import make_server

        from kmoa.explorer.app import create_app, request_handler

        self.app = create_app(kg)
        self.server = make_server("127.0.0.1", 0, self.app.server, threaded=True, request_handler=request_handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="explorer-test-server", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if opted_out("KMOA_SKIP_BROWSER"):
        pytest.skip("KMOA_SKIP_BROWSER=1")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` (or set KMOA_SKIP_BROWSER=1 "
                    "on a laptop)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def explorer_url(kg: KnowledgeGraph) -> Iterator[str]:
    """The explorer over the curated graph."""
    served = ServedApp(kg)
    yield served.url
    served.stop()


@pytest.fixture(scope="session")
def hostile_url(kg: KnowledgeGraph) -> Iterator[str]:
    """The explorer over a copy of the graph with HTML and <script> in a label, a quote and a caption."""
    served = ServedApp(hostile_graph(kg))
    yield served.url
    served.stop()


@pytest.fixture()
def explorer_page(chromium: Any) -> Iterator[Any]:
    """A fresh page; fails the test if the page raised a JavaScript error."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.add_init_script(CALLBACK_COUNTER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def fresh(chromium: Any) -> Iterator[Any]:
    """A factory of pages, each in its own new browser context (no shared storage or history)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make() -> Any:
        context = chromium.new_context(viewport=VIEWPORT)
        context.add_init_script(CALLBACK_COUNTER)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda err: errors.append(str(err)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
