"""Screenshots of the real explorer in headless Chromium, for docs/.

    python scripts/screenshot.py presentation docs/presentation.png
    python scripts/screenshot.py paths docs/explorer.png
    python scripts/screenshot.py evidence docs/evidence.png

``presentation``: a hypothesis tour in presentation mode at 1280×720 (a projector's resolution), as a lecturer
shows it after pressing P. ``paths``: the best ketamine -> treatment-resistant depression path with one
step's evidence, at 1600×900. ``evidence``: the evidence view for ketamine vs esketamine in
treatment-resistant depression, sorted by sample size, with TRANSFORM-2's claim open, at 1600×1100.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmoa.explorer.app import create_app  # noqa: E402
from kmoa.graph.model import KnowledgeGraph, load_graph  # noqa: E402

CHROMIUM = os.environ.get("KMOA_CHROMIUM", "/usr/bin/chromium")
TOUR, STEP = "KMOA:hyp_disinhibition", 4


def capture(kg: KnowledgeGraph, query: str, out: Path, viewport: tuple[int, int],
            ready: Callable[[Any], None]) -> None:
    """Serve the explorer, open ``/?query`` in headless Chromium, let ``ready(page)`` set it up, save a PNG."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, create_app(kg).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
            page.goto(f"http://127.0.0.1:{server.server_port}/?{query}")
            ready(page)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.shutdown()
    print(f"screenshot: {out}")


def presentation(out: Path) -> None:
    """Step STEP of the disinhibition tour in presentation mode."""
    def ready(page: Any) -> None:
        page.wait_for_function("() => { const el = document.getElementById('canvas'); "
                               "return el && el._cyreg && el._cyreg.cy.elements().length > 0; }")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="Present").click()
        page.wait_for_selector("#slide-caption")
        page.wait_for_function("() => !!document.getElementById('canvas')._cyreg.cy.scratch('_kmoaGrid')")
        page.wait_for_timeout(800)  # the labels' sizes and the hidden edge labels settle

    capture(load_graph(), f"tour={TOUR}&step={STEP}", out, (1280, 720), ready)


def paths(out: Path) -> None:
    """The first ketamine -> treatment-resistant depression path the explorer lists, its second step's evidence open."""
    from kmoa.graph.path_answers import answer_paths

    kg = load_graph()
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    best = answer_paths(kg, source, target, k=1).paths[0].path
    step = best.steps[min(1, best.hops - 1)]

    def ready(page: Any) -> None:
        page.wait_for_function("() => document.querySelector('#evidence-panel .quote-text') !== null")
        page.wait_for_timeout(500)

    capture(kg, f"view=paths&source={source}&target={target}&path=1&sel=claim:{step.claim_id}", out,
            (1600, 900), ready)


def evidence(out: Path) -> None:
    """The evidence view of ketamine vs esketamine in TRD, largest trials first, TRANSFORM-2's claim open."""
    kg = load_graph()
    claim = next(c.id for c in sorted(kg.claims.values(), key=lambda c: c.id)
                 if c.subject == kg.resolve("esketamine") and c.object == kg.resolve("treatment-resistant depression")
                 and kg.resolve("TRANSFORM-2") in c.studies)

    def ready(page: Any) -> None:
        page.wait_for_selector("#evidence-table tbody tr.selected")
        page.wait_for_function("() => document.querySelector('#evidence-panel .quote-text') !== null")
        page.wait_for_load_state("networkidle")

    capture(kg, f"view=evidence&compound=ketamine&compare=esketamine&indication=TRD&sort=n&sel=claim:{claim}", out,
            (1600, 1100), ready)


def main() -> None:
    """Write the screenshot named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["presentation", "paths", "evidence"])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    {"presentation": presentation, "paths": paths, "evidence": evidence}[args.which](args.out)


if __name__ == "__main__":
    main()
