"""Query commands: mechanism paths, embedded SPARQL, the named-query library."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from kmoa.cli.data import DATA_OPTION, SOURCE_OPTION, fail
from kmoa.cli.options import AT_LEAST_ONE, ROW_CAP, SECONDS, route_name, store_alias, store_spec
from kmoa.cli.output import FORMATS, render
from kmoa.ontology.schema import load_schema


def _load(data_dir: Path | None, sources: tuple[Path, ...] = ()):  # type: ignore[no-untyped-def]
    from kmoa.graph.curation import CurationError
    from kmoa.graph.model import load_graph

    try:
        return load_graph(data_dir, sources)
    except CurationError as err:
        fail(str(err))


@click.command()
@click.argument("source")
@click.argument("target")
@click.option("-k", "k", type=AT_LEAST_ONE, default=5, show_default=True, help="How many ranked paths.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip this many listed paths (the next page).")
@click.option("--max-hops", type=AT_LEAST_ONE, default=8, show_default=True, help="Longest path, in steps.")
@click.option("--min-evidence", type=click.Choice(list(load_schema().evidence_types)),
              help="Walk only edges whose evidence type is at least this strong (ontology/schema.yaml).")
@click.option("--human-only", is_flag=True, help="Skip edges the review does not state for people "
              "(animal only, or species not stated).")
@click.option("--route", callback=route_name,
              help="Skip edges whose route differs (intravenous, intranasal, oral, ...; see ontology/schema.yaml).")
@click.option("--compound", help="Only this compound (and its metabolites/enantiomers) may act on a path.")
@click.option("--include-negative", is_flag=True, help="Also walk null and negative findings.")
@click.option("--allow-direct", is_flag=True,
              help="Also list paths with no receptor, gene, cell, process or pathway in between.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--import", "import_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Also walk an imported KGX graph (nodes.tsv, edges.tsv; e.g. from `kmoa import drugmechdb "
                   "--out`): merged-graph paths, imported steps marked with their source and line.")
@click.option("--store", callback=store_spec,
              help="Search the rows written to a store instead (oxigraph:DIR, neo4j:URI, sparql:URL; memory: is "
                   "the curated graph, the default): the same search over that store's candidate edges.")
@DATA_OPTION
@SOURCE_OPTION
def paths(source: str, target: str, k: int, offset: int, max_hops: int, min_evidence: str | None,
          human_only: bool, route: str | None, compound: str | None, include_negative: bool, allow_direct: bool,
          fmt: str, import_dir: Path | None, store: str | None, data_dir: Path | None,
          sources: tuple[Path, ...]) -> None:
    """Ranked mechanism paths from SOURCE to TARGET (names, synonyms or CURIEs).

    Each path is labelled with the review's hypothesis it follows; the best path of every
    hypothesis comes first, then more of the same. Paths that differ only by a detour through an
    enantiomer or metabolite are listed once, with their variants. Scores are the weakest link:
    the lowest evidence strength of any step (meta-analysis 1.0 > RCT 0.9 > guideline/regulatory
    0.85 > ... > mechanistic hypothesis 0.2; the rules are in ontology/schema.yaml `walk:`, see
    docs/path-search.md). --offset N lists the paths after the first N.
    """
    import json

    from kmoa.graph.model import UnknownEntityError
    from kmoa.graph.path_answers import answer_paths
    from kmoa.graph.paths import PathFilters

    if k < 1 or offset < 0:
        fail("-k must be at least 1 and --offset at least 0")
    kg = _load(data_dir, sources)
    if import_dir is not None:
        _merged_paths(kg, import_dir, source, target, k, max_hops, allow_direct)
        return
    filters = PathFilters(min_evidence, human_only, route, compound, include_negative, allow_direct)
    if store is not None and store != "memory:":
        _store_paths(kg, store, source, target, k, max_hops, filters, fmt)
        return
    try:
        answer = answer_paths(kg, source, target, k=k, offset=offset, max_hops=max_hops, filters=filters)
    except UnknownEntityError as err:
        fail(str(err))
    if fmt == "json":
        for line in (*answer.notes, *([answer.why_none] if answer.why_none else [])):
            click.echo(line, err=True)  # stdout stays one JSON document
        click.echo(json.dumps([_path_json(r, rank) for rank, r in enumerate(answer.paths, start=offset + 1)],
                              indent=2, ensure_ascii=False))
        return
    click.echo("\n".join(path_answer_lines(kg, answer, _next_command(source, target, k, offset, filters,
                                                                     data_dir, sources))))


def _merged_paths(kg, import_dir: Path, source: str, target: str, k: int, max_hops: int,  # type: ignore[no-untyped-def]
                  allow_direct: bool) -> None:
    """`kmoa paths --import`: the k best paths over curated + imported edges, each step with its source."""
    from kmoa.graph.imported import search_merged_paths
    from kmoa.graph.model import UnknownEntityError
    from kmoa.graph.paths import PathFilters
    from kmoa.loaders.formats.kgx_import import KgxImportError, read_kgx

    try:
        imported = read_kgx(import_dir, kg)
        found = search_merged_paths(kg, imported, source, target, k=k, max_hops=max_hops,
                                    filters=PathFilters(allow_direct=allow_direct))
    except (KgxImportError, UnknownEntityError) as err:
        fail(str(err))
    names = dict(zip(imported.nodes, imported.names, strict=True))

    def name(curie: str) -> str:
        node = kg.nodes.get(curie)
        return node.name if node is not None else names.get(curie, curie)

    # Each node chain is found once, its parallel edges (several DrugMechDB paths saying the same step)
    # merged into one step; distinct nodes that share a name are told apart by their ids.
    listed = {n for p in found.paths for n in p.nodes}
    shared = {n for n in listed if sum(name(m) == name(n) for m in listed) > 1}

    def label(curie: str) -> str:
        return f"{name(curie)} ({curie})" if curie in shared else name(curie)

    exact = "the k best" if found.exact else "the best found within the search budget"
    click.echo(f"{len(found.paths)} path(s) over the curated graph and {import_dir} ({imported.edge_count} imported "
               f"edges, {len(imported.nodes) - imported.new_nodes} nodes merged onto curated ones): {exact}.\n")
    for rank, path in enumerate(found.paths, start=1):
        click.echo(f"#{rank}  score {path.score:.3f}  " + " -> ".join(label(n) for n in path.nodes))
        for step in path.steps:
            click.echo(f"    {label(step.source)} --{step.label}--> {label(step.target)}")
            for a in step.evidence or (step.attributes,):
                click.echo(f"        {_step_source(a, imported.edges_file)}")
        click.echo("")


def _step_source(a: dict, edges_file: str) -> str:  # type: ignore[type-arg]
    """One source of a merged path's step: the curated claim and its quote, or the imported edge and its path."""
    from kmoa.graph.imported import imported_line

    if not a.get("imported"):
        return (f"[{a['evidence_type']}, {a['species']}] {a['curated_source']} section {a['review_section']}, "
                f"claim {a['id']}: \"{a['supporting_text']}\"")
    where = f"[imported from {a['primary_knowledge_source']}, {edges_file} line {imported_line(a)}"
    if a.get("drugmechdb_path"):
        where += (f"; DrugMechDB path {a['drugmechdb_path']} ({a.get('drugmechdb_drug')} to "
                  f"{a.get('drugmechdb_disease')}), YAML line {a.get('source_line')}")
    return where + "]"


