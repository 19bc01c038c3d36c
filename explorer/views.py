"""Pure view functions: what the canvas and the panels show for a state. No Dash, no browser.

Tests and the benchmark call these directly. A *subgraph* is what the canvas draws: a bounded set
of nodes (a neighbourhood, the union of ranked paths, a tour, query matches; never the whole graph),
edge groups (parallel claims with the same predicate drawn as one edge), preset positions and
per-element classes; ``elements_for`` turns it into Cytoscape elements.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kmoa.explorer.data import ExplorerData
from kmoa.explorer.layouts import component_layout, force_layout, layered_layout
from kmoa.explorer.links import link_for
from kmoa.explorer.mechanisms import PreparedTour, compare_for, compound_name
from kmoa.explorer.state import PATHS_PER_PAGE
from kmoa.explorer.style import WEAK_STRENGTH, kind_style
from kmoa.graph.compare import Comparison
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.path_answers import PathAnswer, answer_paths
from kmoa.graph.paths import MechanismPath, PathFilters, trace_mechanism_paths
from kmoa.graph.records import Claim, Hypothesis, Provenance
from kmoa.graph.rows import canmat_level, edge_reading
from kmoa.graph.search import claim_id

__all__ = [
    "EdgeGroup", "Subgraph", "TourStep", "elements_for", "highlight", "tour_step", "evidence_panel_data",
    "neighbourhood", "path_view", "tour_view", "query_view", "layered_layout", "force_layout",
]

NEIGHBOUR_LIMIT = 12  # neighbours of the focus drawn at first
EXPAND_LIMIT = 6  # new neighbours an expanded node adds
DRAWN_LIMIT = 24  # nodes a neighbourhood draws at most, however many nodes are expanded
MATCH_LIMIT = 60
PATH_LIMIT = PATHS_PER_PAGE
DRAWN_PATHS = 3  # the canvas draws the selected path and the best few others, the list shows all


@dataclass(frozen=True)
class EdgeGroup:
    """One drawn edge: one or more claims between two nodes (strongest first)."""

    id: str
    source: str
    target: str
    predicate: str
    label: str
    claims: tuple[str, ...]


@dataclass(frozen=True)
class Subgraph:
    """What the canvas shows: nodes, edge groups, preset positions and extra classes per element id."""

    nodes: tuple[str, ...]
    edges: tuple[EdgeGroup, ...]
    positions: Mapping[str, tuple[float, float]]
    layout: str
    title: str
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hidden: int = 0

    def edge_for_claim(self, claim_id: str) -> EdgeGroup | None:
        """The drawn edge carrying a claim, if any."""
        return next((e for e in self.edges if claim_id in e.claims), None)


# -- building blocks ---------------------------------------------------------------------------


def _strength(data: ExplorerData, claim_id: str) -> float:
    return float(data.edge_rows[claim_id]["evidence_strength"])


def _no_effect(data: ExplorerData, row: Mapping[str, Any]) -> bool:
    """Whether a claim is drawn and labelled as not so (``graph.rows.edge_reading``)."""
    return edge_reading(data.kg.schema, row)[1]


def _group_claims(data: ExplorerData, claim_ids: Iterable[str]) -> tuple[EdgeGroup, ...]:
    """Parallel claims between the same two nodes (either direction, any predicate) become one edge.

    The strongest claim gives the edge its direction, predicate and style; the label counts the others.
    """
    groups: dict[frozenset[str], list[str]] = {}
    for cid in claim_ids:
        a = data.edge_rows[cid]
        groups.setdefault(frozenset((a["subject"], a["object"])), []).append(cid)
    out = []
    for ids in groups.values():
        ranked = sorted(dict.fromkeys(ids), key=lambda c: (-_strength(data, c), c))
        primary = data.edge_rows[ranked[0]]
        predicate = primary["kmoa_predicate"]
        label = data.kg.schema.predicates[predicate].label
        if len(ranked) > 1:
            same = all(data.edge_rows[c]["kmoa_predicate"] == predicate for c in ranked)
            label += f" (×{len(ranked)})" if same else f" (+{len(ranked) - 1} more)"
        out.append(EdgeGroup(f"e:{ranked[0]}", primary["subject"], primary["object"], predicate, label,
                             tuple(ranked)))
    out.sort(key=lambda e: e.id)
    return tuple(out)


def _incident(data: ExplorerData, curie: str) -> list[tuple[str, str]]:
    """(claim id, other node) for every claim touching a node."""
    graph = data.graph
    out = [(key, v) for _, v, key in graph.out_edges(curie, keys=True)]
    out += [(key, u) for u, _, key in graph.in_edges(curie, keys=True)]
    return out


# Neighbour groups, filled round-robin so a hub shows its mechanism, its effects and its uses together.
NEIGHBOUR_GROUPS = (
    ("receptor", "gene", "cell_type", "brain_region", "process", "pathway"),
    ("compound", "outcome", "hypothesis"),
    ("disease", "adverse_effect"),
    ("intervention", "guideline", "regulatory_action", "study"),
)


# How many neighbours each group contributes per round.
GROUP_SHARE = (3, 2, 2, 1, 1)


def _neighbours(data: ExplorerData, curie: str, studies: bool) -> list[str]:
    """A node's neighbours, best first.

    Groups of kinds take turns (mechanism first) so a hub shows its mechanism, effects and uses
    together; within a group, neighbours joined by more claims, then by stronger evidence, come first.
    """
    kg = data.kg
    best: dict[str, float] = {}
    count: dict[str, int] = {}
    show_studies = studies or kg.nodes[curie].kind == "study"
    for cid, other in _incident(data, curie):
        if other == curie or (kg.nodes[other].kind == "study" and not show_studies):
            continue
        best[other] = max(best.get(other, 0.0), _strength(data, cid))
        count[other] = count.get(other, 0) + 1
    group_of = {kind: i for i, kinds in enumerate(NEIGHBOUR_GROUPS) for kind in kinds}
    queues: list[list[str]] = [[] for _ in range(len(NEIGHBOUR_GROUPS) + 1)]
    for node in sorted(best, key=lambda n: (-count[n], -best[n], kg.nodes[n].name.lower())):
        queues[group_of.get(kg.nodes[node].kind, len(NEIGHBOUR_GROUPS))].append(node)
    chosen: list[str] = []
    while any(queues):
        for queue, share in zip(queues, GROUP_SHARE, strict=True):
            chosen += queue[:share]
            del queue[:share]
    return chosen


def neighbourhood(data: ExplorerData, focus: str, expanded: Sequence[str] = (), studies: bool = False,
                  limit: int = NEIGHBOUR_LIMIT, more: int = 0) -> Subgraph:
    """The focus node, its best neighbours and a few new ones of each expanded node, in a staged force layout.

    At most ``limit`` neighbours of the focus, ``EXPAND_LIMIT`` new ones per expanded node and
    ``DRAWN_LIMIT`` nodes in all are drawn; ``more`` (from "Show more") raises each cap by as many.
    ``hidden`` counts the neighbours of the focus and the expanded nodes left out.
    """
    kg = data.kg
    if focus not in kg.nodes:
        raise KeyError(focus)
    room = max(DRAWN_LIMIT, limit + 1) + more
    around = _neighbours(data, focus, studies)
    first = around[:min(limit + more, room - 1)]
    stages: list[tuple[str | None, Sequence[str]]] = [(focus, first)]
    members = dict.fromkeys([focus, *first])
    wanted = set(around)
    open_nodes = []
    for curie in expanded:
        if curie not in members or curie == focus:
            continue
        around = _neighbours(data, curie, studies)
        wanted.update(around)
        new = [n for n in around if n not in members][:max(min(EXPAND_LIMIT + more, room - len(members)), 0)]
        stages.append((curie, new))
        members.update(dict.fromkeys(new))
        open_nodes.append(curie)
    nodes = tuple(members)
    hidden = len(wanted - set(nodes))
    inside = set(nodes)
    claim_ids = [key for u, v, key in data.graph.subgraph(nodes).edges(keys=True) if u in inside and v in inside]
    edges = _group_claims(data, claim_ids)
    positions = force_layout(stages, [(e.source, e.target) for e in edges])
    classes: dict[str, tuple[str, ...]] = {focus: ("focus",)}
    for curie in open_nodes:
        classes[curie] = ("expanded",)
    note = f"; {hidden} more neighbours not shown" if hidden else ""
    title = f"Neighbourhood of {kg.nodes[focus].name}: {len(nodes)} nodes, {len(edges)} edges{note}"
    return Subgraph(nodes, edges, positions, "force", title, classes, hidden)


def trace(data: ExplorerData, source: str, target: str, min_evidence: str | None = None, human_only: bool = False,
          route: str | None = None, k: int = PATH_LIMIT) -> list[MechanismPath]:
    """Ranked mechanism paths under the tracer's filters."""
    filters = PathFilters(min_evidence=min_evidence or None, human_only=bool(human_only), route=route or None)
    if data.imported is not None and data.merged is not None:
        from kmoa.explorer.imported import trace_merged

        return trace_merged(data.kg, data.imported, data.merged, source, target, filters, k)
    return trace_mechanism_paths(data.kg, source, target, k=k, filters=filters)


