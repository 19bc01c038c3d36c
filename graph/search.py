"""The one mechanism-path search: k best simple paths by weakest link, hub-damped, proven exact.

Every store (the curated graph, a merged curated + imported graph, an RDF store, Neo4j) hands this
search its *candidate edges* through :class:`CandidateEdges`; the walk rules of the schema
(``walk:`` in ``ontology/schema.yaml``) turn them into steps here and nowhere else. The bound that
makes the meet-in-the-middle search exact is written out in ``docs/path-search.md`` and in
:func:`search_paths`.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kmoa.graph.records import Curie
from kmoa.graph.rows import canmat_level, walked_predicate
from kmoa.ontology.schema import Schema, WalkRules

Edge = Mapping[str, Any]
# Relative slack for comparing a bound with a score computed in another order of multiplications.
SLACK = 1e-9


class CandidateEdges(Protocol):
    """What a store hands the path search: its edges around a node, node kinds and degrees.

    Edges are rows (``graph.rows.EdgeRow``: ``id``, ``subject``, ``predicate``, ``object``,
    ``kmoa_predicate``, ``evidence_type``, ``species``, ``finding``, ``contested``, ``evidence_level``,
    ``route``, ...). A curated claim is walked by its schema predicate (``kmoa_predicate``:
    ``antagonist_of``), an imported edge (``imported``) by its Biolink ``predicate``
    (``graph.rows.walked_predicate``); an imported edge may carry ``claim_id`` (the id its steps
    show) besides its row's columns. A store may return more edges than
    the search walks (the search applies the rules); it must return the same edge from
    ``edges_from`` of its subject and ``edges_to`` of its object.
    """

    def edges_from(self, node: Curie, predicates: Collection[str] | None = None) -> Iterable[Edge]:
        """Edges whose subject is ``node`` (only those with one of ``predicates``, if given)."""
        ...

    def edges_to(self, node: Curie, predicates: Collection[str] | None = None) -> Iterable[Edge]:
        """Edges whose object is ``node`` (only those with one of ``predicates``, if given)."""
        ...

    def kind_of(self, node: Curie) -> str | None:
        """The kmoa node kind of ``node`` (None: unknown, e.g. an imported category kmoa has no kind for)."""
        ...

    def degree(self, node: Curie) -> int:
        """How many edges of the store touch ``node`` (hub damping divides by a power of it)."""
        ...


@runtime_checkable
class SortedNeighbours(Protocol):
    """A store that keeps the walked neighbours of its bulk edges sorted (``graph.imported.MergedEdges``).

    Its ``curated`` edges are walked one by one like any store's. Its bulk (imported) edges are
    walked subject to object at ``imported_strength`` when their predicate is not clinical and
    neither end is of a kind outside the rules' ``node_kinds``: ``sorted_neighbours`` gives, for
    each node index, those neighbours once each, sorted by ``imported_strength`` times the
    neighbour's damping (largest first), then CURIE. ``imported_between`` lists the bulk edges from
    one node to another (for the steps of the paths returned).
    """

    curated: CandidateEdges
    names: list[Curie]
    index: dict[Curie, int]
    compound: np.ndarray
    imported_strength: float

    def sorted_neighbours(self, hub_damping: float) -> tuple[tuple[np.ndarray, np.ndarray],
                                                             tuple[np.ndarray, np.ndarray], list[float]]:
        """((offsets, neighbours) out of each node, (offsets, neighbours) into it, damping by node index)."""
        ...

    def imported_between(self, source: Curie, target: Curie) -> list[Edge]:
        """Bulk edges whose subject is ``source`` and object ``target``."""
        ...

    def damping_array(self, hub_damping: float) -> np.ndarray:
        """The damping of ``sorted_neighbours`` as a numpy array."""
        ...


class EdgeList:
    """:class:`CandidateEdges` over edges held in memory (curated claims, rows from SPARQL or Cypher)."""

    def __init__(self, edges: Iterable[Edge], kind_of: Callable[[Curie], str | None]):
        self._from: dict[Curie, list[Edge]] = {}
        self._to: dict[Curie, list[Edge]] = {}
        for edge in edges:
            self._from.setdefault(edge["subject"], []).append(edge)
            self._to.setdefault(edge["object"], []).append(edge)
        self._kind_of = kind_of

    def edges_from(self, node: Curie, predicates: Collection[str] | None = None) -> Iterable[Edge]:
        """Edges whose subject is ``node``."""
        edges = self._from.get(node, ())
        return edges if predicates is None else [e for e in edges if walked_predicate(e) in predicates]

    def edges_to(self, node: Curie, predicates: Collection[str] | None = None) -> Iterable[Edge]:
        """Edges whose object is ``node``."""
        edges = self._to.get(node, ())
        return edges if predicates is None else [e for e in edges if walked_predicate(e) in predicates]

    def kind_of(self, node: Curie) -> str | None:
        """The node's kind."""
        return self._kind_of(node)

    def degree(self, node: Curie) -> int:
        """Edges touching the node."""
        return len(self._from.get(node, ())) + len(self._to.get(node, ()))


