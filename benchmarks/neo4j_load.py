"""Neo4j loads, bulk (neo4j-admin) against online (one transaction), and named Cypher query latency.

    python benchmarks/neo4j_load.py                        # scales 0.1, 0.3 and 1 x Hetionet
    python benchmarks/neo4j_load.py --scales 0.1
    KMOA_NEO4J_HEAP=4g KMOA_NEO4J_PAGECACHE=2g python benchmarks/neo4j_load.py

Starts a Neo4j server of its own in a temporary cache (the jars are the user's download), so no
graph of the user's is replaced, and stops and removes it at the end. For each scale, the
synthetic Hetionet-sized KGX graph of ``synthetic_kgx.py`` is merged with the curated graph as
``kmoa import kgx --neo4j`` merges it, then loaded online and then in bulk (``kmoa.neo4j_reload``),
from the same rows. ``synthetic_rows`` (seeded rows with every column of the curated export) is
kept for experiments with the online loader.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_kgx import write as write_synthetic  # noqa: E402

from kmoa.graph.imported import merged_rows  # noqa: E402
from kmoa.graph.model import load_graph  # noqa: E402
from kmoa.graph.rows import edge_rows, node_rows  # noqa: E402
from kmoa.graph.sparql import named_queries  # noqa: E402
from kmoa.loaders.formats.kgx_import import read_kgx  # noqa: E402
from kmoa.loaders.stores import neo4j as nl  # noqa: E402
from kmoa.neo4j_reload import ReloadResult, reload_rows  # noqa: E402
from kmoa.ontology.schema import load_schema  # noqa: E402

WORDS = ("ketamine glutamate synapse receptor cortex plasticity trial dose response placebo remission relapse "
         "infusion depression neuron signalling pathway release block rapid effect").split()


def synthetic_rows(n_nodes: int, n_edges: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seeded nodes and edges in the KGX row format (same keys and value types as the real rows)."""
    rng = random.Random(seed)
    schema = load_schema()
    kinds = sorted(schema.node_kinds)
    evidence = sorted(schema.evidence_types)
    predicates = sorted(schema.predicates)
    nodes = []
    for i in range(n_nodes):
        kind = kinds[i % len(kinds)]
        row: dict[str, Any] = {
            "id": f"SYN:{i:08d}", "category": [schema.node_kinds[kind].biolink], "name": f"synthetic {kind} {i}",
            "description": " ".join(rng.choices(WORDS, k=8)), "xref": [f"SYNX:{i}"], "synonym": [f"syn{i}"],
            "provided_by": ["infores:kmoa"], "kmoa_kind": kind, "study_facts": None, "hypothesis": None,
        }
        if kind == "study":
            row["study_facts"] = {"refs": [rng.randint(1, 88)], "section": "3", "evidence_type": rng.choice(evidence),
                                  "species": "human", "n": rng.randint(5, 500), "design": "randomized",
                                  "finding": "positive"}
        nodes.append(row)
    edges = []
    for i in range(n_edges):
        pred = schema.predicates[predicates[i % len(predicates)]]
        s, o = rng.randrange(n_nodes), rng.randrange(n_nodes)
        etype = rng.choice(evidence)
        edges.append({
            "id": f"syn.{i:08d}", "subject": f"SYN:{s:08d}", "predicate": pred.biolink, "object": f"SYN:{o:08d}",
            "object_direction_qualifier": pred.qualifiers.get("object_direction_qualifier", ""),
            "object_aspect_qualifier": pred.qualifiers.get("object_aspect_qualifier", ""),
            "causal_mechanism_qualifier": pred.qualifiers.get("causal_mechanism_qualifier", ""),
            "anatomical_context_qualifier": "", "knowledge_level": "knowledge_assertion",
            "agent_type": "manual_agent", "primary_knowledge_source": "infores:kmoa",
            "publications": [f"PMID:{rng.randint(10_000_000, 39_999_999)}"], "review_section": "3",
            "review_refs": [rng.randint(1, 88)], "supporting_text": " ".join(rng.choices(WORDS, k=12)),
            "evidence_type": etype, "species": rng.choice(schema.species), "evidence_level": "",
            "kmoa_predicate": pred.name, "finding": "positive", "contested": False,
            "studies": [f"SYN:{rng.randrange(n_nodes):08d}"], "route": "", "dose": "", "timing": "", "note": "",
            "hypothesis_steps": [], "derived_from": "", "evidence_strength": schema.evidence_strength(etype),
        })
    return nodes, edges


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of the values (q in [0, 100])."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def bench_queries(driver: Any, database: str, repeats: int) -> dict[str, tuple[float, float, int]]:
    """p50/p95 wall time (ms) and row count of each named Cypher query, after one warm-up run."""
    out = {}
    for name, query in named_queries().items():
        if not query.cypher:
            continue
        rows = len(nl.run_cypher(driver, query.cypher, database=database).rows)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            nl.run_cypher(driver, query.cypher, database=database)
            times.append((time.perf_counter() - began) * 1000)
        out[name] = (percentile(times, 50), percentile(times, 95), rows)
    return out


def report_load(label: str, result: nl.LoadResult) -> None:
    """Print one online load's throughput and phase times."""
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
    whole = result.relationships / result.seconds if result.seconds else float("nan")
    print(f"{label}: {result.nodes:,} nodes, {result.relationships:,} edges: relationships at "
          f"{result.edges_per_second:,.0f} edges/s; whole load {result.seconds:.1f} s ({whole:,.0f} edges/s) "
          f"[{phases}]")