def answer_for(data: ExplorerData, source: str, target: str, min_evidence: str | None = None,
               human_only: bool = False, route: str | None = None, k: int = PATH_LIMIT) -> PathAnswer:
    """The first k paths as ``kmoa paths`` lists them: one per hypothesis first, detours folded, why none.

    With an imported graph the same answer is built over the merged graph's search.
    """
    filters = PathFilters(min_evidence=min_evidence or None, human_only=bool(human_only), route=route or None)
    if data.imported is not None and data.merged is not None:
        from kmoa.explorer.imported import trace_merged

        imported, merged = data.imported, data.merged

        def search(s: str, t: str, n: int, f: PathFilters) -> list[MechanismPath]:
            return trace_merged(data.kg, imported, merged, s, t, f, n)

        return answer_paths(data.kg, source, target, k=k, filters=filters, search=search)
    return answer_paths(data.kg, source, target, k=k, filters=filters)


def _step_group(data: ExplorerData, step: Any) -> EdgeGroup:
    claims = tuple(dict.fromkeys([step.claim_id, *(claim_id(e) for e in step.evidence)]))
    label = step.label + (f" (×{len(claims)})" if len(claims) > 1 else "")
    return EdgeGroup(f"e:{step.claim_id}", step.source, step.target, step.predicate, label, claims)


def path_view(data: ExplorerData, paths: Sequence[MechanismPath], selected: int = 0,
              source: str | None = None, target: str | None = None) -> Subgraph:
    """The union of the ranked paths, layered left to right, with the selected one highlighted."""
    if not paths:
        nodes = tuple(n for n in (source, target) if n)
        positions = {n: (i * 380.0, 0.0) for i, n in enumerate(nodes)}
        names = " to ".join(data.node_name(n) for n in nodes)
        return Subgraph(nodes, (), positions, "layered", f"No mechanism path from {names} under these filters")
    selected = min(max(selected, 0), len(paths) - 1)
    order: list[str] = []
    groups: dict[tuple[str, str], EdgeGroup] = {}
    for path in (paths[selected], *paths[:DRAWN_PATHS]):
        order += path.nodes
        for step in path.steps:
            groups.setdefault((step.source, step.target), _step_group(data, step))
    nodes = tuple(dict.fromkeys(order))
    edges = tuple(groups.values())
    chosen = paths[selected]
    positions = layered_layout(nodes, [(e.source, e.target) for e in edges], first=chosen.nodes, per_row=99)
    sub = Subgraph(nodes, edges, positions, "layered", "", {n: ("layered",) for n in nodes})
    sub = highlight(sub, chosen)
    first, last = data.node_name(chosen.nodes[0]), data.node_name(chosen.nodes[-1])
    title = (f"{len(paths)} mechanism path{'s' if len(paths) != 1 else ''} from {first} to {last}; "
             f"path #{selected + 1} highlighted (score {chosen.score:.2f}, {chosen.hops} steps)")
    return replace(sub, title=title)


