"""Curated sources: each is a folder with its text, its records and a ``source.yaml`` describing it.

``source.yaml`` names the source (``id``), its knowledge source (``infores``), its citation and DOI,
the file holding its text, its numbered reference list and its section scheme; optionally how a
quote's footer names it (``short_name``), which lines of its text are headings rather than prose
(``headings``) and the numbered routes its hypotheses may name (``routes``). Claims of a source
cite reference numbers from that source's list and name sections of that source's scheme; the
packaged review (``graph/data/source.yaml``) is one such source. A data folder without a
``source.yaml`` is an excerpt of the packaged review (the tests' tiny graph is one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from kmoa.graph.identifiers import curie_problem

SourceId = str
SOURCE_FILE = "source.yaml"
SOURCE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SOURCE_KEYS = ("id", "name", "short_name", "citation", "doi", "infores", "text", "references", "sections", "headings",
               "routes")


class SourceError(ValueError):
    """A ``source.yaml`` that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class CuratedSource:
    """What one curated source is: its identity, its text and how it numbers references and sections."""

    #: Short stable name, e.g. ``ketamine-review-2022``; every claim's provenance names it.
    id: SourceId
    #: The Translator information-resource CURIE given as each edge's primary knowledge source.
    infores: str
    #: A human-readable citation of the source.
    citation: str
    #: The numbered reference list: number -> citation ("" where the citation is not transcribed).
    references: Mapping[int, str]
    #: A regular expression every section name must match, and examples for error messages.
    section_pattern: str
    section_examples: tuple[str, ...] = field(default=(), compare=False)
    name: str | None = None
    doi: str | None = None
    #: Where the source's text is (the file quotes are checked against).
    text_path: Path | None = field(default=None, compare=False)
    #: How a quote's footer names the source beside a section ("Review, section 2"); see ``label``.
    short_name: str | None = field(default=None, compare=False)
    #: Lines of the text that are headings or page furniture, not prose (a regular expression a whole
    #: line matches); passages read from the text never run across them.
    headings: str | None = field(default=None, compare=False)
    #: The numbered routes a hypothesis of this source may name (``route: N``, 1 to ``route_count``),
    #: and where the source draws them (``route_figure``, e.g. "the review's Fig. 1").
    route_count: int = field(default=0, compare=False)
    route_figure: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """The short name a quote's footer gives the source: ``short_name``, else its name, else its id."""
        return self.short_name or self.name or self.id

    def route_problem(self, route: object) -> str | None:
        """Why ``route`` is not a route a hypothesis of this source may name, or None when it is."""
        if isinstance(route, int) and not isinstance(route, bool) and 1 <= route <= self.route_count:
            return None
        if not self.route_count:
            return f"{self.id} numbers no routes (source.yaml 'routes'): omit 'route'"
        return f"route must be a route number of {self.route_figure or self.id} (1-{self.route_count}), or omitted"

    def has_reference(self, number: int) -> bool:
        """True when ``number`` is in the source's reference list."""
        return number in self.references

    def reference_span(self) -> str:
        """The reference list in a few characters for messages: ``[1]-[88]`` or ``[1], [3]``."""
        numbers = sorted(self.references)
        if not numbers:
            return "none"
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"[{numbers[0]}]-[{numbers[-1]}]"
        return ", ".join(f"[{n}]" for n in numbers)

    def section_problem(self, section: str) -> str | None:
        """Why ``section`` is not a section of this source, or None when it is."""
        if re.fullmatch(self.section_pattern, section):
            return None
        examples = f" (e.g. {', '.join(repr(e) for e in self.section_examples)})" if self.section_examples else ""
        return f"section '{section}' is not a section of {self.id}{examples}"

    def text(self) -> str:
        """The source's text."""
        if self.text_path is None:
            raise SourceError(f"source {self.id} has no text file")
        return self.text_path.read_text(encoding="utf-8")


def default_source_dir() -> Path:
    """The packaged review's folder (``graph/data``)."""
    return Path(str(files("kmoa.graph") / "data"))


