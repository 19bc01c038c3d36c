"""KGX TSV: ``nodes.tsv`` and ``edges.tsv`` with Biolink categories and predicates.

Multi-valued fields are joined with ``|``. Besides the KGX core columns, edges carry their curated
source's provenance columns (``curated_source``, ``review_section``, ``review_refs``,
``supporting_text``, ``evidence_type``, ``species``, ``evidence_level``) and the kmoa predicate;
``sources.json`` describes each curated source, so the folder reads back into the same graph.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.records import Arm, Claim, Comparison, Hypothesis, HypothesisStep, Node, Provenance, StudyFacts
from kmoa.graph.rows import EDGE_COLUMNS, NODE_COLUMNS, edge_rows, node_rows, parse_canmat
from kmoa.graph.sources import CuratedSource, default_source_dir, read_source
from kmoa.loaders.base import Row, RowSink, Sink, Source, register_sink, register_source, write_rows
from kmoa.ontology.schema import load_schema

SEP = "|"


def _join(values: Any) -> str:
    return SEP.join(str(v) for v in values)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return _join(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


class KgxRowSink(RowSink):
    """Rows streamed into OUT/nodes.tsv and OUT/edges.tsv (cells cleaned of tabs and newlines).

    ``node_columns`` / ``edge_columns`` are the KGX columns of ``graph.rows`` unless a source adds
    its own (DrugMechDB's path, drug and line).
    """

    def __init__(self, out: Path, node_columns: Sequence[str] = NODE_COLUMNS,
                 edge_columns: Sequence[str] = EDGE_COLUMNS) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.node_columns, self.edge_columns = list(node_columns), list(edge_columns)
        self._nodes = self._open(out / "nodes.tsv", self.node_columns)
        self._edges = self._open(out / "edges.tsv", self.edge_columns)

    @staticmethod
    def _open(path: Path, columns: list[str]) -> Any:
        handle = path.open("w", encoding="utf-8", newline="")
        handle.write("\t".join(columns) + "\n")
        return handle

    def write_node(self, row: Row) -> None:
        """Write one line of nodes.tsv."""
        self._nodes.write("\t".join(_cell(row.get(col)) for col in self.node_columns) + "\n")

    def write_edge(self, row: Row) -> None:
        """Write one line of edges.tsv."""
        self._edges.write("\t".join(_cell(row.get(col)) for col in self.edge_columns) + "\n")

    def finish(self) -> None:
        """Close both files (the caller's ``output_path`` makes the folder appear at once)."""
        self._nodes.close()
        self._edges.close()


@register_sink
class KgxSink(Sink):
    """KGX TSV: OUT/nodes.tsv and OUT/edges.tsv."""

    format_name = "kgx"
    directory = True

    def write(self, kg: KnowledgeGraph, out: Path) -> None:
        write_rows(KgxRowSink(out), node_rows(kg), edge_rows(kg))
        (out / SOURCES_FILE).write_text(sources_json(kg) + "\n", encoding="utf-8")


class KgxFormatError(ValueError):
    """A malformed KGX row; the message names the file and line."""


def open_tsv(path: Path) -> Any:
    """Open a TSV for reading: UTF-8, a leading byte-order mark dropped, undecodable bytes kept for ``is_utf8``."""
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def is_utf8(line: str) -> bool:
    """Tell whether a line read by ``open_tsv`` was valid UTF-8 (fast for ASCII lines)."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NOT_UTF8 = "not UTF-8 text (save the file as UTF-8)"
RowError = Callable[[int, str], None]


class TsvTable:
    r"""One KGX TSV, read the one way kmoa reads them all; every problem is named ``file:line``.

    A UTF-8 byte-order mark is dropped, lines may end in ``\n`` or ``\r\n``, blank lines are skipped.
    Use as a context manager: the header is read and checked on entry (``header``, ``column``), then
    ``rows()`` streams ``(line number, cells)``. A row that is not UTF-8 or has the wrong number of
    cells goes to ``on_error(line, message)`` when given (to collect them all), else raises ``error``.
    """

    def __init__(self, path: Path, required: Sequence[str], error: type[KgxFormatError] | None = None,
                 on_error: RowError | None = None) -> None:
        self.path = path
        self.required = required
        self.error = error or KgxFormatError
        self.on_error = on_error
        self.header: list[str] = []
        self.column: dict[str, int] = {}
        self.chars_read = 0  # characters of the rows read so far, for progress bars

    def __enter__(self) -> TsvTable:
        self._handle = open_tsv(self.path)
        try:
            line = self._handle.readline()
            if not is_utf8(line):
                raise self.error(f"{self.path}:1: {NOT_UTF8}")
            self.header = line.rstrip("\r\n").split("\t")
            missing = [c for c in self.required if c not in self.header]
            if missing:
                raise self.error(f"{self.path}:1: missing column(s): {', '.join(missing)}")
        except BaseException:
            self._handle.close()
            raise
        self.column = {name: i for i, name in enumerate(self.header)}
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def _problem(self, lineno: int, message: str) -> None:
        if self.on_error is None:
            raise self.error(f"{self.path}:{lineno}: {message}")
        self.on_error(lineno, message)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, cells)`` for each well-formed row, in file order."""
        width = len(self.header)
        for lineno, line in enumerate(self._handle, start=2):
            self.chars_read += len(line)
            line = line.rstrip("\r\n")
            if not line:
                continue
            if not is_utf8(line):
                self._problem(lineno, NOT_UTF8)
                continue
            cells = line.split("\t")
            if len(cells) != width:
                self._problem(lineno, f"expected {width} columns, found {len(cells)}")
                continue
            yield lineno, cells


def read_tsv(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a KGX TSV with their line numbers; KgxFormatError on a malformed row."""
    with TsvTable(path, required) as table:
        return [(lineno, dict(zip(table.header, cells, strict=True))) for lineno, cells in table.rows()]


SOURCES_FILE = "sources.json"


def sources_json(kg: KnowledgeGraph) -> str:
    """The graph's curated sources (citation, knowledge source, reference list, section scheme) as JSON."""
    return json.dumps({s.id: {"name": s.name, "citation": s.citation, "doi": s.doi, "infores": s.infores,
                              "section_pattern": s.section_pattern, "section_examples": list(s.section_examples),
                              "references": {str(n): c for n, c in s.references.items()}}
                       for s in kg.sources.values()}, indent=1, ensure_ascii=False)


def read_sources_json(path: Path) -> dict[str, CuratedSource]:
    """The inverse of :func:`sources_json`; KgxFormatError naming the file on a malformed one."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {sid: CuratedSource(
            id=sid, name=v["name"], citation=v["citation"], doi=v["doi"], infores=v["infores"],
            section_pattern=v["section_pattern"], section_examples=tuple(v["section_examples"]),
            references={int(n): c for n, c in v["references"].items()}) for sid, v in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise KgxFormatError(f"{path}: not a kmoa sources file: {err}") from None


def _provenance(raw: dict[str, Any]) -> Provenance:
    """A hypothesis' or comparison's provenance from its JSON cell (JSON has lists, records tuples)."""
    return replace(Provenance(**{f.name: raw[f.name] for f in fields(Provenance)}), refs=tuple(raw["refs"]))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(sorted(v for v in cell.split(SEP) if v)) if cell else ()


def _export_sources(path: Path) -> tuple[dict[str, CuratedSource], str | None]:
    """The sources an export describes, and the one its rows belong to when they do not say (or None).

    Without ``sources.json`` the export is from before sources existed: the packaged review's.
    """
    if (path / SOURCES_FILE).is_file():
        sources = read_sources_json(path / SOURCES_FILE)
        return sources, next(iter(sources)) if len(sources) == 1 else None
    review = read_source(default_source_dir())
    return {review.id: review}, review.id


def _claim_source(sources: dict[str, CuratedSource], default: str | None, row: dict[str, str]) -> str:
    """The source of an edge row without a ``curated_source`` column: by its knowledge source, else the default."""
    found = [s.id for s in sources.values() if s.infores == row.get("primary_knowledge_source")]
    if len(found) == 1:
        return found[0]
    if default is None:
        raise ValueError(f"curated_source (no such column, and primary_knowledge_source "
                       f"'{row.get('primary_knowledge_source', '')}' is none of the sources of {SOURCES_FILE}: "
                       f"{', '.join(sorted(sources))})")
    return default


@register_source
class KgxSource(Source):
    """Reads a directory written by ``KgxSink`` back into the same graph."""

    format_name = "kgx"

    def read(self, path: Path) -> KnowledgeGraph:
        """The graph of a KGX export; one written before sources existed reads as the packaged review's.

        An export without ``sources.json`` and ``curated_source`` columns was written when kmoa had
        one source, the packaged review: its claims and nodes are that review's. Where only the
        column is missing, a claim's source is the one whose knowledge source (``infores``) is the
        edge's ``primary_knowledge_source``.
        """
        schema = load_schema()
        sources, default = _export_sources(path)
        kind_by_category = {k.biolink: k.name for k in schema.node_kinds.values()}
        nodes: dict[str, Node] = {}
        hypotheses_raw: dict[str, dict[str, Any]] = {}
        comparisons_raw: dict[str, dict[str, Any]] = {}
        for lineno, row in read_tsv(path / "nodes.tsv", ["id", "category", "name"]):
            try:
                kind = row.get("kmoa_kind") or kind_by_category[row["category"].split(SEP)[0]]
                facts = json.loads(row["study_facts"]) if row.get("study_facts") else None
                study = None
                if facts:
                    facts["refs"] = tuple(facts["refs"])
                    study = StudyFacts(**facts)
                if row.get("hypothesis"):
                    hypotheses_raw[row["id"]] = json.loads(row["hypothesis"])
                if row.get("comparison"):
                    comparisons_raw[row["id"]] = json.loads(row["comparison"])
            except (KeyError, ValueError, TypeError) as err:
                raise KgxFormatError(f"{path / 'nodes.tsv'}:{lineno}: {row.get('id')}: {err}") from None
            nodes[row["id"]] = Node(
                id=row["id"], kind=kind, name=row["name"], synonyms=_split(row.get("synonym", "")),
                xref=_split(row.get("xref", "")), description=row.get("description") or None, study=study,
                source=row.get("curated_source", default) or None,
            )
        claims: dict[str, Claim] = {}
        for lineno, row in read_tsv(path / "edges.tsv", ["subject", "predicate", "object"]):
            try:
                level, level_max = parse_canmat(row.get("evidence_level", ""))
                prov = Provenance(
                    source=row["curated_source"] if "curated_source" in row else _claim_source(sources, default, row),
                    section=row["review_section"],
                    refs=tuple(sorted(int(r) for r in _split(row["review_refs"]))),
                    quote=row["supporting_text"], evidence_type=row["evidence_type"],  # type: ignore[arg-type]
                    species=row["species"], finding=row.get("finding") or "positive",  # type: ignore[arg-type]
                    contested=row.get("contested") == "true",
                    canmat_level=level, canmat_level_max=level_max,
                    frequency=row.get("frequency_qualifier") or None, inferred=row.get("inferred") == "true",
                )
                claim = Claim(
                    id=row["id"], subject=row["subject"], predicate=row["kmoa_predicate"], object=row["object"],
                    provenance=prov, studies=tuple(sorted(_split(row.get("studies", "")))),
                    route=row.get("route") or None, dose=row.get("dose") or None,
                    timing=row.get("timing") or None,
                    anatomical_context=row.get("anatomical_context_qualifier") or None,
                    population=row.get("population_context_qualifier") or None,
                    line_of_therapy=row.get("line_of_therapy") or None,  # type: ignore[arg-type]
                    adjunctive=row.get("adjunctive") == "true",
                    note=row.get("note") or None, derived_from=row.get("derived_from") or None,
                )
            except (KeyError, ValueError, IndexError) as err:
                raise KgxFormatError(f"{path / 'edges.tsv'}:{lineno}: {row.get('id')}: bad value: {err}") from None
            claims[claim.id] = claim
        hypotheses = {}
        for curie, raw in hypotheses_raw.items():
            node = nodes[curie]
            prov = _provenance(raw)
            hypotheses[curie] = Hypothesis(
                id=curie, name=node.name, provenance=prov,
                steps=tuple(HypothesisStep(**s) for s in raw["steps"]), route=raw["route"],
                synonyms=node.synonyms, description=node.description,
                supported_by=tuple(sorted(raw["supported_by"])), contradicted_by=tuple(sorted(raw["contradicted_by"])),
            )
        comparisons = {}
        for curie, raw in comparisons_raw.items():
            node = nodes[curie]
            prov = _provenance(raw)
            comparisons[curie] = Comparison(
                id=curie, name=node.name, arm_a=Arm(**raw["arm_a"]), arm_b=Arm(**raw["arm_b"]),
                outcome=raw["outcome"], result=raw["result"], provenance=prov, studies=tuple(raw["studies"]),
                population=raw["population"], note=node.description,
            )
        return KnowledgeGraph(nodes=nodes, claims=claims, hypotheses=hypotheses, schema=schema,
                              comparisons=comparisons, sources=sources)