@dataclass(frozen=True)
class PathStep:
    """One step of a path: the strongest claim between two nodes, plus every other claim there.

    Parallel claims (several studies saying the same thing) are merged into one step, so paths
    differ by their nodes; the step is as strong as its strongest claim. ``predicate`` is the walked
    predicate (``graph.rows.walked_predicate``); ``attributes`` is the strongest claim's row (its
    ``evidence_strength`` the step's strength) plus its ``effect``, and ``evidence`` every claim's.
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


@dataclass(frozen=True)
class PathSearch:
    """The k best paths of one search and whether they are proven the k best.

    ``exact`` is False only when the step budget ran out first; the paths are then the best found.
    """

    paths: list[MechanismPath]
    exact: bool
    steps_built: int


def claim_id(edge: Edge) -> str:
    """The id a step shows for an edge: a curated claim's id, an imported edge's ``claim_id``."""
    return str(edge.get("claim_id", edge["id"]))


def edge_passes(rules: WalkRules, attrs: Edge, filters: PathFilters, min_strength: float,
                relatives: frozenset[str] | None, subject_kind: str | None) -> bool:
    """Whether one claim may be walked under the filters (the same test for every store)."""
    if attrs.get("finding", "positive") not in rules.walked_findings(filters.include_negative):
        return False
    if filters.human_only and not rules.human_only_keeps(attrs.get("species")):
        return False
    if filters.route and attrs.get("route") and attrs["route"] != filters.route:
        return False
    if min_strength and rules.evidence_strengths.get(attrs.get("evidence_type") or "", 0.0) < min_strength:
        return False
    # Only the chosen compound and its metabolites/enantiomers may act on the path.
    return relatives is None or subject_kind != "compound" or attrs["subject"] in relatives


def claim_step_strength(rules: WalkRules, attrs: Edge, include_negative: bool = False) -> float:
    """A claim's strength as a step, from its evidence type, CANMAT level, finding and contest."""
    return rules.strength(attrs.get("evidence_type"), canmat_level(attrs.get("evidence_level")), attrs.get("finding"),
                          bool(attrs.get("contested")), include_negative)


def crosses_mechanism(rules: WalkRules, kind_of: Callable[[str], str | None]) -> Callable[[tuple[str, ...]], bool]:
    """Accept a complete path only if a node after its source is of a ``must_cross`` kind.

    That node may be the path's end: a path to a receptor may be one step.
    """

    def accept(nodes: tuple[str, ...]) -> bool:
        return any(kind_of(n) in rules.must_cross for n in nodes[1:])

    return accept


