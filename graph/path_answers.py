"""Paths that teach: ranked mechanism paths folded, labelled with the review's hypotheses, paged.

``answer_paths`` is what ``kmoa paths`` and the explorer's Paths view show for a pair:

* **Detours fold.** A path that only adds a detour through a child compound (an enantiomer or a
  metabolite, entered by a parent-to-child step of the schema's walk rules) to another path is
  folded into the shorter one and listed as its variant: ketamine -> esketamine -> NMDA receptor
  -> ... is a variant of ketamine -> NMDA receptor -> ....
* **Hypothesis labels.** Each path is labelled with the hypothesis (Fig. 1 routes 1-6, opioid,
  anti-inflammatory, ...) whose steps it overlaps most: shared claims and shared intermediate
  nodes, each weighted by 1 / (number of hypotheses that contain it), so a node every route passes
  through (the AMPA receptor) says less than one only a single route has (GABA release). Where the
  compound acts (the first node past the source and its detours) decides first: only hypotheses
  whose steps include that node are candidates, when there are any.
* **One path per hypothesis first.** The best path of every hypothesis that connects the pair
  comes before a second path of the same hypothesis; paths that follow no hypothesis count as one
  more group. Within that first round, paths rank by score, then by how many of their
  hypothesis' steps they walk, then by mean strength; the rest follow by score.
* **Paging.** ``offset`` skips that many listed paths, so the next k can be asked for.
* **Why nothing.** When no path survives, the answer says which filter removed how many of the
  paths found without filters, and lists the direct clinical claims for the pair under the same
  filters (a trial is evidence for the pair, not a mechanism step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import MechanismPath, PathFilters, PathStep, edge_passes, relatives_of, trace_mechanism_paths
from kmoa.graph.rows import EdgeRow
from kmoa.graph.search import claim_id

# How many candidate paths are ranked before folding and grouping, at least.
MIN_POOL = 200
# A path search: (source, target, k, filters) -> the k best paths; the curated graph's by default.
Search = Callable[[str, str, int, PathFilters], list[MechanismPath]]


@dataclass(frozen=True)
class HypothesisMatch:
    """The hypothesis a path follows, and which of its steps (1-based) the path walks."""

    hypothesis: str
    name: str
    route: int | None
    overlap: float
    steps: tuple[int, ...]
    step_count: int


@dataclass(frozen=True)
class RankedPath:
    """A listed path: its hypothesis (None: it follows none) and the detour variants folded into it."""

    path: MechanismPath
    hypothesis: HypothesisMatch | None
    variants: tuple[MechanismPath, ...] = ()


@dataclass(frozen=True)
class FilterEffect:
    """What one filter did to the paths found without any filter."""

    option: str
    removed: int
    of: int
    example_claim: str | None
    reason: str = ""

    def __str__(self) -> str:
        example = f", e.g. claim {self.example_claim}" if self.example_claim else ""
        return f"{self.option} removes {self.removed} of {self.of} ({self.reason}{example})"


@dataclass(frozen=True)
class PathAnswer:
    """One page of ranked paths for a pair, the pair's direct claims, and why paths are missing."""

    source: str
    target: str
    paths: list[RankedPath]
    offset: int
    total: int
    direct: list[EdgeRow]
    direct_total: int
    filter_effects: list[FilterEffect]
    notes: list[str]
    why_none: str | None = None

    @property
    def more(self) -> bool:
        """Whether a next page exists."""
        return self.offset + len(self.paths) < self.total


# --------------------------------------------------------------------------- folding detours


def detour_nodes(kg: KnowledgeGraph, path: MechanismPath) -> frozenset[str]:
    """Nodes a path enters by a parent-to-child step (an enantiomer or metabolite of the previous node)."""
    children = kg.schema.walk.parent_to_child
    return frozenset(s.target for s in path.steps if s.predicate in children)


def fold_key(kg: KnowledgeGraph, path: MechanismPath) -> tuple[str, ...]:
    """The path's nodes without its detours: two paths with one key differ only by detours."""
    skipped = detour_nodes(kg, path)
    return tuple(n for n in path.nodes if n not in skipped)


def rank_key(path: MechanismPath) -> tuple[float, float, int, tuple[str, ...]]:
    """Sort key: higher score, then higher mean strength, then fewer steps, then the nodes."""
    return (-path.score, -path.mean_strength, path.hops, path.nodes)


def fold_detours(kg: KnowledgeGraph, paths: Iterable[MechanismPath]) -> list[tuple[MechanismPath, list[MechanismPath]]]:
    """Group paths that differ only by detours; each group's shortest path represents it, best first."""
    groups: dict[tuple[str, ...], list[MechanismPath]] = {}
    for path in paths:
        groups.setdefault(fold_key(kg, path), []).append(path)
    folded = []
    for members in groups.values():
        members.sort(key=lambda p: (len(detour_nodes(kg, p)), rank_key(p)))
        folded.append((members[0], sorted(members[1:], key=rank_key)))
    folded.sort(key=lambda group: rank_key(group[0]))
    return folded


# --------------------------------------------------------------------------- hypothesis labels


