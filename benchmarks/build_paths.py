"""Print the build time and the path-query latency (p50/p95) on the curated graph.

Usage: python benchmarks/build_paths.py [--repeat N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from kmoa.build import build
from kmoa.graph.model import load_graph
from kmoa.graph.paths import PathFilters, trace_mechanism_paths

PAIRS = [
    ("ketamine", "treatment-resistant depression"),
    ("esketamine", "TRD"),
    ("ketamine", "major depressive disorder"),
    ("arketamine", "rapid antidepressant effect"),
    ("(2R,6R)-HNK", "TRD"),
    ("ketamine", "post-traumatic stress disorder"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}")

    started = time.perf_counter()
    kg = load_graph()
    print(f"load + check curated YAML: {time.perf_counter() - started:.2f} s "
          f"({len(kg.nodes)} nodes, {len(kg.claims)} edges)")
    with tempfile.TemporaryDirectory() as tmp:
        builds = []
        for _ in range(3):
            started = time.perf_counter()
            build(Path(tmp) / "artifacts")
            builds.append(time.perf_counter() - started)
    print(f"kmoa build (validate + SHACL + 6 formats): median {statistics.median(builds):.2f} s over 3 runs")

    for label, filters in (("default", PathFilters()), ("human-only", PathFilters(human_only=True))):
        timings = []
        for _ in range(args.repeat):
            for source, target in PAIRS:
                t0 = time.perf_counter()
                trace_mechanism_paths(kg, source, target, k=10, filters=filters)
                timings.append((time.perf_counter() - t0) * 1000)
        print(f"paths k=10 ({label}, {len(PAIRS)} pairs x {args.repeat}): p50 {percentile(timings, 0.5):.1f} ms, "
              f"p95 {percentile(timings, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
