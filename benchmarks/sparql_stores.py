"""Triple stores and the merged graph: import time and peak RSS, SPARQL latency, merged path latency.

    python benchmarks/sparql_stores.py                     # 0.1x, 0.3x and 1x Hetionet's size
    python benchmarks/sparql_stores.py --scales 0.1 --neo4j no
    python benchmarks/sparql_stores.py --work /tmp/kmoa-bench --repeat 30

Prints:

* generation of the synthetic KGX graph (benchmarks/synthetic_kgx.py, seeded);
* ``kmoa import kgx`` into Oxigraph, with ``--no-edge-provenance`` and by default (each edge's
  statement, which is also its row), and into Neo4j when a server runs or can be started: wall
  time, CPU time and the importing process's peak RSS (plus the Neo4j server's peak RSS), each
  import in a fresh child process so the figures are its own;
* p50/p95 latency of every named SPARQL query on the curated graph (``kmoa sparql`` and the
  explorer's console, ``kmoa serve sparql`` over HTTP), and at each scale on the merged graph
  (``kmoa serve sparql --store oxigraph:`` over HTTP), each beside the reference measured in the
  same run: the same queries on the same store with pyoxigraph in-process;
* at each scale, p50/p95 latency of k = 10 evidence-ranked mechanism paths from a compound to a
  disease on the merged graph (``graph.imported.search_merged_paths``; hub damping 0.5, at
  most 4 hops), for ketamine-family pairs and for random synthetic compound/disease pairs, with
  how many answers were proven exact, beside the reference: the earlier one-sided best-first
  search with threshold deepening and its 50,000-step budget (``benchmarks/previous_search.py``),
  and on how many pairs both gave the same scores.

Each scale (default 0.1x, 0.3x and 1x Hetionet's size) is one column of the figures. Aims
(measured, not asserted; issue 13): Oxigraph import of 1x <= 20 s and <= 2 GB, paths <= 50 ms p50
and exact for every pair, named SPARQL <= 10 ms p50 (``kmoa sparql``), <= 15 ms over HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100])."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def ms(values: list[float]) -> str:
    return f"p50 {1000 * statistics.median(values):.1f} ms, p95 {1000 * percentile(values, 95):.1f} ms"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_child(*args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run a step of this script in a fresh process; it prints one JSON line last."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=child_env(),
                          cwd=ROOT, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- child steps -----------------------------------------------------------------------------------------


def child_import_oxigraph(kgx: Path, store: Path, provenance: str = "no") -> None:
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import read_kgx
    from kmoa.loaders.stores.oxigraph_store import import_into_oxigraph

    began = time.perf_counter()
    kg = load_graph()
    graph = read_kgx(kgx, kg, progress=False)
    read = time.perf_counter() - began
    # Direct triples only (--no-edge-provenance), or the default import: each edge's statement in
    # Biolink's terms, which is also its row (seven quads per edge and one per publication).
    summary = import_into_oxigraph(store, kg, graph, progress=False, provenance=provenance == "yes")
    print(json.dumps({"seconds": time.perf_counter() - began, "read_seconds": read, "edges": summary.edges,
                      "cpu_seconds": time.process_time(),
                      "nodes": summary.nodes, "peak_rss_mb": peak_rss_mb(),
                      "store_mb": sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20}))


def child_import_neo4j(kgx: Path) -> None:
    from kmoa import neo4j_server
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import read_kgx
    from kmoa.loaders.stores import neo4j as nl

    began = time.perf_counter()
    kg = load_graph()
    graph = read_kgx(kgx, kg, progress=False)
    read = time.perf_counter() - began
    with nl.Neo4jStore("", local=neo4j_server.status) as store:
        summary = store.merge(kg, graph, progress=False)
        nodes, rels = nl.graph_counts(store.driver)
    print(json.dumps({"seconds": time.perf_counter() - began, "read_seconds": read, "edges": summary.edges,
                      "cpu_seconds": time.process_time(),
                      "neo4j_nodes": nodes, "neo4j_relationships": rels, "peak_rss_mb": peak_rss_mb()}))


def child_restore_neo4j() -> None:
    from kmoa import neo4j_server
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores import neo4j as nl

    began = time.perf_counter()
    with nl.open_driver(nl.ConnectionSettings.resolve(local=neo4j_server.status)) as driver:
        nl.load_graph(driver, load_graph(), progress=False)
    print(json.dumps({"seconds": time.perf_counter() - began}))


# -- measurements in this process ----------------------------------------------------------------------


def time_calls(fn: Any, repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``repeat`` calls after a warm-up; with ``cpu``, this process's CPU time of each is added to it."""
    fn()  # warm-up (parsing caches, page cache)
    times = []
    for _ in range(repeat):
        began, used = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - began)
        if cpu is not None:
            cpu.append(time.process_time() - used)
    return times


