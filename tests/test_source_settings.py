"""What is particular to a curated source lives in its ``source.yaml``, not in code.

The headings of its text (where passages stop), the numbered routes its hypotheses may name, how a
quote's footer names it and the citation under the evidence chart: the packaged review's come from
``graph/data/source.yaml``, a second source (a copy of ``tests/fixtures/sources/synthetic-notes``)
declares its own.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from kmoa.graph.curation import CurationError
from kmoa.graph.evidence import compare_evidence, source_line
from kmoa.graph.model import load_graph
from kmoa.graph.review import passages_citing
from kmoa.graph.sources import default_source_dir, read_source

SYNTHETIC = Path(__file__).parent / "fixtures" / "sources" / "synthetic-notes"
HYPOTHESIS = """- id: KMOA:hyp_synthetic_marker
  name: Synthetic marker hypothesis
  route: {route}
  section: S2.1
  refs: [2]
  quote: a higher synthetic spine marker led to a better synthetic mood score
  evidence_type: rct
  species: human
  steps:
  - claim: syn.bdnf_marker
    caption: BDNF raises the synthetic marker.
  - claim: syn.marker_mood
    caption: The marker goes with a better mood score.
"""
SETTINGS = """short_name: Notes
headings: 'S\\d(\\.\\d)?\\s{2}\\S.*'
routes:
  count: 2
  figure: the notes' Figure A
"""


def source_copy(tmp_path: Path, route: int, settings: str = SETTINGS) -> Path:
    """The synthetic source with a hypothesis naming ``route``, and ``settings`` added to its source.yaml."""
    folder = tmp_path / "synthetic-notes"
    shutil.copytree(SYNTHETIC, folder)
    with (folder / "source.yaml").open("a", encoding="utf-8") as handle:
        handle.write(settings)
    (folder / "hypotheses.yaml").write_text(HYPOTHESIS.format(route=route), encoding="utf-8")
    return folder


def test_a_hypothesis_names_a_route_its_source_numbers(tmp_path: Path) -> None:
    kg = load_graph(sources=[source_copy(tmp_path / "a", 2)])
    assert kg.hypotheses["KMOA:hyp_synthetic_marker"].route == 2
    with pytest.raises(CurationError, match=r"route must be a route number of the notes' Figure A \(1-2\)"):
        load_graph(sources=[source_copy(tmp_path / "b", 3)])
    with pytest.raises(CurationError, match="synthetic-notes numbers no routes"):
        load_graph(sources=[source_copy(tmp_path / "c", 1, settings="")])
    review = read_source(default_source_dir())
    assert (review.route_count, review.route_figure) == (6, "the review's Fig. 1")


def test_tour_quotes_name_their_own_source(tmp_path: Path) -> None:
    from kmoa.explorer.data import prepare
    from kmoa.explorer.handout import tour_handout
    from kmoa.explorer.views import tour_step

    kg = load_graph(sources=[source_copy(tmp_path, 1)])
    assert tour_step(kg, "KMOA:hyp_synthetic_marker", 1).source_label == "Notes"
    assert tour_step(kg, "KMOA:hyp_disinhibition", 0).source_label == "Review"
    handout = html.unescape(tour_handout(prepare(kg), "KMOA:hyp_synthetic_marker"))
    assert "Route 1 of the notes' Figure A" in handout
    assert "Notes, section S2.1" in handout and "Review, section" not in handout


def test_passages_stop_at_the_headings_their_source_declares(tmp_path: Path) -> None:
    text = "S1  Background\nBDNF raises a marker in rodents [1].\nS2  An invented trial\nThe trial was large.\n"
    headings = read_source(source_copy(tmp_path, 1)).headings
    assert headings is not None
    assert [p for p in passages_citing(text, 1, headings) if "invented trial" in p] == []
    assert [p for p in passages_citing(text, 1, "") if "invented trial" in p] != []


def test_the_evidence_chart_cites_the_sources_of_its_rows() -> None:
    kg = load_graph()
    review = read_source(default_source_dir())
    line = source_line(kg, compare_evidence(kg, ["ketamine"], "treatment-resistant depression"))
    assert line == f"Source: {review.name}, {review.citation}, as curated in kmoa."
