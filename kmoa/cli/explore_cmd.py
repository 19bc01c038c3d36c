"""`kmoa explore`: the Dash explorer (Cypher with --neo4j; a KGX folder or a DrugMechDB file with --import)."""

from __future__ import annotations

from pathlib import Path

import click

from kmoa.cli.data import DATA_OPTION, SOURCE_OPTION, fail
from kmoa.cli.neo4j_cmd import neo4j_uri
from kmoa.cli.options import PORT


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, PORT.max), help="Port to listen on.")
@click.option("--store", "neo4j_store", callback=neo4j_uri, metavar="neo4j:URI",
              help="A Neo4j store: enables read-only Cypher in the query console.")
@click.option("--neo4j", "neo4j_uri", default=None, metavar="URI", help="The same as --store neo4j:URI.")
@click.option("--neo4j-user", default="neo4j", show_default=True, envvar="NEO4J_USER")
@click.option("--neo4j-password", default=None, envvar="NEO4J_PASSWORD", help="Or set NEO4J_PASSWORD.")
@click.option("--import", "import_dir", default=None, metavar="KGX_DIR|DRUGMECHDB_YAML",
              type=click.Path(exists=True, path_type=Path),
              help="A KGX directory (nodes.tsv, edges.tsv; e.g. from `kmoa import drugmechdb --out`) or a DrugMechDB "
                   "indication_paths.yaml: the path tracer walks it together with the curated graph; a DrugMechDB file "
                   "is also what the compare view compares with.")
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader and dev tools).")
@DATA_OPTION
@SOURCE_OPTION
def explore(host: str, port: int, neo4j_store: str | None, neo4j_uri: str | None, neo4j_user: str,
            neo4j_password: str | None, import_dir: Path | None, debug: bool, data_dir: Path | None,
            sources: tuple[Path, ...]) -> None:
    """Open the explorer: neighbourhoods, ranked paths, hypothesis tours, evidence and a query console."""
    from kmoa.explorer.app import create_app
    from kmoa.explorer.data import prepare
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph

    try:
        kg = load_graph(data_dir, sources)
    except CurationError as err:
        fail(str(err))
    imported = drugmechdb = None
    if import_dir is not None:
        from kmoa.loaders.formats.drugmechdb import DrugMechDBError, read_as_imported, read_drugmechdb
        from kmoa.loaders.formats.kgx_import import KgxImportError, read_kgx

        try:
            if import_dir.is_dir():
                imported = read_kgx(import_dir, kg)
            else:
                drugmechdb = read_drugmechdb(import_dir)
                click.echo(f"read {import_dir}: {len(drugmechdb.paths)} DrugMechDB paths, {len(drugmechdb.defects)} "
                           "defect(s), kept as read (`kmoa import drugmechdb` lists them by line)", err=True)
                imported = read_as_imported(drugmechdb, kg)
        except (KgxImportError, DrugMechDBError) as err:
            fail(str(err))
    data = prepare(kg, neo4j=neo4j_store or neo4j_uri, neo4j_user=neo4j_user, neo4j_password=neo4j_password,
                   imported=imported, drugmechdb=drugmechdb)
    app = create_app(kg, data=data)
    click.echo(f"kmoa explorer on http://{host}:{port}/  ({len(kg.nodes)} nodes, {len(kg.claims)} claims)")
    if imported is not None:
        click.echo(f"imported {imported.name}: {imported.edge_count} edges, {imported.new_nodes} new nodes "
                   f"({', '.join(imported.source_names)}); the path tracer walks them with the curated graph")
    if neo4j_uri:
        click.echo(data.cypher_note, err=data.cypher is None)
    from kmoa.explorer.app import request_handler

    app.run(host=host, port=port, debug=debug, request_handler=request_handler())
