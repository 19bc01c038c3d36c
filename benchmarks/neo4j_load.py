"""Neo4j load throughput (curated and synthetic >= 1M edges) and named Cypher query latency.

    python benchmarks/neo4j_load.py                       # curated + 1M-edge synthetic graph
    python benchmarks/neo4j_load.py --edges 2000000 --batch-size 50000
    KMOA_NEO4J_HEAP=4g python benchmarks/neo4j_load.py    # heap of a server this script starts

Connects like `kmoa load neo4j` (NEO4J_* variables, else the local server, which it starts if
needed). It replaces the graph in that database and reloads the curated graph at the end.
Synthetic rows have the KGX row format of ``graph.rows.node_rows``/``edge_rows`` (every column,
real node kinds and predicates, provenance lists), generated from a seed.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from typing import Any

from graph.model import load_graph
from graph.rows import edge_rows, node_rows
from graph.sparql import named_queries
from loaders.stores import neo4j as nl
from ontology.schema import load_schema

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
    """Print one load's throughput and phase times."""
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
    whole = result.relationships / result.seconds if result.seconds else float("nan")
    print(f"{label}: {result.nodes:,} nodes, {result.relationships:,} edges: relationships at "
          f"{result.edges_per_second:,.0f} edges/s; whole load {result.seconds:.1f} s ({whole:,.0f} edges/s) "
          f"[{phases}]")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=nl.DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeats", type=int, default=50, help="runs of each named query")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()

    import os

    from kmoa import neo4j_server

    if not os.environ.get("NEO4J_URI"):
        if neo4j_server.status() is None:
            neo4j_server.start(timeout=240)
    settings = nl.ConnectionSettings.resolve(local=neo4j_server.status)
    kg = load_graph()
    with nl.open_driver(settings) as driver:
        heap = os.environ.get("KMOA_NEO4J_HEAP", "1g")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"server {driver.get_server_info().agent} at {settings.uri}, heap {heap}")
        curated_nodes, curated_edges = node_rows(kg), edge_rows(kg)
        nl.load_rows(driver, curated_nodes, curated_edges, database=settings.database)  # warm-up
        report_load("curated", nl.load_rows(driver, curated_nodes, curated_edges, database=settings.database))
        for name, (p50, p95, rows) in bench_queries(driver, settings.database, args.repeats).items():
            print(f"query {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({rows} rows, {args.repeats} runs)")
        if not args.skip_synthetic:
            began = time.perf_counter()
            nodes, edges = synthetic_rows(args.nodes, args.edges)
            print(f"synthetic rows generated in {time.perf_counter() - began:.1f} s")
            report_load(f"synthetic, one transaction, batch {args.batch_size}",
                        nl.load_rows(driver, nodes, edges, database=settings.database, batch_size=args.batch_size))
            report_load(f"synthetic, one transaction, batch {args.batch_size} (replaces the previous)",
                        nl.load_rows(driver, nodes, edges, database=settings.database, batch_size=args.batch_size))
            del nodes, edges
            result = nl.load_rows(driver, curated_nodes, curated_edges, database=settings.database)
            print(f"curated graph restored: {result.nodes} nodes, {result.relationships} edges "
                  f"({result.seconds:.1f} s including deletion of the synthetic generation)")


if __name__ == "__main__":
    main()
