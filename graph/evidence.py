"""The clinical evidence for a compound, or a compound and an indication, one row per study.

A row is a study the review reports (its design, n, population, route, dose, endpoint, result and
effect size from the study record), with the claims of the pair that cite it; a guideline or a
regulatory statement about the pair with no study behind it (a CANMAT level, an FDA approval) is a
row too. The numbers the review gives for a study (``graph/data/estimates.yaml``) ride along for
forest-style charts. The explorer's evidence view, ``kmoa plot evidence`` and the notebook all read
these rows, so the table, the chart and the file always agree::

    evidence = compare_evidence(kg, ["ketamine", "esketamine"], "TRD")
    for row in evidence.rows:
        print(row.compound_name, row.name, row.n, row.finding, row.claim)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim, Comparison, Curie, Estimate

#: One colour per compound, in the order given (colour-blind safe: Okabe-Ito blue, vermillion, green, purple).
COMPOUND_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
#: Evidence types of a statement with no study behind it that still has a row.
GUIDANCE = ("guideline", "regulatory")


class NotACompound(ValueError):
    """A name given as a compound names a node of another kind (a disease, a receptor)."""


@dataclass(frozen=True)
class EvidenceRow:
    """One study (or one guideline or regulatory statement) behind a compound's clinical evidence."""

    compound: Curie
    compound_name: str
    #: The study node, or None for a guideline or regulatory statement.
    study: Curie | None
    name: str
    evidence_type: str
    design: str | None
    n: int | None
    population: str | None
    route: str | None
    dose: str | None
    endpoint: str | None
    result: str | None
    effect_size: str | None
    finding: str
    #: ``"1"``, or a range ``"3-4"``, when a claim of the row carries one.
    canmat_level: str | None
    section: str
    refs: tuple[int, ...]
    #: The claim a click opens (the one that states the study's main result).
    claim: str
    claims: tuple[str, ...]
    estimates: tuple[Estimate, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """The rows for one or more compounds (and an indication), and what the review says between them."""

    compounds: tuple[Curie, ...]
    indication: Curie | None
    rows: tuple[EvidenceRow, ...]
    #: Head-to-head comparisons between the compounds (e.g. "not yet established").
    between: tuple[Comparison, ...] = ()


@dataclass(frozen=True)
class ForestPoint:
    """One number of one row, for a forest-style chart."""

    row: int
    label: str
    compound: Curie
    compound_name: str
    value: float | None
    comparator: float | None = None
    low: float | None = None
    high: float | None = None
    #: What ``low``-``high`` is: a confidence ``interval``, or the ``range`` of the values the review gives.
    spread: str | None = None
    #: The number as the review states it ("23 of 41", "26.7% vs 45.3%", "range 0.48–0.85, within 24 h up to ...").
    text: str = ""


@dataclass(frozen=True)
class ForestPanel:
    """Points on one axis (one measure of one outcome)."""

    title: str
    #: Where "no difference" lies on the axis (0 for differences), or None for rates.
    reference: float | None
    points: tuple[ForestPoint, ...] = field(default_factory=tuple)


def _canmat(claims: Iterable[Claim]) -> str | None:
    levels = sorted({(c.provenance.canmat_level, c.provenance.canmat_level_max) for c in claims
                     if c.provenance.canmat_level is not None}, key=lambda lv: (lv[0] or 0, lv[1] or 0))
    if not levels:
        return None
    return ", ".join(f"{lo}-{hi}" if hi else str(lo) for lo, hi in levels)


def _main_claim(kg: KnowledgeGraph, claims: Sequence[Claim], finding: str | None, evidence: str | None) -> Claim:
    """The claim that states a study's main result: same finding and design as the study, clinical first."""
    clinical = kg.schema.walk.clinical
    return min(claims, key=lambda c: (c.provenance.finding != finding, c.provenance.evidence_type != evidence,
                                      c.predicate not in clinical, c.id))


def _pair_claims(kg: KnowledgeGraph, compound: Curie, indication: Curie | None) -> list[Claim]:
    """The compound's claims about the indication (or, without one, every claim that cites a study)."""
    out = []
    for claim in kg.claims.values():
        if claim.subject != compound or claim.predicate == "tested_in":
            continue
        if indication is not None and claim.object != indication:
            continue
        if indication is None and not claim.studies:
            continue
        out.append(claim)
    return sorted(out, key=lambda c: c.id)


@lru_cache(maxsize=8)
def _disease_pattern(terms: tuple[tuple[str, Curie], ...]) -> tuple[re.Pattern[str], dict[str, Curie]]:
    """One regular expression of every disease name and synonym as whole words, longest first."""
    by_term: dict[str, Curie] = {}
    for term, curie in terms:
        by_term.setdefault(term.lower(), curie)
    words = "|".join(re.escape(t) for t in sorted(by_term, key=lambda t: (-len(t), t)))
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.IGNORECASE), by_term