def highlight(subgraph: Subgraph, path: MechanismPath | None = None, nodes: Iterable[str] = (),
              claims: Iterable[str] = ()) -> Subgraph:
    """Mark a path (or given nodes and claims) 'highlighted' and fade everything else."""
    on_nodes = set(nodes) | (set(path.nodes) if path else set())
    on_claims = set(claims) | ({s.claim_id for s in path.steps} if path else set())
    classes = {k: tuple(v) for k, v in subgraph.classes.items()}

    def add(element: str, cls: str) -> None:
        classes[element] = tuple(dict.fromkeys((*classes.get(element, ()), cls)))

    for node in subgraph.nodes:
        add(node, "highlighted" if node in on_nodes else "faded")
    for edge in subgraph.edges:
        add(edge.id, "highlighted" if on_claims & set(edge.claims) else "faded")
    return replace(subgraph, classes=classes)


# -- tours -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TourStep:
    """One step of a hypothesis tour, with the claim behind it."""

    hypothesis: str
    name: str
    index: int
    total: int
    caption: str
    claim: str
    subject: str
    object: str
    predicate: str
    predicate_label: str
    quote: str
    refs: tuple[int, ...]
    section: str
    evidence_type: str
    species: str
    finding: str
    contested: bool
    #: The curator inferred this step; the review does not state it (the claim's note says why).
    inferred: bool = False
    note: str | None = None
    #: How the quote's footer names its source beside the section ("Review"; ``CuratedSource.label``).
    source_label: str = ""

    @property
    def nodes(self) -> tuple[str, str]:
        """The two nodes the step joins."""
        return (self.subject, self.object)


def tour_step(kg: KnowledgeGraph, hypothesis: Hypothesis | str, i: int) -> TourStep:
    """Step ``i`` (0-based) of a hypothesis: its caption and the claim's quote and references."""
    hyp = kg.hypotheses[hypothesis] if isinstance(hypothesis, str) else hypothesis
    step = hyp.steps[i]
    claim = kg.claims[step.claim]
    prov = claim.provenance
    return TourStep(
        hypothesis=hyp.id, name=hyp.name, index=i, total=len(hyp.steps), caption=step.caption, claim=claim.id,
        subject=claim.subject, object=claim.object, predicate=claim.predicate,
        predicate_label=kg.schema.predicates[claim.predicate].label, quote=prov.quote, refs=tuple(prov.refs),
        section=prov.section, evidence_type=prov.evidence_type, species=prov.species, finding=prov.finding,
        contested=prov.contested, inferred=prov.inferred, note=claim.note, source_label=source_label(kg, prov.source),
    )


def source_label(kg: KnowledgeGraph, source: str | None) -> str:
    """The name a quote's footer gives a curated source ("Review, section 2"): its ``source.yaml`` short name."""
    found = kg.sources.get(source or "")
    return found.label if found is not None else (source or "source")


def _oriented(data: ExplorerData, claim_id: str) -> tuple[str, str]:
    """Subject and object, flipped for metabolite/enantiomer links so the parent compound comes first."""
    a = data.edge_rows[claim_id]
    if a["kmoa_predicate"] in data.kg.schema.walk.parent_to_child:
        return a["object"], a["subject"]
    return a["subject"], a["object"]


def tour_view(data: ExplorerData, hypothesis: str, step: int) -> Subgraph:
    """All steps of a hypothesis, layered; the current step highlighted, later steps faint."""
    kg = data.kg
    hyp = kg.hypotheses[hypothesis]
    step = min(max(step, 0), len(hyp.steps) - 1)
    order: list[str] = []
    first_step: dict[str, int] = {}
    claim_ids = [s.claim for s in hyp.steps]
    for i, cid in enumerate(claim_ids):
        for node in _oriented(data, cid):
            order.append(node)
            first_step.setdefault(node, i)
    nodes = tuple(dict.fromkeys(order))
    edges = tuple(
        EdgeGroup(f"e:{cid}", data.edge_rows[cid]["subject"], data.edge_rows[cid]["object"],
                  data.edge_rows[cid]["kmoa_predicate"],
                  kg.schema.predicates[data.edge_rows[cid]["kmoa_predicate"]].label, (cid,))
        for cid in dict.fromkeys(claim_ids))
    positions = layered_layout(nodes, [_oriented(data, cid) for cid in claim_ids], per_row=5)
    current = claim_ids[step]
    classes: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        if node in _oriented(data, current):
            classes[node] = ("layered", "current", "highlighted")
        elif first_step[node] > step:
            classes[node] = ("layered", "future")
        else:
            classes[node] = ("layered",)
    for edge in edges:
        index = claim_ids.index(edge.claims[0])
        if edge.claims[0] == current:
            classes[edge.id] = ("current", "highlighted", "show-label")
        elif index > step:
            classes[edge.id] = ("future",)
        else:
            classes[edge.id] = ("show-label",)
    title = f"{hyp.name}: step {step + 1} of {len(hyp.steps)}"
    return Subgraph(nodes, edges, positions, "layered", title, classes)


