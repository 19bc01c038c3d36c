"""The pipeline behind ``kmoa validate`` and ``kmoa build``: check the curation, then write every artifact.

It sits above ``graph`` (the curated model) and ``loaders`` (the SHACL check over the RDF form, the
writers), so neither has to import the other upwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

from kmoa.graph.curation import CurationError, Problem
from kmoa.graph.model import KnowledgeGraph, load_graph

ARTIFACTS = {
    "turtle": "kmoa.ttl",
    "ntriples": "kmoa.nt",
    "jsonld": "kmoa.jsonld",
    "kgx": "kgx",
    "graphml": "kmoa.graphml",
    "cytoscape": "kmoa.cytoscape.json",
}


def validate(data_dir: Path | None = None, shacl: bool = True, sources: Sequence[Path] = ()) -> KnowledgeGraph:
    """Load and check everything (``data_dir`` and extra source folders).

    Raises CurationError naming file, line and record on any problem.
    """
    kg = load_graph(data_dir, sources)
    if shacl:
        from kmoa.loaders.formats.shacl import shacl_violations

        violations = shacl_violations(kg)
        if violations:
            problems = []
            for v in violations:
                file, _, line = v.location.rpartition(":")
                problems.append(Problem(file or v.location, int(line) if line.isdigit() else 0, v.record,
                                        f"SHACL: {v.message}"))
            raise CurationError(problems)
    return kg


def build(out: Path, data_dir: Path | None = None, force: bool = False,
          sources: Sequence[Path] = ()) -> tuple[KnowledgeGraph, dict[str, object]]:
    """Validate the curation (``data_dir`` and extra source folders) and write all artifacts to ``out``.

    Nothing is written on failure.

    ``out`` must be new, empty or an earlier build (it holds kmoa's marker); ``force`` allows any
    folder. Only the artifacts are replaced: other files in ``out`` are kept.
    """
    from kmoa.loaders.base import check_output, output_path
    from kmoa.loaders.registry import get_sink

    started = time.perf_counter()
    check_output(out, directory=True, force=force)  # before the slow part
    kg = validate(data_dir, sources=sources)
    with output_path(out, directory=True, force=force) as tmp:
        for format_name, name in ARTIFACTS.items():
            sink = get_sink(format_name)
            sink.write(kg, tmp / name)
        summary: dict[str, object] = {
            "nodes": len(kg.nodes), "edges": len(kg.claims), "hypotheses": len(kg.hypotheses),
            "artifacts": sorted(ARTIFACTS.values()), "sources": sorted(kg.sources),
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return kg, summary
