"""The in-memory knowledge graph: checked records, derived edges, networkx view, name look-up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.curation import Curation, read_curation
from kmoa.graph.identifiers import normalise_name
from kmoa.graph.records import Claim, Comparison, Estimate, Hypothesis, Node, Provenance
from kmoa.graph.rows import EdgeRow, edge_row
from kmoa.graph.sources import CuratedSource
from kmoa.ontology.schema import Schema, load_schema

if TYPE_CHECKING:
    import networkx as nx


def provenance_dict(prov: Provenance) -> dict[str, Any]:
    """Provenance as plain values (refs as a list)."""
    from dataclasses import asdict

    values = asdict(prov)
    values["refs"] = list(prov.refs)
    return values


class UnknownEntityError(LookupError):
    """A name, synonym or CURIE that matches no node; carries the closest suggestions."""

    def __init__(self, query: str, suggestions: list[str]):
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No node matches '{query}'.{hint}")


def derived_hypothesis_claims(hyp: Hypothesis, claims: dict[str, Claim], nodes: dict[str, Node],
                              schema: Schema) -> list[Claim]:
    """`part_of_hypothesis` edges from each node on the hypothesis' steps to the hypothesis."""
    allowed = set(schema.predicates["part_of_hypothesis"].domain)
    members: list[str] = []
    for step in hyp.steps:
        claim = claims[step.claim]
        for curie in (claim.subject, claim.object):
            if curie not in members and nodes[curie].kind in allowed:
                members.append(curie)
    slug = hyp.id.split(":", 1)[1]
    return [
        Claim(
            id=f"{slug}.member.{i:02d}", subject=curie, predicate="part_of_hypothesis", object=hyp.id,
            provenance=hyp.provenance, derived_from=hyp.id, location=hyp.location,
        )
        for i, curie in enumerate(members, start=1)
    ]


def derived_comparison_claims(comp: Comparison) -> list[Claim]:
    """Edges from a comparison to its arms, the outcome compared and the studies reporting it."""
    slug = comp.id.split(":", 1)[1]

    def edge(suffix: str, predicate: str, obj: str) -> Claim:
        return Claim(id=f"{slug}.{suffix}", subject=comp.id, predicate=predicate, object=obj,
                     provenance=comp.provenance, studies=comp.studies, population=comp.population,
                     derived_from=comp.id, location=comp.location)

    claims = [edge("arm_a", "compares", comp.arm_a.node), edge("arm_b", "compares", comp.arm_b.node),
              edge("outcome", "compared_on", comp.outcome)]
    claims += [edge(f"study.{i:02d}", "reported_in", study) for i, study in enumerate(comp.studies, start=1)]
    return claims


