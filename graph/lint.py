"""Support lint: whether each claim's quote carries what the claim says.

Two kinds of warning, each located by file and line:

- **mention**: the quote names neither the subject nor the object by any name, synonym or
  reference number, so the claim may rest on a sentence about something else;
- **wording**: the quote's hedging or design words disagree with the claim's finding, evidence
  type, species or CANMAT level ("suggested" on a plain positive, "open-label" on an RCT,
  "independent of" on an asserted claim, "Level 3 or 4" without a range).

A warning the curator has weighed and kept is justified in the claim's ``note`` with a sentence
starting ``Lint:``; such warnings are counted, not repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kmoa.graph.identifiers import normalise_name
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Claim, Comparison

JUSTIFIED = "Lint:"

#: (pattern in the quote, what the claim must then be, message). Each rule is a predicate on the claim.
NEGATION = re.compile(
    r"\b(no (statistically )?significant|not (statistically )?significant|did not|does not|not approved|"
    r"not been found|not necessary|independent of|failed to|neither|no deleterious|not yet been established|"
    r"not for the treatment|lost superiority)\b", re.I)
HEDGE = re.compile(r"\b(suggests?|suggested|suggesting|may|might|appears?|preliminary|potentially|promising)\b", re.I)
RARE = re.compile(r"\brarely\b", re.I)
OPEN_LABEL = re.compile(r"\bopen-label\b", re.I)
SYSTEMATIC_REVIEW = re.compile(r"\bsystematic review\b", re.I)
META_ANALYSIS = re.compile(r"\bmeta-analys[ie]s\b", re.I)
CASE_REPORT = re.compile(r"\bcase (report|series)\b", re.I)
RETROSPECTIVE = re.compile(r"\bretrospective\b", re.I)
EXPERT = re.compile(r"\bexpert recommendations?\b", re.I)
ANIMAL = re.compile(r"\b(animals?|animal models?|preclinical|rodents?|mice|rats|veterinary)\b", re.I)
LEVEL_RANGE = re.compile(r"\bLevel (\d) or (\d)\b")
LEVEL = re.compile(r"\bLevel (\d)\b")
PUNCTUATION = re.compile(r"[^\w\s]")
REF = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")


@dataclass(frozen=True)
class LintWarning:
    """One support warning, located."""

    location: str
    record: str
    kind: str
    message: str
    justified: bool

    def __str__(self) -> str:
        return f"{self.location}: {self.record}: support ({self.kind}): {self.message}"


def _names(kg: KnowledgeGraph, curie: str) -> list[str]:
    node = kg.nodes.get(curie)
    if node is None:
        return []
    names = [node.name, *node.synonyms]
    # "NMDA receptor" is mentioned by "NMDA"; "major depressive disorder (MDD)" by either form.
    for name in list(names):
        names += [part.strip() for part in re.split(r"[()]", name) if len(part.strip()) > 2]
    return [n for n in (_words(x).strip() for x in names) if len(n) > 1]


def _refs_in(quote: str) -> set[int]:
    """Reference numbers cited in a quote: [11], [12, 13], [37–40]."""
    refs: set[int] = set()
    for group in REF.findall(quote):
        for part in re.split(r"\s*,\s*", group):
            bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part) if x.strip().isdigit()]
            if len(bounds) == 2:
                refs.update(range(bounds[0], bounds[1] + 1))
            elif bounds:
                refs.add(bounds[0])
    return refs


def _words(text: str) -> str:
    """Normalised text with every punctuation mark a word break ("ketamine’s" -> "ketamine s")."""
    return " " + normalise_name(PUNCTUATION.sub(" ", text)) + " "


def _mentions(kg: KnowledgeGraph, curie: str, quote: str) -> bool:
    text = _words(quote)
    if any(f" {name} " in text or f" {name}s " in text for name in _names(kg, curie)):
        return True
    node = kg.nodes.get(curie)
    if node is not None and node.study is not None:
        return bool(set(node.study.refs) & _refs_in(quote))
    return False


def _wording(claim: Claim | Comparison, quote: str, structural: bool) -> list[str]:
    """Disagreements between the quote's words and the claim's finding, design, species and level.

    A structural claim (tested in, located in) holds whatever the study found, so only its design,
    species and level are checked against the words.
    """
    prov = claim.provenance
    finding, design = ("" if structural else prov.finding), prov.evidence_type
    out = []
    if NEGATION.search(quote) and finding in ("positive", "suggestive"):
        word = NEGATION.search(quote).group(0)  # type: ignore[union-attr]
        out.append(f"the quote says '{word}' but the finding is {finding}")
    if HEDGE.search(quote) and finding == "positive":
        out.append(f"the quote hedges ('{HEDGE.search(quote).group(0)}') but the finding is positive")  # type: ignore[union-attr]
    if HEDGE.search(quote) and finding in ("null", "negative"):
        out.append(f"the quote hedges ('{HEDGE.search(quote).group(0)}') but the finding is {finding}, "  # type: ignore[union-attr]
                   "a certain negation")
    if RARE.search(quote) and finding != "rare":
        out.append(f"the quote says 'rarely' but the finding is {finding}")
    if OPEN_LABEL.search(quote) and design in ("rct", "meta_analysis"):
        out.append(f"the quote says 'open-label' but the evidence type is {design}")
    if SYSTEMATIC_REVIEW.search(quote) and not META_ANALYSIS.search(quote) and design == "meta_analysis":
        out.append("the quote says 'systematic review' (no meta-analysis) but the evidence type is meta_analysis")
    if SYSTEMATIC_REVIEW.search(quote) and design not in ("systematic_review", "meta_analysis"):
        out.append(f"the quote says 'systematic review' but the evidence type is {design}")
    if CASE_REPORT.search(quote) and design not in ("case_report",):
        out.append(f"the quote says 'case report/series' but the evidence type is {design}")
    if RETROSPECTIVE.search(quote) and design != "retrospective":
        out.append(f"the quote says 'retrospective' but the evidence type is {design}")
    if EXPERT.search(quote) and design != "expert_recommendation":
        out.append(f"the quote says 'expert recommendations' but the evidence type is {design}")
    if ANIMAL.search(quote) and prov.species == "human":
        out.append(f"the quote speaks of '{ANIMAL.search(quote).group(0)}' but the species is human")  # type: ignore[union-attr]
    ranged = LEVEL_RANGE.search(quote)
    if ranged and (prov.canmat_level, prov.canmat_level_max) != (int(ranged.group(1)), int(ranged.group(2))):
        out.append(f"the quote gives CANMAT Level {ranged.group(1)} or {ranged.group(2)} but the claim has "
                   f"{prov.canmat_level}-{prov.canmat_level_max}")
    elif (level := LEVEL.search(quote)) and not ranged and prov.canmat_level != int(level.group(1)):
        out.append(f"the quote gives CANMAT Level {level.group(1)} but the claim has {prov.canmat_level}")
    elif prov.canmat_level is not None and not LEVEL.search(quote):
        out.append(f"the claim has CANMAT level {prov.canmat_level} but the quote gives no level")
    return out


def support_warnings(kg: KnowledgeGraph) -> list[LintWarning]:
    """Every support warning for the curated claims and comparisons, justified ones included."""
    out: list[LintWarning] = []

    def add(record: Claim | Comparison, kind: str, message: str) -> None:
        note = record.note or ""
        out.append(LintWarning(str(record.location or "?"), record.id, kind, message, JUSTIFIED in note))

    for claim in (c for c in kg.claims.values() if c.derived_from is None):
        quote = claim.provenance.quote
        if not (_mentions(kg, claim.subject, quote) or _mentions(kg, claim.object, quote)):
            add(claim, "mention", f"the quote names neither {kg.nodes[claim.subject].name} nor "
                                  f"{kg.nodes[claim.object].name}")
        structural = kg.schema.predicates[claim.predicate].effect == "structural"
        for message in _wording(claim, quote, structural):
            add(claim, "wording", message)
    for comp in kg.comparisons.values():
        quote = comp.provenance.quote
        nodes = (comp.arm_a.node, comp.arm_b.node, comp.outcome)
        if not any(_mentions(kg, curie, quote) for curie in nodes):
            add(comp, "mention", "the quote names none of the arms or the outcome")
        for message in _wording(comp, quote, False):
            if "but the finding is" not in message:  # a comparison's result, not its finding, says "no difference"
                add(comp, "wording", message)
    return sorted(out, key=lambda w: (w.location.rsplit(":", 1)[0], _line(w.location), w.record, w.message))


def _line(location: str) -> int:
    tail = location.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0
