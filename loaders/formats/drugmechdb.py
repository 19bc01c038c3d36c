"""DrugMechDB indication paths as KGX rows: each path a unit, each defect reported with its line.

DrugMechDB (Su Lab, MIT licence) curates drug -> target -> process -> disease mechanism paths as a
YAML list of node-link multigraphs. This reader keeps the file as it is: node labels and link keys
become Biolink categories and predicates through ``ontology/drugmechdb.yaml`` (checked with bmt),
identifiers are normalised to the prefixes kmoa uses (``UniProt:`` -> ``UniProtKB:``, ``DB:`` ->
``DRUGBANK:``), and every edge keeps its path: the path id (``graph._id``, or
``<drugbank>_<disease mesh>_<n>`` for releases without one), drug, disease and the YAML line.

Defects in the data (an identifier that does not fit its prefix, a link to a node the path lacks, a
drug node labelled as something else, a DrugBank id that another drug of the same name contradicts,
swapped MeSH and DrugBank ids, duplicate entries, an unmapped label or predicate) are collected
with their line. The caller keeps or skips the affected paths, or refuses the file (``strict``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from kmoa.graph.compare import CompareStep, Mechanism
from kmoa.graph.curation import LINE_KEY, line_loader
from kmoa.graph.identifiers import curie_problem
from kmoa.graph.rows import IMPORT_PROVENANCE_COLUMNS
from kmoa.loaders.base import write_rows
from kmoa.loaders.formats.kgx import KgxRowSink

if TYPE_CHECKING:
    from kmoa.graph.imported import ImportedGraph
    from kmoa.graph.model import KnowledgeGraph

KNOWLEDGE_SOURCE = "infores:drugmechdb"
LINE = LINE_KEY
DefectPolicy = Literal["keep", "skip"]
PMID_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d+)")
NODE_COLUMNS = ["id", "category", "name", "xref", "provided_by"]
EDGE_COLUMNS = ["id", "subject", "predicate", "object", "object_aspect_qualifier", "object_direction_qualifier",
                "knowledge_level", "agent_type", "primary_knowledge_source", "publications",
                *IMPORT_PROVENANCE_COLUMNS]


class DrugMechDBError(ValueError):
    """The file cannot be read, or (strict) has defects; the message names the file and lines."""


@dataclass(frozen=True)
class Mapping:
    """The label and predicate tables of ``ontology/drugmechdb.yaml``."""

    categories: dict[str, str]
    predicates: dict[str, dict[str, Any]]
    prefixes: dict[str, str]


@cache
def load_mapping() -> Mapping:
    """The shipped mapping table."""
    raw = yaml.safe_load((files("kmoa.ontology") / "drugmechdb.yaml").read_text(encoding="utf-8"))
    return Mapping(categories=dict(raw["categories"]), predicates=dict(raw["predicates"]),
                   prefixes=dict(raw["prefixes"]))


@dataclass(frozen=True)
class Defect:
    """One defect of the data, located."""

    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.path}: {self.message}"


@dataclass
class MechanismPath:
    """One DrugMechDB indication path: DrugMechDB's unit of curation."""

    id: str
    line: int
    drug: str
    drug_id: str
    drugbank: str | None
    disease: str
    disease_id: str
    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]
    publications: list[str] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)


@dataclass
class DrugMechDB:
    """Every path of a file, and every defect found in it."""

    file: Path
    paths: list[MechanismPath]
    defects: list[Defect]
    duplicates: int = 0

    def kept(self, policy: DefectPolicy) -> list[MechanismPath]:
        """The paths an import writes: all of them, or only those without defects."""
        return [p for p in self.paths if policy == "keep" or not p.defects]


# The curation's line-recording loader, on libyaml's parser where installed (DrugMechDB is large).
_LineLoader = line_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def normalise_id(curie: str) -> str:
    """DrugMechDB's prefixes as kmoa writes them (``UniProt:P31645`` -> ``UniProtKB:P31645``)."""
    prefix, colon, local = curie.partition(":")
    if not colon:
        return curie
    return f"{load_mapping().prefixes.get(prefix, prefix)}:{local}"


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _publications(entry: dict[str, Any]) -> list[str]:
    refs = entry.get("reference") or entry.get("references") or []
    text = " ".join(refs) if isinstance(refs, list) else str(refs)
    return sorted({f"PMID:{m}" for m in PMID_URL.findall(text)})


