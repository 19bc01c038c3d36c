"""Screenshots of the real explorer in headless Chromium, for docs/.

    python scripts/screenshot.py presentation docs/presentation.png

``presentation``: a hypothesis tour in presentation mode at 1280×720 (a projector's resolution), as a lecturer
shows it after pressing P.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmoa.explorer.app import create_app  # noqa: E402
from kmoa.graph.model import load_graph  # noqa: E402

CHROMIUM = os.environ.get("KMOA_CHROMIUM", "/usr/bin/chromium")
TOUR, STEP = "KMOA:hyp_disinhibition", 4


def presentation(out: Path) -> None:
    """Step STEP of the disinhibition tour in presentation mode."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, create_app(load_graph()).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
            page.goto(f"http://127.0.0.1:{server.server_port}/?tour={TOUR}&step={STEP}")
            page.wait_for_function("() => { const el = document.getElementById('canvas'); "
                                   "return el && el._cyreg && el._cyreg.cy.elements().length > 0; }")
            page.wait_for_load_state("networkidle")
            page.get_by_role("button", name="Present").click()
            page.wait_for_selector("#slide-caption")
            page.wait_for_function("() => !!document.getElementById('canvas')._cyreg.cy.scratch('_kmoaGrid')")
            page.wait_for_timeout(800)  # the labels' sizes and the hidden edge labels settle
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.shutdown()
    print(f"screenshot: {out}")


def main() -> None:
    """Write the screenshot named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["presentation"])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    presentation(args.out)


if __name__ == "__main__":
    main()
