"""Commands over the curated data: validate, fmt, build, export."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from kmoa.cli.options import FORCE_OPTION, OUTPUT_PATH


def _data_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    from kmoa.graph.curation import NotADataFolder, check_data_dir

    try:
        return check_data_dir(Path(value))
    except NotADataFolder as err:
        raise click.BadParameter(str(err)) from None


def _source_dirs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(p for p in (_data_dir(ctx, param, v) for v in values) if p is not None)


SOURCE_OPTION = click.option("--source", "sources", multiple=True, type=click.Path(), callback=_source_dirs,
                             help="Also read this curated source folder (source.yaml, its text, nodes/, claims/; "
                                  "see docs/curation.md). Repeat for more sources.")
DATA_OPTION = click.option("--data", "data_dir", type=click.Path(), callback=_data_dir, default=None,
                           help="Curated data folder, with nodes/*.yaml and claims/*.yaml "
                                "(default: the packaged graph/data).")


def fail(message: str) -> NoReturn:
    """Exit 1 with a message on stderr."""
    raise click.ClickException(message)


@click.command()
@DATA_OPTION
@SOURCE_OPTION
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL pass (referential checks only).")
@click.option("--all-warnings", is_flag=True,
              help="Also list support-lint warnings already justified in claim notes ('Lint: ...').")
def validate(data_dir: Path | None, sources: tuple[Path, ...], no_shacl: bool, all_warnings: bool) -> None:
    """Check every record: fields, identifiers, dangling edges, domain/range, quotes, SHACL.

    Then the support lint warns, with file:line, about claims whose quote names neither their
    subject nor their object, or whose finding or design disagrees with the quote's wording.
    Warnings do not fail the check; a curator justifies a kept one in the claim's note ("Lint: ...").
    """
    from kmoa.build import validate as run
    from kmoa.graph.curation import CurationError
    from kmoa.graph.lint import support_warnings

    try:
        kg = run(data_dir, shacl=not no_shacl, sources=sources)
    except CurationError as err:
        fail(str(err))
    click.echo(f"ok: {len(kg.nodes)} nodes, {len(kg.claims)} edges, {len(kg.hypotheses)} hypotheses, "
               f"{len(kg.comparisons)} comparisons from {', '.join(kg.sources)}; "
               f"SHACL {'skipped' if no_shacl else 'conforms'}")
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
    from kmoa.graph.canonical import format_files
    from kmoa.graph.curation import CurationError, default_data_dir

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
@SOURCE_OPTION
@click.option("--out", type=OUTPUT_PATH, default="artifacts", show_default=True,
              help="Folder for the artifacts: new, empty or an earlier build's; its artifacts are replaced at once.")
@FORCE_OPTION
@click.option("--ontology", is_flag=True, help="Also regenerate ontology/kmoa.ttl and shapes.ttl from schema.yaml.")
def build(data_dir: Path | None, sources: tuple[Path, ...], out: Path, force: bool, ontology: bool) -> None:
    """Validate, then write Turtle, N-Triples, JSON-LD, KGX, GraphML and Cytoscape JSON.

    OUT must be a new or empty folder or one an earlier build wrote (it holds a .kmoa-output
    marker); --force allows any folder. Other files in OUT are never touched. --source DIR adds a
    curated source (repeat it for more): its claims keep their own source, sections and references.
    """
    from kmoa.build import build as run
    from kmoa.graph.curation import CurationError
    from kmoa.loaders.base import check_output

    check_output(out, directory=True, force=force)  # before regenerating anything

    if ontology:
        from kmoa.ontology.vocabulary import write_committed

        for path in write_committed():
            click.echo(f"regenerated {path}")

    try:
        _, summary = run(out, data_dir, force=force, sources=sources)
    except CurationError as err:
        fail(str(err) + "\nNothing was written.")
    click.echo(f"built {out}/: {summary['nodes']} nodes, {summary['edges']} edges, "
               f"{summary['hypotheses']} hypotheses from {', '.join(summary['sources'])} "  # type: ignore[arg-type]
               f"in {summary['seconds']} s")


@click.command()
@click.argument("format_name", metavar="FORMAT",
                type=click.Choice(["turtle", "jsonld", "ntriples", "kgx", "graphml", "cytoscape"]))
@click.argument("out", type=OUTPUT_PATH)
@FORCE_OPTION
@DATA_OPTION
@SOURCE_OPTION
def export(format_name: str, out: Path, force: bool, data_dir: Path | None, sources: tuple[Path, ...]) -> None:
    """Write the graph as FORMAT to OUT (a folder for kgx), atomically.

    A file OUT is replaced. A folder OUT must be new, empty or an earlier export's (it holds a
    .kmoa-output marker); --force allows any folder. Other files in it are never touched.
    """
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph
    from kmoa.loaders.base import check_output
    from kmoa.loaders.registry import export as run
    from kmoa.loaders.registry import get_sink

    check_output(out, directory=get_sink(format_name).directory, force=force)
    try:
        kg = load_graph(data_dir, sources)
    except CurationError as err:
        fail(str(err))
    run(kg, format_name, out, force=force)
    click.echo(f"wrote {out}")
