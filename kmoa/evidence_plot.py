"""`kmoa plot evidence`'s file: the explorer's evidence chart (``explorer.evidence_plot``) written as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

from kmoa.explorer.evidence_plot import draw_evidence
from kmoa.graph.evidence import Evidence
from kmoa.graph.model import KnowledgeGraph

__all__ = ["FORMATS", "PlotError", "draw_evidence", "plot_format", "write_evidence_plot"]
FORMATS = ("png", "svg")


class PlotError(ValueError):
    """The chart cannot be written (an unknown format)."""


def plot_format(path: Path, fmt: str | None) -> str:
    """The format asked for, else the file's extension; PlotError when neither is PNG or SVG."""
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise PlotError(f"cannot tell the format of {path}: give a .png or .svg file name, or --format png|svg")
    return chosen


def write_evidence_plot(kg: KnowledgeGraph, evidence: Evidence, path: Path, fmt: str | None = None,
                        force: bool = False) -> Path:
    """Write the chart to ``path`` (PNG or SVG) atomically; an existing file is replaced only with ``force``."""
    import matplotlib

    from kmoa.loaders.base import OutputError, output_path

    chosen = plot_format(path, fmt)
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputError(f"{path} already exists: choose another name, or pass --force to replace it")
    figure = draw_evidence(kg, evidence)
    with output_path(path) as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays editable
        figure.savefig(tmp, format=chosen, dpi=200, facecolor="white")
    return path
