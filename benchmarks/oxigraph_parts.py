"""Where an Oxigraph import's time goes: reading the KGX, writing N-Quads, and Oxigraph's bulk load alone.

    python benchmarks/oxigraph_parts.py                    # 1x Hetionet's size
    python benchmarks/oxigraph_parts.py --scale 0.1 --work /tmp/kmoa-bench

``kmoa import kgx --no-edge-provenance`` reads and checks the KGX (``read_kgx``), turns each edge into
its direct triple in its knowledge source's named graph (``nquads``) and streams the text into
pyoxigraph's ``Store.bulk_load``. Here each step runs alone in this process, one after the other,
with its wall and CPU time (all threads): the bulk load of the same quads into their named graphs
(as the import writes them) and, as the reference, into the default graph (three indexes a quad
instead of six). The loader's figures are the floor of the import on this machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(what: str, began: tuple[float, float], extra: str = "") -> None:
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    print(f"  {what}: {wall:.1f} s wall, {cpu:.1f} s CPU{extra}; load average {os.getloadavg()[0]:.1f}", flush=True)


def now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of Hetionet's size.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None, help="Folder for the KGX files (reused) and stores.")
    args = parser.parse_args()

    import pyoxigraph as ox

    from benchmarks.synthetic_kgx import write as write_kgx
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import nquads, read_kgx

    work = args.work or Path(tempfile.mkdtemp(prefix="kmoa-bench-"))
    kgx = work / f"kgx-scale{args.scale:g}-seed{args.seed}"
    if not (kgx / "edges.tsv").is_file():
        write_kgx(kgx, args.seed, args.scale)
    print(f"{args.scale:g}x, {kgx}; pyoxigraph {ox.__version__}, {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    began = now()
    kg = load_graph()
    graph = read_kgx(kgx, kg, progress=False)
    timed(f"reading and checking {len(graph.subjects):,} edges (read_kgx, with the curated graph)", began)
    began = now()
    text = "".join(nquads(graph, False, False)).encode()
    timed(f"N-Quads text of the direct triples ({len(text) / 2**20:.0f} MB)", began)
    default = re.sub(rb" <[^>]*> \.\n", b" .\n", text)  # the same quads without their graph names
    for what, data in (("into their named graphs, as the import writes them", text),
                       ("reference: the same quads into the default graph", default)):
        with tempfile.TemporaryDirectory(dir=work) as folder:
            store = ox.Store(folder)
            began = now()
            store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS, lenient=True)
            timed(f"Store.bulk_load alone, {what}", began, f", {len(store):,} quads")
            del store
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
