"""Import DrugMechDB's full files: read time, defects, nodes merged onto curated ones, and the compare answer.

Usage: python benchmarks/drugmechdb.py FILE [FILE ...]
(e.g. ../shared/data/drugmechdb/indication_paths.yaml ../shared/data/drugmechdb/indication_paths_v2.yaml)

For every antidepressant in the file (a path to major depressive disorder or depressive disorder)
it prints `kmoa compare ketamine DRUG --to INDICATION --drugmechdb FILE`'s answer
(``graph.compare.compare_mechanisms``): each side's first mechanism, as a chain.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

from kmoa.graph.compare import CompareError, Mechanism, compare_mechanisms
from kmoa.graph.model import load_graph
from kmoa.loaders.formats.drugmechdb import edge_rows, mechanisms, node_rows, read_drugmechdb, write_kgx
from kmoa.loaders.formats.kgx_import import curated_keys, read_kgx

DEPRESSION = {"MESH:D003865", "MESH:D003866"}


def chain(mechanism: Mechanism) -> str:
    """A mechanism as 'a -> b -> c'."""
    if not mechanism.steps:
        return "no step"
    return " -> ".join([mechanism.steps[0].subject, *(step.object for step in mechanism.steps)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}")
    kg = load_graph()
    keys = curated_keys(kg)
    for file in args.files:
        began = time.perf_counter()
        db = read_drugmechdb(file)
        read_s = time.perf_counter() - began
        nodes, edges = list(node_rows(db)), list(edge_rows(db))
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            out = write_kgx(db, Path(tmp) / "kgx")
            imported = read_kgx(out, kg, name="drugmechdb")
            convert_s = time.perf_counter() - began
        merged = sorted({n["id"] for n in nodes if n["id"] in keys} | set(imported.aliases))
        kinds = Counter(d.message.split(" ")[0] for d in db.defects)
        print(f"\n{file.name}: {len(db.paths)} paths ({db.duplicates} duplicate entries read once), "
              f"{len(nodes)} nodes, {len(edges)} edges")
        print(f"  read + check: {read_s:.2f} s; convert to KGX + read with curated mapping: {convert_s:.2f} s")
        print(f"  defects: {len(db.defects)} ({dict(kinds)})")
        print(f"  nodes merged onto curated nodes: {len(merged)}: "
              + ", ".join(f"{m} -> {keys.get(m, imported.aliases.get(m))}" for m in merged))
        pairs = sorted({(p.drug, p.disease_id) for p in db.paths if p.disease_id in DEPRESSION})
        print(f"  antidepressants with a path to (major) depressive disorder: {len({d for d, _ in pairs})}")
        for drug, disease in pairs:
            began = time.perf_counter()
            try:
                answer = compare_mechanisms(kg, "ketamine", drug, disease, k=1, public=partial(mechanisms, db))
            except CompareError as err:
                print(f"    ketamine vs {drug} to {disease}: {err}")
                continue
            chains = [chain(side.mechanisms[0]) if side.mechanisms else "no path" for side in answer.sides]
            print(f"    ketamine vs {drug} to {answer.target_name} ({time.perf_counter() - began:.2f} s): "
                  f"{chains[0]}  |  {chains[1]}")


if __name__ == "__main__":
    main()