@dataclass(frozen=True)
class _HypothesisIndex:
    claims: dict[str, frozenset[str]]
    nodes: dict[str, frozenset[str]]
    weight: dict[str, float]


def _index(kg: KnowledgeGraph) -> _HypothesisIndex:
    claims: dict[str, frozenset[str]] = {}
    nodes: dict[str, frozenset[str]] = {}
    for hyp in kg.hypotheses.values():
        ids = [s.claim for s in hyp.steps]
        claims[hyp.id] = frozenset(ids)
        nodes[hyp.id] = frozenset(n for c in ids for n in (kg.claims[c].subject, kg.claims[c].object))
    counts: dict[str, int] = {}
    for members in (*claims.values(), *nodes.values()):
        for item in members:
            counts[item] = counts.get(item, 0) + 1
    return _HypothesisIndex(claims, nodes, {item: 1.0 / n for item, n in counts.items()})


def _step_claims(step: PathStep) -> set[str]:
    return {claim_id(e) for e in step.evidence} | {step.claim_id}


def hypothesis_of(kg: KnowledgeGraph, path: MechanismPath,
                  index: _HypothesisIndex | None = None) -> HypothesisMatch | None:
    """The hypothesis whose steps the path overlaps most (weighted claims and intermediate nodes)."""
    index = index or _index(kg)
    claims = set().union(*(_step_claims(s) for s in path.steps)) if path.steps else set()
    inner = set(path.nodes[1:-1])
    # Where the compound acts (the first node past the source and its detours) tells the routes
    # apart: prefer hypotheses whose steps include that node.
    entry = next((n for n in path.nodes[1:] if n not in detour_nodes(kg, path)), None)
    candidates = sorted(h for h in kg.hypotheses if entry in index.nodes[h]) or sorted(kg.hypotheses)
    scored: list[tuple[float, str]] = []
    for hyp_id in candidates:
        overlap = sum(index.weight[c] for c in claims & index.claims[hyp_id])
        overlap += sum(index.weight[n] for n in inner & index.nodes[hyp_id])
        if overlap > 0:
            scored.append((round(overlap, 6), hyp_id))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None  # nothing shared, or only steps that several hypotheses share equally
    overlap, hyp_id = scored[0]
    hyp = kg.hypotheses[hyp_id]
    walked = tuple(i for i, step in enumerate(hyp.steps, start=1) if step.claim in claims)
    return HypothesisMatch(hyp.id, hyp.name, hyp.route, overlap, walked, len(hyp.steps))


def _teaching_key(item: RankedPath) -> tuple[float, int, tuple[float, float, int, tuple[str, ...]]]:
    walked = len(item.hypothesis.steps) if item.hypothesis else 0
    return (-item.path.score, -walked, rank_key(item.path))


def teaching_order(ranked: list[RankedPath]) -> list[RankedPath]:
    """One path per hypothesis first, then the rest by score.

    A hypothesis is represented by its best-scoring path, and among equally scored ones by the
    path that walks most of the hypothesis' steps; these leaders rank by score, then steps walked,
    then mean strength. Paths that follow no hypothesis form one more group.
    """
    leaders: dict[str | None, RankedPath] = {}
    for item in ranked:
        label = item.hypothesis.hypothesis if item.hypothesis else None
        if label not in leaders or _teaching_key(item) < _teaching_key(leaders[label]):
            leaders[label] = item
    first = sorted(leaders.values(), key=_teaching_key)
    chosen = {id(r) for r in first}
    return first + [r for r in ranked if id(r) not in chosen]


# --------------------------------------------------------------------------- filters and direct claims


FILTER_OPTIONS = ("min_evidence", "human_only", "route", "compound", "include_negative")
_REASONS = {
    "min_evidence": "a step whose evidence is weaker",
    "human_only": "a step the review does not state for humans (animal studies only, or no species stated)",
    "route": "a step stated for another route",
    "compound": "another compound acts on a step",
}


def _option(filters: PathFilters, name: str) -> str:
    value = getattr(filters, name)
    flag = "--" + name.replace("_", "-")
    return flag if isinstance(value, bool) else f"{flag} {value}"


def _only(filters: PathFilters, name: str) -> PathFilters:
    return replace(PathFilters(allow_direct=filters.allow_direct), **{name: getattr(filters, name)})


def filter_effects(kg: KnowledgeGraph, source: str, target: str, filters: PathFilters, pool: list[MechanismPath],
                   max_hops: int) -> list[FilterEffect]:
    """For each active filter: how many of the unfiltered paths it alone removes, with a claim it dropped."""
    effects = []
    rules = kg.schema.walk
    for name in FILTER_OPTIONS:
        if name == "include_negative" or not getattr(filters, name):
            continue
        alone = _only(filters, name)
        if alone.compound:
            alone = replace(alone, compound=kg.resolve(alone.compound, kinds=("compound",)))
        relatives = relatives_of(kg, alone.compound) if alone.compound else None
        floor = rules.evidence_strengths.get(alone.min_evidence, 0.0) if alone.min_evidence else 0.0
        removed, example = 0, None
        for path in pool:
            for step in path.steps:
                kind = kg.nodes[step.source].kind if step.source in kg.nodes else None
                subject_kind = kind if step.predicate not in rules.parent_to_child else "compound"
                if not any(edge_passes(rules, e, alone, floor, relatives, subject_kind) for e in step.evidence):
                    removed += 1
                    example = example or step.claim_id
                    break
        effects.append(FilterEffect(_option(filters, name), removed, len(pool), example, _REASONS[name]))
    return effects