def _references(value: Any, where: str) -> dict[int, str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return {n: "" for n in range(1, value + 1)}
    if isinstance(value, dict) and all(isinstance(k, int) and not isinstance(k, bool) and k >= 1
                                       and isinstance(v, str) for k, v in value.items()):
        return dict(sorted(value.items()))
    raise SourceError(f"{where}: 'references' must be how many numbered references there are "
                      "or a mapping number -> citation")


def read_source(folder: Path) -> CuratedSource:
    """The source described by ``folder/source.yaml``; the packaged review's when the folder has none.

    A folder without its own ``source.yaml`` reads its text from its own copy of the review text if
    it has one, else from the packaged review.
    """
    path = folder / SOURCE_FILE
    if not path.is_file():
        review = read_source(default_source_dir())
        own = folder / review.text_path.name if review.text_path else None
        if own is not None and own.is_file():
            return replace(review, text_path=own)
        return review
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise SourceError(f"{where}: malformed YAML: {err}") from None
    if not isinstance(raw, dict):
        raise SourceError(f"{where}: expected a mapping of {', '.join(SOURCE_KEYS)}")
    unknown = sorted(set(raw) - set(SOURCE_KEYS))
    if unknown:
        raise SourceError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(SOURCE_KEYS)})")
    missing = [k for k in ("id", "infores", "citation", "text", "references", "sections") if not raw.get(k)
               and raw.get(k) != 0]
    if missing:
        raise SourceError(f"{where}: missing field(s) {', '.join(missing)}")
    source_id = str(raw["id"])
    if not SOURCE_ID_RE.match(source_id):
        raise SourceError(f"{where}: id '{source_id}' must match [a-z0-9][a-z0-9-]*")
    infores = str(raw["infores"])
    if not re.fullmatch(r"infores:[a-z0-9][a-z0-9_.-]*", infores):
        raise SourceError(f"{where}: infores '{infores}' is not an infores CURIE (infores:xxx)")
    doi = raw.get("doi")
    if doi is not None and (not str(doi).startswith("DOI:") or curie_problem(str(doi))):
        raise SourceError(f"{where}: doi '{doi}' must be a DOI CURIE (DOI:10.xxxx/...)")
    sections = raw["sections"]
    if not isinstance(sections, dict) or not isinstance(sections.get("pattern"), str):
        raise SourceError(f"{where}: 'sections' must be a mapping with 'pattern' (a regular expression) "
                          "and optional 'examples'")
    try:
        re.compile(sections["pattern"])
    except re.error as err:
        raise SourceError(f"{where}: sections.pattern is not a regular expression: {err}") from None
    text_path = folder / str(raw["text"])
    if not text_path.is_file():
        raise SourceError(f"{where}: text file {text_path} does not exist")
    headings = raw.get("headings")
    if headings is not None:
        try:
            re.compile(str(headings))
        except re.error as err:
            raise SourceError(f"{where}: headings is not a regular expression: {err}") from None
    routes = raw.get("routes") or {}
    if not isinstance(routes, dict) or not isinstance(routes.get("count", 0), int) or routes.get("count", 0) < 0 \
            or set(routes) - {"count", "figure"}:
        raise SourceError(f"{where}: 'routes' must be a mapping with 'count' (how many numbered routes) "
                          "and optional 'figure' (where the source draws them)")
    return CuratedSource(
        id=source_id, infores=infores, citation=str(raw["citation"]).strip(),
        references=_references(raw["references"], where), section_pattern=sections["pattern"],
        section_examples=tuple(str(e) for e in sections.get("examples") or ()),
        name=raw.get("name"), doi=str(doi) if doi else None, text_path=text_path,
        short_name=str(raw["short_name"]) if raw.get("short_name") else None,
        headings=str(headings) if headings is not None else None,
        route_count=int(routes.get("count", 0)), route_figure=str(routes["figure"]) if routes.get("figure") else None,
    )
