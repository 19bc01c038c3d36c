"""Mechanism-to-outcome path tracing, ranked by evidence.

Scoring (documented for users):

* Each edge has a *strength* in [0, 1] from its evidence type (meta-analysis 1.0, RCT 0.9,
  guideline/regulatory 0.85, open-label 0.6, retrospective 0.5, preclinical animal 0.45,
  review 0.4, case report 0.3, mechanistic hypothesis 0.2; CANMAT level 1 raises it to 0.95).
  Contested or mixed findings halve it. Null and negative findings are not traversed unless
  ``include_negative`` is set (then they count a quarter).
* A path's *score* is its weakest link: the minimum edge strength. A chain of mechanism is only
  as well supported as its least supported step. Ties are broken by the mean strength, then by
  fewer hops.
* On large merged graphs, ``hub_damping`` (alpha) multiplies the score by deg(v)^-alpha for every
  intermediate node v, like Hetionet's degree-weighted path counts, so hubs do not flood results.

The search is best-first over partial paths ordered by score. Extending a path never raises its
score, so the first k complete paths popped are the k best, and the search stops after
``max_expansions`` pops on huge graphs instead of enumerating all simple paths.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from graph.model import KnowledgeGraph

# Predicates that carry causation along a mechanism; structural ones (tested_in, located_in,
# part_of_hypothesis, ...) are evidence around the path, not steps on it.
REVERSIBLE = {"metabolite_of": "has metabolite", "enantiomer_of": "has enantiomer"}
# Clinical verdicts (a trial or an approval) are the evidence a path explains, not mechanism steps:
# a path reaches an indication through an outcome that ameliorates it.
CLINICAL = {"treats", "studied_to_treat", "beneficial_in_models_for"}
# A mechanism path passes through at least one of these (unless PathFilters.allow_direct).
MECHANISM_KINDS = {"receptor", "gene", "cell_type", "brain_region", "process", "pathway"}


@dataclass(frozen=True)
class PathStep:
    """One step of a path: the strongest claim between two nodes, plus every other claim there.

    Parallel claims (several studies saying the same thing) are merged into one step, so paths
    differ by their nodes; the step is as strong as its strongest claim.
    """

    source: str
    target: str
    claim_id: str
    predicate: str
    label: str
    strength: float
    attributes: dict[str, Any] = field(compare=False, hash=False, repr=False)
    evidence: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class MechanismPath:
    """A ranked path from a compound to an outcome or indication."""

    nodes: tuple[str, ...]
    steps: tuple[PathStep, ...]
    score: float
    mean_strength: float

    @property
    def hops(self) -> int:
        """Number of steps."""
        return len(self.steps)

    @property
    def sign(self) -> int:
        """Net direction of the source's effect on the target: +1 raises it, -1 lowers it.

        Each inhibiting step (antagonist_of, inhibits, decreases, ameliorates, ...) flips the sign;
        so ketamine -| burst firing -| antidepressant effect nets +1 on the effect.
        """
        sign = 1
        for step in self.steps:
            if step.attributes.get("effect") == "inhibiting":
                sign = -sign
        return sign


@dataclass(frozen=True)
class PathFilters:
    """Which edges may be walked."""

    min_evidence: str | None = None
    human_only: bool = False
    route: str | None = None
    compound: str | None = None
    include_negative: bool = False
    allow_direct: bool = False


def _edge_ok(kg: KnowledgeGraph, attrs: dict[str, Any], filters: PathFilters, min_strength: float) -> bool:
    if attrs["finding"] in ("null", "negative") and not filters.include_negative:
        return False
    if filters.human_only and attrs["species"] == "animal":
        return False
    if filters.route and attrs.get("route") and attrs["route"] != filters.route:
        return False
    if min_strength and kg.schema.evidence_strength(attrs["evidence_type"]) < min_strength:
        return False
    if filters.compound:
        subject = kg.nodes.get(attrs["subject"])
        if subject is not None and subject.kind == "compound" and attrs["subject"] != filters.compound:
            # Metabolites and enantiomers of the chosen compound stay allowed.
            return attrs["subject"] in _relatives(kg, filters.compound)
    return True


def _relatives(kg: KnowledgeGraph, compound: str) -> set[str]:
    out = {compound}
    for claim in kg.claims.values():
        if claim.predicate in REVERSIBLE and claim.object == compound:
            out.add(claim.subject)
    return out


def build_adjacency(kg: KnowledgeGraph, filters: PathFilters) -> dict[str, list[PathStep]]:
    """Walkable steps out of each node under the filters."""
    min_strength = kg.schema.evidence_strength(filters.min_evidence) if filters.min_evidence else 0.0
    causal = {name for name, p in kg.schema.predicates.items()
              if p.effect in ("activating", "inhibiting") and name not in CLINICAL}
    mechanistic = kg.schema.mechanistic_kinds
    grouped: dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    for claim in kg.iter_edges():
        attrs = kg.edge_attributes(claim)
        if claim.predicate not in causal and claim.predicate not in REVERSIBLE:
            continue
        if kg.nodes[claim.subject].kind not in mechanistic or kg.nodes[claim.object].kind not in mechanistic:
            continue
        if not _edge_ok(kg, attrs, filters, min_strength):
            continue
        attrs["effect"] = kg.schema.predicates[claim.predicate].effect
        if claim.predicate in REVERSIBLE:
            key, label = (claim.object, claim.subject), REVERSIBLE[claim.predicate]
        else:
            key, label = (claim.subject, claim.object), kg.schema.predicates[claim.predicate].label
        grouped.setdefault(key, []).append((claim.predicate, label, attrs))
    adjacency: dict[str, list[PathStep]] = {}
    for (source, target), claims in sorted(grouped.items()):
        claims.sort(key=lambda c: (-c[2]["strength"], c[2]["id"]))
        predicate, label, best = claims[0]
        adjacency.setdefault(source, []).append(PathStep(
            source, target, best["id"], predicate, label, best["strength"], best,
            tuple(c[2] for c in claims)))
    return adjacency


def best_paths(adjacency: dict[str, list[PathStep]], source: str, targets: Iterable[str], k: int = 10,
               max_hops: int = 8, hub_damping: float = 0.0, degree: dict[str, int] | None = None,
               max_expansions: int = 200_000,
               accept: Callable[[tuple[str, ...]], bool] | None = None) -> list[MechanismPath]:
    """The k best simple paths by weakest-link score, found best-first (see module docstring).

    ``accept`` can reject complete paths (e.g. ones with no mechanism between source and target).
    """
    goal = set(targets)
    counter = itertools.count()
    # Heap items: (-score, -mean, hops, tiebreak, nodes, steps, strength_sum)
    heap: list[tuple[float, float, int, int, tuple[str, ...], tuple[PathStep, ...], float, float]] = [
        (-1.0, -1.0, 0, next(counter), (source,), (), 0.0, 1.0)]
    found: list[MechanismPath] = []
    expansions = 0
    while heap and len(found) < k and expansions < max_expansions:
        neg_score, _, hops, _, nodes, steps, total, damp = heapq.heappop(heap)
        expansions += 1
        last = nodes[-1]
        if steps and last in goal:
            if accept is not None and not accept(nodes):
                continue
            found.append(MechanismPath(nodes, steps, round(-neg_score, 4), round(total / len(steps), 4)))
            continue
        if hops >= max_hops:
            continue
        if steps and hub_damping and degree:
            damp *= max(degree.get(last, 1), 1) ** -hub_damping
        for step in adjacency.get(last, ()):
            if step.target in nodes:
                continue
            bottleneck = min(-neg_score, step.strength)
            new_total = total + step.strength
            heapq.heappush(heap, (
                -(bottleneck * damp), -(new_total / (hops + 1)), hops + 1, next(counter),
                nodes + (step.target,), steps + (step,), new_total, damp))
    return found


def trace_mechanism_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 10, max_hops: int = 8,
                          filters: PathFilters | None = None, hub_damping: float = 0.0) -> list[MechanismPath]:
    """Ranked mechanism paths from a compound (name, synonym or CURIE) to an outcome or indication."""
    filters = filters or PathFilters()
    source_id = kg.resolve(source)
    target_id = kg.resolve(target)
    if filters.compound:
        filters = replace(filters, compound=kg.resolve(filters.compound, kinds=("compound",)))
    adjacency = build_adjacency(kg, filters)
    degree: dict[str, int] | None = None
    if hub_damping:
        degree = {}
        for steps in adjacency.values():
            for step in steps:
                degree[step.source] = degree.get(step.source, 0) + 1
                degree[step.target] = degree.get(step.target, 0) + 1
    accept = None if filters.allow_direct else _has_mechanism(kg)
    return best_paths(adjacency, source_id, [target_id], k=k, max_hops=max_hops,
                      hub_damping=hub_damping, degree=degree, accept=accept)


def _has_mechanism(kg: KnowledgeGraph) -> Callable[[tuple[str, ...]], bool]:
    """Paths must reach a receptor, gene, cell, region, process or pathway after the source.

    A path to an indication must therefore cross a mechanism; a path to a receptor may be one step.
    """

    def accept(nodes: tuple[str, ...]) -> bool:
        return any(kg.nodes[n].kind in MECHANISM_KINDS for n in nodes[1:] if n in kg.nodes)

    return accept


def direct_evidence(kg: KnowledgeGraph, source: str, target: str) -> list[dict[str, Any]]:
    """Claims straight from source to target (trials, approvals, guidelines), strongest first.

    These are what a mechanism path explains; they are shown beside the paths, not walked.
    """
    source_id, target_id = kg.resolve(source), kg.resolve(target)
    rows = [kg.edge_attributes(c) for c in kg.claims.values() if c.subject == source_id and c.object == target_id]
    return sorted(rows, key=lambda a: (-a["strength"], a["id"]))