class Walk:
    """The schema's walk rules and the caller's filters applied to one store's candidate edges.

    ``candidates(node, forward)`` lists the neighbours one step from ``node`` (out of it, or into
    it if not ``forward``) with the strength of that step, strongest-and-least-damped first;
    ``step(source, target)`` builds the :class:`PathStep` (parallel claims merged into one step as
    strong as its strongest) only when a path uses it. ``steps(node, forward)`` builds them all.
    """

    def __init__(self, schema: Schema, edges: CandidateEdges, filters: PathFilters | None = None,
                 relatives: frozenset[str] | None = None, hub_damping: float = 0.0):
        self.schema, self.edges, self.rules = schema, edges, schema.walk
        self.filters = filters = filters or PathFilters()
        self.relatives = relatives
        self.hub_damping = hub_damping
        rules = self.rules
        self.min_strength = rules.evidence_strengths.get(filters.min_evidence, 0.0) if filters.min_evidence else 0.0
        self.parent_to_child = frozenset(rules.parent_to_child)
        self.clinical_biolink = frozenset(schema.predicates[p].biolink for p in rules.clinical)
        self.steps_built = 0
        self._candidates: dict[tuple[Curie, bool], Sequence[tuple[float, Curie, float]]] = {}
        # Claims of each step, by (node, forward) then neighbour, as collected by ``candidates``.
        self._claims: dict[tuple[Curie, bool], dict[Curie, list[tuple[float, Edge]]]] = {}
        self._steps: dict[tuple[Curie, Curie], PathStep] = {}
        self._damping: dict[Curie, float] = {}
        self._kinds: dict[Curie, str | None] = {}
        # The strongest step to each neighbour, by (node, forward), as collected by ``candidates``.
        self._best: dict[tuple[Curie, bool], dict[Curie, float]] = {}
        # Bulk neighbours (node indices) of a SortedNeighbours store, by (node, forward).
        self._bulk: dict[tuple[Curie, bool], np.ndarray] = {}
        # Of those, the ones no curated claim also joins, and the curated neighbours with their strength.
        self._bulk_rest: dict[tuple[Curie, bool], np.ndarray] = {}
        self._merged_best: dict[tuple[Curie, bool], dict[Curie, float]] = {}
        self._within: dict[tuple[Curie, bool, int], Sequence[tuple[float, Curie, float]]] = {}
        self.sorted = edges if isinstance(edges, SortedNeighbours) else None
        self._relatives_index: np.ndarray | None = None
        if self.sorted is not None and relatives is not None:
            self._relatives_index = np.asarray(sorted(self.sorted.index[r] for r in relatives
                                                      if r in self.sorted.index), dtype=np.int64)

    def damping(self, node: Curie) -> float:
        """deg(node) ** -hub_damping: the factor a path's score takes for passing through ``node``."""
        found = self._damping.get(node)
        if found is None:
            found = self._damping[node] = (max(self.edges.degree(node), 1) ** -self.hub_damping
                                           if self.hub_damping else 1.0)
        return found

    def kind_of(self, node: Curie) -> str | None:
        """The store's kind of ``node`` (asked once per node)."""
        try:
            return self._kinds[node]
        except KeyError:
            found = self._kinds[node] = self.edges.kind_of(node)
            return found

    def orient(self, edge: Edge) -> tuple[Curie, Curie, float] | None:
        """The walked direction and step strength of one candidate edge, or None if it is not walked."""
        rules, predicate = self.rules, walked_predicate(edge)
        subject, obj = edge["subject"], edge["object"]
        subject_kind = self.kind_of(subject)
        if predicate not in self.schema.predicates:
            # An imported edge: walked subject to object at the schema's imported strength, unless
            # it is a clinical verdict or touches a kind of node no path stands on.
            if predicate in self.clinical_biolink or self.min_strength > rules.imported_strength:
                return None
            object_kind = self.kind_of(obj)
            if (subject_kind is not None and subject_kind not in rules.node_kinds) or (
                    object_kind is not None and object_kind not in rules.node_kinds):
                return None
            relatives = self.relatives
            if relatives is not None and subject_kind == "compound" and subject not in relatives:
                return None
            return subject, obj, rules.imported_strength
        oriented = rules.orient(predicate, subject, obj)
        if oriented is None or subject_kind not in rules.node_kinds or self.kind_of(obj) not in rules.node_kinds:
            return None
        if not edge_passes(rules, edge, self.filters, self.min_strength, self.relatives, subject_kind):
            return None
        return oriented[0], oriented[1], claim_step_strength(rules, edge, self.filters.include_negative)

    def neighbours(self, node: Curie, forward: bool = True) -> tuple[set[Curie], np.ndarray | None]:
        """The nodes one step from ``node`` (into it if not ``forward``).

        As the CURIEs of its curated steps and, for a SortedNeighbours store, a mask over the bulk
        node indices (None for any other store).
        """
        self.candidates(node, forward)
        key = (node, forward)
        names = set(self._best[key])
        if self.sorted is None:
            return names, None
        index = self.sorted.index
        mask = np.zeros(len(self.sorted.names), dtype=bool)
        mask[self._bulk[key]] = True
        mask[[index[name] for name in names if name in index]] = True
        return names, mask

    def reach(self, node: Curie, forward: bool, steps: int,
              limit: int = 2_000_000) -> tuple[set[Curie], np.ndarray | None] | None:
        """The nodes at most ``steps`` (1 or 2) steps from ``node`` (into it if not ``forward``).

        As ``neighbours`` gives them, or None when listing them would read more than ``limit`` edges.
        Two steps are counted over a superset of the walked bulk edges (the compound filter is not
        applied to them), which keeps every use of the set exact.
        """
        names, mask = self.neighbours(node, forward)
        if steps == 1:
            return names, mask
        if steps != 2:
            return None
        near = set(names)
        if self.sorted is None:
            for first in names:
                self.candidates(first, forward)
                near.update(self._best[(first, forward)])
            return near, None
        assert mask is not None
        store = self.sorted
        out, into, _ = store.sorted_neighbours(self.hub_damping)
        offsets, neighbours = out if forward else into
        firsts = np.flatnonzero(mask)
        if int((offsets[firsts + 1] - offsets[firsts]).sum()) > limit:
            return None
        wide = mask.copy()
        for i in firsts.tolist():
            wide[neighbours[offsets[i]:offsets[i + 1]]] = True
        index = store.index
        for first in names:
            self.candidates(first, forward)
            curated = self._best[(first, forward)]
            near.update(curated)
            wide[[index[n] for n in curated if n in index]] = True
        return near, wide

    def via_one_step(self, node: Curie, forward: bool,
                     limit: int = 2_000_000) -> tuple[dict[Curie, float], np.ndarray | None] | None:
        """For each node y two steps from ``node`` (into it if not ``forward``): the best first step towards it.

        That is the largest strength x damping of a step from ``node`` to a node w that steps to y,
        as CURIEs of curated steps and, for a SortedNeighbours store, an array over the bulk node
        indices (0: no such w); None when it would read more than ``limit`` edges. Bulk steps from
        w are counted without the compound filter (a superset, so the values stay upper bounds).
        """
        firsts = self.candidates(node, forward)
        best: dict[Curie, float] = {}
        if self.sorted is None:
            for bound, first, _ in firsts:
                for _, second, _ in self.candidates(first, forward):
                    if -bound > best.get(second, 0.0):
                        best[second] = -bound
            return best, None
        store = self.sorted
        out, into, _ = store.sorted_neighbours(self.hub_damping)
        offsets, neighbours = out if forward else into
        index = store.index
        bulk = [(index[first], -bound) for bound, first, _ in firsts if first in index]
        if sum(int(offsets[i + 1] - offsets[i]) for i, _ in bulk) > limit:
            return None
        via = np.zeros(len(store.names), dtype=np.float64)
        for i, value in bulk:
            seconds = neighbours[offsets[i]:offsets[i + 1]]
            via[seconds] = np.maximum(via[seconds], value)
        curated = store.curated
        for bound, first, _ in firsts:
            if curated.degree(first):
                self.candidates(first, forward)
                for second in self._merged_best[(first, forward)]:
                    if -bound > best.get(second, 0.0):
                        best[second] = -bound
        return best, via

    def candidates_within(self, node: Curie, forward: bool, within: tuple[set[Curie], np.ndarray | None],
                          tag: int = 0) -> Sequence[tuple[float, Curie, float]]:
        """``candidates(node, forward)`` whose neighbour is one of ``within`` (from ``reach``), same order.

        The lists are kept by ``(node, forward, tag)``: one ``tag`` per set ``within``.
        """
        key = (node, forward)
        found = self._within.get((node, forward, tag))
        if found is not None:
            return found
        every = self.candidates(node, forward)
        names, mask = within
        if self.sorted is None:
            found = [c for c in every if c[1] in names]
        else:
            assert mask is not None
            index = self.sorted.index
            damping, strength = self.damping, self.sorted.imported_strength
            curated = [(-s * damping(other), other, s) for other, s in self._merged_best[key].items()
                       if other in names or (other in index and mask[index[other]])]
            curated.sort()
            bulk = self._bulk_rest[key]
            bulk = bulk[mask[bulk]]
            dampings = self.sorted.sorted_neighbours(self.hub_damping)[2] if len(bulk) else []
            found = _Candidates(len(curated) + len(bulk),
                                _merge_bulk(curated, bulk, self.sorted.names, dampings, strength))
        self.steps_built += len(found)
        self._within[(node, forward, tag)] = found
        return found

    def candidates(self, node: Curie, forward: bool = True) -> Sequence[tuple[float, Curie, float]]:
        """(-strength x damping(neighbour), neighbour, strength) of each step from ``node``, largest product first."""
        key = (node, forward)
        found = self._candidates.get(key)
        if found is not None:
            return found
        edges = self.sorted.curated if self.sorted is not None else self.edges
        if forward:
            raw = itertools.chain(edges.edges_from(node), edges.edges_to(node, self.parent_to_child))
        else:
            raw = itertools.chain(edges.edges_to(node), edges.edges_from(node, self.parent_to_child))
        best: dict[Curie, float] = {}
        claims: dict[Curie, list[tuple[float, Edge]]] = {}
        for edge in raw:
            oriented = self.orient(edge)
            if oriented is None:
                continue
            source, target, strength = oriented
            if (source if forward else target) != node:
                continue
            other = target if forward else source
            claims.setdefault(other, []).append((strength, edge))
            if strength > best.get(other, -1.0):
                best[other] = strength
        self._claims[key] = claims
        self._best[key] = best
        if self.sorted is not None:
            found = self._with_bulk(node, forward, best)
        else:
            damping = self.damping
            # Sorted by bound (negated, so largest first), then neighbour.
            found = sorted([(-strength * damping(other), other, strength) for other, strength in best.items()])
        self.steps_built += len(found)
        self._candidates[key] = found
        return found

    def _with_bulk(self, node: Curie, forward: bool, best: dict[Curie, float]) -> Sequence[tuple[float, Curie, float]]:
        """The candidates of a SortedNeighbours store: the curated ones (``best``) merged with its bulk ones."""
        store = self.sorted
        assert store is not None
        i = store.index.get(node)
        strength = store.imported_strength
        dampings: list[float] = []
        if i is None or self.min_strength > strength:
            bulk = np.zeros(0, dtype=np.int64)
        else:
            out, into, dampings = store.sorted_neighbours(self.hub_damping)
            offsets, neighbours = out if forward else into
            bulk = neighbours[offsets[i]:offsets[i + 1]]
            if self.relatives is not None:
                # Only the chosen compound and its relatives may act: a bulk edge whose subject is
                # another compound is not walked.
                if forward:
                    if store.compound[i] and node not in self.relatives:
                        bulk = bulk[:0]
                else:
                    assert self._relatives_index is not None
                    other_compound = store.compound[bulk] & ~np.isin(bulk, self._relatives_index)
                    if other_compound.any():
                        bulk = bulk[~other_compound]
        self._bulk[(node, forward)] = bulk
        damping = self.damping
        curated: list[tuple[float, Curie, float]] = []
        merged = best
        if best:
            # A neighbour both curated and imported is one candidate, as strong as its strongest step.
            in_bulk: set[Curie] = set()
            indices = {store.index[other]: other for other in best if other in store.index}
            if indices and len(bulk):
                shared = np.isin(bulk, np.fromiter(indices, dtype=np.int64, count=len(indices)))
                if shared.any():
                    in_bulk = {indices[j] for j in bulk[shared].tolist()}
                    bulk = bulk[~shared]
            merged = {other: max(s, strength) if other in in_bulk else s for other, s in best.items()}
            curated = sorted((-s * damping(other), other, s) for other, s in merged.items())
        self._merged_best[(node, forward)] = merged
        self._bulk_rest[(node, forward)] = bulk
        return _Candidates(len(curated) + len(bulk), _merge_bulk(curated, bulk, store.names, dampings, strength))

    def step(self, source: Curie, target: Curie) -> PathStep:
        """The step from ``source`` to ``target`` (one of the candidates), its claims strongest first."""
        found = self._steps.get((source, target))
        if found is not None:
            return found
        rules = self.rules
        out = self._claims.get((source, True))
        listed = out.get(target, []) if out is not None else self._claims[(target, False)].get(source, [])
        if self.sorted is not None:
            listed = listed + [(oriented[2], edge) for edge in self.sorted.imported_between(source, target)
                               if (oriented := self.orient(edge)) is not None]
        attrs = []
        for strength, edge in listed:
            # The edge's row, its evidence strength the step's (an imported edge's: the imported strength).
            claim = dict(edge)
            claim["evidence_strength"] = strength
            declared = self.schema.predicates.get(walked_predicate(claim))
            if declared is not None:
                claim["effect"] = "structural" if declared.name in rules.parent_to_child else declared.effect
            attrs.append(claim)
        attrs.sort(key=lambda c: (-c["evidence_strength"], claim_id(c)))
        best = attrs[0]
        predicate = walked_predicate(best)
        found = self._steps[(source, target)] = PathStep(
            source, target, claim_id(best), predicate, self._label(predicate), best["evidence_strength"],
            best, tuple(attrs))
        return found

    def _label(self, predicate: str) -> str:
        declared = self.schema.predicates.get(predicate)
        if declared is None:
            return predicate.split(":", 1)[-1].replace("_", " ")
        return self.rules.parent_to_child.get(predicate) or declared.label

    def sorted_curated(self, node: Curie) -> bool:
        """Whether ``node`` has curated edges (always True for a store without sorted neighbours)."""
        return self.sorted is None or bool(self.sorted.curated.degree(node))

    def strength_between(self, source: Curie, target: Curie) -> float | None:
        """The strength of the step from ``source`` to ``target``, or None when there is none."""
        self.candidates(source, True)
        strength = self._best[(source, True)].get(target)
        if self.sorted is not None:
            j = self.sorted.index.get(target)
            if j is not None and bool((self._bulk[(source, True)] == j).any()):
                strength = max(strength or 0.0, self.sorted.imported_strength)
        return strength

    def steps(self, node: Curie, forward: bool = True) -> list[PathStep]:
        """Every walkable step out of ``node`` (into it if not ``forward``), ordered by neighbour."""
        others = sorted(other for _, other, _ in self.candidates(node, forward))
        return [self.step(node, other) if forward else self.step(other, node) for other in others]

    def path(self, steps: tuple[PathStep, ...]) -> tuple[float, float]:
        """(score, mean strength) of a complete path, computed in one fixed order."""
        return self.score((steps[0].source, *(s.target for s in steps)), tuple(s.strength for s in steps))

    def score(self, nodes: tuple[Curie, ...], strengths: tuple[float, ...]) -> tuple[float, float]:
        """(score, mean strength) of a complete path given by its nodes and step strengths."""
        score = min(strengths)
        for node in nodes[1:-1]:
            score *= self.damping(node)
        return score, sum(strengths) / len(strengths)


