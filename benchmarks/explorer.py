"""Explorer timings: first render in headless Chromium, and server time per callback.

    python benchmarks/explorer.py [--repeat 50] [--renders 5] [--no-browser]

*First render*: from navigation to the canvas holding its elements and the evidence panel filled,
in a fresh browser context each time (empty cache), against the app served locally.
*Callbacks*: the pure callback functions called directly (no HTTP): search autocomplete, path
tracing (router + render of a traced view), a tour step (router + render + evidence panel), the
evidence view (showing it, sorting its table, opening a row's claim).
The evidence view's first render is timed too: navigation to its table of studies.
Aims: first render <= 1.5 s, callbacks <= 150 ms p95 on the curated graph.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmoa.explorer import callbacks, evidence_view, ids, views  # noqa: E402
from kmoa.explorer import state as st  # noqa: E402
from kmoa.explorer.data import ExplorerData, prepare  # noqa: E402
from kmoa.graph.model import load_graph  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SEARCHES = ["ket", "esketamine", "Spravato", "GO:0017146", "AMPA", "depress", "bdnf", "suicid", "PMID:31109201"]
EVIDENCE = [("ketamine", "esketamine", "treatment-resistant depression"), ("esketamine", None, None),
            ("ketamine", None, "major depressive disorder"), ("ketamine", "esketamine", None)]
EVIDENCE_LINK = "?view=evidence&compound=ketamine&compare=esketamine&indication=TRD"
MECHANISMS = [("ketamine", "duloxetine", "major depressive disorder"), ("ketamine", "venlafaxine", "MDD"),
              ("esketamine", "duloxetine", "MDD"), ("ketamine", "esketamine", "treatment-resistant depression")]
MECHANISMS_LINK = "?view=mechanisms&source=ketamine&other=duloxetine&target=MDD"
PAIRS = [("ketamine", "treatment-resistant depression"), ("ketamine", "major depressive disorder"),
         ("esketamine", "treatment-resistant depression"), ("ketamine", "rapid antidepressant effect")]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of each call."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def callback_times(data: ExplorerData, repeat: int) -> dict[str, list[float]]:
    """Server time of the search, path-tracing and tour-step callbacks."""
    kg = data.kg
    base = st.default_state(kg)
    samples: dict[str, list[float]] = {"search autocomplete": [], "search pick: neighbourhood (force layout)": [],
                                       "path tracing (router + render)": [],
                                       "tour step (router + render + panel)": [], "evidence panel (node)": []}
    for text in SEARCHES:
        samples["search autocomplete"] += timed(partial(callbacks.search_options, data, text), repeat)
    for name in ["ketamine", "esketamine", "NMDA receptor", "rapid antidepressant effect"]:
        curie = kg.resolve(name)

        def pick(c: str = curie) -> None:
            out = callbacks.route(data, ids.SEARCH, c, {}, base)
            callbacks.render(data, out["state"])

        samples["search pick: neighbourhood (force layout)"] += timed(pick, repeat)
    for source, target in PAIRS:
        inputs = {"source": kg.resolve(source), "target": kg.resolve(target)}

        def trace(i: dict[str, str] = inputs) -> None:
            out = callbacks.route(data, ids.TRACE, 1, i, base)
            callbacks.render(data, out["state"])

        samples["path tracing (router + render)"] += timed(trace, repeat)
    for hyp in kg.hypotheses.values():
        state = st.start_tour(base, hyp.id)
        for _ in range(len(hyp.steps)):
            def step(s: st.State = state) -> None:
                out = callbacks.route(data, ids.TOUR_NEXT, 1, {}, s)
                callbacks.render(data, out["state"])
                callbacks.render_panel(data, out["state"])

            samples["tour step (router + render + panel)"] += timed(step, max(1, repeat // 5))
            state = st.step_tour(state, 1, len(hyp.steps))
    for curie in [kg.resolve("ketamine"), kg.resolve("esketamine"), kg.resolve("NMDA receptor")]:
        samples["evidence panel (node)"] += timed(partial(callbacks.render_panel, data, st.focus(base, curie)), repeat)
    samples.update({"evidence view: show (router + render)": [], "evidence view: sort (router + render)": [],
                    "evidence view: row -> claim (router + render + panel)": []})
    for compound, other, indication in EVIDENCE:
        chosen = {"ev_compound": kg.resolve(compound), "ev_compare": kg.resolve(other) if other else None,
                  "ev_indication": kg.resolve(indication) if indication else None}

        def show(i: dict[str, str | None] = chosen) -> None:
            out = callbacks.route(data, ids.EV_SHOW, 1, i, base)
            callbacks.render(data, out["state"])

        samples["evidence view: show (router + render)"] += timed(show, repeat)
    samples["compare mechanisms (router + render)"] = []
    for compound, other, target in MECHANISMS:
        public = data.public.resolve(other) if data.public is not None else None
        chosen = {"source": kg.resolve(compound), "target": kg.resolve(target), "other": public or other}

        def compare(i: dict[str, str] = chosen) -> None:
            out = callbacks.route(data, ids.COMPARE_RUN, 1, i, base)
            callbacks.render(data, out["state"])

        samples["compare mechanisms (router + render)"] += timed(compare, max(1, repeat // 2))
    samples["presentation: next slide (router + render)"] = []
    for hyp in kg.hypotheses.values():  # every step of every tour, as the clicker steps it
        state = st.start_tour(base, hyp.id)
        for _ in range(len(hyp.steps)):
            def slide(s: st.State = state) -> None:
                out = callbacks.route(data, ids.SLIDE_NEXT, 1, {}, s)
                callbacks.render(data, out["state"])

            samples["presentation: next slide (router + render)"] += timed(slide, max(1, repeat // 5))
            state = st.step_tour(state, 1, len(hyp.steps))
    for source, target in PAIRS:  # every step of the best path of each pair
        state = callbacks.route(data, ids.TRACE, 1, {"source": kg.resolve(source), "target": kg.resolve(target)},
                                base)["state"]
        for _ in range(len(views.path_step_claims(views.scene_for(data, state), state))):
            def path_slide(s: st.State = state) -> None:
                out = callbacks.route(data, ids.SLIDE_NEXT, 1, {}, s)
                callbacks.render(data, out["state"])

            samples["presentation: next slide (router + render)"] += timed(path_slide, max(1, repeat // 5))
            state = callbacks.route(data, ids.SLIDE_NEXT, 1, {}, state)["state"]
    shown = st.show_evidence(base, kg.resolve("ketamine"), kg.resolve("esketamine"), kg.resolve("TRD"))
    for column in evidence_view.SORTABLE:
        def sort(c: str = column) -> None:
            out = callbacks.route(data, {"type": ids.EVIDENCE_SORT, "index": c}, 1, {}, shown)
            callbacks.render(data, out["state"])

        samples["evidence view: sort (router + render)"] += timed(sort, max(1, repeat // 4))
    for row in evidence_view.evidence_for(data, shown).rows:  # type: ignore[union-attr]
        def open_row(r: str = evidence_view.row_index(row)) -> None:
            out = callbacks.route(data, {"type": ids.EVIDENCE_ROW, "index": r}, 1, {}, shown)
            callbacks.render(data, out["state"])
            callbacks.render_panel(data, out["state"])

        samples["evidence view: row -> claim (router + render + panel)"] += timed(open_row, max(1, repeat // 10))
    return samples


READY_CANVAS = ("() => { const el = document.getElementById('canvas'); const p = document.querySelector("
                "'#evidence-panel h2'); return el && el._cyreg && el._cyreg.cy && el._cyreg.cy.nodes().length > 0 "
                "&& p && p.textContent.length > 0 && p.textContent !== 'Evidence'; }")
READY_EVIDENCE = "() => document.querySelectorAll('#evidence-table tbody tr').length > 0"
READY_MECHANISMS = ("() => { const v = document.getElementById('compare-view'); "
                    "return v && v.offsetParent !== null && v.innerText.includes('duloxetine'); }")


def first_renders(data: ExplorerData, renders: int, query: str = "", ready: str = READY_CANVAS,
                  weight: dict[str, float] | None = None) -> list[float]:
    """Seconds from navigation to a drawn view (the canvas and a filled panel), each in a fresh context.

    ``weight`` gets what the first cold page loaded: JavaScript bytes, layout bytes, and callback requests sent
    before the page was idle (what a first render waits on, whatever the machine's load).
    """
    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from kmoa.explorer.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(data.kg, data=data)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/{query}"
    out = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            warm = browser.new_page()
            warm.goto(url)  # the server's first request compiles Dash's index; not the reader's wait
            warm.wait_for_function(ready)
            warm.close()
            for i in range(renders):
                context = browser.new_context(viewport={"width": 1600, "height": 950})
                page = context.new_page()
                loaded: list[tuple[str, str, int]] = []

                def finished(request: Any, got: list[tuple[str, str, int]] = loaded) -> None:
                    got.append((request.url, request.method, request.sizes()["responseBodySize"]))

                page.on("requestfinished", finished)
                start = time.perf_counter()
                page.goto(url)
                page.wait_for_function(ready, polling=10)
                out.append(time.perf_counter() - start)
                if i == 0 and weight is not None:
                    page.wait_for_load_state("networkidle")
                    weight["js_mb"] = sum(size for u, _, size in loaded if ".js" in u) / 1e6
                    weight["layout_kb"] = sum(size for u, _, size in loaded if "_dash-layout" in u) / 1e3
                    weight["callbacks"] = sum(1 for _, method, _ in loaded if method == "POST")
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    kg = load_graph()
    data = prepare(kg)
    print(f"curated graph: {len(kg.nodes)} nodes, {len(kg.claims)} claims, {len(kg.hypotheses)} hypotheses; "
          f"load + prepare {time.perf_counter() - start:.2f} s")
    callbacks.render(data, st.default_state(kg))  # warm imports (numpy, networkx layouts)
    for name, samples in callback_times(data, args.repeat).items():
        p50, p95 = percentiles(samples)
        print(f"{name:52} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({len(samples)} calls)")
    if not args.no_browser:
        for label, link, ready in (("first render (headless Chromium)", "", READY_CANVAS),
                                   ("first render: evidence view", EVIDENCE_LINK, READY_EVIDENCE),
                                   ("first render: compare mechanisms", MECHANISMS_LINK, READY_MECHANISMS)):
            weight: dict[str, float] = {}
            renders = first_renders(data, args.renders, link, ready, weight)
            print(f"{label:52} median {statistics.median(renders):.2f} s   "
                  f"max {max(renders):.2f} s   ({len(renders)} cold contexts; JavaScript {weight['js_mb']:.2f} MB, "
                  f"layout {weight['layout_kb']:.0f} kB, {weight['callbacks']:.0f} callback requests on load)")


if __name__ == "__main__":
    main()
