"""The evidence rows (graph.evidence) and `kmoa plot evidence`: every study, the review's numbers, safe files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from kmoa.cli import main
from kmoa.graph.evidence import compare_evidence, forest_panels
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim
from kmoa.graph.review import Review
from tests.conftest import TINY_DATA

KETAMINE, ESKETAMINE, TRD = "CHEBI:6121", "CHEBI:60799", "EFO:0009854"
TRD_PATIENTS = r"(^|[^a-z-])(TRD|treatment-resistant depression)([^a-z-]|$)"


def cited_studies(kg: KnowledgeGraph, compound: str, indication: str, population: str) -> set[str]:
    """Studies behind the compound's claims about the indication, its comparisons on it, and its other claims citing
    a human study whose population matches ``population`` (a regular expression), read from the records."""
    found = {s for c in kg.claims.values() if c.subject == compound and c.object == indication for s in c.studies}
    found |= {s for c in kg.comparisons.values() if compound in (c.arm_a.node, c.arm_b.node)
              and c.outcome == indication for s in c.studies}

    def in_population(claim: Claim, study: str) -> bool:
        facts = kg.nodes[study].study
        return facts is not None and facts.species == "human" and any(
            re.search(population, text or "", re.IGNORECASE) for text in (facts.population, claim.population))

    found |= {s for c in kg.claims.values() if c.subject == compound and c.predicate != "tested_in"
              for s in c.studies if in_population(c, s)}
    return found


def test_every_study_of_the_pair_is_one_row(kg: KnowledgeGraph) -> None:
    evidence = compare_evidence(kg, ["ketamine", "esketamine"], "TRD")
    for compound in (KETAMINE, ESKETAMINE):
        studies = [r.study for r in evidence.rows if r.compound == compound and r.study]
        assert sorted(studies) == sorted(cited_studies(kg, compound, TRD, TRD_PATIENTS)), compound
    names = {r.name for r in evidence.rows}
    assert {"TRANSFORM-1", "TRANSFORM-2", "TRANSFORM-3", "SUSTAIN-1", "Zarate 2006"} <= names
    # Trials in TRD patients on another endpoint are rows too (they were once left out).
    assert "Randomized crossover single infusion of ketamine or midazolam in TRD (n = 41)" in names


def test_a_population_names_the_disease_its_longest_name_matches(kg: KnowledgeGraph) -> None:
    from kmoa.graph.evidence import diseases_named

    mdd, bipolar = kg.resolve("MDD"), kg.resolve("bipolar depression")
    assert diseases_named(kg, "individuals with MDD/TRD") == {mdd, TRD}
    assert diseases_named(kg, "TRD participants taking concurrent standard antidepressants") == {TRD}
    assert diseases_named(kg, "patients with treatment-resistant bipolar depression") == {bipolar}
    assert diseases_named(kg, "patients with treatment-resistant depression") == {TRD}
    assert diseases_named(kg, "rats") == set() == diseases_named(kg, None)


def test_a_row_carries_its_study_facts_and_opens_a_claim_about_it(kg: KnowledgeGraph) -> None:
    evidence = compare_evidence(kg, ["esketamine"], "TRD")
    for row in evidence.rows:
        claim = kg.claims[row.claim]
        assert row.claim in row.claims
        assert claim.subject == ESKETAMINE and claim.object == TRD, row.name
        if row.study is not None:
            facts = kg.nodes[row.study].study
            assert facts is not None and (row.n, row.design, row.result) == (facts.n, facts.design, facts.result)
            assert row.study in claim.studies
    transform2 = next(r for r in evidence.rows if r.name == "TRANSFORM-2")
    assert (transform2.n, transform2.route) == (223, "intranasal")


def test_canmat_levels_and_the_missing_head_to_head_trial_are_shown(kg: KnowledgeGraph) -> None:
    evidence = compare_evidence(kg, ["ketamine", "esketamine"], "TRD")
    assert {"1", "3"} <= {r.canmat_level for r in evidence.rows if r.compound == KETAMINE}
    assert [c.result for c in evidence.between] == ["not_established"]


def test_every_plotted_number_is_in_its_quote_and_on_its_study(kg: KnowledgeGraph) -> None:
    review = Review.load()
    assert kg.estimates
    for est in kg.estimates:
        assert review.contains(est.quote), est.id
        facts = kg.nodes[est.study].study
        assert facts is not None and est.claim in kg.claims, est.id
    panels = forest_panels(compare_evidence(kg, ["esketamine"], "TRD"))
    relapse = next(p for p in panels if p.title.startswith("relapse"))
    assert {(p.value, p.comparator) for p in relapse.points} == {(26.7, 45.3), (25.8, 57.6)}


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_plot_writes_a_png_and_an_svg_with_title_legend_and_source(tmp_path: Path) -> None:
    png, svg = tmp_path / "evidence.png", tmp_path / "slides" / "evidence.svg"
    code, out = run(["plot", "evidence", "ketamine", "esketamine", "--indication", "TRD", "-o", str(png)])
    assert code == 0, out
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 1000 and image.height >= 500
    code, out = run(["plot", "evidence", "ketamine", "esketamine", "-i", "TRD", "-o", str(svg)])
    assert code == 0, out
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t for t in root.itertext())
    for expected in ("Clinical evidence: ketamine vs esketamine in treatment-resistant depression", "SUSTAIN-1",
                     "TRANSFORM-2", "comparator arm", "doi:10.1007/s44192-022-00012-3"):
        assert expected in text, expected


def test_plot_format_option_wins_over_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "chart.img"
    code, output = run(["plot", "evidence", "esketamine", "--format", "svg", "-o", str(out)])
    assert code == 0, output
    assert ET.parse(out).getroot().tag.endswith("svg")


def test_plot_refuses_to_overwrite_a_file_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.png"
    out.write_bytes(b"the user's own picture")
    code, output = run(["plot", "evidence", "esketamine", "-o", str(out)])
    assert code == 1 and output.startswith("Error: ") and "--force" in output and str(out) in output
    assert out.read_bytes() == b"the user's own picture"
    code, output = run(["plot", "evidence", "esketamine", "-o", str(out), "--force"])
    assert code == 0, output
    with Image.open(out) as image:
        assert image.format == "PNG"


def test_plot_names_an_unknown_compound_and_a_format_it_cannot_write(tmp_path: Path) -> None:
    code, output = run(["plot", "evidence", "ketamin", "-o", str(tmp_path / "x.png")])
    assert code == 1 and "No node matches 'ketamin'" in output and "ketamine (CHEBI:6121)" in output
    code, output = run(["plot", "evidence", "TRD", "-o", str(tmp_path / "x.png")])
    assert code == 1 and "'TRD' is treatment-resistant depression (EFO:0009854)" in output
    assert "not a compound" in output
    code, output = run(["plot", "evidence", "ketamine", "-o", str(tmp_path / "x.pdf")])
    assert code == 2 and ".png or .svg" in output
    code, output = run(["plot", "evidence", "ketamine", "-i", "TRD", "-o", str(tmp_path / "x.png"),
                        "--data", str(TINY_DATA / "missing")])
    assert code == 2
    assert not list(tmp_path.iterdir())


def test_the_evidence_view_round_trips_through_its_url(kg: KnowledgeGraph) -> None:
    from kmoa.explorer import state as st

    state = st.decode("?view=evidence&compound=ketamine&compare=Spravato&indication=TRD&sort=-n", kg)
    assert (state["view"], state["ev_compound"], state["ev_compare"], state["ev_indication"], state["ev_sort"]) == (
        "evidence", KETAMINE, ESKETAMINE, TRD, "-n")
    assert not state["notices"]
    again = st.decode(st.encode(state), kg)
    assert st.same_view(again, state)
    assert st.sort_evidence(state, "-n".lstrip("-"))["ev_sort"] == "n"
    assert st.sort_evidence(st.sort_evidence(state, "finding"), "finding")["ev_sort"] == "-finding"


def test_a_bad_evidence_parameter_is_named_and_dropped(kg: KnowledgeGraph) -> None:
    from kmoa.explorer import state as st

    state = st.decode("?view=evidence&compound=NMDA%20receptor&sort=colour", kg)
    named = {n["param"] for n in state["notices"]}
    assert named == {"compound", "sort"} and state["view"] == "explore"
    state = st.decode("?view=evidence&compound=ketamine&indication=nothing-like-this", kg)
    assert [n["param"] for n in state["notices"]] == ["indication"]
    assert state["view"] == "evidence" and state["ev_indication"] is None


def test_the_evidence_view_exports_its_rows_in_the_table_order(kg: KnowledgeGraph) -> None:
    import csv
    import io
    import json

    from kmoa.explorer import state as st
    from kmoa.explorer.callbacks import export_data
    from kmoa.explorer.data import prepare

    data = prepare(kg)
    state = st.decode("?view=evidence&compound=ketamine&compare=esketamine&indication=TRD&sort=n", kg)
    rows = list(csv.DictReader(io.StringIO(export_data(data, state, "csv")["content"])))
    evidence = compare_evidence(kg, ["ketamine", "esketamine"], "TRD")
    assert len(rows) == len(evidence.rows) and rows[0]["name"] == "TRANSFORM-1" and rows[0]["n"] == "346"
    assert {r["claim"] for r in rows} == {r.claim for r in evidence.rows}
    sustain = next(r for r in json.loads(export_data(data, state, "json")["content"]) if r["name"] == "SUSTAIN-1")
    assert {(e["value"], e["comparator"]) for e in sustain["estimates"]} == {(26.7, 45.3), (25.8, 57.6)}


def test_the_evidence_views_figure_export_is_the_chart(kg: KnowledgeGraph) -> None:
    from kmoa.explorer import state as st
    from kmoa.explorer.callbacks import figure_export
    from kmoa.explorer.data import prepare

    state = st.decode("?view=evidence&compound=ketamine&compare=esketamine&indication=TRD", kg)
    figure = figure_export(prepare(kg), state, "svg")
    root = ET.fromstring(figure["svg"])
    text = " ".join(root.itertext())
    assert figure["filename"] == "kmoa-evidence" and root.tag.endswith("svg")
    for expected in ("Clinical evidence: ketamine vs esketamine in treatment-resistant depression",
                     "SUSTAIN-1", "comparator arm", "doi:10.1007/s44192-022-00012-3"):
        assert expected in text, expected


def test_a_range_of_values_is_drawn_and_named_as_a_range_not_an_interval(kg: KnowledgeGraph) -> None:
    """The review gives Cohen's d = 0.48–0.85 over time points up to a week: a range, not an interval."""
    from kmoa.explorer.callbacks import figure_export
    from kmoa.explorer.data import prepare
    from kmoa.explorer.evidence_view import forest_chart
    from kmoa.explorer.state import decode

    review = Review.load()
    bounded = [e for e in kg.estimates if e.low is not None and e.high is not None]
    assert bounded and all(e.spread in ("interval", "range") for e in bounded)
    ranges = [e for e in bounded if e.spread == "range"]
    assert ranges
    for est in ranges:
        assert est.spans and review.contains(est.quote), est.id
        assert all(word in est.quote for word in est.spans.split()), est.id  # in the review's words
    est = ranges[0]
    evidence = compare_evidence(kg, [kg.nodes[kg.claims[est.claim].subject].name])
    point = next(p for panel in forest_panels(evidence) for p in panel.points if (p.low, p.high) == (est.low, est.high))
    assert point.spread == "range" and point.text.startswith(f"range {est.low:g}–{est.high:g}")
    assert est.spans in point.text
    # The explorer's chart: a span between end marks (not an interval's bar), and a legend that says so.
    chart = forest_chart(prepare(kg), evidence)
    marks = [c for c in chart._traverse() if "range of values given" in str(getattr(c, "title", ""))]
    assert [m.className for m in marks] == ["forest-span"] * len(marks) and marks
    legend = " ".join(str(c) for c in chart._traverse() if isinstance(c, str))
    assert "not an interval" in legend and "interval the review gives" not in legend
    # The exported figure (and `kmoa plot evidence`) label it the same way.
    compound = kg.claims[est.claim].subject
    figure = figure_export(prepare(kg), decode(f"?view=evidence&compound={compound}", kg), "svg")
    text = " ".join(ET.fromstring(figure["svg"]).itertext())
    assert "range of the values given (not an interval)" in text and f"range {est.low:g}–{est.high:g}" in text


def test_an_estimate_with_bounds_must_say_whether_they_are_an_interval_or_a_range(tmp_path: Path) -> None:
    import shutil
    from importlib.resources import files

    import pytest

    from kmoa.graph.curation import CurationError, read_curation

    data = tmp_path / "data"
    shutil.copytree(str(files("kmoa.graph") / "data"), data)
    estimates = data / "estimates.yaml"
    text = estimates.read_text(encoding="utf-8")
    assert "  spread: range\n" in text
    estimates.write_text(text.replace("  spread: range\n", "", 1), encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        read_curation(data)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1 and "estimates.yaml:" in problems[0] and "'spread'" in problems[0], problems