class _Candidates(Sequence[tuple[float, Curie, float]]):
    """Candidates made as far as they are read: the search reads a hub's first few, rarely all."""

    def __init__(self, length: int, made: Iterator[tuple[float, Curie, float]]):
        self._length, self._made = length, made
        self._items: list[tuple[float, Curie, float]] = []

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: int) -> tuple[float, Curie, float]:  # type: ignore[override]
        items = self._items
        if i < 0:
            i += self._length
        while len(items) <= i:
            try:
                items.append(next(self._made))
            except StopIteration:
                raise IndexError(i) from None
        return items[i]

    def __iter__(self) -> Iterator[tuple[float, Curie, float]]:
        for i in range(self._length):
            yield self[i]


def _merge_bulk(curated: list[tuple[float, Curie, float]], bulk: np.ndarray, names: list[Curie],
                dampings: list[float], strength: float) -> Iterator[tuple[float, Curie, float]]:
    """Sorted curated candidates merged with sorted bulk neighbours (node indices), read in growing chunks."""

    def from_bulk() -> Iterator[tuple[float, Curie, float]]:
        start, chunk = 0, 16
        while start < len(bulk):
            for j in bulk[start:start + chunk].tolist():
                yield (-strength * dampings[j], names[j], strength)
            start, chunk = start + chunk, min(chunk * 4, 4096)

    if not curated:
        return from_bulk()
    return heapq.merge(curated, from_bulk())


