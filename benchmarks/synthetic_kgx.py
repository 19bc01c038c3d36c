"""A Hetionet-sized synthetic KGX graph (nodes.tsv, edges.tsv) for the store benchmarks.

Hetionet v1.0 has 47,031 nodes of 11 kinds and 2,250,197 edges of 24 kinds; this generator
reproduces those counts (``--scale`` shrinks them) with a power-law degree distribution on both
ends of every edge kind, so a few hubs have thousands of edges and most nodes a handful. It is
seeded, so the same arguments always give the same files.

Ketamine-family identifiers are mixed in so the curated graph joins onto it: some by CURIE
(CHEBI:6121, GO:0017146, EFO:0009854, MONDO:0002009, HGNC genes ...), some only by xref
(DRUGBANK:DB11823 is esketamine's xref in the curated graph; NCBIGene:627 carries xref HGNC:1033).

    python benchmarks/synthetic_kgx.py OUT_DIR [--seed 7] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from pathlib import Path

# kind: (count, biolink category, id template)
NODE_KINDS: dict[str, tuple[int, str, str]] = {
    "Anatomy": (402, "biolink:AnatomicalEntity", "UBERON:9{:06d}"),
    "BiologicalProcess": (11381, "biolink:BiologicalProcess", "GO:9{:06d}"),
    "CellularComponent": (1391, "biolink:CellularComponent", "GO:7{:06d}"),
    "Compound": (1552, "biolink:SmallMolecule", "CHEBI:9{:06d}"),
    "Disease": (137, "biolink:Disease", "DOID:9{:06d}"),
    "Gene": (20945, "biolink:Gene", "NCBIGene:9{:06d}"),
    "MolecularFunction": (2884, "biolink:MolecularActivity", "GO:8{:06d}"),
    "Pathway": (1822, "biolink:Pathway", "REACT:R-HSA-9{:06d}"),
    "PharmacologicClass": (345, "biolink:DrugClass", "NDFRT:N9{:08d}"),
    "SideEffect": (5734, "biolink:PhenotypicFeature", "UMLS:C9{:06d}"),
    "Symptom": (438, "biolink:PhenotypicFeature", "MESH:D9{:05d}"),
}

# (abbreviation, subject kind, predicate, object kind, edge count, primary knowledge source)
EDGE_KINDS: list[tuple[str, str, str, str, int, str]] = [
    ("AdG", "Anatomy", "biolink:negatively_correlated_with", "Gene", 102240, "infores:bgee"),
    ("AeG", "Anatomy", "biolink:expresses", "Gene", 526407, "infores:bgee"),
    ("AuG", "Anatomy", "biolink:positively_correlated_with", "Gene", 97848, "infores:bgee"),
    ("CbG", "Compound", "biolink:directly_physically_interacts_with", "Gene", 11571, "infores:drugbank"),
    ("CcSE", "Compound", "biolink:has_adverse_event", "SideEffect", 138944, "infores:sider"),
    ("CdG", "Compound", "biolink:affects", "Gene", 21102, "infores:lincs"),
    ("CpD", "Compound", "biolink:ameliorates_condition", "Disease", 390, "infores:pharmacotherapydb"),
    ("CrC", "Compound", "biolink:similar_to", "Compound", 6486, "infores:drugbank"),
    ("CtD", "Compound", "biolink:treats", "Disease", 755, "infores:pharmacotherapydb"),
    ("CuG", "Compound", "biolink:regulates", "Gene", 18756, "infores:lincs"),
    ("GaD", "Gene", "biolink:gene_associated_with_condition", "Disease", 12623, "infores:disgenet"),
    ("DdG", "Disease", "biolink:affects", "Gene", 7623, "infores:starGEO"),
    ("DlA", "Disease", "biolink:disease_has_location", "Anatomy", 3602, "infores:medline"),
    ("DpS", "Disease", "biolink:has_phenotype", "Symptom", 3357, "infores:medline"),
    ("DrD", "Disease", "biolink:similar_to", "Disease", 543, "infores:doid"),
    ("DuG", "Disease", "biolink:regulates", "Gene", 7731, "infores:starGEO"),
    ("GcG", "Gene", "biolink:coexpressed_with", "Gene", 61690, "infores:evolutionary-rate"),
    ("GiG", "Gene", "biolink:interacts_with", "Gene", 147164, "infores:biogrid"),
    ("GpBP", "Gene", "biolink:participates_in", "BiologicalProcess", 559504, "infores:go"),
    ("GpCC", "Gene", "biolink:located_in", "CellularComponent", 73566, "infores:go"),
    ("GpMF", "Gene", "biolink:enables", "MolecularFunction", 97222, "infores:go"),
    ("GpPW", "Gene", "biolink:participates_in", "Pathway", 84372, "infores:reactome"),
    ("GrG", "Gene", "biolink:regulates", "Gene", 265672, "infores:kegg"),
    ("PCiC", "PharmacologicClass", "biolink:has_member", "Compound", 1029, "infores:drugcentral"),
]

# Ketamine-family nodes: (kind, id, name, xrefs). Placed among the better-connected nodes.
ANCHORS: list[tuple[str, str, str, str]] = [
    ("Compound", "CHEBI:6121", "ketamine", "DRUGBANK:DB01221"),
    ("Compound", "DRUGBANK:DB11823", "esketamine", ""),
    ("Compound", "CHEBI:234441", "(2R,6R)-hydroxynorketamine", ""),
    ("Gene", "HGNC:4584", "GRIN1", ""),
    ("Gene", "HGNC:4585", "GRIN2A", ""),
    ("Gene", "HGNC:4586", "GRIN2B", ""),
    ("Gene", "HGNC:4571", "GRIA1", ""),
    ("Gene", "HGNC:3942", "MTOR", ""),
    ("Gene", "HGNC:8032", "NTRK2", ""),
    ("Gene", "NCBIGene:627", "BDNF", "HGNC:1033"),
    ("CellularComponent", "GO:0017146", "NMDA selective glutamate receptor complex", ""),
    ("CellularComponent", "GO:0032281", "AMPA glutamate receptor complex", ""),
    ("BiologicalProcess", "GO:0007416", "synapse assembly", ""),
    ("Disease", "MONDO:0002009", "major depressive disorder", ""),
    ("Disease", "EFO:0009854", "treatment resistant depression", ""),
    ("Disease", "DOID:1470", "major depressive disorder (DOID)", ""),
]
# Edges that make sure mechanism paths from ketamine to depression exist in the synthetic part.
ANCHOR_EDGES: list[tuple[str, str, str, str]] = [
    ("CHEBI:6121", "biolink:directly_physically_interacts_with", "HGNC:4584", "infores:drugbank"),
    ("CHEBI:6121", "biolink:directly_physically_interacts_with", "HGNC:4586", "infores:drugbank"),
    ("DRUGBANK:DB11823", "biolink:directly_physically_interacts_with", "HGNC:4585", "infores:drugbank"),
    ("HGNC:4586", "biolink:regulates", "NCBIGene:627", "infores:kegg"),
    ("NCBIGene:627", "biolink:regulates", "HGNC:8032", "infores:kegg"),
    ("HGNC:8032", "biolink:regulates", "HGNC:3942", "infores:kegg"),
    ("HGNC:3942", "biolink:gene_associated_with_condition", "MONDO:0002009", "infores:disgenet"),
    ("NCBIGene:627", "biolink:gene_associated_with_condition", "MONDO:0002009", "infores:disgenet"),
    ("HGNC:4584", "biolink:gene_associated_with_condition", "EFO:0009854", "infores:disgenet"),
    ("CHEBI:6121", "biolink:treats", "EFO:0009854", "infores:pharmacotherapydb"),
    ("DRUGBANK:DB11823", "biolink:treats", "EFO:0009854", "infores:pharmacotherapydb"),
]
NODE_HEADER = ["id", "category", "name", "xref", "provided_by"]
EDGE_HEADER = ["id", "subject", "predicate", "object", "primary_knowledge_source", "knowledge_level", "agent_type"]
ALPHA = 0.8


def _cumulative(n: int, alpha: float) -> list[float]:
    """Cumulative power-law weights (rank r has weight (r + 1) ** -alpha)."""
    return list(itertools.accumulate((r + 1) ** -alpha for r in range(n)))


def build_nodes(rng: random.Random, scale: float) -> dict[str, list[tuple[str, str, str, str]]]:
    """Nodes by kind as (id, category, name, xref); anchors replace synthetic nodes among the top 5%."""
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    for kind, (count, category, template) in NODE_KINDS.items():
        n = max(int(count * scale), 20)
        out[kind] = [(template.format(i), category, f"synthetic {kind.lower()} {i}", "") for i in range(n)]
    for kind, curie, name, xref in ANCHORS:
        nodes = out[kind]
        slot = rng.randrange(1, max(len(nodes) // 20, 2))
        while not nodes[slot][2].startswith("synthetic"):
            slot += 1
        nodes[slot] = (curie, NODE_KINDS[kind][1], name, xref)
    return out


def build_edges(rng: random.Random, nodes: dict[str, list[tuple[str, str, str, str]]],
                scale: float) -> list[tuple[str, str, str, str]]:
    """Edges as (subject, predicate, object, source), power-law on both ends, no duplicates."""
    index = {row[0]: (kind, i) for kind, rows in nodes.items() for i, row in enumerate(rows)}
    weights = {kind: _cumulative(len(rows), ALPHA) for kind, rows in nodes.items()}
    edges: list[tuple[str, str, str, str]] = list(ANCHOR_EDGES)
    seen = {(s, p, o) for s, p, o, _ in ANCHOR_EDGES}
    for _, subject_kind, predicate, object_kind, count, source in EDGE_KINDS:
        subjects, objects = nodes[subject_kind], nodes[object_kind]
        wanted = max(int(count * scale), 5)
        made = 0
        for _ in range(20):
            need = wanted - made
            if need <= 0:
                break
            picks_s = rng.choices(range(len(subjects)), cum_weights=weights[subject_kind], k=need)
            picks_o = rng.choices(range(len(objects)), cum_weights=weights[object_kind], k=need)
            # Well-studied nodes are hubs in every kind of edge, as in real graphs.
            for si, oi in zip(picks_s, picks_o, strict=True):
                s, o = subjects[si][0], objects[oi][0]
                if s == o or (s, predicate, o) in seen:
                    continue
                seen.add((s, predicate, o))
                edges.append((s, predicate, o, source))
                made += 1
    assert all(s in index and o in index for s, _, o, _ in ANCHOR_EDGES)
    return edges


def write(out: Path, seed: int = 7, scale: float = 1.0) -> tuple[int, int]:
    """Write OUT/nodes.tsv and OUT/edges.tsv; return (nodes, edges)."""
    rng = random.Random(seed)
    nodes = build_nodes(rng, scale)
    edges = build_edges(rng, nodes, scale)
    out.mkdir(parents=True, exist_ok=True)
    node_count = 0
    with (out / "nodes.tsv").open("w", encoding="utf-8") as handle:
        handle.write("\t".join(NODE_HEADER) + "\n")
        for rows in nodes.values():
            for curie, category, name, xref in rows:
                handle.write(f"{curie}\t{category}\t{name}\t{xref}\tinfores:synthetic\n")
                node_count += 1
    with (out / "edges.tsv").open("w", encoding="utf-8") as handle:
        handle.write("\t".join(EDGE_HEADER) + "\n")
        handle.writelines(f"e{i}\t{s}\t{p}\t{o}\t{src}\tknowledge_assertion\tmanual_agent\n"
                          for i, (s, p, o, src) in enumerate(edges))
    return node_count, len(edges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of Hetionet's size.")
    args = parser.parse_args()
    began = time.perf_counter()
    n, e = write(args.out, args.seed, args.scale)
    print(f"wrote {args.out}: {n} nodes, {e} edges of {len(EDGE_KINDS)} kinds "
          f"in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
