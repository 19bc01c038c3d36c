"""Exports that stand alone, downloaded from a real headless Chromium and looked at as a reader would: the PNG
and SVG carry the view's title, a legend and a margin; the paths exports hold the ranked list with scores and
every step's claim; the CSV has every field of the claim record; a tour is one self-contained HTML handout
that prints one step a page."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.explorer import views
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.figure import MARGIN
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.path_answers import answer_paths
from kmoa.graph.records import Claim, Provenance
from tests.conftest import HYP_DISINHIBITION
from tests.test_explorer_browser import cy
from tests.test_explorer_legible import open_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


def download(page: Page, button: str) -> tuple[str, Path]:
    """Click an export button; (suggested file name, path of the downloaded file)."""
    with page.expect_download() as info:
        page.click(button)
    return info.value.suggested_filename, Path(info.value.path())


def look_at_svg(page: Page, svg: str) -> dict[str, Any]:
    """Draw an exported SVG in the browser: its size, title text, legend text, and the box all its content fills."""
    page.set_content(f"<!DOCTYPE html><html><body style='margin:0'>{svg}</body></html>")
    return page.evaluate("""() => {
        const svg = document.querySelector('svg');
        const box = {x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity};
        for (const el of svg.querySelectorAll('text, line, polygon, circle, rect, polyline')) {
          if (el.parentNode === svg && el.tagName === 'rect') { continue; }  // the white background
          const b = el.getBBox();
          const m = el.getCTM();
          const x = b.x + m.e, y = b.y + m.f;
          box.x1 = Math.min(box.x1, x); box.y1 = Math.min(box.y1, y);
          box.x2 = Math.max(box.x2, x + b.width); box.y2 = Math.max(box.y2, y + b.height);
        }
        const text = sel => Array.from(svg.querySelectorAll(sel)).map(t => t.textContent).join(' ');
        return {width: svg.width.baseVal.value, height: svg.height.baseVal.value, box: box,
                title: text('.title text'), legend: text('.legend text'),
                nodes: svg.querySelectorAll('.graph .node').length, notes: text(':scope > text')};
    }""")


def assert_stands_alone(seen: dict[str, Any], title: str, legend_labels: list[str]) -> None:
    assert " ".join(seen["title"].split()) == " ".join(title.split())
    for label in legend_labels:
        assert label in seen["legend"]
    box = seen["box"]
    margin = MARGIN / 2  # content never comes nearer the edge than half the margin (text boxes include ascenders)
    assert box["x1"] >= margin and box["y1"] >= margin, box
    assert box["x2"] <= seen["width"] - margin and box["y2"] <= seen["height"] - margin, (box, seen)


def test_the_svg_export_has_the_views_title_a_legend_and_a_margin(explorer_page: Page, explorer_url: str,
                                                                  data: ExplorerData) -> None:
    page = explorer_page
    kg = data.kg
    open_app(page, explorer_url)
    title = page.inner_text("#canvas-title")
    shown = cy(page, "return cy.nodes().map(n => n.id());")
    kinds = sorted({kg.schema.node_kinds[kg.nodes[n].kind].label for n in shown})
    name, path = download(page, "#export-svg")
    assert name.endswith(".svg")
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<script" not in svg
    seen = look_at_svg(page, svg)
    assert_stands_alone(seen, title, ["Legend", *kinds])
    assert seen["nodes"] == len(shown)


def test_the_png_export_is_the_figure_with_a_white_margin(explorer_page: Page, explorer_url: str) -> None:
    from PIL import Image

    page = explorer_page
    open_app(page, explorer_url)
    _, svg_path = download(page, "#export-svg")
    name, png_path = download(page, "#export-png")
    assert name.endswith(".png")
    seen = look_at_svg(page, svg_path.read_text(encoding="utf-8"))
    image = Image.open(png_path).convert("L")
    assert image.size == (round(seen["width"] * 2), round(seen["height"] * 2))  # drawn at twice the size
    width, height = image.size
    edge = MARGIN  # half the margin, at twice the size
    grey = image.load()
    assert grey is not None

    def at(x: int, y: int) -> int:
        return int(grey[x, y])  # type: ignore[arg-type]

    border = [at(x, y) for x in range(0, width, 7) for y in (*range(edge), *range(height - edge, height))]
    border += [at(x, y) for y in range(0, height, 7) for x in (*range(edge), *range(width - edge, width))]
    assert min(border) >= 250, "the margin is white"
    title_band = [at(x, y) for x in range(2 * MARGIN, width // 2, 3)
                  for y in range(2 * MARGIN, 4 * MARGIN)]
    assert min(title_band) < 100, "the title is drawn at the top"


def test_the_paths_exports_hold_the_ranked_paths_scores_and_every_steps_claim(explorer_page: Page, explorer_url: str,
                                                                             kg: KnowledgeGraph) -> None:
    page = explorer_page
    source, target = kg.resolve("ketamine", kinds=("compound",)), kg.resolve("treatment-resistant depression")
    answer = answer_paths(kg, source, target, k=views.PATH_LIMIT)
    open_app(page, explorer_url, f"?view=paths&source={source}&target={target}")
    expect(page.locator(".path-item")).to_have_count(len(answer.paths))
    _, path = download(page, "#export-json")
    listed = json.loads(path.read_text(encoding="utf-8"))["paths"]
    assert [p["rank"] for p in listed] == list(range(1, len(answer.paths) + 1))
    for item, ranked in zip(listed, answer.paths, strict=True):
        assert item["nodes"] == list(ranked.path.nodes)
        assert item["score"] == ranked.path.score
        assert item["hypothesis"] == (ranked.hypothesis.name if ranked.hypothesis else None)
        for step, expected in zip(item["steps"], ranked.path.steps, strict=True):
            prov = kg.claims[expected.claim_id].provenance
            assert (step["claim"], step["section"], step["refs"], step["quote"]) == \
                (expected.claim_id, prov.section, list(prov.refs), prov.quote)
    _, path = download(page, "#export-csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == sum(r.path.hops for r in answer.paths)
    for row in rows:
        listed_path = answer.paths[int(row["path"]) - 1].path
        step = listed_path.steps[int(row["step"]) - 1]
        assert float(row["score"]) == pytest.approx(listed_path.score)
        assert row["claim"] == step.claim_id
        assert row["quote"] == kg.claims[step.claim_id].provenance.quote
    _, path = download(page, "#export-svg")
    seen = look_at_svg(page, path.read_text(encoding="utf-8"))
    for i, ranked in enumerate(answer.paths):
        assert f"#{i + 1} score {ranked.path.score:.2f}" in seen["notes"]


def test_the_csv_has_every_field_of_the_claim_record(explorer_page: Page, explorer_url: str,
                                                     data: ExplorerData) -> None:
    kg = data.kg
    record = [f.name for f in fields(Claim) if f.compare and f.name not in ("id", "provenance")]
    record += [f.name for f in fields(Provenance)]
    # A node with a claim that gives a route, a dose and a timing (they were once dropped from the CSV).
    claim = next(c for c in sorted(kg.claims.values(), key=lambda c: c.id) if c.route and c.dose and c.timing
                 and any(c.id in e.claims for e in views.neighbourhood(data, c.subject).edges))
    focus = claim.subject
    page = explorer_page
    open_app(page, explorer_url, f"?focus={focus}")
    _, path = download(page, "#export-csv")
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    rows = {row["claim"]: row for row in reader}
    assert set(record) <= set(reader.fieldnames or ()), set(record) - set(reader.fieldnames or ())
    row = rows[claim.id]
    prov = claim.provenance
    assert (row["route"], row["dose"], row["timing"]) == (claim.route, claim.dose, claim.timing)
    assert (row["population"], row["line_of_therapy"]) == (claim.population or "", claim.line_of_therapy or "")
    assert (row["finding"], row["evidence_type"], row["species"], row["section"], row["quote"]) == \
        (prov.finding, prov.evidence_type, prov.species, prov.section, prov.quote)
    assert row["canmat_level"] == ("" if prov.canmat_level is None else str(prov.canmat_level))
    assert row["refs"] == ";".join(str(r) for r in prov.refs)


def test_a_tour_downloads_as_one_self_contained_handout_a_step_a_page(explorer_page: Page, explorer_url: str,
                                                                     kg: KnowledgeGraph) -> None:
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    page = explorer_page
    open_app(page, explorer_url, f"?tour={hyp.id}&step=2")
    name, path = download(page, "#tour-handout")
    assert name.endswith(".html")
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z]|src=|href=|@import|url\(", html, re.IGNORECASE), "an outside reference"
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(html)
    assert requests == []
    steps = page.locator("section.step")
    expect(steps).to_have_count(len(hyp.steps))
    for i, (section, step) in enumerate(zip(steps.all(), hyp.steps, strict=True)):
        prov = kg.claims[step.claim].provenance
        expect(section.locator("h2")).to_have_text(f"Step {i + 1} of {len(hyp.steps)}")
        expect(section.locator("figcaption")).to_have_text(step.caption)
        expect(section.locator("blockquote")).to_have_text(f"“{prov.quote}”")
        for ref in prov.refs:
            expect(section.locator(".refs")).to_contain_text(f"[{ref}]")
        expect(section.locator("figure svg .graph .node")).not_to_have_count(0)
        expect(section.locator("figure svg .legend")).to_contain_text("Legend")
    page.emulate_media(media="print")
    breaks = page.evaluate("() => Array.from(document.querySelectorAll('section.step')).map("
                           "s => getComputedStyle(s).breakBefore)")
    assert all(b == "page" for b in breaks)
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1 + len(hyp.steps)  # a cover, then a page a step
