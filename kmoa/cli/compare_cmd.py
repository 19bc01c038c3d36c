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
              help="DrugMechDB indication_paths.yaml, for compounds the review does not cover.")
@click.option("-k", default=2, show_default=True, type=click.IntRange(1, 10),
              help="Mechanisms shown per compound (the best path of each hypothesis first).")
@DATA_OPTION
def compare(first: str, second: str, target: str, drugmechdb_file: Path | None, k: int,
            data_dir: Path | None) -> None:
    r"""Put FIRST's and SECOND's mechanisms to --to side by side, aligned at the shared end.

    A compound of the curated graph is shown by its best mechanism paths (each step a claim of the
    review, with its quote); any other compound by its DrugMechDB paths (each step naming the path
    and the YAML line). The review's clinical facts for each pair follow.

    \b
    kmoa compare ketamine duloxetine --to "major depressive disorder" --drugmechdb indication_paths.yaml
    """
    from graph.compare import Side, chain_lines, curated_side, side_by_side
    from graph.curation import CurationError
    from graph.model import UnknownEntityError, load_graph

    try:
        kg = load_graph(data_dir)
        target_id = kg.resolve(target)
    except (CurationError, UnknownEntityError) as err:
        fail(str(err))
    diseases = {target_id, *kg.nodes[target_id].xref}
    db = None
    sides: list[Side] = []
    for compound in (first, second):
        try:
            curie = kg.resolve(compound, kinds=("compound",))
            if kg.nodes[curie].kind == "compound":
                sides.append(curated_side(kg, curie, target_id, k=k))
                continue
        except UnknownEntityError:
            pass
        if drugmechdb_file is None:
            fail(f"'{compound}' is not a compound of the review; give --drugmechdb FILE to look it up there")
            return
        if db is None:
            from loaders.formats.drugmechdb import DrugMechDBError, read_drugmechdb

            try:
                db = read_drugmechdb(drugmechdb_file)
            except DrugMechDBError as err:
                fail(str(err))
        from loaders.formats.drugmechdb import mechanisms

        assert db is not None
        found = mechanisms(db, compound, diseases)
        if not found:
            fail(f"DrugMechDB has no path from '{compound}' to {kg.nodes[target_id].name} "
                 f"({', '.join(sorted(diseases))})")
        sides.append(Side(compound=compound, name=compound, mechanisms=found[:k]))
    click.echo(f"Mechanisms to {kg.nodes[target_id].name} ({', '.join(sorted(diseases))}), aligned at the shared end\n")
    left, right = sides
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
            click.echo(f"  {side.name}, sources of the steps:")
            for n, step in enumerate(mech.steps, start=1):
                click.echo(f"    [{n}] {step.source}: {step.reference}: \"{step.text}\"")
        click.echo("")
    for side in sides:
        click.echo(f"Clinical facts the review gives for {side.name} and {kg.nodes[target_id].name}:")
        for fact in side.clinical or ["none (the review does not study this compound for it)"]:
            click.echo(f"  - {fact}")
