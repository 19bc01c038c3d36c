"""KGX exports written before curated sources existed (no ``sources.json``, no ``curated_source`` column).

Such an export was the packaged review's, the one source kmoa then had: it reads back as the same
graph as today's export of that review, and an export of several sources without the column gives
each claim the source whose knowledge source is the edge's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.loaders.formats.kgx import SOURCES_FILE, KgxFormatError
from kmoa.loaders.registry import export, get_source

SYNTHETIC = Path(__file__).parent / "fixtures" / "sources" / "synthetic-notes"


def drop_column(path: Path, column: str) -> None:
    """Rewrite a TSV without one column, as an older kmoa wrote it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines[0].split("\t").index(column)
    path.write_text("".join("\t".join(c for i, c in enumerate(line.split("\t")) if i != index) + "\n"
                            for line in lines), encoding="utf-8")


def test_an_export_from_before_sources_reads_as_the_review(tmp_path: Path) -> None:
    kg = load_graph()
    out = export(kg, "kgx", tmp_path / "kgx")
    (out / SOURCES_FILE).unlink()
    drop_column(out / "edges.tsv", "curated_source")
    drop_column(out / "nodes.tsv", "curated_source")
    back = get_source("kgx").read(out)
    assert back.claims == kg.claims
    assert back.nodes == kg.nodes
    assert list(back.sources) == list(kg.sources)


def test_without_the_column_each_claim_gets_its_knowledge_sources_source(tmp_path: Path) -> None:
    both: KnowledgeGraph = load_graph(sources=[SYNTHETIC])
    out = export(both, "kgx", tmp_path / "kgx")
    drop_column(out / "edges.tsv", "curated_source")
    back = get_source("kgx").read(out)
    assert {c.id: c.provenance.source for c in back.claims.values()} == \
        {c.id: c.provenance.source for c in both.claims.values()}
    rows = (out / "edges.tsv").read_text(encoding="utf-8").replace("infores:kmoa-synthetic-notes", "infores:other")
    (out / "edges.tsv").write_text(rows, encoding="utf-8")
    with pytest.raises(KgxFormatError, match=r"edges.tsv:\d+: syn\.\S+: .*'infores:other' is none of the sources"):
        get_source("kgx").read(out)
