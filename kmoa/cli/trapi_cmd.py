"""`kmoa serve trapi`: a TRAPI 1.5 knowledge-provider endpoint (one-hop lookups) over the curated graph or a store."""

from __future__ import annotations

from pathlib import Path

import click

from kmoa.cli.data import DATA_OPTION, fail
from kmoa.cli.options import PORT, ROW_CAP, SECONDS, store_spec
from kmoa.cli.sparql_server_cmd import serve, serve_until_stopped


@serve.command("trapi")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=PORT, default=3000, show_default=True, help="Port (0 picks a free one).")
@click.option("--store", callback=store_spec, metavar="SPEC",
              help="Serve the rows of a store instead (oxigraph:DIR, neo4j:URI, sparql:URL; memory: is the "
                   "curated graph, the default), e.g. one a `kmoa import ... --store neo4j:URI` filled.")
@click.option("--import", "import_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Serve the curated graph merged with an imported KGX folder (nodes.tsv, edges.tsv; e.g. from "
                   "`kmoa import drugmechdb --out`), as `kmoa paths --import` walks it.")
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds before a query is stopped (500).")
@click.option("--limit", type=ROW_CAP, default=1000, show_default=True, help="Maximum results per answer.")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
@DATA_OPTION
def serve_trapi(host: str, port: int, store: str | None, import_dir: Path | None, timeout: float, limit: int,
                quiet: bool, data_dir: Path | None) -> None:
    """Serve TRAPI 1.5 at http://HOST:PORT/query (one-hop lookups), /meta_knowledge_graph and /openapi.json."""
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import KgxImportError
    from kmoa.loaders.servers.trapi_server import load_index, make_server, merged_index, store_index

    if store not in (None, "memory:") and import_dir is not None:
        fail("choose one: --store SPEC (a store's rows, imports included) or --import KGX_DIR (merged in memory)")
    opened = None
    try:
        kg = load_graph(data_dir)
        if import_dir is not None:
            index = merged_index(kg, import_dir)
        elif store not in (None, "memory:"):
            from kmoa import neo4j_server
            from kmoa.loaders.stores.adapter import open_store

            options = {"local": neo4j_server.status} if store.startswith("neo4j:") else {}
            opened = open_store(store, **options)
            index = store_index(opened, kg)
        else:
            index = load_index(kg=kg)
    except (CurationError, KgxImportError) as err:
        fail(str(err))
    except (OSError, ValueError, RuntimeError) as err:
        if opened is not None:
            opened.close()
        fail(f"{store}: {err}" if store else str(err))
    try:
        server = make_server(index, host, port, timeout=timeout, limit=limit, quiet=quiet)
    except OSError as err:
        if opened is not None:
            opened.close()
        fail(f"cannot listen on {host}:{port}: {err}")
    click.echo(f"TRAPI {server.url}/query over {index.description} ({len(index.nodes)} nodes, {index.edge_count} "
               f"edges, Biolink {index.biolink.version}; timeout {timeout:g} s, at most {limit} results); "
               "Ctrl-C stops it")
    serve_until_stopped(server, opened.close if opened is not None else None)