def query_view(data: ExplorerData, curies: Sequence[str], limit: int = MATCH_LIMIT) -> Subgraph:
    """The nodes a query returned (capped) and the claims among them, all highlighted."""
    kg = data.kg
    matched = [c for c in dict.fromkeys(curies) if c in kg.nodes]
    shown = tuple(matched[:limit])
    inside = set(shown)
    claim_ids = [key for u, v, key in data.graph.subgraph(shown).edges(keys=True) if u in inside and v in inside]
    edges = _group_claims(data, claim_ids)
    positions = component_layout(shown, [(e.source, e.target) for e in edges])
    classes = {n: ("matched",) for n in shown}
    more = f" (first {limit} shown)" if len(matched) > limit else ""
    title = f"{len(matched)} node{'s' if len(matched) != 1 else ''} matched by the query{more}"
    return Subgraph(shown, edges, positions, "force", title, classes, max(len(matched) - limit, 0))


# -- elements ----------------------------------------------------------------------------------


def edge_classes(data: ExplorerData, edge: EdgeGroup) -> list[str]:
    """Style classes of an edge: predicate effect, weak evidence, negative or contested finding.

    An edge from an imported graph is 'imported' (drawn in its own colour), never curated evidence.
    """
    primary = data.claim_row(edge.claims[0])
    if primary.get("imported"):
        return ["imported"]
    effect = data.effects.get(edge.predicate, "structural")
    if edge.predicate in data.kg.schema.walk.parent_to_child:
        effect = "structural"
    out = [f"effect-{effect}", f"pred-{edge.predicate}"]
    if edge.predicate in data.kg.schema.walk.clinical:
        out.append("clinical")  # treats, studied to treat: a clinical or regulatory finding, not an inhibition
    if float(primary["evidence_strength"]) < WEAK_STRENGTH:
        out.append("weak")
    if all(_no_effect(data, data.claim_row(c)) for c in edge.claims):
        out.append("negative")
    elif primary["contested"] or not edge_reading(data.kg.schema, primary)[0]:
        out.append("contested")
    if primary.get("inferred"):
        out.append("inferred")
    return out


TIP_CLAIMS = 4  # claims a grouped edge's tooltip lists


def node_tip(data: ExplorerData, curie: str) -> str:
    """A node's tooltip: name, kind and identifier, and how many claims it takes part in."""
    kind = data.kind_label(data.node_kind(curie))
    claims = len(node_claim_ids(data, curie)) if curie in data.kg.nodes else 0
    counted = f"\n{claims} claim{'s' if claims != 1 else ''} in the review; click for the evidence" if claims else ""
    return f"{data.node_name(curie)}\n{kind} · {curie}{counted}"


def claim_tip(data: ExplorerData, claim_id: str) -> str:
    """One claim in a tooltip: its words, then evidence type, species, finding, section and references."""
    a = data.claim_row(claim_id)
    if a.get("imported"):
        return f"{data.edge_label(claim_id)}\nimported from {a['primary_knowledge_source']}"
    ev = data.kg.schema.evidence_types.get(a["evidence_type"])
    finding = "" if a["finding"] == "positive" else f", {a['finding']} finding"
    refs = " ".join(f"[{r}]" for r in a["review_refs"]) or "no reference"
    predicate = data.kg.schema.predicates[a["kmoa_predicate"]].label_for(_no_effect(data, a))
    words = f"{data.node_name(a['subject'])} — {predicate} → {data.node_name(a['object'])}"
    species = data.kg.schema.species_label(a["species"])
    return (f"{words}\n{ev.label if ev else a['evidence_type']}, {species}{finding}; "
            f"section {a['review_section']} {refs}")


def edge_tip(data: ExplorerData, edge: EdgeGroup) -> str:
    """An edge's tooltip: each of its claims (the strongest few), and how many more a click shows."""
    lines = [claim_tip(data, c) for c in edge.claims[:TIP_CLAIMS]]
    if len(edge.claims) > TIP_CLAIMS:
        lines.append(f"+{len(edge.claims) - TIP_CLAIMS} more claims")
    head = f"{len(edge.claims)} claims between these nodes; click for the evidence\n" if len(edge.claims) > 1 else ""
    return head + "\n".join(lines)


def elements_for(data: ExplorerData, subgraph: Subgraph, selected: str | None = None) -> list[dict[str, Any]]:
    """Cytoscape elements with preset positions; ``selected`` is 'node:CURIE' or 'claim:ID'."""
    kg = data.kg
    sel_kind, _, sel_id = (selected or "").partition(":")
    elements: list[dict[str, Any]] = []
    for curie in subgraph.nodes:
        kind = data.node_kind(curie)
        x, y = subgraph.positions.get(curie, (0.0, 0.0))
        classes = [f"kind-{kind}", *(() if curie in kg.nodes else ("imported-node",)),
                   *subgraph.classes.get(curie, ())]
        elements.append({
            "data": {"id": curie, "label": data.node_name(curie), "kind": kind,
                     "kind_label": data.kind_label(kind), "tip": node_tip(data, curie)},
            "position": {"x": x, "y": y}, "classes": " ".join(classes),
            "selected": sel_kind == "node" and sel_id == curie,
        })
    for edge in subgraph.edges:
        primary = data.claim_row(edge.claims[0])
        finding = primary.get("finding") or "positive"
        predicate = data.kg.schema.predicates.get(edge.predicate)
        label = predicate.label_for(True) if _no_effect(data, primary) and predicate else edge.label
        if finding != "positive":
            label += f" [{finding}]"
        if primary.get("inferred"):
            label += " [inferred]"
        if primary.get("imported"):
            label += f" [{primary['primary_knowledge_source']}]"
        classes = edge_classes(data, edge) + list(subgraph.classes.get(edge.id, ()))
        elements.append({
            "data": {"id": edge.id, "source": edge.source, "target": edge.target, "label": label,
                     "predicate": edge.predicate, "claim": edge.claims[0], "n": len(edge.claims),
                     "tip": edge_tip(data, edge),
                     "strength": float(primary["evidence_strength"])},
            "classes": " ".join(classes),
            "selected": sel_kind == "claim" and sel_id in edge.claims,
        })
    return elements


