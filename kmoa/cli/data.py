"""Commands over the curated data: validate, fmt, build, export."""

from __future__ import annotations

from pathlib import Path

import click

DATA_OPTION = click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
                           default=None, help="Curated data folder (default: the packaged graph/data).")


def fail(message: str) -> None:
    """Exit 1 with a message on stderr."""
    raise click.ClickException(message)


@click.command()
@DATA_OPTION
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL pass (referential checks only).")
@click.option("--all-warnings", is_flag=True,
              help="Also list support-lint warnings already justified in claim notes ('Lint: ...').")
def validate(data_dir: Path | None, no_shacl: bool, all_warnings: bool) -> None:
    """Check every record: fields, identifiers, dangling edges, domain/range, quotes, SHACL.

    Then the support lint warns, with file:line, about claims whose quote names neither their
    subject nor their object, or whose finding or design disagrees with the quote's wording.
    Warnings do not fail the check; a curator justifies a kept one in the claim's note ("Lint: ...").
    """
    from graph.curation import CurationError
    from graph.lint import support_warnings
    from graph.validate import validate as run

    try:
        kg = run(data_dir, shacl=not no_shacl)
    except CurationError as err:
        fail(str(err))
    click.echo(f"ok: {len(kg.nodes)} nodes, {len(kg.claims)} edges, {len(kg.hypotheses)} hypotheses, "
               f"{len(kg.comparisons)} comparisons; SHACL {'skipped' if no_shacl else 'conforms'}")
    warnings = support_warnings(kg)
    justified = [w for w in warnings if w.justified]
    for warning in warnings:
        if all_warnings or not warning.justified:
            click.echo(f"warning: {warning}" + (" [justified in note]" if warning.justified else ""))
    click.echo(f"support lint: {len(warnings) - len(justified)} warning(s), {len(justified)} justified in "
               "claim notes" + ("" if all_warnings or not justified else " (--all-warnings lists them)"))


@click.command()
@DATA_OPTION
@click.option("--check", is_flag=True, help="Only list files that are not canonical (exit 1 if any).")
def fmt(data_dir: Path | None, check: bool) -> None:
    """Rewrite the curated YAML canonically (records sorted by id, keys in schema order)."""
    from graph.canonical import format_files
    from graph.curation import CurationError, default_data_dir

    try:
        changed = format_files(data_dir or default_data_dir(), check=check)
    except CurationError as err:
        fail(str(err))
    for path in changed:
        click.echo(f"{'not canonical' if check else 'reformatted'}: {path}")
    if check and changed:
        raise SystemExit(1)


@click.command()
@DATA_OPTION
@click.option("--out", type=click.Path(path_type=Path), default=Path("artifacts"), show_default=True,
              help="Folder for the artifacts; replaced atomically.")
@click.option("--ontology", is_flag=True, help="Also regenerate ontology/kmoa.ttl and shapes.ttl from schema.yaml.")
def build(data_dir: Path | None, out: Path, ontology: bool) -> None:
    """Validate, then write Turtle, N-Triples, JSON-LD, KGX, GraphML and Cytoscape JSON."""
    from graph.build import build as run
    from graph.curation import CurationError

    if ontology:
        from ontology.vocabulary import write_committed

        for path in write_committed():
            click.echo(f"regenerated {path}")

    try:
        _, summary = run(out, data_dir)
    except CurationError as err:
        fail(str(err) + "\nNothing was written.")
    click.echo(f"built {out}/: {summary['nodes']} nodes, {summary['edges']} edges, "
               f"{summary['hypotheses']} hypotheses in {summary['seconds']} s")


@click.command()
@click.argument("format_name", metavar="FORMAT",
                type=click.Choice(["turtle", "jsonld", "ntriples", "kgx", "graphml", "cytoscape"]))
@click.argument("out", type=click.Path(path_type=Path))
@DATA_OPTION
def export(format_name: str, out: Path, data_dir: Path | None) -> None:
    """Write the graph as FORMAT to OUT (a folder for kgx), atomically."""
    from graph.curation import CurationError
    from graph.model import load_graph
    from loaders.base import export as run

    try:
        kg = load_graph(data_dir)
    except CurationError as err:
        fail(str(err))
    run(kg, format_name, out)
    click.echo(f"wrote {out}")
