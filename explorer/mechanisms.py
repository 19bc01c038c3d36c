"""Two compounds' mechanisms to one indication as lanes, and the tours that contrast them. No Dash.

The answer is ``graph.compare``'s (the one ``kmoa compare`` prints); this module only decides what
the explorer needs around it: which public (DrugMechDB) paths it compares with, the lanes aligned at
the shared indication, and the stops of a contrast tour (``graph/data/drugmechdb/contrast_tours.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmoa.graph.compare import (
    CompareError,
    CompareStep,
    Comparison,
    ContrastTour,
    Mechanism,
    Side,
    bundled_drugmechdb,
    claim_step,
    clinical_facts,
    compare_mechanisms,
    contrast_tours,
    hypothesis_mechanism,
)
from kmoa.graph.model import KnowledgeGraph, UnknownEntityError

if TYPE_CHECKING:
    from kmoa.loaders.formats.drugmechdb import DrugMechDB

MECHANISMS_PER_COMPOUND = 2


@dataclass(frozen=True)
class Stop:
    """One stop of a contrast tour: a step of a lane, or a claim of the review beside the lanes."""

    caption: str
    step: CompareStep
    #: The lane the step belongs to (None: the opening or closing claim, shown beside the lanes).
    lane: int | None
    index: int


@dataclass(frozen=True)
class PreparedTour:
    """A contrast tour with its comparison (one lane per side) and its stops, built once."""

    tour: ContrastTour
    comparison: Comparison
    stops: tuple[Stop, ...]


@dataclass(frozen=True)
class PublicPaths:
    """The public mechanism paths the explorer compares with, and the contrast tours built on them.

    ``db`` is the DrugMechDB file given to ``kmoa explore --import``, or the excerpt shipped with
    kmoa; the tours always take their path from the shipped excerpt, so they read the same anywhere.
    """

    db: DrugMechDB
    #: Drug name, MeSH id or DrugBank id (case-folded) -> the drug's id in the file.
    drugs: Mapping[str, str]
    #: The drug's id -> its name.
    names: Mapping[str, str]
    tours: Mapping[str, PreparedTour] = field(default_factory=dict)
    #: ``db`` is the file given to ``kmoa explore --import FILE.yaml`` (not the shipped excerpt).
    imported: bool = False

    def resolve(self, text: str | None) -> str | None:
        """The id of a public drug given by name, MeSH or DrugBank id (None if the file lacks it)."""
        return self.drugs.get(text.strip().casefold()) if text else None

    def imported_source(self, edge: Mapping[str, Any]) -> dict[str, Any] | None:
        """The DrugMechDB path, drug, disease and YAML line an imported edge names (None: it names none).

        The edge keeps them from the import (``graph.rows.IMPORT_PROVENANCE_COLUMNS``); the YAML file's
        name is known when the explorer imported the YAML itself, not a KGX folder converted from it.
        """
        if not edge.get("drugmechdb_path"):
            return None
        return {"path": edge["drugmechdb_path"], "drug": edge.get("drugmechdb_drug"),
                "disease": edge.get("drugmechdb_disease"), "line": edge.get("source_line"),
                "file": self.db.file.name if self.imported else None, "predicate": edge.get("drugmechdb_predicate")}

    def lookup(self, compound: str, diseases: set[str] | None) -> list[Mechanism]:
        """The file's paths from a drug to any of the disease ids (None: to any disease)."""
        from kmoa.loaders.formats.drugmechdb import mechanisms

        return mechanisms(self.db, compound, diseases)


def _drug_index(db: DrugMechDB) -> tuple[dict[str, str], dict[str, str]]:
    drugs: dict[str, str] = {}
    names: dict[str, str] = {}
    for mech in db.paths:
        if not mech.drug_id:
            continue
        names.setdefault(mech.drug_id, mech.drug or mech.drug_id)
        for key in (mech.drug, mech.drug_id, mech.drugbank):
            if key:
                drugs.setdefault(key.casefold(), mech.drug_id)
    return drugs, names


def load_public(kg: KnowledgeGraph, db: DrugMechDB | None = None) -> PublicPaths:
    """The public paths for the explorer (``db``, else the shipped excerpt) and the tours the graph supports.

    A ``db`` is also the explorer's imported graph (``loaders.formats.drugmechdb.read_as_imported``).
    """
    from kmoa.loaders.formats.drugmechdb import read_drugmechdb

    bundled = read_drugmechdb(Path(str(bundled_drugmechdb())))
    drugs, names = _drug_index(db or bundled)
    tours = {}
    for tour in contrast_tours().values():
        prepared = prepare_tour(kg, tour, bundled)
        if prepared is not None:
            tours[tour.id] = prepared
    return PublicPaths(db=db or bundled, drugs=drugs, names=names, tours=tours, imported=db is not None)