def kinds_shown(data: ExplorerData, subgraph: Subgraph) -> list[str]:
    """The node kinds on the canvas, for a legend of what is shown."""
    return sorted({data.node_kind(n) for n in subgraph.nodes})


# -- evidence panel ----------------------------------------------------------------------------

STUDY_FIELDS = (
    ("design", "Design"), ("n", "n"), ("population", "Population"), ("intervention", "Intervention"),
    ("comparator", "Comparator"), ("route", "Route"), ("dose", "Dose"), ("endpoint", "Endpoint"),
    ("scale", "Scale"), ("timing", "Timing"), ("result", "Result"), ("effect_size", "Effect size"),
    ("note", "Note"),
)


def finding_flags(kg: KnowledgeGraph, finding: str, contested: bool) -> list[dict[str, str]]:
    """Warnings for anything but a plain positive finding: negated, hedged, rare, mixed, contested."""
    flags = []
    if finding != "positive":
        kind = kg.schema.finding(finding)
        prefix = "NOT SO — " if kind.negated else ""
        flags.append({"kind": finding, "text": f"{prefix}{finding.upper()} FINDING: {kind.description}"})
    if contested:
        flags.append({"kind": "contested", "text": "CONTESTED: the review reports conflicting evidence"})
    return flags


def _xref(curie: str) -> dict[str, str | None]:
    return {"id": curie, "url": link_for(curie)}


def study_facts(kg: KnowledgeGraph, curie: str) -> dict[str, Any]:
    """A study's trial facts as labelled rows, plus its flags and links."""
    node = kg.nodes[curie]
    study = node.study
    out: dict[str, Any] = {"id": curie, "name": node.name, "url": link_for(curie),
                           "xref": [_xref(x) for x in node.xref]}
    if study is None:
        return {**out, "rows": [], "flags": [], "refs": []}
    ev = kg.schema.evidence_types.get(study.evidence_type)
    rows = [("Evidence type", ev.label if ev else study.evidence_type),
            ("Species", kg.schema.species_label(study.species))]
    rows += [(label, str(getattr(study, name))) for name, label in STUDY_FIELDS if getattr(study, name) is not None]
    rows.append(("Finding", study.finding))
    return {**out, "rows": rows, "refs": list(study.refs), "section": study.section,
            "flags": finding_flags(kg, study.finding, False)}


def claim_summary(data: ExplorerData, claim_id: str) -> dict[str, Any]:
    """A one-line summary of a claim for lists: words, evidence type, refs and flags."""
    a = data.edge_rows[claim_id]
    ev = data.kg.schema.evidence_types.get(a["evidence_type"])
    return {"id": claim_id, "text": data.edge_label(claim_id), "evidence_type": a["evidence_type"],
            "evidence_label": ev.label if ev else a["evidence_type"], "refs": list(a["review_refs"]),
            "section": a["review_section"], "finding": a["finding"], "contested": bool(a["contested"]),
            "strength": a["evidence_strength"]}


def _node_panel(data: ExplorerData, curie: str) -> dict[str, Any]:
    kg = data.kg
    node = kg.nodes[curie]
    colour, shape = kind_style(node.kind)
    claims = []
    for cid, other in _incident(data, curie):
        a = data.edge_rows[cid]
        outgoing = a["subject"] == curie
        claims.append({**claim_summary(data, cid), "direction": "out" if outgoing else "in", "other": other,
                       "other_name": data.node_name(other),
                       "predicate_label": kg.schema.predicates[a["kmoa_predicate"]].label})
    claims.sort(key=lambda c: (kg.nodes[c["other"]].kind == "study", -c["strength"], c["predicate_label"], c["id"]))
    out: dict[str, Any] = {
        "type": "node", "id": curie, "name": node.name, "kind": node.kind,
        "kind_label": kg.schema.node_kinds[node.kind].label, "colour": colour, "shape": shape,
        "url": link_for(curie), "synonyms": list(node.synonyms), "xref": [_xref(x) for x in node.xref],
        "description": node.description, "claims": claims, "study": None, "hypothesis": None,
        "mechanistic": node.kind in kg.schema.mechanistic_kinds,
    }
    if node.study is not None:
        out["study"] = study_facts(kg, curie)
    hyp = kg.hypotheses.get(curie)
    if hyp is not None:
        out["hypothesis"] = route_summary(data, hyp)
    return out


def source_name(kg: KnowledgeGraph, source_id: str) -> str:
    """How a panel names a curated source: its name, else its id."""
    source = kg.sources.get(source_id)
    return (source.name if source is not None else None) or source_id


def _claim_panel(data: ExplorerData, claim_id: str) -> dict[str, Any]:
    kg = data.kg
    a = data.edge_rows[claim_id]
    ev = kg.schema.evidence_types.get(a["evidence_type"])
    anatomical = a["anatomical_context_qualifier"] or None
    predicate = a["kmoa_predicate"]
    steps = []
    for ref in a["hypothesis_steps"]:
        hyp_id, _, number = ref.partition("#")
        steps.append({"hypothesis": hyp_id, "name": data.node_name(hyp_id), "step": int(number)})
    # The drawn edge groups every claim between the two nodes, in either direction: the panel lists them all.
    parallel = [cid for cid, other in _incident(data, a["subject"]) if other == a["object"] and cid != claim_id]
    return {
        "type": "claim", "id": claim_id, "subject": a["subject"], "subject_name": data.node_name(a["subject"]),
        "object": a["object"], "object_name": data.node_name(a["object"]), "predicate": predicate,
        "predicate_label": kg.schema.predicates[predicate].label,
        # treats / studied to treat are clinical or regulatory findings, not inhibitions (as drawn on the canvas).
        "effect": ("clinical" if predicate in kg.schema.walk.clinical
                   else data.effects.get(predicate, "structural")), "biolink": a["predicate"],
        "quote": a["supporting_text"], "section": a["review_section"], "refs": list(a["review_refs"]),
        "evidence_type": a["evidence_type"],
        "source": a["curated_source"], "source_name": source_name(kg, a["curated_source"]),
        "evidence_label": ev.label if ev else a["evidence_type"], "strength": a["evidence_strength"],
        "species": a["species"], "species_label": kg.schema.species_label(a["species"]),
        "finding": a["finding"], "contested": bool(a["contested"]),
        "flags": finding_flags(kg, a["finding"], bool(a["contested"])),
        "canmat_level": canmat_level(a["evidence_level"]),
        "route": a["route"] or None, "dose": a["dose"] or None, "timing": a["timing"] or None,
        "note": a["note"] or None,
        "anatomical_context": anatomical, "anatomical_name": data.node_name(anatomical) if anatomical else None,
        "derived_from": a["derived_from"] or None, "hypothesis_steps": steps,
        "studies": [study_facts(kg, s) for s in a["studies"] if s in kg.nodes],
        "publications": [_xref(p) for p in a["publications"] or ()],
        "parallel": [claim_summary(data, c) for c in sorted(parallel)],
    }


