"""Mechanism-to-outcome path tracing, ranked by evidence.

Scoring (documented for users):

The rules live in ``ontology/schema.yaml`` (``walk:``, read as ``Schema.walk``): which predicates
are walked and in which direction (metabolite and enantiomer links parent to child), which node
kinds a path may stand on and must cross, and how evidence becomes strength. Every store feeds its
candidate edges to :func:`steps_from_edges` and searches with :func:`best_paths`, so the curated
graph, the merged graph and Neo4j give the same answers.

* Each claim has a *strength* in [0, 1] from its evidence type (meta-analysis 1.0 ... mechanistic
  hypothesis 0.2; CANMAT level 1 raises it), times its finding's factor (mixed halves it; null and
  negative are not walked unless ``include_negative``); contested claims are halved (once).
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graph.model import KnowledgeGraph
from ontology.schema import Schema, WalkRules


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


def edge_passes(rules: WalkRules, attrs: dict[str, Any], filters: PathFilters, min_strength: float,
                relatives: frozenset[str] | None, subject_kind: str | None) -> bool:
    """Whether one claim may be walked under the filters (the same test for every store)."""
    if attrs.get("finding", "positive") not in rules.walked_findings(filters.include_negative):
        return False
    if filters.human_only and attrs.get("species") == "animal":
        return False
    if filters.route and attrs.get("route") and attrs["route"] != filters.route:
        return False
    if min_strength and rules.evidence_strengths.get(attrs.get("evidence_type") or "", 0.0) < min_strength:
        return False
    # Only the chosen compound and its metabolites/enantiomers may act on the path.
    return relatives is None or subject_kind != "compound" or attrs["subject"] in relatives


def claim_step_strength(rules: WalkRules, attrs: dict[str, Any], include_negative: bool = False) -> float:
    """A claim's strength as a step, from its evidence type, CANMAT level, finding and contest."""
    return rules.strength(attrs.get("evidence_type"), attrs.get("canmat_level"), attrs.get("finding"),
                          bool(attrs.get("contested")), include_negative)


def steps_from_edges(schema: Schema, edges: Iterable[dict[str, Any]],
                     kind_of: Callable[[str], str | None], filters: PathFilters,
                     relatives: frozenset[str] | None = None) -> dict[str, list[PathStep]]:
    """Walkable steps out of each node, from candidate edges (``edge_attributes`` dicts) of any store.

    Every store hands its candidate edges to this one function, so a step means the same
    everywhere: the walked direction, the kinds it may join, the filters and the strength all come
    from ``schema.walk``. Parallel claims between two nodes form one step, as strong as its strongest.
    """
    rules = schema.walk
    min_strength = rules.evidence_strengths.get(filters.min_evidence, 0.0) if filters.min_evidence else 0.0
    grouped: dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    for edge in edges:
        predicate = edge["predicate"]
        oriented = rules.orient(predicate, edge["subject"], edge["object"])
        if oriented is None:
            continue
        if kind_of(edge["subject"]) not in rules.node_kinds or kind_of(edge["object"]) not in rules.node_kinds:
            continue
        if not edge_passes(rules, edge, filters, min_strength, relatives, kind_of(edge["subject"])):
            continue
        attrs = dict(edge)
        attrs["strength"] = claim_step_strength(rules, attrs, filters.include_negative)
        declared = schema.predicates[predicate]
        attrs["effect"] = "structural" if predicate in rules.parent_to_child else declared.effect
        label = rules.parent_to_child.get(predicate) or declared.label
        grouped.setdefault(oriented, []).append((predicate, label, attrs))
    adjacency: dict[str, list[PathStep]] = {}
    for (source, target), claims in sorted(grouped.items()):
        claims.sort(key=lambda c: (-c[2]["strength"], c[2]["id"]))
        predicate, label, best = claims[0]
        adjacency.setdefault(source, []).append(PathStep(
            source, target, best["id"], predicate, label, best["strength"], best,
            tuple(c[2] for c in claims)))
    return adjacency


def relatives_of(kg: KnowledgeGraph, compound: str) -> frozenset[str]:
    """The compound and its children along parent-to-child links (its metabolites and enantiomers)."""
    rules = kg.schema.walk
    return frozenset({compound} | {c.subject for c in kg.claims.values()
                                   if c.predicate in rules.parent_to_child and c.object == compound})


def crosses_mechanism(rules: WalkRules, kind_of: Callable[[str], str | None]) -> Callable[[tuple[str, ...]], bool]:
    """Accept a complete path only if a node after its source is of a ``must_cross`` kind.

    That node may be the path's end: a path to a receptor may be one step.
    """

    def accept(nodes: tuple[str, ...]) -> bool:
        return any(kind_of(n) in rules.must_cross for n in nodes[1:])

    return accept


def build_adjacency(kg: KnowledgeGraph, filters: PathFilters) -> dict[str, list[PathStep]]:
    """Walkable steps out of each node of the curated graph under the filters."""
    rules = kg.schema.walk
    relatives = relatives_of(kg, filters.compound) if filters.compound else None
    edges = (kg.edge_attributes(c) for c in kg.iter_edges() if c.predicate in rules.walked_predicates)
    return steps_from_edges(kg.schema, edges, _kind_lookup(kg), filters, relatives)


def _kind_lookup(kg: KnowledgeGraph) -> Callable[[str], str | None]:
    nodes = kg.nodes

    def kind_of(curie: str) -> str | None:
        node = nodes.get(curie)
        return node.kind if node is not None else None

    return kind_of


def best_paths(adjacency: Mapping[str, list[PathStep]], source: str, targets: Iterable[str], k: int = 10,
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
    kth_score = 0.0  # the raw score of the k-th path found
    expansions = 0
    # Scores come off the heap in non-increasing order, but a partial path's mean strength says
    # little about its completions' means: after k paths, keep taking those that tie the k-th
    # score, then order ties by mean strength and hops as documented.
    while heap and expansions < max_expansions and (len(found) < k or -heap[0][0] >= kth_score):
        neg_score, _, hops, _, nodes, steps, total, damp = heapq.heappop(heap)
        expansions += 1
        last = nodes[-1]
        if steps and last in goal:
            if accept is not None and not accept(nodes):
                continue
            found.append(MechanismPath(nodes, steps, round(-neg_score, 4), round(total / len(steps), 4)))
            if len(found) == k:
                kth_score = -neg_score
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
    found.sort(key=lambda p: (-p.score, -p.mean_strength, len(p.steps)))
    return found[:k]


def trace_mechanism_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 10, max_hops: int = 8,
                          filters: PathFilters | None = None, hub_damping: float | None = None) -> list[MechanismPath]:
    """Ranked mechanism paths from a compound (name, synonym or CURIE) to an outcome or indication."""
    filters = filters or PathFilters()
    rules = kg.schema.walk
    if hub_damping is None:
        hub_damping = rules.hub_damping_curated
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
    accept = None if filters.allow_direct else crosses_mechanism(rules, _kind_lookup(kg))
    return best_paths(adjacency, source_id, [target_id], k=k, max_hops=max_hops,
                      hub_damping=hub_damping, degree=degree, accept=accept)