def prepare_tour(kg: KnowledgeGraph, tour: ContrastTour, db: DrugMechDB) -> PreparedTour | None:
    """The tour's lanes and stops; None when the graph lacks its hypothesis, claims or target."""
    from kmoa.loaders.formats.drugmechdb import mechanisms

    needed = (tour.opening.claim, tour.closing.claim)
    if tour.hypothesis not in kg.hypotheses or tour.target not in kg.nodes or any(c not in kg.claims for c in needed):
        return None
    review = hypothesis_mechanism(kg, tour.hypothesis, tour.target)
    diseases = {tour.target, *kg.nodes[tour.target].xref}
    public = next((m for m in mechanisms(db, tour.compound, diseases) if m.path == tour.public_path), None)
    if public is None or not review.steps:
        return None
    compound = review.steps[0].subject_id
    first = Side(compound=compound, name=review.steps[0].subject, mechanisms=[review],
                 clinical=clinical_facts(kg, compound, tour.target))
    second = Side(compound=public.compound, name=public.compound, mechanisms=[public])
    comparison = Comparison(tour.target, kg.nodes[tour.target].name, tuple(sorted(diseases)), (first, second))
    hyp = kg.hypotheses[tour.hypothesis]
    captions = [s.caption for s in hyp.steps]
    stops = [Stop(tour.opening.caption, claim_step(kg, tour.opening.claim), None, 0)]
    stops += [Stop(captions[i], step, 0, i) for i, step in enumerate(review.steps)]
    stops += [Stop(f"DrugMechDB: {step.subject} {step.label} {step.object}.", step, 1, i)
              for i, step in enumerate(public.steps)]
    stops.append(Stop(tour.closing.caption, claim_step(kg, tour.closing.claim), None, 1))
    return PreparedTour(tour, comparison, tuple(stops))


def compare_for(kg: KnowledgeGraph, public: PublicPaths | None, first: str, second: str,
                target: str) -> Comparison | str:
    """The comparison ``kmoa compare`` gives for the pair, or why there is none (as text)."""
    try:
        return compare_mechanisms(kg, first, second, target, k=MECHANISMS_PER_COMPOUND,
                                  public=public.lookup if public is not None else None)
    except (CompareError, UnknownEntityError) as err:
        return str(err)


def compound_name(kg: KnowledgeGraph, public: PublicPaths | None, value: str | None) -> str:
    """A compound's display name: curated, else public, else the value itself."""
    node = kg.nodes.get(value or "")
    if node is not None:
        return node.name
    if public is not None and value is not None and value in public.names:
        return public.names[value]
    return str(value)


def resolve_compound(kg: KnowledgeGraph, public: PublicPaths | None, text: str | None) -> str | None:
    """A curated compound, or a drug of the public paths; None if neither."""
    if not text:
        return None
    try:
        curie = kg.resolve(text, kinds=("compound",))
        if kg.nodes[curie].kind == "compound":
            return curie
    except UnknownEntityError:
        pass
    return public.resolve(text) if public is not None else None


def compound_options(kg: KnowledgeGraph, public: PublicPaths | None, limit: int = 5000) -> list[dict[str, str]]:
    """Options of the 'compare with' picker: the review's compounds, then the public drugs by name."""
    out = [{"label": f"{n.name} · compound (review)", "value": n.id}
           for n in sorted(kg.nodes.values(), key=lambda n: n.name.lower()) if n.kind == "compound"]
    if public is not None:
        drugs = sorted(public.names.items(), key=lambda kv: kv[1].lower())[:limit]
        out += [{"label": f"{name} · drug (DrugMechDB, {curie})", "value": curie} for curie, name in drugs]
    return out


@dataclass(frozen=True)
class Lane:
    """One mechanism drawn as a lane: its nodes and labelled arrows, top to bottom, ending at the indication."""

    side: int
    compound: str
    mechanism: Mechanism
    #: ('node', name, id), ('step', index) and ('gap',) items in drawing order (a gap: the next step does not
    #: start where the last one ended).
    items: tuple[tuple[Any, ...], ...]
    #: Whether the last step reaches the shared indication (drawn once, below every lane).
    reaches_end: bool