def selection_for(data: ExplorerData, state: Mapping[str, Any]) -> str | None:
    """The selection to show: the state's, or in a tour the current step's claim."""
    if state.get("sel"):
        return str(state["sel"])
    contrast = data.public.tours.get(state.get("tour") or "") if data.public is not None else None
    if state.get("view") == "tour" and contrast is not None:
        stop = contrast.stops[min(max(int(state.get("step") or 0), 0), len(contrast.stops) - 1)]
        return f"claim:{stop.step.claim}" if stop.step.claim else None
    hyp = data.kg.hypotheses.get(state.get("tour") or "")
    if state.get("view") == "tour" and hyp is not None and hyp.steps:
        step = min(max(int(state.get("step") or 0), 0), len(hyp.steps) - 1)
        return f"claim:{hyp.steps[step].claim}"
    return None


def evidence_panel_data(data: ExplorerData, selection: str | None) -> dict[str, Any] | None:
    """Facts and provenance of the selected node ('node:CURIE') or claim ('claim:ID'); None if nothing."""
    if not selection:
        return None
    kind, _, ident = selection.partition(":")
    if kind == "node" and ident in data.kg.nodes:
        return _node_panel(data, ident)
    if kind == "claim" and ident in data.edge_rows:
        return _claim_panel(data, ident)
    if data.imported is not None:
        if kind == "node" and ident in data.imported.index:
            return _imported_node_panel(data, ident)
        attrs = data.imported_row(ident) if kind == "claim" else None
        if attrs is not None:
            return _imported_claim_panel(data, ident, attrs)
    return None


def _imported_node_panel(data: ExplorerData, curie: str) -> dict[str, Any]:
    """A node known only from the imported graph: its imported name, category and kind."""
    graph = data.imported
    assert graph is not None
    i = graph.index[curie]
    kind = data.node_kind(curie)
    colour, shape = kind_style(kind)
    return {"type": "imported_node", "id": graph.nodes[i], "name": graph.names[i], "kind": kind,
            "kind_label": data.kind_label(kind), "colour": colour, "shape": shape, "category": graph.categories[i],
            "dataset": graph.name, "url": link_for(graph.nodes[i])}


def _imported_claim_panel(data: ExplorerData, claim_id: str, a: Mapping[str, Any]) -> dict[str, Any]:
    """An imported edge: where it came from (knowledge source, KGX file and line) and its Biolink predicate."""
    from kmoa.graph.imported import imported_line

    graph = data.imported
    assert graph is not None
    return {
        "type": "imported_claim", "id": claim_id, "imported": True,
        "subject": a["subject"], "subject_name": data.node_name(a["subject"]),
        "object": a["object"], "object_name": data.node_name(a["object"]),
        "predicate": a["predicate"], "predicate_label": data.predicate_label(a["predicate"]),
        "biolink": a["predicate"], "primary_knowledge_source": a["primary_knowledge_source"],
        "dataset": graph.name, "file": graph.edges_file, "line": imported_line(a),
        "strength": a["evidence_strength"],
        "drugmechdb": data.public.imported_source(a) if data.public is not None else None,
    }


# -- routes side by side -----------------------------------------------------------------------


def route_summary(data: ExplorerData, hyp: Hypothesis) -> dict[str, Any]:
    """A hypothesis with its chain of nodes and the evidence for and against it."""
    kg = data.kg
    chain: list[str] = []
    for step in hyp.steps:
        chain += [n for n in _oriented(data, step.claim) if n not in chain]
    supported = [claim_summary(data, c) for c in hyp.supported_by if c in data.edge_rows]
    against = [claim_summary(data, c) for c in hyp.contradicted_by if c in data.edge_rows]
    ev = kg.schema.evidence_types.get(hyp.provenance.evidence_type)
    return {
        "id": hyp.id, "name": hyp.name, "route": hyp.route, "description": hyp.description,
        "quote": hyp.provenance.quote, "refs": list(hyp.provenance.refs), "section": hyp.provenance.section,
        "evidence_label": ev.label if ev else hyp.provenance.evidence_type, "species": hyp.provenance.species,
        "steps": len(hyp.steps), "chain": [{"id": n, "name": data.node_name(n)} for n in chain],
        "supported_by": supported, "contradicted_by": against,
        "for_types": Counter(c["evidence_label"] for c in supported).most_common(),
        "against_types": Counter(c["evidence_label"] for c in against).most_common(),
    }


def compare_routes(data: ExplorerData) -> list[dict[str, Any]]:
    """Every hypothesis, Fig. 1 routes in order first, then the others by name."""
    hyps = sorted(data.kg.hypotheses.values(), key=lambda h: (h.route is None, h.route or 0, h.name.lower()))
    return [route_summary(data, h) for h in hyps]


# -- query results -----------------------------------------------------------------------------


