"""`kmoa plot`: charts as files for slides (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.options import OUTPUT_PATH


@click.group()
def plot() -> None:
    """Write a chart to a PNG or SVG file."""


@plot.command()
@click.argument("compounds", nargs=-1, required=True)
@click.option("--indication", "-i", help="Only the evidence about this indication (name, synonym or CURIE).")
@click.option("--out", "-o", "out", required=True, type=OUTPUT_PATH, help="The file to write (.png or .svg).")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]),
              help="The file format (default: from the file name's extension).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@DATA_OPTION
def evidence(compounds: tuple[str, ...], indication: str | None, out: Path, fmt: str | None, force: bool,
             data_dir: Path | None) -> None:
    r"""Chart the clinical evidence the review reports for COMPOUNDS (and an indication).

    One panel per measure (MADRS difference, relapse or response rates, effect sizes), one line per
    number the review gives for a study, with title, legend and source line. The same rows are in
    the explorer's evidence view.

    \b
    kmoa plot evidence ketamine esketamine --indication TRD -o evidence.png
    kmoa plot evidence esketamine -o esketamine.svg
    """
    from kmoa.evidence_plot import PlotError, plot_format, write_evidence_plot
    from kmoa.graph.evidence import compare_evidence
    from kmoa.graph.model import load_graph

    try:
        plot_format(out, fmt)
    except PlotError as err:
        raise click.BadParameter(str(err), param_hint="'--out'") from None
    kg = load_graph(data_dir)
    found = compare_evidence(kg, list(compounds), indication)
    if not found.rows:
        what = f" about {kg.nodes[found.indication].name}" if found.indication else ""
        fail(f"the review reports no clinical evidence for {', '.join(compounds)}{what}")
    write_evidence_plot(kg, found, out, fmt, force=force)
    click.echo(f"wrote {out} ({len(found.rows)} rows)")