def lanes(comparison: Comparison) -> list[Lane]:
    """Every mechanism of both sides as a lane; a step whose subject is not the previous object restarts the chain."""
    ends = {comparison.target, *comparison.diseases}
    out = []
    for side_index, side in enumerate(comparison.sides):
        for mech in side.mechanisms:
            items: list[tuple[Any, ...]] = []
            previous = None
            for i, step in enumerate(mech.steps):
                if step.subject_id != previous or previous is None:
                    if previous is not None:
                        items.append(("gap",))
                    items.append(("node", step.subject, step.subject_id))
                items.append(("step", i))
                previous = step.object_id
                if i < len(mech.steps) - 1 or previous not in ends:
                    items.append(("node", step.object, step.object_id))
            reaches = bool(mech.steps) and mech.steps[-1].object_id in ends
            out.append(Lane(side_index, side.name, mech, tuple(items), reaches))
    return out


def stop_order(prepared: PreparedTour) -> dict[tuple[int | None, int], int]:
    """(lane, step index) -> the stop's position in the tour."""
    return {(s.lane, s.index): n for n, s in enumerate(prepared.stops)}


def tour_total(public: PublicPaths | None, tour: str | None) -> int | None:
    """The number of stops of a contrast tour, None if it is not one."""
    prepared = public.tours.get(tour or "") if public is not None else None
    return len(prepared.stops) if prepared is not None else None


def step_facts(step: CompareStep, mechanism: Mechanism | None = None) -> list[tuple[str, str]]:
    """A step's source as labelled facts: the review's claim, or the public path, drug, disease and line."""
    if step.claim is not None:
        return [("Source", "the review"), ("Where", step.reference)]
    rows = [("Source", "DrugMechDB (public, MIT licence)")]
    if mechanism is not None:
        rows += [("Path", mechanism.path or ""), ("Drug", mechanism.drug or ""), ("Disease", mechanism.disease or "")]
        if step.line is not None:
            rows.append(("Line", f"{step.line} of {mechanism.file}" if mechanism.file else str(step.line)))
    return rows


def mechanism_of(comparison: Comparison, lane: int | None) -> Mechanism | None:
    """The mechanism of a lane index (counting both sides' mechanisms in order)."""
    if lane is None:
        return None
    found: Sequence[Mechanism] = [m for side in comparison.sides for m in side.mechanisms]
    return found[lane] if 0 <= lane < len(found) else None


STEP_COLUMNS = ("compound", "mechanism", "source", "step", "subject", "subject_id", "label", "object", "object_id",
                "claim", "drugmechdb_path", "file", "line", "reference", "text")


def step_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Every step of every lane with its source, one row each (the compare view's export)."""
    rows = []
    for side in comparison.sides:
        for mech in side.mechanisms:
            for n, step in enumerate(mech.steps, start=1):
                rows.append({"compound": side.name, "mechanism": mech.title, "source": step.source, "step": n,
                             "subject": step.subject, "subject_id": step.subject_id, "label": step.label,
                             "object": step.object, "object_id": step.object_id, "claim": step.claim or "",
                             "drugmechdb_path": mech.path or "", "file": mech.file or "",
                             "line": step.line if step.line is not None else "", "reference": step.reference,
                             "text": step.text})
    return rows


def comparison_csv(comparison: Comparison) -> str:
    """The steps as CSV (``STEP_COLUMNS``)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=STEP_COLUMNS)
    writer.writeheader()
    writer.writerows(step_rows(comparison))
    return buffer.getvalue()


def comparison_json(comparison: Comparison) -> str:
    """The indication, the steps, each compound's clinical facts and, with public steps, their licence and citation."""
    import json

    from kmoa.graph.compare import DRUGMECHDB_CITATION, DRUGMECHDB_LICENCE

    rows = step_rows(comparison)
    out: dict[str, Any] = {"indication": comparison.target, "indication_name": comparison.target_name,
                           "indication_ids": list(comparison.diseases), "steps": rows,
                           "clinical": {side.name: side.clinical for side in comparison.sides}}
    if any(row["drugmechdb_path"] for row in rows):
        out["drugmechdb"] = {"licence": DRUGMECHDB_LICENCE, "citation": DRUGMECHDB_CITATION}
    return json.dumps(out, indent=1, ensure_ascii=False)
