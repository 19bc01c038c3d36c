"""`kmoa import kgx`: merge a public KGX graph with the curated graph, into Oxigraph or Neo4j."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.neo4j_cmd import connection_options, mode_option, neo4j_store
from kmoa.cli.options import AT_LEAST_ONE, store_spec


def target_options(func: Any) -> Any:
    """--store oxigraph:DIR | neo4j:URI, and --neo4j (the older spelling of --store neo4j:...)."""
    func = click.option("--neo4j", "to_neo4j", is_flag=True,
                        help="The same as --store neo4j:URI, the URI from --uri, $NEO4J_URI or the local server.")(func)
    return click.option("--store", "store_spec", callback=store_spec,
                        help="Where to merge: oxigraph:DIR (created if missing) or neo4j:URI (see --mode).")(func)


def merge_report(kg: Any, imported: Any, limit: int = 30) -> list[str]:
    """What merged onto curated nodes, and the unmerged nodes whose names match curated ones (candidates)."""
    from kmoa.graph.imported import merged_nodes, near_misses

    def more(items: list[str]) -> list[str]:
        return items[:limit] + ([f"  ... and {len(items) - limit} more"] if len(items) > limit else [])

    merged = merged_nodes(imported)
    lines = [f"merged onto curated nodes (same id or xref): {len(merged)}"]
    lines += more([f"  {source} -> {kg.nodes[target].name} ({target}{', by xref' if source != target else ''})"
                   for source, target in merged])
    misses = near_misses(kg, imported)
    if misses:
        lines.append(f"not merged, no shared id although the names match: {len(misses)} (add the id to the "
                     "curated node's xref if they are the same thing)")
        lines += more([f"  {m.imported} \"{m.name}\": {_name_match(kg, m)}" for m in misses])
    return lines


def _name_match(kg: Any, miss: Any) -> str:
    node = kg.nodes[miss.curated]
    where = "the name" if miss.matched == node.name else f"the synonym \"{miss.matched}\""
    return f"{'same as' if miss.exact else 'within'} {where} of {node.name} ({miss.curated})"


@click.group(name="import")
def import_() -> None:
    """Merge public graphs with the curated graph."""


@import_.command("kgx")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@target_options
@click.option("--name", help="Name of this import (default: the directory name); names its node graph.")
@mode_option
@click.option("--batch-size", type=AT_LEAST_ONE, default=20_000, show_default=True,
              help="Rows per write batch of an online Neo4j load.")
@click.option("--force", is_flag=True,
              help="Neo4j: stop another load whose transaction is still open (a hung or stopped process) first.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when on a terminal).")
@click.option("--edge-provenance/--no-edge-provenance", default=True, show_default=True,
              help="Oxigraph: also write each edge's statement with KGX id, knowledge level, source and "
                   "publications, which is also its row (what `kmoa paths --store` walks): about five times the "
                   "load time of the edges alone, which --no-edge-provenance writes as direct triples only.")
@connection_options
@DATA_OPTION
def import_kgx(directory: Path, store_spec: str | None, to_neo4j: bool, name: str | None, mode: str, batch_size: int,
               force: bool, progress: bool | None, edge_provenance: bool, uri: str | None, user: str | None,
               password: str | None, database: str | None, data_dir: Path | None) -> None:
    """Merge DIRECTORY/nodes.tsv and edges.tsv with the curated graph.

    Nodes are matched onto curated nodes by CURIE and by xref; every edge keeps its
    primary_knowledge_source (one named graph per source in Oxigraph, a relationship property in
    Neo4j). The files are validated completely first: malformed rows are listed with file and
    line, and a failed import leaves the store as it was.
    """
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import KgxImportError, read_kgx
    from kmoa.loaders.stores.adapter import open_store

    if bool(store_spec) == to_neo4j:
        fail("choose one target: --store oxigraph:DIR, --store neo4j:URI or --neo4j")
    spec = store_spec or "neo4j:"
    scheme, _, locator = spec.partition(":")
    if scheme not in ("oxigraph", "neo4j"):
        fail(f"--store {spec}: an import goes into oxigraph:DIR or neo4j:URI (`kmoa push sparql` copies a store "
             "to a remote one)")
    try:
        kg = load_graph(data_dir)
        imported = read_kgx(directory, kg, name=name, progress=progress)
    except (CurationError, KgxImportError) as err:
        fail(str(err))
    click.echo(f"read {directory}: {len(imported.nodes)} nodes ({len(imported.nodes) - imported.new_nodes} "
               f"matched curated nodes, {len(imported.aliases)} of them by xref), {imported.edge_count} edges "
               f"from {len(imported.source_names)} source(s)", err=True)
    for line in merge_report(kg, imported):
        click.echo(line, err=True)
    options: dict[str, Any] = {}
    if scheme == "neo4j":
        spec, options = neo4j_store(locator or uri, user, password, database, mode, batch_size, force, progress)
    try:
        with open_store(spec, **options) as store:
            summary = store.merge(kg, imported, progress=progress, provenance=edge_provenance)
            result = getattr(store, "result", None)
    except (OSError, RuntimeError, ValueError, SyntaxError) as err:
        unchanged = "the previous Neo4j graph" if scheme == "neo4j" else locator
        fail(f"import failed, {unchanged} is unchanged: {err}")
    if scheme == "oxigraph" and not edge_provenance:
        click.echo(f"--no-edge-provenance: the imported edges are direct triples only; `kmoa paths --store {spec}` "
                   "walks the curated rows alone", err=True)
    if result is not None:
        from kmoa.neo4j_reload import kept_message

        click.echo(f"Neo4j load: {result.mode}, generation {result.load_id}", err=True)
        if result.kept:
            click.echo(kept_message(result), err=True)
    click.echo(f"merged into {summary.target}: {summary.edges} imported edges "
               f"({', '.join(summary.sources)}), {summary.new_nodes} new nodes, curated graph refreshed, "
               f"in {summary.seconds} s")


@import_.command("drugmechdb")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@target_options
@mode_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Only convert: write OUT/nodes.tsv and edges.tsv (a new folder) for `kmoa import kgx` "
                   "or `kmoa explore --import`.")
@click.option("--defects", type=click.Choice(["keep", "skip"]), default="keep", show_default=True,
              help="What to do with a path that has defects (all are reported with their line): keep it as "
                   "read, or skip the whole path.")
@click.option("--strict", is_flag=True, help="Refuse the file if it has any defect.")
@click.option("--force", is_flag=True,
              help="Neo4j: stop another load whose transaction is still open (a hung or stopped process) first.")
@connection_options
@DATA_OPTION
@click.pass_context
def import_drugmechdb(ctx: click.Context, file: Path, store_spec: str | None, to_neo4j: bool, mode: str,
                      out_dir: Path | None,
                      defects: str, strict: bool, force: bool, uri: str | None, user: str | None, password: str | None,
                      database: str | None, data_dir: Path | None) -> None:
    """Merge DrugMechDB's indication paths (its YAML as published) with the curated graph.

    Labels and predicates are mapped to Biolink by ontology/drugmechdb.yaml; every edge keeps
    infores:drugmechdb as its source and names its path, drug, disease and YAML line. Defects of
    the data are listed with their line; --defects skip leaves out the paths that have them and
    --strict refuses the file. The merge itself is that of `kmoa import kgx`.
    """
    import tempfile

    from kmoa.loaders.formats.drugmechdb import DrugMechDBError, read_drugmechdb, write_kgx

    if sum(bool(x) for x in (store_spec, to_neo4j, out_dir)) != 1:
        fail("choose one target: --store oxigraph:DIR, --store neo4j:URI, --neo4j or --out DIR")
    try:
        db = read_drugmechdb(file)
    except DrugMechDBError as err:
        fail(str(err))
    for defect in db.defects:
        click.echo(f"defect: {file}:{defect.line}: {defect.path}: {defect.message}", err=True)
    kept = db.kept(defects)  # type: ignore[arg-type]
    click.echo(f"read {file}: {len(db.paths)} paths, {len(db.defects)} defect(s) in "
               f"{len({d.path for d in db.defects})} path(s); {len(kept)} paths to import "
               f"({'defective paths kept' if defects == 'keep' else 'defective paths skipped'})", err=True)
    if strict and db.defects:
        fail(f"{file}: {len(db.defects)} defect(s) (listed above); --strict refuses the file, nothing was imported")
    if out_dir is not None:
        if out_dir.exists():
            fail(f"{out_dir} exists; --out writes a new folder")
        write_kgx(db, out_dir, defects)  # type: ignore[arg-type]
        click.echo(f"wrote {out_dir}/nodes.tsv and edges.tsv", err=True)
        return
    with tempfile.TemporaryDirectory(prefix="kmoa-drugmechdb-") as tmp:
        kgx_dir = write_kgx(db, Path(tmp) / "drugmechdb", defects)  # type: ignore[arg-type]
        ctx.invoke(import_kgx, directory=kgx_dir, store_spec=store_spec, to_neo4j=to_neo4j, name="drugmechdb",
                   mode=mode, uri=uri, user=user, password=password, database=database, data_dir=data_dir, force=force)