def children_cpu() -> float:
    """CPU seconds of this process's finished children (CSV writers, the importer, ``neo4j-admin database info``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report_reload(label: str, result: ReloadResult, cpu: tuple[float, float], load: tuple[float, float]) -> None:
    """Print one reload (bulk or online) of the merged graph: whole time, edges/s, phases, CPU and load."""
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
    rels = result.phases.get("relationships")
    online = f"; relationships at {result.relationships / rels:,.0f} edges/s" if rels else ""
    print(f"{label}: {result.nodes:,} nodes, {result.relationships:,} edges in {result.seconds:.1f} s "
          f"({result.relationships / result.seconds:,.0f} edges/s{online}) [{phases}]; CPU time: Python "
          f"{cpu[0]:.1f} s, child processes (CSV writers, neo4j-admin) {cpu[1]:.1f} s; "
          f"load average {load[0]:.1f} -> {load[1]:.1f}", flush=True)


def bench_scale(settings: nl.ConnectionSettings, kg: Any, scale: float, folder: Path,
                modes: tuple[str, ...] = ("online", "bulk"), batch_sizes: tuple[int, ...] = ()) -> None:
    """The merged graph at ``scale`` x Hetionet: an online load, then a bulk load of the same rows."""
    began = time.perf_counter()
    kgx = folder / f"scale-{scale}"
    write_synthetic(kgx, scale=scale)
    nodes, edges = (list(rows) for rows in merged_rows(kg, read_kgx(kgx, kg, progress=False)))
    shutil.rmtree(kgx)
    print(f"scale {scale}: {len(nodes):,} nodes, {len(edges):,} edges (generated and read in "
          f"{time.perf_counter() - began:.1f} s); load average {os.getloadavg()[0]:.1f}", flush=True)
    for size in batch_sizes:  # online loads one after another into the same server: warm throughput
        load, cpu = os.getloadavg()[0], time.process_time()
        with nl.open_driver(settings) as driver:
            result = nl.load_rows(driver, nodes, edges, database=settings.database, batch_size=size)
        report_load(f"  online, batches of {size:,} (load average {load:.1f} -> {os.getloadavg()[0]:.1f}, "
                    f"Python CPU {time.process_time() - cpu:.1f} s)", result)
    for mode in modes:
        load, cpu, admin = os.getloadavg()[0], time.process_time(), children_cpu()
        try:
            result = reload_rows(settings, nodes, edges, mode=mode)  # type: ignore[arg-type]
        except nl.Neo4jLoadError as err:
            print(f"  {mode}: failed: {err}", flush=True)
        else:
            report_reload(f"  {mode}", result, (time.process_time() - cpu, children_cpu() - admin),
                          (load, os.getloadavg()[0]))


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="*", default=[0.1, 0.3, 1.0],
                        help="Sizes of the synthetic graph as fractions of Hetionet's (2.25 M edges)")
    parser.add_argument("--repeats", type=int, default=50, help="runs of each named query")
    parser.add_argument("--modes", nargs="*", choices=["online", "bulk"], default=["online", "bulk"],
                        help="which loads to run at each scale (online fails above about 0.2 x on a 4 GB heap)")
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[],
                        help="first, online loads with each of these batch sizes, one after another into the same "
                             "server (the first is cold, the later ones warm), e.g. 20000 20000 5000 50000")
    args = parser.parse_args()

    from kmoa import neo4j_server

    downloads = os.environ.get("KMOA_NEO4J_DOWNLOADS") or str(neo4j_server.default_cache_dir() / "dist")
    with tempfile.TemporaryDirectory(prefix="kmoa-bench-neo4j-") as tmp:
        os.environ.update(KMOA_CACHE=tmp, KMOA_NEO4J_DOWNLOADS=downloads)
        for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
            os.environ.pop(name, None)
        info = neo4j_server.start(timeout=600)
        try:
            settings = nl.ConnectionSettings(uri=info.uri, user=info.user, password=info.password)
            run(settings, args, Path(tmp))
        finally:
            neo4j_server.stop()


def run(settings: nl.ConnectionSettings, args: argparse.Namespace, folder: Path) -> None:
    """Curated load and query latency, then each scale's online and bulk loads."""
    kg = load_graph()
    with nl.open_driver(settings) as driver:
        heap, pagecache = os.environ.get("KMOA_NEO4J_HEAP", "1g"), os.environ.get("KMOA_NEO4J_PAGECACHE", "256m")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"server {driver.get_server_info().agent} at {settings.uri}, heap {heap}, page cache {pagecache}, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        curated_nodes, curated_edges = node_rows(kg), edge_rows(kg)
        nl.load_rows(driver, curated_nodes, curated_edges, database=settings.database)  # warm-up
        report_load("curated", nl.load_rows(driver, curated_nodes, curated_edges, database=settings.database))
        for name, (p50, p95, rows) in bench_queries(driver, settings.database, args.repeats).items():
            print(f"query {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({rows} rows, {args.repeats} runs)")
    for scale in args.scales:
        bench_scale(settings, kg, scale, folder, tuple(args.modes), tuple(args.batch_sizes))


if __name__ == "__main__":
    main()
