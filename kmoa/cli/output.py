"""Formatting of tabular results for the terminal: table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "|".join(_text(v) for v in value)
    return str(value)


def render(columns: Sequence[str], rows: Sequence[dict[str, Any]], fmt: str = "table", max_width: int = 60) -> str:
    """Rows as an aligned table, CSV or JSON (a list of objects)."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2, ensure_ascii=False,
                          default=str)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])
        return buffer.getvalue().rstrip("\n")
    cells = [[_text(row.get(c)) for c in columns] for row in rows]
    cells = [[v if len(v) <= max_width else v[: max_width - 1] + "…" for v in r] for r in cells]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)