def diseases_named(kg: KnowledgeGraph, text: str | None) -> set[Curie]:
    """The diseases a population names ("individuals with MDD/TRD": both), by name or synonym as whole words.

    Where names overlap the longest wins: "treatment-resistant bipolar depression" names bipolar depression,
    not depression.
    """
    return _named(_disease_index(kg), text)


def _disease_index(kg: KnowledgeGraph) -> tuple[re.Pattern[str], dict[str, Curie]]:
    return _disease_pattern(tuple(sorted((term, node.id) for node in kg.nodes.values() if node.kind == "disease"
                                         for term in (node.name, *node.synonyms))))


def _named(index: tuple[re.Pattern[str], dict[str, Curie]], text: str | None) -> set[Curie]:
    pattern, by_term = index
    return {by_term[m.group(0).lower()] for m in pattern.finditer(text)} if text else set()


def _studies_in(kg: KnowledgeGraph, compound: Curie, indication: Curie,
                known: Iterable[Curie]) -> dict[Curie, list[Claim]]:
    """Human studies of the compound in patients with the indication, on another endpoint.

    The compound's claims citing a study whose population, or the claim's, names the indication (anti-suicidal
    or cognitive effects in TRD), by study.
    """
    skip = set(known)
    index = _disease_index(kg)
    names: dict[str | None, bool] = {}  # a population text, and whether it names the indication

    def names_it(text: str | None) -> bool:
        if text not in names:
            names[text] = indication in _named(index, text)
        return names[text]

    out: dict[Curie, list[Claim]] = {}
    claims = [c for c in kg.claims.values() if c.subject == compound and c.studies and c.predicate != "tested_in"]
    for claim in sorted(claims, key=lambda c: c.id):
        for study in claim.studies:
            facts = kg.nodes[study].study if study in kg.nodes else None
            if study in skip or facts is None or facts.species != "human":
                continue
            if names_it(facts.population) or names_it(claim.population):
                out.setdefault(study, []).append(claim)
    return out


def _pair_comparisons(kg: KnowledgeGraph, compound: Curie, indication: Curie | None) -> list[Comparison]:
    return sorted((c for c in kg.comparisons.values() if compound in (c.arm_a.node, c.arm_b.node)
                   and (indication is None or c.outcome == indication)), key=lambda c: c.id)