def query_matches(data: ExplorerData, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Nodes named by any cell of the results, as an IRI or a CURIE, in order of appearance."""
    out: dict[str, None] = {}
    for row in rows:
        for value in row.values():
            if not isinstance(value, str):
                continue
            curie = data.iri_to_curie.get(value) or (value if value in data.kg.nodes else None)
            if curie:
                out[curie] = None
    return list(out)


def display_cell(data: ExplorerData, value: Any) -> tuple[str, str | None]:
    """A result cell as text, and the node it names (if any)."""
    if value is None:
        return "", None
    if isinstance(value, str):
        curie = data.iri_to_curie.get(value) or (value if value in data.kg.nodes else None)
        if curie:
            return curie, curie
    return str(value), None


# -- exports -----------------------------------------------------------------------------------


def subgraph_json(data: ExplorerData, subgraph: Subgraph, extra: Mapping[str, Any] | None = None) -> str:
    """The shown subgraph with every node and claim attribute (and ``extra`` keys), as JSON."""
    kg = data.kg
    nodes = [kg.node_attributes(kg.nodes[n]) if n in kg.nodes else
             {"id": n, "name": data.node_name(n), "kind": data.node_kind(n), "imported": True}
             for n in subgraph.nodes]
    claims = [data.claim_row(c) for e in subgraph.edges for c in e.claims]
    return json.dumps({"title": subgraph.title, **(extra or {}), "nodes": nodes, "edges": claims}, indent=1,
                      ensure_ascii=False, default=str)


def _claim_columns() -> tuple[str, ...]:
    """Every field of a claim record and of its provenance (graph.records), after the claim's words."""
    head = ("claim", "subject", "subject_name", "predicate", "object", "object_name")
    provenance = tuple(f.name for f in fields(Provenance))
    # A record's source file and line (compare=False) say where it is curated, not what it claims.
    claim = tuple(f.name for f in fields(Claim) if f.compare and f.name not in ("id", "provenance", *head))
    return head + provenance + claim


CSV_COLUMNS = _claim_columns()
PROVENANCE_FIELDS = frozenset(f.name for f in fields(Provenance))
#: What the exports say of an imported edge's evidence, which it has none of (no review stands behind it).
IMPORTED_EVIDENCE = {"evidence_type": "imported", "species": "unspecified", "finding": "positive", "contested": False}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _claim_row(data: ExplorerData, claim_id: str) -> list[str]:
    """A claim's CSV cells: its record's fields (an imported edge: its row's few, as ``IMPORTED_EVIDENCE`` says)."""
    claim = data.kg.claims.get(claim_id)
    if claim is None:
        a = data.claim_row(claim_id)
        named = {"claim": claim_id, "subject_name": data.node_name(a["subject"]),
                 "object_name": data.node_name(a["object"]), **IMPORTED_EVIDENCE}
        return [_cell(named[c] if c in named else a.get(c)) for c in CSV_COLUMNS]
    named = {"claim": claim_id, "subject_name": data.node_name(claim.subject),
             "object_name": data.node_name(claim.object)}
    # Every field of the record (a missing one is an AttributeError, not an empty cell).
    return [_cell(named[c] if c in named else getattr(claim.provenance if c in PROVENANCE_FIELDS else claim, c))
            for c in CSV_COLUMNS]


def subgraph_csv(data: ExplorerData, subgraph: Subgraph) -> str:
    """One row per claim on the canvas, with every field of the claim."""
    return claims_csv(data, [cid for edge in subgraph.edges for cid in edge.claims])


def node_claim_ids(data: ExplorerData, curie: str) -> list[str]:
    """Every claim a node takes part in (the claims its evidence panel counts)."""
    return [cid for cid, _ in _incident(data, curie)]


def claims_csv(data: ExplorerData, claim_ids: Sequence[str]) -> str:
    """One row per claim, with every field of the claim record and its provenance (CSV_COLUMNS)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for cid in claim_ids:
        writer.writerow(_claim_row(data, cid))
    return buffer.getvalue()


PATH_COLUMNS = ("path", "score", "mean_strength", "hops", "hypothesis", "step")


def ranked_paths(data: ExplorerData, scene: Scene) -> list[dict[str, Any]]:
    """The listed paths, best first: rank, score, hypothesis, and every step with its claim's provenance."""
    ranked = scene.answer.paths if scene.answer else None
    out = []
    for i, path in enumerate(scene.paths):
        hypothesis = ranked[i].hypothesis if ranked else None
        steps = []
        for n, step in enumerate(path.steps, 1):
            a = data.claim_row(step.claim_id)
            steps.append({"step": n, "source": step.source, "source_name": data.node_name(step.source),
                          "predicate": step.predicate, "label": step.label, "target": step.target,
                          "target_name": data.node_name(step.target), "claim": step.claim_id,
                          "strength": step.strength,
                          "evidence_type": IMPORTED_EVIDENCE["evidence_type"] if a.get("imported")
                          else a["evidence_type"],
                          "section": a.get("review_section", ""), "refs": list(a.get("review_refs", [])),
                          "quote": a.get("supporting_text", ""),
                          "more_claims": [claim_id(e) for e in step.evidence if claim_id(e) != step.claim_id]})
        out.append({"rank": i + 1, "score": path.score, "mean_strength": path.mean_strength, "hops": path.hops,
                    "hypothesis": hypothesis.name if hypothesis else None,
                    "nodes": list(path.nodes), "names": [data.node_name(n) for n in path.nodes], "steps": steps})
    return out


def paths_csv(data: ExplorerData, scene: Scene) -> str:
    """One row per step of every listed path: its rank, score and hypothesis, then every field of the step's claim."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PATH_COLUMNS + CSV_COLUMNS)
    for path in ranked_paths(data, scene):
        for step in path["steps"]:
            head = [path["rank"], f"{path['score']:.4f}", f"{path['mean_strength']:.4f}", path["hops"],
                    path["hypothesis"] or "", step["step"]]
            writer.writerow([_cell(v) for v in head] + _claim_row(data, step["claim"]))
    return buffer.getvalue()


# -- a whole view from a state -----------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """Everything a state shows: the canvas subgraph, the ranked paths, the tour step."""

    subgraph: Subgraph
    paths: tuple[MechanismPath, ...] = ()
    tour: TourStep | None = None
    answer: PathAnswer | None = None
    #: The compare-mechanisms view's answer (or why there is none).
    comparison: Comparison | str | None = None
    #: A contrast tour and its current stop.
    contrast: tuple[PreparedTour, int] | None = None


def scene_for(data: ExplorerData, state: Mapping[str, Any]) -> Scene:
    """The scene for a view state (see explorer.state)."""
    kg = data.kg
    view = state.get("view") or "explore"
    if view == "paths" and data.has_node(state.get("source")) and data.has_node(state.get("target")):
        shown = int(state.get("shown") or PATH_LIMIT)
        answer = answer_for(data, state["source"], state["target"], state.get("min_evidence"),
                            bool(state.get("human_only")), state.get("route"), shown)
        paths = tuple(r.path for r in answer.paths)
        sub = path_view(data, paths, int(state.get("path") or 0), state["source"], state["target"])
        if answer.why_none:
            sub = replace(sub, title=answer.why_none)
        return Scene(sub, paths, answer=answer)
    if view == "mechanisms" and state.get("source") and state.get("other") and state.get("target"):
        result = compare_for(kg, data.public, state["source"], state["other"], state["target"])
        title = (f"Mechanisms of {compound_name(kg, data.public, state['source'])} and "
                 f"{compound_name(kg, data.public, state['other'])} to {data.node_name(state['target'])}, side by side")
        return Scene(Subgraph((), (), {}, "force", title), comparison=result)
    contrast = data.public.tours.get(state.get("tour") or "") if data.public is not None else None
    if view == "tour" and contrast is not None:
        step = min(max(int(state.get("step") or 0), 0), len(contrast.stops) - 1)
        title = f"{contrast.tour.name}: step {step + 1} of {len(contrast.stops)}"
        return Scene(Subgraph((), (), {}, "force", title), contrast=(contrast, step))
    if view == "tour" and state.get("tour") in kg.hypotheses:
        hyp = kg.hypotheses[state["tour"]]
        step = min(max(int(state.get("step") or 0), 0), len(hyp.steps) - 1)
        return Scene(tour_view(data, hyp.id, step), tour=tour_step(kg, hyp, step))
    if view == "query":
        if state.get("failed"):
            return Scene(Subgraph((), (), {}, "force", "The query was refused or failed: nothing is highlighted"))
        return Scene(query_view(data, state.get("matches") or []))
    if view == "compare":
        return Scene(Subgraph((), (), {}, "force", "Routes of action side by side"))
    if view == "evidence":
        from kmoa.explorer.evidence_view import evidence_for
        from kmoa.graph.evidence import evidence_title

        evidence = evidence_for(data, state)
        title = evidence_title(kg, evidence) if evidence else "Choose a compound in the Evidence tab"
        return Scene(Subgraph((), (), {}, "force", title))
    focus = state.get("focus")
    if focus not in kg.nodes:
        return Scene(Subgraph((), (), {}, "force", "Search for a compound, receptor, process or outcome"))
    return Scene(neighbourhood(data, focus, state.get("expanded") or (), bool(state.get("studies")),
                               more=int(state.get("more") or 0)))


# -- presentation mode -------------------------------------------------------------------------


@dataclass(frozen=True)
class Slide:
    """What presentation mode shows under the canvas: a tour step, or a step of the highlighted path."""

    counter: str
    caption: str
    quote: str | None = None
    section: str | None = None
    refs: tuple[int, ...] = ()
    source_label: str = ""  #: the quote's source, as its footer names it
    first: bool = True  #: no step before this one
    last: bool = True  #: no step after this one


def path_step_claims(scene: Scene, state: Mapping[str, Any]) -> list[str]:
    """The claims of the highlighted path's steps, in order (empty outside the paths view)."""
    if state.get("view") != "paths" or not scene.paths:
        return []
    chosen = scene.paths[min(int(state.get("path") or 0), len(scene.paths) - 1)]
    return [step.claim_id for step in chosen.steps]


def slide_for(data: ExplorerData, scene: Scene, state: Mapping[str, Any]) -> Slide | None:
    """The slide of a tour step or path step; None for views that have no steps (explore, query, compare)."""
    step = scene.tour
    if state.get("view") == "tour" and step is not None:
        return Slide(f"{step.name} · step {step.index + 1} of {step.total}", step.caption, step.quote, step.section,
                     step.refs, step.source_label, first=step.index == 0, last=step.index >= step.total - 1)
    claims = path_step_claims(scene, state)
    if not claims:
        return None
    number = min(int(state.get("path") or 0), len(scene.paths) - 1)
    path = scene.paths[number]
    sel = str(state.get("sel") or "")
    at = claims.index(sel[len("claim:"):]) if sel.startswith("claim:") and sel[6:] in claims else -1
    if at < 0:
        chain = " → ".join(data.node_name(n) for n in path.nodes)
        return Slide(f"Path #{number + 1} · score {path.score:.2f} · {path.hops} steps", chain, last=False)
    s = path.steps[at]
    claim = data.kg.claims.get(s.claim_id)
    prov = claim.provenance if claim is not None else None
    return Slide(f"Path #{number + 1} · step {at + 1} of {len(claims)}",
                 f"{data.node_name(s.source)} — {s.label} → {data.node_name(s.target)}",
                 prov.quote if prov else None, prov.section if prov else None, tuple(prov.refs) if prov else (),
                 source_label(data.kg, prov.source) if prov else "", first=False, last=at >= len(claims) - 1)
