r"""A source's text and verbatim-quote matching (the class is named for the packaged review).

Quotes must occur in their source's text verbatim, apart from whitespace and line-break hyphenation
("glu-\\ntamatergic" matches "glutamatergic", "post-\\ntraumatic" matches "post-traumatic").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kmoa.graph.sources import default_source_dir, read_source

_BREAK = "\x00"  # stands for a hyphen that ended a line in the review


def default_review_path() -> Path:
    """Path of the packaged review's text (named by ``graph/data/source.yaml``)."""
    path = read_source(default_source_dir()).text_path
    assert path is not None  # read_source checks that the text file exists
    return path


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Review:
    """The review's text, normalised once for quote look-ups."""

    text: str
    #: Lines of the text that are headings, not prose (its source's ``headings``); passages stop at them.
    headings: str | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Review:
        """A text file's review; without a path, the packaged review with its source's headings."""
        if path is not None:
            return cls(path.read_text(encoding="utf-8"))
        source = read_source(default_source_dir())
        assert source.text_path is not None  # read_source checks that the text file exists
        return cls(source.text_path.read_text(encoding="utf-8"), source.headings)

    def passages_citing(self, ref: int) -> list[str]:
        """The passages that report what reference ``ref`` found (see the function of that name)."""
        return _passages_citing(self._paragraph_units, ref)

    @cached_property
    def _paragraph_units(self) -> list[list[tuple[str, list[int], bool]]]:
        return [_units(paragraph) for paragraph in _paragraphs(self.text, self.headings)]

    @cached_property
    def normalised(self) -> str:
        marked = re.sub(r"-[ \t]*\n\s*", _BREAK, self.text)
        return _collapse(marked)

    def _pattern(self, quote: str) -> re.Pattern[str]:
        parts = []
        for ch in _collapse(quote):
            if ch == " ":
                parts.append(f"(?:{_BREAK}| )")
            elif ch == "-":
                parts.append(f"[-{_BREAK}]")
            else:
                parts.append(re.escape(ch) + f"{_BREAK}?")
        return re.compile("".join(parts))

    def find(self, quote: str) -> int:
        """Character offset of the quote in the normalised review, or -1."""
        quote = _collapse(quote)
        if not quote:
            return -1
        plain = self.normalised.find(quote)
        if plain >= 0:
            return plain
        match = self._pattern(quote).search(self.normalised)
        return match.start() if match else -1

    def contains(self, quote: str) -> bool:
        """True when the quote occurs verbatim (whitespace and line-break hyphens aside)."""
        return self.find(quote) >= 0

    def sentence_of(self, quote: str) -> str:
        """The whole sentence or sentences the quote is taken from ('' when the quote is not in the text).

        The words around a quote can carry what the quote leaves out: its hedge ("Preliminary
        evidence suggests"), its population ("in animals") or its negation.
        """
        quote = _collapse(quote)
        start = self.find(quote)
        if start < 0:
            return ""
        match = self._pattern(quote).match(self.normalised, start)
        end = match.end() if match else start + len(quote)
        text = self.normalised
        before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start + 1)]
        after = _SENTENCE_END.search(text, max(end - 1, start))
        return text[before[-1] if before else 0:after.start() if after else len(text)].replace(_BREAK, "")

    def line_of(self, quote: str) -> int | None:
        """1-based line of the review where the quote starts, for citations and errors."""
        offset = self.find(quote)
        if offset < 0:
            return None
        # Re-walk the raw text: count normalised characters up to the offset.
        words_before = self.normalised[:offset].replace(_BREAK, "").split()
        target = len(words_before)
        seen = 0
        for lineno, line in enumerate(self.text.splitlines(), start=1):
            seen += len(line.replace("-\n", "").split())
            if seen >= target:
                return lineno
        return None


# A sentence ends at . ! or ? before a capital, a bracket, a quotation mark or a section heading ("6.7 Substance").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"]|\d{1,2}(?:\.\d{1,2})?\s+[A-Z])")
_CITATION = re.compile(r"\[(\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*)\]")


def cited_numbers(bracket: str) -> list[int]:
    """Reference numbers in a citation like '3–5' or '40, 44'."""
    out: list[int] = []
    for part in bracket.split(","):
        bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part.strip()) if x]
        out.extend(range(bounds[0], bounds[-1] + 1))
    return out


def _units(paragraph: str) -> list[tuple[str, list[int], bool]]:
    """Split a paragraph into units ending at a sentence end or a citation.

    Each unit is (text, cited reference numbers, starts_sentence).
    """
    units: list[tuple[str, list[int], bool]] = []
    start, new_sentence = 0, True
    pattern = re.compile(r"\[[\d\s,–-]+\]|(?<=[.!?])\s+(?=[A-Z(])")
    for match in pattern.finditer(paragraph):
        if match.group(0).startswith("["):
            end = match.end()
            units.append((paragraph[start:end], cited_numbers(match.group(0)[1:-1]), new_sentence))
            rest = paragraph[end:end + 3]
            new_sentence = bool(re.match(r"\.?\s*$|\.\s", rest))
            start = end
        else:
            units.append((paragraph[start:match.start()], [], new_sentence))
            start, new_sentence = match.end(), True
    if paragraph[start:].strip():
        units.append((paragraph[start:], [], new_sentence))
    return units


def _paragraphs(text: str, headings: str | None) -> list[str]:
    """The text's paragraphs: runs of lines between blank lines and lines that fully match ``headings``."""
    heading = re.compile(headings) if headings else None
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or (heading is not None and heading.fullmatch(line)):
            if current:
                paragraphs.append(" ".join(current))
            current = []
            continue
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    # Undo line-break hyphenation inside words the simple way (the quotes use Review.contains).
    return [re.sub(r"(\w)- (\w)", r"\1\2", p) for p in paragraphs]


_NEW_STUDY = re.compile(r"^\W*(A subsequent|Another|In another|In contrast|A recent|Later studies|To date|"
                        r"Notably|In addition|Finally)\b")


def passages_citing(text: str, ref: int, headings: str | None) -> list[str]:
    """The passages that report what reference ``ref`` found.

    A passage is the unit that cites it, the one uncited sentence just before it (a study is often
    described before its citation), and the whole sentences after it up to the next citation or
    the next sentence that introduces another study ("Another ...", "In contrast, ..."). Passages
    never run across a heading: a line matching ``headings`` (a source's ``source.yaml``), if given.
    """
    return _passages_citing([_units(paragraph) for paragraph in _paragraphs(text, headings)], ref)


def _passages_citing(paragraph_units: list[list[tuple[str, list[int], bool]]], ref: int) -> list[str]:
    out = []
    for units in paragraph_units:
        for i, (unit, refs, _) in enumerate(units):
            if ref not in refs:
                continue
            parts = [unit]
            j = i - 1
            if units[i][2] and not _NEW_STUDY.match(unit) and j >= 0 and not units[j][1] and units[j][2]:
                parts.insert(0, units[j][0])
            j = i + 1
            while (j < len(units) and not units[j][1] and units[j][2]
                   and not _NEW_STUDY.match(units[j][0])):
                parts.append(units[j][0])
                j += 1
            out.append(" ".join(p.strip() for p in parts))
    return out