def evidence_rows(kg: KnowledgeGraph, compound: Curie, indication: Curie | None = None) -> list[EvidenceRow]:
    """One row per study the review reports for the compound (about the indication, when given).

    Studies come from the compound's claims about the indication, from the comparisons it is an arm of
    and, for an indication, from the compound's claims citing a human study in patients with it (its
    population names the indication: anti-suicidal or cognitive effects in TRD); a guideline or
    regulatory claim with no study is a row of its own (the same statement repeated in several
    sections is one row).
    """
    name = kg.nodes[compound].name
    by_study: dict[Curie, list[Claim]] = {}
    guidance: dict[tuple[object, ...], list[Claim]] = {}
    for claim in _pair_claims(kg, compound, indication):
        for study in claim.studies:
            by_study.setdefault(study, []).append(claim)
        prov = claim.provenance
        if not claim.studies and prov.evidence_type in GUIDANCE:
            key = (claim.predicate, claim.object, prov.evidence_type, prov.finding, prov.canmat_level,
                   prov.canmat_level_max)
            guidance.setdefault(key, []).append(claim)
    for comp in _pair_comparisons(kg, compound, indication):
        outcome_claim = kg.claims.get(f"{comp.id.split(':', 1)[-1]}.outcome")
        for study in comp.studies:
            claims = by_study.setdefault(study, [])
            if outcome_claim is not None:
                claims.append(outcome_claim)
    if indication is not None:
        by_study.update(_studies_in(kg, compound, indication, by_study))
    estimates: dict[str, list[Estimate]] = {}
    for est in kg.estimates:
        estimates.setdefault(est.study, []).append(est)
    rows = []
    for study_id, claims in by_study.items():
        node = kg.nodes[study_id]
        facts = node.study
        if facts is None:
            continue
        main = _main_claim(kg, claims, facts.finding, facts.evidence_type)
        numbers = tuple(estimates.get(study_id, []))
        ids = {c.id for c in claims} | {e.claim for e in numbers}
        rows.append(EvidenceRow(
            compound=compound, compound_name=name, study=study_id, name=node.name, evidence_type=facts.evidence_type,
            design=facts.design, n=facts.n, population=facts.population, route=facts.route or main.route,
            dose=facts.dose or main.dose, endpoint=facts.endpoint, result=facts.result,
            effect_size=facts.effect_size, finding=facts.finding, canmat_level=_canmat(claims),
            section=facts.section, refs=facts.refs, claim=main.id, claims=tuple(sorted(ids)),
            estimates=numbers))
    for claims in guidance.values():
        main = min(claims, key=lambda c: (not c.provenance.section[:1].isdigit(), c.id))
        prov = main.provenance
        label = kg.schema.evidence_types[prov.evidence_type].label
        level = _canmat(claims)
        says = kg.schema.predicates[main.predicate].label_for(kg.shows_no_effect(main))
        title = f"{label[:1].upper()}{label[1:]}{f' (CANMAT level {level})' if level else ''}: {says} " \
                f"{kg.nodes[main.object].name}"
        rows.append(EvidenceRow(
            compound=compound, compound_name=name, study=None, name=title,
            evidence_type=prov.evidence_type, design=label, n=None, population=main.population, route=main.route,
            dose=main.dose, endpoint=None, result=prov.quote, effect_size=None, finding=prov.finding,
            canmat_level=level, section=prov.section, refs=prov.refs, claim=main.id,
            claims=tuple(sorted(c.id for c in claims))))
    strength = {name: e.strength for name, e in kg.schema.evidence_types.items()}
    return sorted(rows, key=lambda r: (-strength.get(r.evidence_type, 0.0), -(r.n or 0), r.name))


def compare_evidence(kg: KnowledgeGraph, compounds: Sequence[str], indication: str | None = None) -> Evidence:
    """The rows of each compound (names, synonyms or CURIEs), and the comparisons between them.

    Raises ``graph.model.UnknownEntityError`` (with suggestions) for a name that is not in the graph,
    ``NotACompound`` for one that names something else.
    """
    ids = tuple(dict.fromkeys(kg.resolve(c, kinds=("compound",)) for c in compounds))
    for query, curie in zip(compounds, ids, strict=False):
        if kg.nodes[curie].kind != "compound":
            kind = kg.schema.node_kinds[kg.nodes[curie].kind].label
            raise NotACompound(f"'{query}' is {kg.nodes[curie].name} ({curie}), a {kind}, not a compound")
    target = kg.resolve(indication) if indication else None
    rows = [row for compound in ids for row in evidence_rows(kg, compound, target)]
    between = tuple(c for c in sorted(kg.comparisons.values(), key=lambda c: c.id)
                    if len(ids) > 1 and {c.arm_a.node, c.arm_b.node} <= set(ids) and c.arm_a.node != c.arm_b.node
                    and (target is None or c.outcome == target))
    return Evidence(compounds=ids, indication=target, rows=tuple(rows), between=between)