def read_drugmechdb(path: Path) -> DrugMechDB:
    """Read every path of a DrugMechDB YAML file with its defects (DrugMechDBError if unreadable)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a safe loader
    except OSError as err:
        raise DrugMechDBError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise DrugMechDBError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise DrugMechDBError(f"{path}{where}: malformed YAML: {getattr(err, 'problem', None) or err}") from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise DrugMechDBError(f"{path}:1: expected a YAML list of indication paths (mappings)")
    mapping = load_mapping()
    result = DrugMechDB(file=path, paths=[], defects=[])
    seen: dict[str, tuple[int, str]] = {}
    numbers: Counter[str] = Counter()
    drugbank_by_drug: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in data:
        meta = entry.get("graph") or {}
        drug_mesh, drugbank = _drug_ids(meta)
        if isinstance(drugbank, str) and isinstance(meta.get("drug"), str):
            drugbank_by_drug[meta["drug"].casefold()][drugbank] += 1
    for entry in data:
        line = int(entry.get(LINE, 1))
        fingerprint = repr(_strip(entry))
        if fingerprint in seen:
            first_line, first_id = seen[fingerprint]
            result.duplicates += 1
            result.defects.append(Defect(line, first_id, f"duplicate of the entry at line {first_line}; read once"))
            continue
        mech = _path(entry, line, mapping, numbers, drugbank_by_drug)
        seen[fingerprint] = (line, mech.id)
        result.paths.append(mech)
        result.defects.extend(mech.defects)
    return result


def _drug_ids(meta: dict[str, Any]) -> tuple[Any, Any]:
    """(drug_mesh, drugbank), put back in place when the file has them swapped."""
    drug_mesh, drugbank = meta.get("drug_mesh"), meta.get("drugbank")
    if isinstance(drug_mesh, str) and drug_mesh.startswith("DB:") and isinstance(drugbank, str) \
            and drugbank.startswith("MESH:"):
        return drugbank, drug_mesh
    return drug_mesh, drugbank


def _path(entry: dict[str, Any], line: int, mapping: Mapping, numbers: Counter[str],
          drugbank_by_drug: dict[str, Counter[str]]) -> MechanismPath:
    meta = entry.get("graph") or {}
    drug_mesh, drugbank = _drug_ids(meta)
    disease_id = str(meta.get("disease_mesh") or "")
    defects: list[str] = []
    if (drug_mesh, drugbank) != (meta.get("drug_mesh"), meta.get("drugbank")):
        defects.append(f"drug_mesh '{meta.get('drug_mesh')}' and drugbank '{meta.get('drugbank')}' are swapped; "
                       "read as swapped back")
    if isinstance(drugbank, str) and isinstance(meta.get("drug"), str):
        ids = drugbank_by_drug[meta["drug"].casefold()]
        usual, count = ids.most_common(1)[0]
        if drugbank != usual and count > ids[drugbank]:
            defects.append(f"drugbank '{drugbank}' for {meta['drug']}, whose other paths say '{usual}'")
    path_id = meta.get("_id")
    if not path_id:
        stem = f"{str(drugbank or drug_mesh or 'unknown').split(':')[-1]}_{disease_id.replace(':', '_')}"
        numbers[stem] += 1
        path_id = f"{stem}_{numbers[stem]}"
    nodes = [n for n in entry.get("nodes") or [] if isinstance(n, dict)]
    links = [link for link in entry.get("links") or [] if isinstance(link, dict)]
    node_ids = {n.get("id") for n in nodes}
    drug_ids = {x for x in (drug_mesh, drugbank) if isinstance(x, str)}
    for node in nodes:
        node_id, label = node.get("id"), node.get("label")
        where = node.get(LINE, line)
        if not isinstance(node_id, str):
            defects.append(f"line {where}: a node without an id")
            continue
        problem = curie_problem(normalise_id(node_id))
        if problem is not None:
            defects.append(f"line {where}: node {problem}")
        if label not in mapping.categories:
            defects.append(f"line {where}: node {node_id}: label '{label}' is not in the mapping table")
        elif node_id in drug_ids and label != "Drug":
            defects.append(f"line {where}: drug node {node_id} is labelled '{label}'; read as Drug")
            node["label"] = "Drug"
    for link in links:
        where = link.get(LINE, line)
        for end in ("source", "target"):
            if link.get(end) not in node_ids:
                defects.append(f"line {where}: link {end} '{link.get(end)}' is not a node of this path")
        if link.get("key") not in mapping.predicates:
            defects.append(f"line {where}: link key '{link.get('key')}' is not in the mapping table")
    if disease_id not in node_ids:
        defects.append(f"disease_mesh '{disease_id}' is not a node of this path")
    drug_node = next((n.get("id") for n in nodes if n.get("id") in drug_ids), None)
    return MechanismPath(
        id=str(path_id), line=line, drug=str(meta.get("drug") or ""), drug_id=str(drug_node or drug_mesh or ""),
        drugbank=normalise_id(drugbank) if isinstance(drugbank, str) else None, disease=str(meta.get("disease") or ""),
        disease_id=normalise_id(disease_id), nodes=nodes, links=links, publications=_publications(entry),
        defects=[Defect(_line_of(d, line), str(path_id), _message_of(d)) for d in defects],
    )


def _line_of(message: str, default: int) -> int:
    match = re.match(r"line (\d+): ", message)
    return int(match.group(1)) if match else default


def _message_of(message: str) -> str:
    return re.sub(r"^line \d+: ", "", message)


def node_rows(db: DrugMechDB, policy: DefectPolicy = "keep") -> Iterator[dict[str, Any]]:
    """KGX node rows of the kept paths (one per identifier; the first name and label win)."""
    mapping = load_mapping()
    seen: set[str] = set()
    for mech in db.kept(policy):
        for node in mech.nodes:
            raw = node.get("id")
            if not isinstance(raw, str) or node.get("label") not in mapping.categories:
                continue
            curie = normalise_id(raw)
            if curie in seen or curie_problem(curie) is not None:
                continue
            seen.add(curie)
            xref = [x for x in (mech.drugbank,) if x and curie == normalise_id(mech.drug_id) and x != curie]
            yield {"id": curie, "category": [mapping.categories[node["label"]]], "name": str(node.get("name") or curie),
                   "xref": xref, "provided_by": [KNOWLEDGE_SOURCE]}


def edge_rows(db: DrugMechDB, policy: DefectPolicy = "keep") -> Iterator[dict[str, Any]]:
    """KGX edge rows of the kept paths, each naming its path, drug, disease and YAML lines (path and link)."""
    mapping = load_mapping()
    for mech in db.kept(policy):
        for i, link in enumerate(mech.links, start=1):
            spec = mapping.predicates.get(str(link.get("key")))
            source, target = normalise_id(str(link.get("source"))), normalise_id(str(link.get("target")))
            if spec is None or curie_problem(source) or curie_problem(target):
                continue
            qualifiers = spec.get("qualifiers") or {}
            yield {
                "id": f"{mech.id}#{i}", "subject": source, "predicate": spec["predicate"], "object": target,
                "object_aspect_qualifier": qualifiers.get("object_aspect_qualifier", ""),
                "object_direction_qualifier": qualifiers.get("object_direction_qualifier", ""),
                "knowledge_level": "knowledge_assertion", "agent_type": "manual_agent",
                "primary_knowledge_source": KNOWLEDGE_SOURCE, "publications": mech.publications,
                "drugmechdb_path": mech.id, "drugmechdb_predicate": link.get("key"),
                "drugmechdb_drug": mech.drug, "drugmechdb_disease": mech.disease_id, "drugmechdb_line": mech.line,
                "source_line": link.get(LINE, mech.line),
            }


def write_kgx(db: DrugMechDB, out: Path, policy: DefectPolicy = "keep") -> Path:
    """Write ``out``/nodes.tsv and edges.tsv (a KGX graph ``kmoa import kgx`` reads)."""
    write_rows(KgxRowSink(out, NODE_COLUMNS, EDGE_COLUMNS), node_rows(db, policy), edge_rows(db, policy))
    return out


def read_as_imported(db: DrugMechDB, kg: KnowledgeGraph, policy: DefectPolicy = "keep") -> ImportedGraph:
    """The file's kept paths as an imported graph (``kmoa explore --import FILE``), named 'drugmechdb'.

    The paths go through the same KGX rows ``kmoa import drugmechdb`` writes, in a temporary folder
    that is removed once read.
    """
    import tempfile

    from kmoa.loaders.formats.kgx_import import read_kgx

    with tempfile.TemporaryDirectory(prefix="kmoa-drugmechdb-") as tmp:
        return read_kgx(write_kgx(db, Path(tmp) / "drugmechdb", policy), kg, name="drugmechdb", progress=False)


def mechanisms(db: DrugMechDB, drug: str, diseases: set[str] | None) -> list[Mechanism]:
    """DrugMechDB's paths from a drug (name, MeSH or DrugBank id) to any of the disease ids (None: any), as chains."""
    key = drug.casefold()
    out = []
    for mech in db.paths:
        ids = {mech.drug.casefold(), mech.drug_id.casefold(), (mech.drugbank or "").casefold()}
        if key not in ids or (diseases is not None and mech.disease_id not in diseases):
            continue
        names = {normalise_id(str(n.get("id"))): str(n.get("name") or n.get("id")) for n in mech.nodes}
        steps = []
        for link in _chain(mech):
            source, target = normalise_id(str(link["source"])), normalise_id(str(link["target"]))
            subject, obj = names.get(source, source), names.get(target, target)
            line = int(link.get(LINE, mech.line))
            steps.append(CompareStep(
                subject=subject, label=str(link.get("key")), object=obj, source="DrugMechDB",
                reference=f"path {mech.id}, line {line}",
                text=f"{subject} ({source}) {link.get('key')} {obj} ({target})",
                subject_id=source, object_id=target, line=line))
        out.append(Mechanism(mech.drug, "DrugMechDB", f"DrugMechDB path {mech.id}", tuple(steps), path=mech.id,
                             drug=mech.drug, disease=mech.disease or mech.disease_id, file=db.file.name))
    return out


def _chain(mech: MechanismPath) -> list[dict[str, Any]]:
    """The path's links from the drug to the disease, in walking order (branches after the main chain)."""
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in mech.links:
        by_source[str(link.get("source"))].append(link)
    ordered, seen = [], set()
    frontier = [n.get("id") for n in mech.nodes if normalise_id(str(n.get("id"))) == normalise_id(mech.drug_id)]
    while frontier:
        node = frontier.pop(0)
        for link in by_source.get(str(node), []):
            if id(link) not in seen:
                seen.add(id(link))
                ordered.append(link)
                frontier.append(link.get("target"))
    return ordered + [link for link in mech.links if id(link) not in seen]