def named_latencies(run: Any, repeat: int) -> tuple[list[float], dict[str, float]]:
    """All named queries, each ``repeat`` times: every sample, and each query's median."""
    from kmoa.graph.sparql import named_queries

    every: list[float] = []
    medians: dict[str, float] = {}
    for name, query in named_queries().items():
        times = time_calls(lambda q=query: run(q.sparql), repeat)
        every += times
        medians[name] = statistics.median(times)
    return every, medians


def oxigraph_runner(store_path: Path) -> Any:
    import pyoxigraph as ox

    from kmoa.loaders.stores.oxigraph_store import active_generation
    from kmoa.loaders.stores.sparql_engine import evaluate

    store = ox.Store.read_only(str(active_generation(store_path)))
    return lambda text: evaluate(store, text, 10_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Endpoint:
    """`kmoa serve sparql` in a child process."""

    def __init__(self, store: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kmoa", "serve", "sparql", "--port", str(self.port), "--store", store,
             "--quiet", "--timeout", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=child_env(), cwd=ROOT)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("kmoa serve sparql did not start") from None
                time.sleep(0.2)

    def run(self, text: str) -> bytes:
        body = urllib.parse.urlencode({"query": text}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/sparql", data=body,
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def path_pairs(kg: Any, graph: Any, count: int, seed: int) -> list[tuple[str, str]]:
    """Compound -> disease pairs: the ketamine family first, then random synthetic ones."""
    anchors = [(c, d) for c in ("CHEBI:6121", "CHEBI:60799", "CHEBI:234441")
               for d in ("MONDO:0002009", "EFO:0009854") if c in graph.index and d in graph.index]
    rng = random.Random(seed)
    compounds = [n for i, n in enumerate(graph.nodes) if graph.categories[i] == "biolink:SmallMolecule"]
    diseases = [n for i, n in enumerate(graph.nodes) if graph.categories[i] == "biolink:Disease"]
    pairs = list(anchors)
    while len(pairs) < count:
        pairs.append((rng.choice(compounds), rng.choice(diseases)))
    return pairs


def bench_paths(kg: Any, kgx: Path, pairs_wanted: int, seed: int) -> dict[str, str]:
    """Merged-graph paths at one scale: the one search vs. the earlier one-sided search, same pairs."""
    from benchmarks import previous_search
    from kmoa.graph.imported import MergedEdges, search_merged_paths
    from kmoa.loaders.formats.kgx_import import read_kgx

    began = time.perf_counter()
    graph = read_kgx(kgx, kg, progress=False)
    read = time.perf_counter() - began
    began = time.perf_counter()
    merged = MergedEdges(kg, graph)
    merged.sorted_neighbours(kg.schema.walk.hub_damping_merged)
    prepared = time.perf_counter() - began
    previous = previous_search.merged_adjacency(kg, graph)
    pairs = path_pairs(kg, graph, pairs_wanted, seed)
    family = {p for p in pairs if not p[0].startswith("CHEBI:9")}
    figures: dict[str, str] = {}
    for group in ("ketamine family", "random synthetic"):
        chosen = [p for p in pairs if (p in family) == (group == "ketamine family")]
        new: list[float] = []
        new_cpu: list[float] = []
        old: list[float] = []
        exact_new = exact_old = same = 0
        for source, target in chosen:
            new += time_calls(lambda s=source, t=target: search_merged_paths(kg, graph, s, t, k=10, merged=merged), 2,
                              new_cpu)
            result = search_merged_paths(kg, graph, source, target, k=10, merged=merged)
            exact_new += result.exact
            old += time_calls(lambda s=source, t=target: previous_search.search_merged_paths(
                kg, graph, s, t, k=10, merged=previous), 1)
            before = previous_search.search_merged_paths(kg, graph, source, target, k=10, merged=previous)
            exact_old += before.exact
            same += [p.score for p in result.paths] == [p.score for p in before.paths]
        n = len(chosen)
        figures[f"paths, {group} ({n} pairs)"] = (
            f"{ms(new)} (CPU time {ms(new_cpu)}), exact {exact_new}/{n} | "
            f"earlier search {ms(old)}, exact {exact_old}/{n}; same scores {same}/{n}")
    figures["read KGX for paths"] = f"{read:.1f} s"
    figures["neighbour arrays of the import (MergedEdges, once per import)"] = f"{prepared:.1f} s"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=None, help="Folder for the KGX files and stores.")
    parser.add_argument("--scales", default="0.1,0.3,1", help="Fractions of Hetionet's size, comma-separated.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20, help="Runs of each query.")
    parser.add_argument("--pairs", type=int, default=16, help="Compound/disease pairs for path tracing.")
    parser.add_argument("--neo4j", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument("--imports-only", action="store_true", help="Stop after the imports.")
    parser.add_argument("--paths-only", action="store_true", help="Only the merged-graph paths (no store, no SPARQL).")
    args = parser.parse_args()

    from benchmarks.synthetic_kgx import write as write_kgx
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.rdf import to_rdf
    from kmoa.loaders.stores.oxigraph_store import build_store
    from kmoa.loaders.stores.sparql_engine import QueryEngine, run_query

    work = args.work or Path(tempfile.mkdtemp(prefix="kmoa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB RAM, "
          f"Python {platform.python_version()}, {platform.platform()}; load average at start "
          f"{os.getloadavg()[0]:.1f}")
    kg = load_graph()

    # -- curated graph (the same at every scale) -------------------------------------------------------
    if not args.imports_only and not args.paths_only:
        rdf = to_rdf(kg)
        curated_store = build_store(work / "curated-store", kg)
        print(f"curated graph: {len(kg.nodes)} nodes, {len(kg.claims)} edges, {len(rdf)} triples")
        reference = named_latencies(oxigraph_runner(curated_store), args.repeat)[0]
        with QueryEngine.for_graph(rdf) as engine:
            embedded = named_latencies(lambda q: run_query(engine, q), args.repeat)[0]
        endpoint = Endpoint("memory")
        try:
            served = named_latencies(endpoint.run, args.repeat)[0]
        finally:
            endpoint.close()
        print(f"  named SPARQL, kmoa sparql / explorer console (Oxigraph worker): {ms(embedded)} "
              f"| Oxigraph in-process {ms(reference)}")
        print(f"  named SPARQL, kmoa serve sparql (no --store) over HTTP: {ms(served)} "
              f"| Oxigraph in-process {ms(reference)}")

    for scale in (float(x) for x in args.scales.split(",")):
        kgx = work / f"kgx-scale{scale:g}-seed{args.seed}"
        if not (kgx / "edges.tsv").is_file():
            began = time.perf_counter()
            n, e = write_kgx(kgx, args.seed, scale)
            print(f"\n{scale:g}x: synthetic KGX, {n} nodes, {e} edges, "
                  f"generated in {time.perf_counter() - began:.1f} s")
        else:
            print(f"\n{scale:g}x: synthetic KGX, reusing {kgx}")
        if args.paths_only:
            for what, figure in bench_paths(kg, kgx, args.pairs, args.seed).items():
                print(f"  {what}: {figure}", flush=True)
            continue
        merged_store = work / f"merged-store-{scale:g}"
        for provenance, what in (("no", "--no-edge-provenance"), ("yes", "the default, with each edge's row")):
            shutil.rmtree(merged_store, ignore_errors=True)
            load = os.getloadavg()[0]
            ox = run_child("_import-oxigraph", str(kgx), str(merged_store), provenance)
            print(f"  import into Oxigraph, {what}: {ox['seconds']:.1f} s (read + check {ox['read_seconds']:.1f} s; "
                  f"CPU time of the importing process {ox['cpu_seconds']:.1f} s), "
                  f"peak RSS {ox['peak_rss_mb']:.0f} MB, {ox['edges']} edges, store {ox['store_mb']:.0f} MB; "
                  f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} | aim at 1x: <= 20 s, <= 2 GB", flush=True)
        if args.neo4j != "no":
            bench_neo4j(kgx, required=args.neo4j == "yes")
        if args.imports_only:
            continue
        reference = named_latencies(oxigraph_runner(merged_store), args.repeat)[0]
        endpoint = Endpoint(f"oxigraph:{merged_store}")
        try:
            served = named_latencies(endpoint.run, args.repeat)[0]
        finally:
            endpoint.close()
        print(f"  named SPARQL, merged graph, kmoa serve sparql --store oxigraph: over HTTP: {ms(served)} "
              f"| Oxigraph in-process {ms(reference)}")
        for what, figure in bench_paths(kg, kgx, args.pairs, args.seed).items():
            print(f"  {what}: {figure}")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


def bench_neo4j(kgx: Path, required: bool) -> None:
    """Import into Neo4j when a server runs (or can start), then reload the curated graph."""
    from kmoa import neo4j_server

    try:
        info = neo4j_server.status() or neo4j_server.start(timeout=240)
    except Exception as err:  # noqa: BLE001 - no Java, no network: report and go on
        if required:
            raise
        print(f"import into Neo4j: skipped ({err})")
        return
    try:
        result = run_child("_import-neo4j", str(kgx), timeout=7200)
        server_peak = _server_peak_mb(info.pid)
        print(f"import into Neo4j (one transaction): {result['seconds']:.1f} s (reading and checking the KGX: "
              f"{result['read_seconds']:.1f} s), client peak RSS {result['peak_rss_mb']:.0f} MB, "
              f"server peak RSS {server_peak}, {result['neo4j_relationships']} relationships")
    finally:
        run_child("_restore-neo4j")


def _server_peak_mb(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return f"{int(line.split()[1]) / 1024:.0f} MB"
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_import-oxigraph":
        child_import_oxigraph(Path(sys.argv[2]), Path(sys.argv[3]), *sys.argv[4:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "_import-neo4j":
        child_import_neo4j(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_restore-neo4j":
        child_restore_neo4j()
    else:
        main()