@dataclass(frozen=True)
class _Half:
    """A partial path: a prefix from the source (forward) or a suffix to the target (backward)."""

    nodes: tuple[Curie, ...]  # in path order: source ... end (forward), meeting node ... target (backward)
    strengths: tuple[float, ...]  # of its steps, in path order
    bottleneck: float
    damping: float  # product of the damping of its nodes that are intermediate, the meeting node excluded


def search_paths(walk: Walk, source: Curie, target: Curie, k: int = 10, max_hops: int = 8,
                 accept: Callable[[tuple[Curie, ...]], bool] | None = None,
                 max_steps: int = 1_000_000, backward_depth: int | None = None) -> PathSearch:
    """The k best simple paths from ``source`` to ``target`` (at most ``max_hops`` steps), proven.

    A path's score is its weakest step times deg(v) ** -alpha for every intermediate node v; paths
    rank by score, then mean strength, then fewer steps, then their nodes. ``accept`` may reject
    complete paths (the ``must_cross`` rule).

    Meet in the middle: a forward search grows prefixes from the source up to ceil(max_hops / 2)
    steps, a backward one suffixes to the target up to floor(max_hops / 2), and a path of n steps is
    found exactly once, when its prefix of ceil(n / 2) steps and its suffix of floor(n / 2) steps
    have both been generated. A half's key is its weakest step times the damping of its nodes that
    are intermediate in any path through it (its end included, the target excluded). Every path
    through a half scores at most the half's key, and extending a half never raises its key. One
    heap holds the halves of both sides not yet expanded; a half is generated (and joined with the
    other side's halves at its end) when its parent is expanded. A path not yet found has a half not
    yet generated, so an ancestor of that half waits in the heap with a key at least the path's
    score. Hence once k paths are found and the heap's top key is below the k-th score, no path
    left can beat them: the answer is exact. Halves whose key is below the k-th score found so far
    are dropped at once (no path through them can enter the k best). A half's extensions are made
    one at a time, in the order of ``Walk.candidates`` (strength x damping of the neighbour); the
    rest wait in the heap under a bound on all of them, so extensions below the k-th score are never
    made. Hubs have small keys, so they
    are expanded last and, for most pairs, never. ``max_steps`` bounds the steps built (a guard for
    pathological queries); when it runs out the paths found so far come back with ``exact=False``.
    """
    if source == target or k < 1 or max_hops < 1:
        return PathSearch([], True, 0)
    if backward_depth is None:
        backward_depth = max_hops // 2
    backward_depth = max(min(backward_depth, max_hops - 1), 1 if max_hops > 1 else 0)
    forward_depth = max_hops - backward_depth

    def suffix_steps(n: int) -> int:
        """Steps of the suffix a path of n steps is split into (the rest is its prefix)."""
        return min(backward_depth, max(n - forward_depth, n // 2))

    # Suffix lengths a prefix of p steps joins, and prefix lengths a suffix of s steps joins.
    suffixes_of = {p: [b for b in range(backward_depth + 1) if suffix_steps(p + b) == b]
                   for p in range(1, forward_depth + 1)}
    prefixes_of = {b: [p for p in range(1, forward_depth + 1) if suffix_steps(p + b) == b]
                   for b in range(1, backward_depth + 1)}
    damping = walk.damping
    # When one side takes single steps and the other (the deep side) at least two, a half of the
    # deep side of d steps ends at most max_hops - d steps from the other end: its last halves end
    # next to it, the ones before within two steps. ``meets`` holds those sets (None: too many to list).
    deep = (True if backward_depth == 1 and forward_depth >= 2 else
            False if forward_depth == 1 and backward_depth >= 2 else None)
    meets: dict[int, tuple[set[Curie], np.ndarray | None] | None] = {}
    top_single = 1.0  # the largest key of a single-step half of the other side
    if deep is not None:
        other_end = walk.candidates(target, False) if deep else walk.candidates(source, True)
        top_single = -other_end[0][0] if len(other_end) else 0.0
        meets[1] = walk.reach(target, False, 1) if deep else walk.reach(source, True, 1)
    single_names, single_mask = meets.get(1) or (set(), None)
    single_index = walk.sorted.index if walk.sorted is not None else {}
    via = None
    if deep is not None and max_hops >= 3:
        via = walk.via_one_step(target, False) if deep else walk.via_one_step(source, True)
    via_names, via_bulk = via or ({}, None)

    via_two: dict[Curie, float] = {}
    two_steps = None
    if via_bulk is not None and walk.sorted is not None:
        # The best single step, then one more step, towards each bulk node: its damping included.
        out, into, dampings = walk.sorted.sorted_neighbours(walk.hub_damping)
        two_steps = into if deep is False else out
        first_two = via_bulk * walk.sorted.damping_array(walk.hub_damping)
        for name, value in via_names.items():
            i = single_index.get(name)
            if i is not None:
                first_two[i] = max(first_two[i], value * dampings[i])

    def via_two_of(node: Curie) -> float:
        """An upper bound of strength x d(w) x d(y) over paths from the other end through w and y to ``node``.

        For a node without curated steps, so that every step between it and y is a bulk one.
        """
        found = via_two.get(node)
        if found is None:
            i = single_index.get(node)
            if i is None or two_steps is None:
                found = top_single
            else:
                offsets, neighbours = two_steps
                seconds = neighbours[offsets[i]:offsets[i + 1]]
                found = float(first_two[seconds].max()) if len(seconds) else 0.0
            via_two[node] = found
        return found

    def via_of(node: Curie) -> float:
        """The largest strength x d(w) of a single step to a node w that steps to ``node`` (0: none)."""
        found = via_names.get(node, 0.0)
        i = single_index.get(node)
        if i is not None and via_bulk is not None:
            found = max(found, float(via_bulk[i]))
        return found

    def next_to_other_end(node: Curie) -> bool:
        """Whether one step joins ``node`` to the single-step side's end."""
        if node in single_names:
            return True
        i = single_index.get(node)
        return i is not None and single_mask is not None and bool(single_mask[i])
    # Joinable halves by (meeting node, steps): prefixes and suffixes.
    prefixes: dict[tuple[Curie, int], list[_Half]] = {}
    suffixes: dict[tuple[Curie, int], list[_Half]] = {(target, 0): [_Half((target,), (), 1.0, 1.0)]}
    found: list[tuple[float, float, int, tuple[Curie, ...], tuple[float, ...]]] = []
    seen: set[tuple[Curie, ...]] = set()
    kth = 0.0  # a lower bound of the k-th best score (0 until k paths are found)
    counter = itertools.count()
    # Entries: (-bound, tiebreak, forward, half, i): the half's candidates from the i-th on are yet to
    # be generated; the bound is at least the key of each of them and of all their extensions.
    heap: list[tuple[float, int, bool, _Half, int]] = [(-1.0, next(counter), True, _Half((source,), (), 1.0, 1.0), 0)]
    if backward_depth:
        heap.append((-1.0, next(counter), False, _Half((target,), (), 1.0, 1.0), 0))

    def join(half: _Half, forward: bool) -> None:
        nonlocal kth
        end, hops = (half.nodes[-1], len(half.strengths)) if forward else (half.nodes[0], len(half.strengths))
        halves = suffixes if forward else prefixes
        others = [other for steps in (suffixes_of if forward else prefixes_of)[hops]
                  for other in halves.get((end, steps), ())]
        added = False
        for other in others:
            head, tail = (half, other) if forward else (other, half)
            if len(set(head.nodes).intersection(tail.nodes[1:])):
                continue
            nodes = head.nodes + tail.nodes[1:]
            if nodes in seen or (accept is not None and not accept(nodes)):
                continue
            strengths = head.strengths + tail.strengths
            score, mean = walk.score(nodes, strengths)
            if score < kth * (1 - SLACK):
                continue
            seen.add(nodes)
            found.append((score, mean, len(strengths), nodes, strengths))
            added = True
            if len(found) >= 2 * k:
                kth = _keep_best(found, k)
        if added and len(found) >= k:
            kth = _keep_best(found, k)

    def generate(half: _Half, forward: bool, other: Curie, strength: float, inner: float) -> bool:
        """Make the half one step longer (to ``other``), join it with the other side, queue it.

        False when its key is below the k-th score (no path through it can be among the k best).
        """
        bottleneck = min(half.bottleneck, strength)
        if forward is deep and other != target:
            # A path through the new half joins the other end by a single step, from ``other`` or from
            # a node w further on: with w, its score is at most min(bottleneck, strength x d(w)) x ...
            # (``top_single`` over every w, ``via_of`` over the w that step to ``other`` when no
            # node can come between).
            if next_to_other_end(other):
                factor = 1.0
            elif via is not None and max_hops - len(half.strengths) == 3:
                factor = via_of(other)
            elif via is not None and max_hops - len(half.strengths) == 4 and not walk.sorted_curated(other):
                factor = max(via_of(other), via_two_of(other))
            else:
                factor = top_single
            key = min(bottleneck, factor) * inner * damping(other)
        else:
            key = bottleneck * inner * (1.0 if other == target else damping(other))
        if key < kth * (1 - SLACK):
            return False
        nodes = half.nodes + (other,) if forward else (other,) + half.nodes
        strengths = half.strengths + (strength,) if forward else (strength,) + half.strengths
        child = _Half(nodes, strengths, bottleneck, inner)
        depth = len(strengths)
        (prefixes if forward else suffixes).setdefault((other, depth), []).append(child)
        join(child, forward)
        if depth < (forward_depth if forward else backward_depth) and other != target:
            heapq.heappush(heap, (-key, next(counter), forward, child, 0))
        return True

    while heap:
        neg_bound, _, forward, half, i = heapq.heappop(heap)
        if len(found) >= k and -neg_bound < kth * (1 - SLACK):
            break
        if walk.steps_built >= max_steps:
            _keep_best(found, k)
            return PathSearch([_path(walk, f) for f in found[:k]], False, walk.steps_built)
        end = half.nodes[-1] if forward else half.nodes[0]
        left = max_hops - len(half.strengths) - 1  # steps its extensions leave for the rest of a path
        meet = None
        if forward is deep and left <= 2:
            if left not in meets:
                meets[left] = walk.reach(target, False, left) if forward else walk.reach(source, True, left)
            meet = meets[left]
        candidates = walk.candidates(end, forward) if meet is None else walk.candidates_within(end, forward, meet, left)
        inner = half.damping * damping(end) if half.strengths else 1.0
        if i == 0 and forward and not half.strengths:
            # The one step straight to the target is not damped by the target: take it first.
            direct = walk.strength_between(source, target)
            if direct is not None:
                generate(half, forward, target, direct, inner)
        # Candidates come strongest-and-least-damped first: generate the next one that may be used.
        while i < len(candidates):
            _, other, strength = candidates[i]
            i += 1
            if other in half.nodes or other == target or other == source:
                continue
            if generate(half, forward, other, strength, inner):
                break
        if i < len(candidates):
            bound = inner * min(half.bottleneck, -candidates[i][0])
            if bound >= kth * (1 - SLACK) or len(found) < k:
                heapq.heappush(heap, (-bound, next(counter), forward, half, i))
    _keep_best(found, k)
    return PathSearch([_path(walk, f) for f in found[:k]], True, walk.steps_built)


def deep_end_split(walk: Walk, source: Curie, target: Curie, max_hops: int, ratio: float = 5.0) -> int:
    """A backward depth for ``search_paths`` on a hub-heavy graph: one side searches all but one step.

    The side that searches deep starts from the end with fewer edges (the target unless its degree
    is more than ``ratio`` times the source's); the other side's single steps then bound where the
    deep side's last steps may end (``Walk.candidates_within``). Any split gives the same, exact
    answer; this one expands the fewest halves on hub-heavy graphs.
    """
    if max_hops < 3:
        return max_hops // 2
    if walk.edges.degree(target) > ratio * max(walk.edges.degree(source), 1):
        return 1
    return max_hops - 1


def _keep_best(found: list[tuple[float, float, int, tuple[Curie, ...], tuple[float, ...]]], k: int) -> float:
    """Sort ``found`` best first, keep its k best; return the k-th score (0 with fewer than k)."""
    found.sort(key=lambda f: (-f[0], -f[1], f[2], f[3]))
    del found[k:]
    return found[-1][0] if len(found) == k else 0.0


def _path(walk: Walk, found: tuple[float, float, int, tuple[Curie, ...], tuple[float, ...]]) -> MechanismPath:
    score, mean, _, nodes, _ = found
    steps = tuple(walk.step(a, b) for a, b in itertools.pairwise(nodes))
    return MechanismPath(nodes, steps, round(score, 4), round(mean, 4))


def search_edge_list(schema: Schema, edges: Iterable[Edge], kinds: Mapping[Curie, str], source: Curie, target: Curie,
                     k: int = 10, max_hops: int = 8, filters: PathFilters | None = None,
                     relatives: frozenset[str] | None = None, hub_damping: float = 0.0) -> PathSearch:
    """The k best paths over candidate edges a store returned at once (SPARQL or Cypher rows).

    ``kinds`` maps every node of the edges to its kind; the ``must_cross`` rule applies unless
    ``filters.allow_direct``.
    """
    filters = filters or PathFilters()
    walk = Walk(schema, EdgeList(edges, kinds.get), filters, relatives, hub_damping)
    accept = None if filters.allow_direct else crosses_mechanism(schema.walk, kinds.get)
    return search_paths(walk, source, target, k=k, max_hops=max_hops, accept=accept)
