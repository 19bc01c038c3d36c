"""The review text and verbatim-quote matching.

Quotes must occur in the review verbatim, apart from whitespace and line-break hyphenation
("glu-\\ntamatergic" matches "glutamatergic", "post-\\ntraumatic" matches "post-traumatic").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path

REVIEW_CITATION = "Discover Mental Health (2022) 2:9, doi:10.1007/s44192-022-00012-3"
REVIEW_DOI = "DOI:10.1007/s44192-022-00012-3"
_BREAK = "\x00"  # stands for a hyphen that ended a line in the review


def default_review_path() -> Path:
    """Path of the review copy shipped with the package."""
    return Path(str(files("graph") / "data" / "review.txt"))


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Review:
    """The review's text, normalised once for quote look-ups."""

    text: str

    @classmethod
    def load(cls, path: Path | None = None) -> "Review":
        return cls((path or default_review_path()).read_text(encoding="utf-8"))

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
