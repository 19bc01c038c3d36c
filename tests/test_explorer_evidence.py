"""The evidence view in a real headless Chromium: every study, sorting, a row opens its claim, links restore it.

The studies expected for IV ketamine and intranasal esketamine in treatment-resistant depression are
read from the RDF export with SPARQL (claims and comparisons citing a study, and the compound's claims
citing a human study whose population is TRD patients), not from the view's code.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kmoa.graph.model import KnowledgeGraph
from kmoa.loaders.formats.rdf import to_rdf
from kmoa.loaders.stores.sparql_engine import run_query
from tests.browser_fixtures import settled

pytestmark = pytest.mark.browser
SLOW = 20_000  # ms: a busy machine takes seconds to draw the view again
KETAMINE, ESKETAMINE, TRD = "CHEBI:6121", "CHEBI:60799", "EFO:0009854"
LINK = "?view=evidence&compound=ketamine&compare=esketamine&indication=TRD"
STUDIES = f"""SELECT DISTINCT ?cid ?sid WHERE {{
  VALUES ?cid {{ "{KETAMINE}" "{ESKETAMINE}" }}
  ?x kmoa:id ?cid . ?trd kmoa:id "{TRD}" .
  {{ ?c a kmoa:Claim ; rdf:subject ?x ; rdf:object ?trd ; kmoa:study ?s . }}
  UNION
  {{ ?c kmoa:outcome ?trd ; kmoa:study ?s .
     {{ ?c kmoa:arm_a/kmoa:arm_node ?x }} UNION {{ ?c kmoa:arm_b/kmoa:arm_node ?x }} }}
  UNION
  {{ ?c a kmoa:Claim ; rdf:subject ?x ; rdf:predicate ?p ; kmoa:study ?s .
     ?s kmoa:species "human" ; kmoa:population ?population .
     FILTER(?p != kmoa:tested_in
            && REGEX(?population, "(^|[^A-Za-z-])(TRD|treatment-resistant depression)([^A-Za-z-]|$)", "i")) }}
  ?s kmoa:id ?sid .
}}"""


def table_rows(page: Page) -> list[dict[str, str]]:
    """The table as a reader sees it, once drawn: compound, study id, claim id and every cell's text."""
    settled(page)
    return page.locator("#evidence-table tbody tr").evaluate_all(
        "rows => rows.map(r => ({compound: r.cells[0].innerText, study: r.dataset.study, claim: r.dataset.claim, "
        "n: r.querySelector('.col-n').innerText, finding: r.querySelector('.col-finding').innerText}))")


def test_the_view_lists_every_study_the_review_reports_for_the_pair(fresh: Any, explorer_url: str,
                                                                     kg: KnowledgeGraph) -> None:
    expected: dict[str, set[str]] = {}
    for row in run_query(to_rdf(kg), STUDIES).rows:
        expected.setdefault(kg.nodes[str(row["cid"])].name, set()).add(str(row["sid"]))
    assert len(expected) == 2 and all(expected.values())
    page = fresh()
    page.goto(explorer_url + LINK)
    expect(page.locator("#evidence-table")).to_be_visible(timeout=SLOW)
    expect(page.locator("#node-list")).to_be_hidden()  # no canvas in this view, so no list of its nodes
    expect(page.locator("#canvas-title")).to_have_text(
        "Clinical evidence: ketamine vs esketamine in treatment-resistant depression", timeout=SLOW)
    rows = table_rows(page)
    shown = {name: {r["study"] for r in rows if r["compound"] == name and r["study"]} for name in expected}
    assert shown == expected
    for row in rows:  # each study row shows the sample size its record gives
        node = kg.nodes.get(row["study"])
        if node is not None and node.study is not None and node.study.n is not None:
            assert row["n"] == str(node.study.n), row["study"]
    expect(page.locator("#evidence-view")).to_contain_text("has not yet been established in adequately designed",
                                                           timeout=SLOW)
    chart = page.locator("#evidence-chart")
    for study in ("TRANSFORM-2", "SUSTAIN-1 · stable remitters", "26.7% vs 45.3%", "23 of 41"):
        expect(chart).to_contain_text(study, timeout=SLOW)


