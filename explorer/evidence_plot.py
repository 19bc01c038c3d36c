"""The evidence chart as a figure (PNG or SVG): a thin matplotlib drawing of ``graph.evidence``.

The explorer's PNG and SVG exports of the evidence view and ``kmoa plot evidence`` both draw it.
Each panel is one measure of one outcome, one line per number the review gives for a study: a
filled dot for the drug's value, a hollow dot for the comparator arm's, a bar for an interval, and a
dashed span between end marks for the range of several values the review gives (d = 0.48–0.85 from
24 h up to a week), which is no interval around one value. The rows and numbers are
``graph.evidence``'s, the same ones the evidence view shows.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from kmoa.graph.evidence import (
    Evidence,
    ForestPanel,
    colours,
    evidence_title,
    forest_panels,
    source_line,
)
from kmoa.graph.model import KnowledgeGraph

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _draw_panel(ax, panel: ForestPanel, colour_of: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    labels, values = [], []
    for y, point in enumerate(reversed(panel.points)):
        colour = colour_of.get(point.compound, "#444444")
        if point.low is not None and point.high is not None and point.spread == "range":
            # The lowest and highest of several values the review gives: a dashed span with end marks, no bar.
            ax.plot([point.low, point.high], [y, y], color=colour, linewidth=1.5, linestyle=(0, (4, 2)),
                    marker="|", markersize=12, markeredgewidth=2)
        elif point.low is not None and point.high is not None:
            ax.plot([point.low, point.high], [y, y], color=colour, linewidth=2.5, solid_capstyle="butt")
        if point.comparator is not None and point.value is not None:
            ax.plot([point.value, point.comparator], [y, y], color=colour, linewidth=1, alpha=0.6)
            ax.plot(point.comparator, y, "o", markerfacecolor="white", markeredgecolor=colour, markersize=8)
        if point.value is not None:
            ax.plot(point.value, y, "o", color=colour, markersize=8)
        values += [v for v in (point.value, point.comparator, point.low, point.high) if v is not None]
        labels.append(textwrap.fill(f"{point.label} [{point.text}]", 48))
    ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    if panel.reference is None:  # a rate: the whole 0-100 % scale
        ax.set_xlim(0, 100)
    else:
        ax.axvline(panel.reference, color="#888888", linewidth=0.8, linestyle="--")
        ax.set_xlim(min(panel.reference, *values) * 1.2 - 0.1, max(panel.reference, *values) * 1.2 + 0.1)
    ax.set_xlabel(panel.title, fontsize=9.5)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)


def draw_evidence(kg: KnowledgeGraph, evidence: Evidence) -> Figure:
    """The forest-style chart of the evidence's numbers, with title, legend and source line."""
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.lines import Line2D

    panels = forest_panels(evidence)
    heights = [max(len(p.points), 1) + 1.2 for p in panels] or [1.0]
    height = 2.2 + 0.5 * sum(heights)
    inch = 1 / height  # one inch, as a fraction of the figure's height
    bottom = (0.4 + 0.13 * len(evidence.between)) * inch  # room for the notes and the source line
    fig = Figure(figsize=(10, height), layout=ConstrainedLayoutEngine(
        rect=(0, bottom, 1, 1 - 0.8 * inch - bottom)))  # (left, bottom, width, height): title and legend on top
    fig.text(0.01, 1 - 0.1 * inch, evidence_title(kg, evidence), fontsize=13, ha="left", va="top")
    colour_of = colours(evidence)
    if panels:
        axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
        for ax, panel in zip(axes, panels, strict=True):
            _draw_panel(ax, panel, colour_of)
    else:
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "The review gives no numbers for these studies; see the table.", ha="center")
    plotted = {p.row for panel in panels for p in panel.points}
    unplotted = [r for i, r in enumerate(evidence.rows) if i not in plotted]
    handles = [Line2D([], [], marker="o", linestyle="", color=colour_of[c], label=kg.nodes[c].name)
               for c in evidence.compounds]
    handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
                       label="comparator arm")]
    spreads = {p.spread for panel in panels for p in panel.points if p.low is not None and p.high is not None}
    if "range" in spreads:
        handles.append(Line2D([], [], color="#444444", linewidth=1.5, linestyle=(0, (4, 2)), marker="|",
                              markersize=10, markeredgewidth=2, label="range of the values given (not an interval)"))
    if spreads - {"range"}:
        handles.append(Line2D([], [], color="#444444", linewidth=2.5, label="interval given"))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1 - 0.4 * inch), ncols=len(handles),
               fontsize=9, frameon=False)
    note = (f"{len(evidence.rows)} rows ({len(evidence.rows) - len(unplotted)} with numbers in the review); "
            f"the other {len(unplotted)} are listed in the table (kmoa explore, evidence view).")
    for comp in evidence.between:
        note += f"\nHead to head, section {comp.provenance.section}: \"{comp.provenance.quote}\""
    fig.text(0.01, 0.005, f"{note}\n{source_line(kg, evidence)}", fontsize=7.5, color="#555555", ha="left",
             va="bottom")
    return fig


def evidence_svg(kg: KnowledgeGraph, evidence: Evidence) -> str:
    """The chart as SVG text (text kept as text, so a slide editor can change it)."""
    import io

    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        draw_evidence(kg, evidence).savefig(out, format="svg", facecolor="white")
    return out.getvalue()
