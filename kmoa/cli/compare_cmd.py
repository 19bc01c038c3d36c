"""`kmoa compare`: two compounds' mechanisms to one indication, side by side, with their sources."""

from __future__ import annotations

from pathlib import Path

import click

from kmoa.cli.data import DATA_OPTION, fail


@click.command()
@click.argument("first")
@click.argument("second")
@click.option("--to", "target", required=True, help="The indication both mechanisms end at (name, synonym or CURIE).")
@click.option("--drugmechdb", "drugmechdb_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="DrugMechDB indication_paths.yaml, for compounds the review does not cover (default: the few "
                   "antidepressant paths shipped with kmoa).")
@click.option("-k", default=2, show_default=True, type=click.IntRange(1, 10),
              help="Mechanisms shown per compound (the best path of each hypothesis first).")
@DATA_OPTION
def compare(first: str, second: str, target: str, drugmechdb_file: Path | None, k: int,
            data_dir: Path | None) -> None:
    r"""Put FIRST's and SECOND's mechanisms to --to side by side, aligned at the shared end.

    A compound of the curated graph is shown by its best mechanism paths (each step a claim of the
    review, with its quote); any other compound by its DrugMechDB paths (each step naming the path
    and the YAML line). Without --drugmechdb, DrugMechDB's paths from duloxetine and venlafaxine to
    major depressive disorder, shipped with kmoa, are searched. The review's clinical facts follow.

    \b
    kmoa compare ketamine duloxetine --to "major depressive disorder"
    kmoa compare ketamine gepirone --to MDD --drugmechdb indication_paths.yaml
    """
    from functools import partial

    from kmoa.graph.compare import CompareError, bundled_drugmechdb, chain_lines, compare_mechanisms, side_by_side
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.drugmechdb import DrugMechDBError, mechanisms, read_drugmechdb

    try:
        kg = load_graph(data_dir)
        db = read_drugmechdb(drugmechdb_file or Path(str(bundled_drugmechdb())))
        result = compare_mechanisms(kg, first, second, target, k=k, public=partial(mechanisms, db))
    except (CurationError, DrugMechDBError) as err:
        fail(str(err))
    except CompareError as err:
        hint = "" if drugmechdb_file else " (only the DrugMechDB paths shipped with kmoa were searched: give " \
                                          "--drugmechdb FILE to search a whole release)"
        fail(f"{err}{hint}")
    click.echo(f"Mechanisms to {result.target_name} ({', '.join(result.diseases)}), aligned at the shared end\n")
    left, right = result.sides
    public_steps = False
    for i in range(max(len(left.mechanisms), len(right.mechanisms))):
        a = left.mechanisms[i] if i < len(left.mechanisms) else None
        b = right.mechanisms[i] if i < len(right.mechanisms) else None
        header = side_by_side([f"{left.name}: {a.title} ({a.source})" if a else ""],
                              [f"{right.name}: {b.title} ({b.source})" if b else ""])
        for line in header + side_by_side(chain_lines(a) if a else [], chain_lines(b) if b else []):
            click.echo(line.rstrip())
        click.echo("")
        for side, mech in ((left, a), (right, b)):
            if mech is None:
                continue
            public_steps = public_steps or mech.path is not None
            where = f" (file {mech.file})" if mech.file else ""
            click.echo(f"  {side.name}, sources of the steps{where}:")
            for n, step in enumerate(mech.steps, start=1):
                click.echo(f"    [{n}] {step.source}: {step.reference}: \"{step.text}\"")
        click.echo("")
    for side in result.sides:
        click.echo(f"Clinical facts the review gives for {side.name} and {result.target_name}:")
        for fact in side.clinical or ["none (the review does not study this compound for it)"]:
            click.echo(f"  - {fact}")
    if public_steps:
        from kmoa.graph.compare import DRUGMECHDB_CITATION, DRUGMECHDB_LICENCE

        click.echo(f"\nDrugMechDB steps: {DRUGMECHDB_LICENCE}. Cite: {DRUGMECHDB_CITATION}")