@dataclass
class KnowledgeGraph:
    """Nodes, claims (edges) and hypotheses of the curated graph, plus derived edges.

    ``sources`` describes every curated source a record's provenance names (by id).
    """

    nodes: dict[str, Node]
    claims: dict[str, Claim]
    hypotheses: dict[str, Hypothesis]
    schema: Schema = field(default_factory=load_schema)
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    #: Numbers the review reports for studies, for charts (only the curated graph has them).
    estimates: tuple[Estimate, ...] = ()
    sources: dict[str, CuratedSource] = field(default_factory=dict)

    @classmethod
    def from_curation(cls, curation: Curation, schema: Schema | None = None) -> KnowledgeGraph:
        """Build the graph from checked records, adding hypothesis nodes and membership edges."""
        schema = schema or load_schema()
        nodes = {n.id: n for n in curation.nodes}
        for hyp in curation.hypotheses:
            nodes[hyp.id] = hyp.as_node()
        claims = {c.id: c for c in curation.claims}
        for hyp in curation.hypotheses:
            for claim in derived_hypothesis_claims(hyp, claims, nodes, schema):
                claims[claim.id] = claim
        for comp in curation.comparisons:
            nodes[comp.id] = comp.as_node()
            for claim in derived_comparison_claims(comp):
                claims[claim.id] = claim
        return cls(nodes=nodes, claims=claims, hypotheses={h.id: h for h in curation.hypotheses}, schema=schema,
                   comparisons={c.id: c for c in curation.comparisons}, estimates=curation.estimates,
                   sources={s.id: s for s in curation.sources})

    def source(self, source_id: str) -> CuratedSource:
        """The curated source a provenance names; LookupError naming it when the graph does not describe it."""
        try:
            return self.sources[source_id]
        except KeyError:
            raise LookupError(f"the graph does not describe the source '{source_id}' "
                              f"(it describes: {', '.join(sorted(self.sources)) or 'none'})") from None

    # -- look-up -------------------------------------------------------------------------------

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for text in (node.id, node.name, *node.synonyms, *node.xref):
                key = normalise_name(text)
                if key and node.id not in index.setdefault(key, []):
                    index[key].append(node.id)
        return index

    def resolve(self, query: str, kinds: tuple[str, ...] | None = None) -> str:
        """The CURIE for a name, synonym, xref or CURIE; UnknownEntityError with suggestions if none."""
        if query in self.nodes:
            return query
        candidates = self._names.get(normalise_name(query), [])
        if kinds:
            candidates = [c for c in candidates if self.nodes[c].kind in kinds] or candidates
        if candidates:
            # Prefer non-study nodes when a study shares a synonym with an entity.
            candidates.sort(key=lambda c: (self.nodes[c].kind in ("study", "hypothesis"), c))
            return candidates[0]
        raise UnknownEntityError(query, self.suggest(query))

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Closest node names to a query, for 'did you mean' messages and autocomplete."""
        from rapidfuzz import fuzz, process

        choices = {key: ids for key, ids in self._names.items()}
        matches = process.extract(normalise_name(query), list(choices), scorer=fuzz.WRatio, limit=limit * 3)
        out: list[str] = []
        for key, score, _ in matches:
            if score < 60:
                continue
            for curie in choices[key]:
                label = f"{self.nodes[curie].name} ({curie})"
                if label not in out:
                    out.append(label)
        return out[:limit]

    def search(self, text: str, limit: int = 20, kinds: tuple[str, ...] | None = None) -> list[Node]:
        """Nodes whose name, synonym or CURIE contains the text (of the given kinds), best matches first.

        Order: the exact name, an exact synonym or identifier, a name that starts with the text, a synonym
        that does, then names and synonyms containing it; within each, entities before studies and shorter
        names first ("ketamin" lists ketamine before the conditions that mention it).
        """
        key = normalise_name(text)
        if not key:
            return []
        scored: list[tuple[tuple[int, bool, int, str], Node]] = []
        for node in self.nodes.values():
            if kinds is not None and node.kind not in kinds:
                continue
            name = normalise_name(node.name)
            others = [normalise_name(t) for t in (node.id, *node.synonyms, *node.xref)]
            if name == key:
                rank = 0
            elif key in others:
                rank = 1
            elif name.startswith(key):
                rank = 2
            elif any(t.startswith(key) for t in others):
                rank = 3
            elif key in name:
                rank = 4
            elif any(key in t for t in others):
                rank = 5
            else:
                continue
            scored.append(((rank, node.kind in ("study", "hypothesis"), len(node.name), node.name.lower()), node))
        scored.sort(key=lambda item: item[0])
        return [node for _, node in scored[:limit]]

    # -- edges ---------------------------------------------------------------------------------

    @cached_property
    def hypothesis_steps(self) -> dict[str, list[str]]:
        """For each claim id, its places in hypothesis tours as 'HYPOTHESIS#step'."""
        steps: dict[str, list[str]] = {}
        for hyp in self.hypotheses.values():
            for i, step in enumerate(hyp.steps, start=1):
                steps.setdefault(step.claim, []).append(f"{hyp.id}#{i}")
        return steps

    def publications(self, claim: Claim) -> list[str]:
        """PMIDs/DOIs of the claim's studies (and their xrefs)."""
        pubs: list[str] = []
        for study_id in claim.studies:
            for curie in (study_id, *self.nodes[study_id].xref):
                if curie.split(":", 1)[0] in ("PMID", "DOI", "PMC") and curie not in pubs:
                    pubs.append(curie)
        return pubs

    def is_asserted(self, claim: Claim) -> bool:
        """The review states the claim holds (``Schema.asserts``)."""
        return self.schema.asserts(claim.predicate, claim.provenance.finding)

    def is_negated(self, claim: Claim) -> bool:
        """The review says the claim does not hold (Biolink ``negated``; ``Schema.negates``)."""
        return self.schema.negates(claim.predicate, claim.provenance.finding)

    def shows_no_effect(self, claim: Claim) -> bool:
        """Negated, or a study whose result was null or negative: drawn and labelled as not so."""
        return self.schema.finding(claim.provenance.finding).negated

    def treatment_outcome(self, claim: Claim) -> str | None:
        """Biolink's treatment outcome of a study claim (improved, unchanged, unknown); None otherwise."""
        if not self.schema.predicates[claim.predicate].outcome_slot:
            return None
        return self.schema.treatment_outcomes[claim.provenance.finding]

    def claim_strength(self, claim: Claim) -> float:
        """Evidence strength in [0, 1] used to rank paths (see graph.paths for the scoring)."""
        prov = claim.provenance
        return self.schema.walk.strength(prov.evidence_type, prov.canmat_level, prov.finding, prov.contested,
                                         include_negative=True)

    @cached_property
    def claim_rows(self) -> dict[str, EdgeRow]:
        """Every claim's row (``graph.rows.edge_row``), by claim id, made once: readers copy, never change one."""
        return {claim.id: edge_row(self, claim) for claim in self.iter_edges()}

    def iter_edges(self) -> Iterator[Claim]:
        """All edges in a stable order (claim id)."""
        for claim_id in sorted(self.claims):
            yield self.claims[claim_id]

    # -- networkx ------------------------------------------------------------------------------

    def node_attributes(self, node: Node) -> dict[str, Any]:
        """Every attribute of a node as plain values."""
        kind = self.schema.node_kinds[node.kind]
        attrs: dict[str, Any] = {
            "id": node.id, "kind": node.kind, "category": kind.biolink, "name": node.name,
            "synonyms": list(node.synonyms), "xref": list(node.xref), "description": node.description,
            "curated_source": node.source,
        }
        if node.study is not None:
            from dataclasses import asdict

            facts = asdict(node.study)
            facts["refs"] = list(node.study.refs)
            attrs["study"] = facts
        comp = self.comparisons.get(node.id)
        if comp is not None:
            attrs["comparison"] = {
                "arm_a": {"node": comp.arm_a.node, "regimen": comp.arm_a.regimen},
                "arm_b": {"node": comp.arm_b.node, "regimen": comp.arm_b.regimen},
                "outcome": comp.outcome, "result": comp.result, "studies": list(comp.studies),
                "population": comp.population, **provenance_dict(comp.provenance),
            }
        hyp = self.hypotheses.get(node.id)
        if hyp is not None:
            attrs["hypothesis"] = {
                "route": hyp.route,
                "steps": [{"claim": s.claim, "caption": s.caption} for s in hyp.steps],
                "supported_by": list(hyp.supported_by),
                "contradicted_by": list(hyp.contradicted_by),
                **provenance_dict(hyp.provenance),
            }
        return attrs

    def to_networkx(self) -> nx.MultiDiGraph:
        """A MultiDiGraph: node attributes as above, one keyed edge per claim (key = claim id, data its row)."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for curie in sorted(self.nodes):
            graph.add_node(curie, **self.node_attributes(self.nodes[curie]))
        for claim in self.iter_edges():
            graph.add_edge(claim.subject, claim.object, key=claim.id, **self.claim_rows[claim.id])
        return graph


def load_graph(data_dir: Path | None = None, sources: Sequence[Path] = ()) -> KnowledgeGraph:
    """Read, check and assemble the curated graph of ``data_dir`` and any extra source folders.

    Raises CurationError on broken data.
    """
    return KnowledgeGraph.from_curation(read_curation(data_dir, sources=sources))