def _point(index: int, row: EvidenceRow, est: Estimate) -> ForestPoint:
    label = f"{row.name} · {est.label}" if est.label else row.name
    common = {"row": index, "label": label, "compound": row.compound, "compound_name": row.compound_name}
    if est.measure == "responders" and est.value is not None and est.total:
        share = round(100 * est.value / est.total, 1)
        return ForestPoint(**common, value=share, text=f"{est.value:g} of {est.total}")  # type: ignore[arg-type]
    if est.measure == "percent":
        text = f"{est.value:g}% vs {est.comparator:g}%" if est.comparator is not None else f"{est.value:g}%"
        return ForestPoint(**common, value=est.value, comparator=est.comparator, text=text)  # type: ignore[arg-type]
    bounds = f"{est.low:g}–{est.high:g}" if est.low is not None and est.high is not None else ""
    if bounds and est.spread == "range":  # several values, lowest to highest: not an interval around one
        bounds = f"range {bounds}, {est.spans}" if est.spans else f"range {bounds}"
    elif bounds and est.spread == "interval":
        bounds = f"interval {bounds}"
    text = " ".join(x for x in (f"{est.value:g}" if est.value is not None else "", f"({bounds})" if bounds and
                                est.value is not None else bounds) if x)
    return ForestPoint(**common, value=est.value, low=est.low, high=est.high,  # type: ignore[arg-type]
                       spread=est.spread if bounds else None, text=text)


def _panel_title(measure: str, outcome: str) -> tuple[str, float | None]:
    if measure == "mean_difference":
        return f"{outcome}: greater improvement than comparator (points)", 0.0
    if measure == "cohens_d":
        return f"{outcome}: effect size (Cohen's d)", 0.0
    if measure == "responders":
        return f"{outcome}: % of participants", None
    return f"{outcome}: % of patients (● drug, ○ comparator)", None


def forest_panels(evidence: Evidence) -> list[ForestPanel]:
    """The rows' numbers grouped by measure and outcome, one panel per axis, in row order."""
    panels: dict[tuple[str, float | None], list[ForestPoint]] = {}
    for index, row in enumerate(evidence.rows):
        for est in row.estimates:
            panels.setdefault(_panel_title(est.measure, est.outcome), []).append(_point(index, row, est))
    return [ForestPanel(title=title, reference=ref, points=tuple(points)) for (title, ref), points in panels.items()]


def colours(evidence: Evidence) -> dict[str, str]:
    """The colour of each compound of a chart (the same in the explorer and in files)."""
    return {c: COMPOUND_COLOURS[i % len(COMPOUND_COLOURS)] for i, c in enumerate(evidence.compounds)}


def evidence_title(kg: KnowledgeGraph, evidence: Evidence) -> str:
    """A one-line title: "Clinical evidence: ketamine vs esketamine in treatment-resistant depression"."""
    names = " vs ".join(kg.nodes[c].name for c in evidence.compounds)
    where = f" in {kg.nodes[evidence.indication].name}" if evidence.indication else ""
    return f"Clinical evidence: {names}{where}"


def source_line(kg: KnowledgeGraph, evidence: Evidence) -> str:
    """The line under a chart or table naming the curated sources its rows come from (from their ``source.yaml``).

    "Source: Ketamine and esketamine for depression, Discover Mental Health (2022) 2:9, doi:..., as
    curated in kmoa." Without rows, the sources of the whole graph.
    """
    used = {kg.claims[c].provenance.source for row in evidence.rows for c in row.claims if c in kg.claims}
    named = [kg.sources[s] for s in sorted(used or kg.sources) if s in kg.sources]
    cited = "; ".join(f"{s.name}, {s.citation}" if s.name else s.citation for s in named)
    return f"Source{'s' if len(named) > 1 else ''}: {cited}, as curated in kmoa."