def direct_claims(kg: KnowledgeGraph, source: str, target: str,
                  filters: PathFilters) -> tuple[list[EdgeRow], int]:
    """Claims straight from source to target (their rows) that pass the species, route and evidence filters.

    These (trials, approvals, guidelines) are what a mechanism path explains; they are listed
    beside the paths, never walked. Returns the passing claims, strongest first, and the total.
    """
    rows = [row for row in kg.claim_rows.values() if row["subject"] == source and row["object"] == target]
    rules = kg.schema.walk
    floor = rules.evidence_strengths.get(filters.min_evidence, 0.0) if filters.min_evidence else 0.0
    kept = []
    for a in rows:
        if filters.human_only and not rules.human_only_keeps(a["species"]):
            continue
        if filters.route and a["route"] and a["route"] != filters.route:
            continue
        if floor and rules.evidence_strengths.get(a["evidence_type"], 0.0) < floor:
            continue
        kept.append(a)
    return sorted(kept, key=lambda a: (-a["evidence_strength"], a["id"])), len(rows)


def _route_note(kg: KnowledgeGraph, filters: PathFilters, pool: list[MechanismPath]) -> str | None:
    if not filters.route:
        return None
    named = {str(e.get("route")) for p in pool for s in p.steps for e in s.evidence if e.get("route")}
    if named:
        return (f"--route {filters.route} skips mechanism steps stated for another route "
                f"({', '.join(sorted(named - {filters.route})) or 'none here'}) and filters the direct claims.")
    return (f"--route {filters.route} applies to clinical claims only here: no step of these mechanism "
            "paths names a route, so it filters the direct claims below.")


# --------------------------------------------------------------------------- the answer


def answer_paths(kg: KnowledgeGraph, source: str, target: str, k: int = 5, offset: int = 0,
                 filters: PathFilters | None = None, max_hops: int = 8, search: Search | None = None) -> PathAnswer:
    """One page of teaching-ordered paths from source to target (names, synonyms or CURIEs).

    ``search`` replaces the curated graph's search (the explorer passes the merged-graph search);
    it is then given the ids as they are.
    """
    filters = filters or PathFilters()
    if search is None:
        source_id, target_id = kg.resolve(source), kg.resolve(target)

        def search(s: str, t: str, n: int, f: PathFilters) -> list[MechanismPath]:
            return trace_mechanism_paths(kg, s, t, k=n, max_hops=max_hops, filters=f)
    else:
        source_id, target_id = source, target
    pool_size = max(MIN_POOL, 10 * (offset + k))
    found = search(source_id, target_id, pool_size, filters)
    index = _index(kg)
    ranked = [RankedPath(rep, hypothesis_of(kg, rep, index), tuple(variants))
              for rep, variants in fold_detours(kg, found)]
    ordered = teaching_order(ranked)
    unfiltered: list[MechanismPath] = []
    effects: list[FilterEffect] = []
    active = replace(filters, allow_direct=False, include_negative=False) != PathFilters()
    if active and (not ordered or filters.route):
        unfiltered = search(source_id, target_id, pool_size, PathFilters(allow_direct=filters.allow_direct))
    if not ordered and unfiltered:
        effects = filter_effects(kg, source_id, target_id, filters, unfiltered, max_hops)
    notes = [note for note in (_route_note(kg, filters, unfiltered or found),) if note]
    direct, direct_total = direct_claims(kg, source_id, target_id, filters)
    why = None
    if not ordered:
        why = _why_none(kg, source_id, target_id, filters, unfiltered, effects, max_hops, search)
    return PathAnswer(source_id, target_id, ordered[offset:offset + k], offset, len(ordered), direct,
                      direct_total, effects, notes, why)


def _name(kg: KnowledgeGraph, curie: str) -> str:
    node = kg.nodes.get(curie)
    return node.name if node is not None else curie


def _why_none(kg: KnowledgeGraph, source: str, target: str, filters: PathFilters, unfiltered: list[MechanismPath],
              effects: list[FilterEffect], max_hops: int, search: Search) -> str:
    names = f"{_name(kg, source)} to {_name(kg, target)}"
    if unfiltered:
        return (f"The filters removed all {len(unfiltered)} mechanism paths from {names}: "
                + "; ".join(str(e) for e in effects) + ".")
    text = f"No mechanism path leads from {names} in the graph (within {max_hops} steps), even without filters."
    if not filters.allow_direct:
        direct = search(source, target, MIN_POOL, PathFilters(allow_direct=True))
        if direct:
            kinds = ", ".join(sorted(kg.schema.walk.must_cross))
            text += (f" {len(direct)} path(s) that cross no {kinds} node exist (--allow-direct lists them).")
    return text
