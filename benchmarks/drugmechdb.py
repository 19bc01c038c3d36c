"""Import DrugMechDB's full files: read time, defects, nodes merged onto curated ones, and the compare answer.

Usage: python benchmarks/drugmechdb.py FILE [FILE ...]
(e.g. ../shared/data/drugmechdb/indication_paths.yaml ../shared/data/drugmechdb/indication_paths_v2.yaml)

For every antidepressant path in the file (indication: major depressive disorder or depressive
disorder) it prints the compare answer against ketamine: the first step of each side.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from graph.compare import curated_side
from graph.model import load_graph
from loaders.formats.drugmechdb import edge_rows, mechanisms, node_rows, read_drugmechdb, write_kgx
from loaders.formats.kgx_import import curated_keys, read_kgx

DEPRESSION = {"MESH:D003865", "MESH:D003866"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}")
    kg = load_graph()
    keys = curated_keys(kg)
    ketamine = curated_side(kg, kg.resolve("ketamine"), kg.resolve("major depressive disorder"), k=1)
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
        drugs = sorted({p.drug for p in db.paths if p.disease_id in DEPRESSION})
        print(f"  antidepressants with a path to (major) depressive disorder: {len(drugs)}")
        for drug in drugs:
            found = mechanisms(db, drug, DEPRESSION)
            first = [m.steps[0].object for m in found if m.steps]
            print(f"    ketamine ({ketamine.mechanisms[0].title if ketamine.mechanisms else 'no path'}; first step "
                  f"{ketamine.mechanisms[0].steps[0].object if ketamine.mechanisms else '-'}) vs {drug}: "
                  f"{len(found)} path(s), first steps {sorted(set(first))}")


if __name__ == "__main__":
    main()