def _store_paths(kg, spec: str, source: str, target: str, k: int, max_hops: int, filters, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """`kmoa paths --store SPEC`: the one search over a store's candidate edges (names resolved as curated)."""
    import json
    from dataclasses import replace

    from kmoa import neo4j_server
    from kmoa.graph.model import UnknownEntityError
    from kmoa.loaders.stores.adapter import open_store

    def curie(text: str, kinds: tuple[str, ...] | None = None) -> str:
        try:
            return kg.resolve(text, kinds=kinds)
        except UnknownEntityError:
            return text  # a CURIE only the store knows

    if filters.compound:
        filters = replace(filters, compound=curie(filters.compound, ("compound",)))
    options = {"local": neo4j_server.status} if spec.startswith("neo4j:") else {}
    try:
        with open_store(spec, **options) as opened:
            missing = [c for c in dict.fromkeys((curie(source), curie(target))) if not opened.node_rows("id", c)]
            if missing:
                fail(f"{spec} holds no row for {', '.join(missing)}: a store has rows once `kmoa import kgx DIR "
                     f"--store {spec}` (or Store.write) filled it; one made by `kmoa serve sparql --create` holds the "
                     f"curated RDF form only, which `kmoa sparql --store {spec}` queries")
            found = opened.paths(curie(source), curie(target), k=k, max_hops=max_hops, filters=filters)
            names = {n: (opened.node_rows("id", n) or [{"name": n}])[0].get("name", n)
                     for p in found.paths for n in p.nodes}
    except (OSError, ValueError, RuntimeError) as err:
        fail(f"{spec}: {err}")
    if fmt == "json":
        click.echo(json.dumps([{"rank": rank, "score": p.score, "nodes": list(p.nodes),
                                "steps": [{"from": s.source, "to": s.target, "predicate": s.predicate,
                                           "claim": s.claim_id} for s in p.steps]}
                               for rank, p in enumerate(found.paths, start=1)], indent=2, ensure_ascii=False))
        return
    exact = "the k best" if found.exact else "the best found within the search budget"
    click.echo(f"{len(found.paths)} path(s) in {spec}: {exact}.\n")
    for rank, path in enumerate(found.paths, start=1):
        click.echo(f"#{rank}  score {path.score:.3f}  " + " -> ".join(names[n] for n in path.nodes))
        for step in path.steps:
            click.echo(f"    {names[step.source]} --{step.label}--> {names[step.target]}  [{step.claim_id}]")
        click.echo("")


def _path_json(r, rank: int) -> dict:  # type: ignore[no-untyped-def]
    def steps(p):  # type: ignore[no-untyped-def]
        return [{"from": s.source, "to": s.target, "predicate": s.predicate, "claim": s.claim_id,
                 "other_claims": [e["id"] for e in s.evidence[1:]],
                 **{key: s.attributes[key] for key in ("curated_source", "primary_knowledge_source",
                                                       "review_section", "review_refs", "supporting_text",
                                                       "evidence_type", "species", "finding", "evidence_level",
                                                       "studies")}}
                for s in p.steps]

    p, h = r.path, r.hypothesis
    return {"rank": rank, "score": p.score, "mean_strength": p.mean_strength, "sign": p.sign, "nodes": list(p.nodes),
            "hypothesis": None if h is None else {"id": h.hypothesis, "name": h.name, "route": h.route,
                                                  "steps_walked": list(h.steps), "steps": h.step_count},
            "variants": [{"nodes": list(v.nodes), "score": v.score} for v in r.variants],
            "steps": steps(p)}


def _next_command(source: str, target: str, k: int, offset: int, filters,  # type: ignore[no-untyped-def]
                  data_dir: Path | None = None, sources: tuple[Path, ...] = ()) -> str:
    import shlex

    words = ["kmoa", "paths", source, target, "-k", str(k), "--offset", str(offset + k)]
    if data_dir is not None:
        words += ["--data", str(data_dir)]
    for folder in sources:
        words += ["--source", str(folder)]
    for name in ("min_evidence", "route", "compound"):
        if getattr(filters, name):
            words += ["--" + name.replace("_", "-"), getattr(filters, name)]
    for name in ("human_only", "include_negative", "allow_direct"):
        if getattr(filters, name):
            words.append("--" + name.replace("_", "-"))
    return " ".join(shlex.quote(w) for w in words)


def path_answer_lines(kg, answer, next_command: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of `kmoa paths`: notes, the page of paths with hypotheses and variants, direct claims."""
    from kmoa.graph.rows import canmat_level

    src, dst = kg.nodes[answer.source], kg.nodes[answer.target]
    out = list(answer.notes)
    if answer.why_none:
        out.append(answer.why_none)
    elif not answer.paths:
        out.append(f"No more paths: {answer.total} listed in all.")
    else:
        first, last = answer.offset + 1, answer.offset + len(answer.paths)
        out.append(f"Paths {first}-{last} of {answer.total} from {src.name} ({src.id}) to {dst.name} ({dst.id}): "
                   "the best path of each hypothesis first, then more by weakest-link evidence.")
    out.append("")
    for rank, r in enumerate(answer.paths, start=answer.offset + 1):
        p = r.path
        names = " -> ".join(kg.nodes[n].name for n in p.nodes)
        net = "raises" if p.sign > 0 else "lowers"
        out.append(f"#{rank}  score {p.score:.2f} (mean {p.mean_strength:.2f}, {p.hops} steps, net: {net} the target)"
                   f"  {names}")
        h = r.hypothesis
        if h is not None:
            walked = ", ".join(str(i) for i in h.steps) or "none"
            out.append(f"    follows: {h.name} [{h.hypothesis}] (walks its steps {walked} of {h.step_count})")
        else:
            out.append("    follows: no single hypothesis of the review")
        for s in p.steps:
            a = s.attributes
            refs = ", ".join(str(x) for x in a["review_refs"]) or "none"
            level = f", CANMAT level {canmat_level(a['evidence_level'])}" if a["evidence_level"] else ""
            finding = f", finding {a['finding']}" if a["finding"] != "positive" else ""
            finding += ", curator inference (not stated in the review)" if a.get("inferred") else ""
            out.append(f"    {kg.nodes[s.source].name} --{s.label}--> {kg.nodes[s.target].name}")
            out.append(f"        [{a['evidence_type']}, {a['species']}{level}{finding}] {a['curated_source']} "
                       f"section {a['review_section']}, refs [{refs}], claim {s.claim_id}")
            out.append(f"        \"{a['supporting_text']}\"")
            if len(s.evidence) > 1:
                others = ", ".join(e["id"] for e in s.evidence[1:])
                out.append(f"        + {len(s.evidence) - 1} more claim(s) for this step: {others}")
        for v in r.variants:
            out.append(f"    variant (same path with a detour), score {v.score:.2f}: "
                       + " -> ".join(kg.nodes[n].name for n in v.nodes))
        out.append("")
    if answer.more:
        out.append(f"More paths: {next_command}")
        out.append("")
    if answer.direct_total:
        shown = f"{len(answer.direct)} of {answer.direct_total} pass the filters" \
            if len(answer.direct) != answer.direct_total else f"{answer.direct_total} claims"
        out.append(f"Direct clinical claims {src.name} -> {dst.name} ({shown}; what the paths explain):")
        for a in answer.direct[:8]:
            level = f", CANMAT level {canmat_level(a['evidence_level'])}" if a["evidence_level"] else ""
            refs = ", ".join(str(x) for x in a["review_refs"]) or "none"
            route = f", {a['route']}" if a["route"] else ""
            predicate = ("NOT " if a.get("negated") else "") + a["kmoa_predicate"]
            out.append(f"    {predicate} [{a['evidence_type']}{level}, {a['species']}{route}, {a['finding']}] "
                       f"{a['curated_source']} section {a['review_section']}, refs [{refs}], claim {a['id']}")
        if len(answer.direct) > 8:
            out.append(f"    ... {len(answer.direct) - 8} more")
    return out


def query_text(query: str | None, query_file: IO[str] | None, named: str | None, language: str) -> str:
    """The query a command was given: inline, from a file, or a named query (its SPARQL or Cypher)."""
    if named:
        from kmoa.graph.sparql import named_queries

        library = named_queries()
        if named not in library:
            fail(f"unknown named query '{named}'; available: {', '.join(library)}")
        text = library[named].sparql if language == "sparql" else library[named].cypher
        if text is None:
            fail(f"named query '{named}' has no Cypher twin (graph/queries/{named}.cypher)")
        return str(text)
    if query_file is not None:
        try:
            text = str(query_file.read())
        except UnicodeDecodeError as err:
            fail(f"{query_file.name}: not UTF-8 text (byte 0x{err.object[err.start]:02x} at position {err.start})")
        if not text.strip():
            fail(f"{query_file.name}: the query is empty")
        return text
    if query:
        return query
    fail("give a QUERY, -f FILE or -n NAME")
    raise AssertionError("unreachable")


@click.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option("-n", "--named", help="Run a named query from the library (see `kmoa queries`).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True,
              help="Seconds (> 0) before the query, parsing included, is stopped.")
@click.option("--limit", type=ROW_CAP, default=10_000, show_default=True,
              help="Maximum rows (or triples, for CONSTRUCT and DESCRIBE) returned.")
@click.option("--store", "store", callback=store_spec,
              help="memory: (the curated graph, the default), oxigraph:DIR or sparql:URL (a remote endpoint).")
@click.option("--endpoint", callback=store_alias("sparql"), help="The same as --store sparql:URL.")
@DATA_OPTION
@SOURCE_OPTION
def sparql(query: str | None, query_file, named: str | None, fmt: str, timeout: float, limit: int,  # type: ignore[no-untyped-def]
           store: str | None, endpoint: str | None, data_dir: Path | None, sources: tuple[Path, ...]) -> None:
    """Run a read-only SPARQL query (QUERY, -f FILE or -n NAME) with a timeout and a row cap.

    The query is evaluated by Oxigraph in a worker process without network access: updates,
    SERVICE and FROM are refused as the engine reads the query.
    """
    from kmoa.graph.sparql import AnswerTooLarge, QueryFailed, QueryRefused, QuerySyntaxError, QueryTimeout
    from kmoa.loaders.stores.sparql_engine import EngineError, QueryEngine, run_query

    text = query_text(query, query_file, named, "sparql")
    spec = store or endpoint or "memory:"
    scheme, _, locator = spec.partition(":")
    if scheme == "neo4j":
        fail(f"{spec} answers Cypher: use `kmoa cypher --store {spec}`")
    try:
        if scheme == "sparql":
            from kmoa.loaders.stores.sparql_remote import query_endpoint

            result = query_endpoint(locator, text, timeout=timeout, limit=limit)
        else:
            engine = (QueryEngine(Path(locator), workers=1) if scheme == "oxigraph"
                      else QueryEngine.for_graph(_load(data_dir, sources), workers=1))
            with engine:
                result = run_query(engine, text, timeout=timeout, limit=limit)
    except (QueryRefused, QuerySyntaxError, QueryTimeout, QueryFailed, AnswerTooLarge, EngineError) as err:
        fail(str(err))
    if result.kind in ("CONSTRUCT", "DESCRIBE"):
        click.echo(result.graph.serialize(format="turtle"))
    else:
        click.echo(render(result.variables, result.rows, fmt))
    if result.truncated:
        unit = "rows" if result.kind == "SELECT" else "triples"
        click.echo(f"(truncated at {limit} {unit}; raise --limit)", err=True)


@click.command()
def queries() -> None:
    """List the named queries (SPARQL, with Cypher twins)."""
    from kmoa.graph.sparql import named_queries

    for q in named_queries().values():
        click.echo(f"{q.name:28} {q.title}{'' if q.cypher else '  (no Cypher twin yet)'}")
