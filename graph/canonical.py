"""Canonical formatting of the curated YAML: records sorted by id, keys in schema order.

``kmoa fmt`` rewrites files in this form, and a test fails when a file is not canonical, so
diffs show content changes only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kmoa.graph.curation import (
    CLAIM_KEYS,
    COMPARISON_KEYS,
    ESTIMATE_KEYS,
    HYPOTHESIS_KEYS,
    LINE_KEY,
    NODE_KEYS,
    STUDY_KEYS,
    read_yaml_records,
)

SORTED_LISTS = {"synonyms", "xref", "refs", "studies", "supported_by", "contradicted_by"}


class _Dumper(yaml.SafeDumper):
    """Block style for records, flow style for short lists of scalars."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(v, (int, str)) for v in data) and len(str(data)) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = ">" if len(data) > 80 and "\n" not in data and not data.startswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def _order(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        if key in record and (record[key] not in (None, [], "") or key == "refs"):
            value = record[key]
            if key in SORTED_LISTS and isinstance(value, list):
                value = sorted(value, key=lambda v: (isinstance(v, str), v))
            out[key] = value
    for key in record:  # unknown keys are kept (validation reports them) at the end
        if key not in out and key not in keys and key != LINE_KEY:
            out[key] = record[key]
    return out


def canonical_record(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A record with keys in schema order, blanks dropped and set-like lists sorted."""
    out = _order(record, keys)
    if isinstance(out.get("study"), dict):
        out["study"] = _order(out["study"], STUDY_KEYS)
    for arm in ("arm_a", "arm_b"):
        if isinstance(out.get(arm), dict):
            out[arm] = _order(out[arm], ("node", "regimen"))
    if isinstance(out.get("steps"), list):
        out["steps"] = [_order(s, ("claim", "caption")) if isinstance(s, dict) else s for s in out["steps"]]
    return out


def keys_for(path: Path) -> tuple[str, ...]:
    """Which record layout a data file holds, from its folder."""
    if path.name == "hypotheses.yaml":
        return HYPOTHESIS_KEYS
    if path.name == "estimates.yaml":
        return ESTIMATE_KEYS
    if path.parent.name == "claims":
        return CLAIM_KEYS
    if path.parent.name == "comparisons":
        return COMPARISON_KEYS
    return NODE_KEYS


def canonical_text(path: Path) -> str:
    """The canonical YAML text of one curated file."""
    records = [canonical_record(r, keys_for(path)) for r in read_yaml_records(path, str(path))]
    records.sort(key=lambda r: str(r.get("id", "")))
    if not records:
        return "[]\n"
    return yaml.dump(records, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def data_files(data_dir: Path) -> list[Path]:
    """Every curated YAML file."""
    return sorted([*data_dir.glob("nodes/*.yaml"), *data_dir.glob("claims/*.yaml"),
                   *data_dir.glob("comparisons/*.yaml"), *data_dir.glob("hypotheses.yaml"),
                   *data_dir.glob("estimates.yaml")])


def format_files(data_dir: Path, check: bool = False) -> list[Path]:
    """Rewrite files canonically (or, with ``check``, only list those that are not)."""
    changed = []
    for path in data_files(data_dir):
        text = canonical_text(path)
        if path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not check:
                tmp = path.with_suffix(".yaml.tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
    return changed