def test_sorting_clicking_a_row_and_a_fresh_browser(fresh: Any, explorer_url: str, kg: KnowledgeGraph) -> None:
    page = fresh()
    page.goto(explorer_url + LINK)
    expect(page.locator("#evidence-table")).to_be_visible(timeout=SLOW)
    page.wait_for_load_state("networkidle")  # the drawn page answers clicks once its callbacks are wired
    header = page.locator("#evidence-table thead th").nth(3)
    expect(header).to_have_text("n", timeout=SLOW)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending", timeout=SLOW)
    expect(page).to_have_url(re.compile(r"[?&]sort=n(&|$)"), timeout=SLOW)
    sizes = [int(r["n"]) for r in table_rows(page) if r["n"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) >= 8  # largest trials first, unknown n last
    assert table_rows(page)[-1]["n"] == ""
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending", timeout=SLOW)
    reversed_sizes = [int(r["n"]) for r in table_rows(page) if r["n"]]
    assert reversed_sizes == sorted(sizes)
    page.get_by_role("button", name="Finding", exact=True).click()
    expect(page.locator("#evidence-table thead th").nth(10)).to_have_attribute("aria-sort", "ascending",
                                                                               timeout=SLOW)
    findings = [r["finding"] for r in table_rows(page)]
    order = ["positive", "suggestive", "rare", "mixed", "insufficient", "null", "negative"]
    assert findings == sorted(findings, key=order.index)

    row = page.locator("#evidence-table tbody tr", has_text="TRANSFORM-2")
    claim = kg.claims[str(row.get_attribute("data-claim"))]
    row.click()
    panel = page.locator("#evidence-panel")
    expect(panel).to_contain_text(" ".join(claim.provenance.quote.split())[:60], timeout=SLOW)
    expect(row).to_have_class("evidence-row selected", timeout=SLOW)
    expect(page).to_have_url(re.compile(re.escape(f"sel=claim:{claim.id}")), timeout=SLOW)

    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator("#share-status")).to_contain_text("Link copied", timeout=SLOW)
    link = str(page.evaluate("() => navigator.clipboard.readText()"))
    assert link == page.url
    before = [r["study"] for r in table_rows(page)]
    other = fresh()
    other.goto(link)
    expect(other.locator("#evidence-table")).to_be_visible(timeout=SLOW)
    other.wait_for_load_state("networkidle")
    assert [r["study"] for r in table_rows(other)] == before
    expect(other.locator("#evidence-panel")).to_contain_text(" ".join(claim.provenance.quote.split())[:60],
                                                             timeout=SLOW)
    expect(other.locator("#evidence-table tbody tr.selected")).to_contain_text("TRANSFORM-2", timeout=SLOW)
    expect(other.locator(".tab--selected")).to_have_text("Evidence", timeout=SLOW)
    assert other.url == link


def test_the_evidence_tab_shows_a_choice_and_a_bad_compound_is_named(fresh: Any, explorer_url: str,
                                                                      kg: KnowledgeGraph) -> None:
    page = fresh()
    page.goto(explorer_url + "?view=evidence&compound=NMDA%20receptor")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#url-notices")).to_contain_text("compound", timeout=SLOW)
    expect(page.locator("#evidence-table")).to_have_count(0, timeout=SLOW)
    page.get_by_role("tab", name="Evidence").click()
    page.locator("#evidence-compound").click()
    page.keyboard.type("esketamine")
    # Enter picks the first option shown, as a user sees it once the list has filtered.
    expect(page.locator(".dash-dropdown-content[data-state=open] [role=option]").first).to_have_text(
        "esketamine", timeout=SLOW)
    page.keyboard.press("Enter")
    expect(page.locator("#evidence-compound")).to_contain_text("esketamine")
    page.get_by_role("button", name="Show evidence").click()
    expect(page.locator("#evidence-table")).to_contain_text("TRANSFORM-1", timeout=SLOW)
    row = page.locator("#evidence-table tbody tr", has_text="TRANSFORM-1")
    claim = kg.claims[str(row.get_attribute("data-claim"))]
    row.get_by_role("button").focus()  # a row is reached and opened from the keyboard too
    page.keyboard.press("Enter")
    expect(page.locator("#evidence-panel")).to_contain_text(" ".join(claim.provenance.quote.split())[:60],
                                                            timeout=SLOW)
    expect(page).to_have_url(re.compile(r"view=evidence&compound=CHEBI:60799"), timeout=SLOW)
