"""The evidence view: every study the review reports for one or two compounds (and an indication).

A forest-style chart of the numbers the review gives (drawn in HTML and CSS: one track per number,
a filled dot for the drug, a hollow one for the comparator arm, a bar for an interval, a dashed span
between end marks for the range of several values the review gives) above a table of
all rows, sortable by its column headers; a click on a row opens its claim in the evidence panel.
Rows and numbers are ``graph.evidence``'s, as in ``kmoa plot evidence``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from kmoa.explorer import ids
from kmoa.explorer.data import ExplorerData
from kmoa.graph.evidence import (
    Evidence,
    EvidenceRow,
    ForestPanel,
    colours,
    compare_evidence,
    evidence_title,
    forest_panels,
    source_line,
)

#: Table columns: (key, header, sortable).
COLUMNS = (
    ("compound", "Compound", True), ("study", "Study", True), ("design", "Design", True), ("n", "n", True),
    ("population", "Population", False), ("route", "Route", True), ("dose", "Dose", False),
    ("endpoint", "Endpoint", False), ("result", "Result", False), ("effect", "Effect size", False),
    ("finding", "Finding", True), ("canmat", "CANMAT", True), ("section", "Section", True),
    ("refs", "Refs", False),
)
SORTABLE = tuple(key for key, _, sortable in COLUMNS if sortable)
FINDING_ORDER = ("positive", "suggestive", "rare", "mixed", "insufficient", "null", "negative")
DISEASE_KINDS = ("disease",)


def sort_key(data: ExplorerData, column: str) -> Any:
    """How a column sorts: numbers as numbers, designs by strength, findings from positive to negative."""
    strength = {name: e.strength for name, e in data.kg.schema.evidence_types.items()}

    def section(row: EvidenceRow) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else 99 for p in row.section.split("."))

    keys: dict[str, Any] = {
        "compound": lambda r: r.compound_name.lower(), "study": lambda r: r.name.lower(),
        "design": lambda r: -strength.get(r.evidence_type, 0.0), "n": lambda r: (r.n is None, -(r.n or 0)),
        "route": lambda r: (r.route is None, r.route or ""),
        "finding": lambda r: FINDING_ORDER.index(r.finding) if r.finding in FINDING_ORDER else 99,
        "canmat": lambda r: (r.canmat_level is None, r.canmat_level or ""), "section": section,
    }
    return keys[column]


def sorted_rows(data: ExplorerData, rows: Sequence[EvidenceRow], sort: str | None) -> list[EvidenceRow]:
    """The rows in the order a sort parameter asks ("n": as the column reads, "-n": reversed)."""
    column = (sort or "").lstrip("-")
    if column not in SORTABLE:
        return list(rows)
    return sorted(rows, key=sort_key(data, column), reverse=(sort or "").startswith("-"))


def evidence_for(data: ExplorerData, state: Mapping[str, Any]) -> Evidence | None:
    """The evidence a state shows, or None when it names no compound."""
    compounds = [c for c in (state.get("ev_compound"), state.get("ev_compare")) if c in data.kg.nodes]
    if not compounds:
        return None
    return compare_evidence(data.kg, compounds, state.get("ev_indication"))


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100) if span / s <= 6)
    first = int(low / step) * step
    return [round(first + i * step, 6) for i in range(int(span / step) + 2) if low <= first + i * step <= high]


def _panel(panel: ForestPanel, colour_of: Mapping[str, str]) -> html.Div:
    values = [v for p in panel.points for v in (p.value, p.comparator, p.low, p.high) if v is not None]
    if panel.reference is None:
        low, high = 0.0, 100.0
    else:
        low = min(panel.reference, *values) * 1.2 - 0.1
        high = max(panel.reference, *values) * 1.2 + 0.1

    def at(value: float) -> str:
        return f"{100 * (value - low) / (high - low):.2f}%"

    lines = []
    for point in panel.points:
        colour = colour_of.get(point.compound, "#444")
        marks: list[Any] = []
        if point.low is not None and point.high is not None and point.spread == "range":
            # The lowest and highest of several values: a dashed span with end marks, not an interval's bar.
            marks.append(html.Span(className="forest-span", title=f"range of values given: {point.text}", style={
                "left": at(point.low), "width": f"calc({at(point.high)} - {at(point.low)})", "borderColor": colour}))
        elif point.low is not None and point.high is not None:
            marks.append(html.Span(className="forest-range", title=f"interval: {point.text}", style={
                "left": at(point.low), "width": f"calc({at(point.high)} - {at(point.low)})", "background": colour}))
        if point.value is not None and point.comparator is not None:
            left, right = sorted((point.value, point.comparator))
            marks.append(html.Span(className="forest-link", style={
                "left": at(left), "width": f"calc({at(right)} - {at(left)})", "background": colour}))
            marks.append(html.Span(className="forest-dot hollow", title=f"comparator: {point.comparator:g}",
                                   style={"left": at(point.comparator), "borderColor": colour}))
        if point.value is not None:
            marks.append(html.Span(className="forest-dot", title=f"{point.compound_name}: {point.value:g}",
                                   style={"left": at(point.value), "background": colour, "borderColor": colour}))
        lines.append(html.Div([
            html.Div([html.Span(point.label), html.Span(f" [{point.text}]", className="muted")],
                     className="forest-label"),
            html.Div(marks, className="forest-track"),
        ], className="forest-line"))
    reference = [] if panel.reference is None else [
        html.Span(className="forest-zero", style={"left": at(panel.reference)})]
    axis = html.Div([html.Div(className="forest-label"), html.Div(
        [html.Span(f"{t:g}", className="forest-tick", style={"left": at(t)}) for t in _ticks(low, high)],
        className="forest-axis")], className="forest-line")
    return html.Div([html.Div(panel.title, className="forest-title"),
                     html.Div([*lines, axis, html.Div(reference, className="forest-refs")], className="forest-body")],
                    className="forest-panel")


def forest_chart(data: ExplorerData, evidence: Evidence) -> html.Div:
    """The numbers of the rows, one panel per measure, with a legend."""
    colour_of = colours(evidence)
    panels = forest_panels(evidence)
    plotted = {p.row for panel in panels for p in panel.points}
    legend = [html.Span([html.Span(className="forest-dot legend-dot", style={"background": colour_of[c],
                                                                          "borderColor": colour_of[c]}),
                         data.kg.nodes[c].name], className="legend-item") for c in evidence.compounds]
    spreads = {p.spread for panel in panels for p in panel.points if p.low is not None and p.high is not None}
    legend += [html.Span([html.Span(className="forest-dot hollow legend-dot"), "comparator arm"],
                         className="legend-item")]
    if "range" in spreads:
        legend.append(html.Span([html.Span(className="forest-span legend-range"),
                                 "range of the values the review gives (lowest to highest; not an interval)"],
                                className="legend-item"))
    if spreads - {"range"}:
        legend.append(html.Span([html.Span(className="forest-range legend-range"), "interval the review gives"],
                                className="legend-item"))
    body: list[Any] = [_panel(p, colour_of) for p in panels] or [
        html.P("The review gives no numbers for these studies; the table lists them.", className="muted")]
    return html.Div([
        html.Div(legend, className="legend-row"), *body,
        html.P(f"{len(plotted)} of {len(evidence.rows)} rows have numbers in the review; the table lists all.",
               className="muted small"),
    ], className="forest", id=ids.EVIDENCE_CHART)


def _cells(data: ExplorerData, row: EvidenceRow) -> dict[str, Any]:
    """What each column shows for a row (the study name is a button, so a row is reached by keyboard)."""
    design = data.kg.schema.evidence_types[row.evidence_type].label
    return {
        "compound": row.compound_name, "study": html.Button(row.name, className="linklike", n_clicks=0),
        "design": html.Span(design, title=row.design or design), "n": row.n if row.n is not None else "",
        "population": row.population, "route": row.route, "dose": row.dose, "endpoint": row.endpoint,
        "result": row.result, "effect": row.effect_size, "finding": row.finding, "canmat": row.canmat_level,
        "section": row.section, "refs": ", ".join(str(r) for r in row.refs),
    }


def row_index(row: EvidenceRow) -> str:
    """A row's pattern index: its claim and its study (two studies may share a claim)."""
    return f"{row.claim}#{row.study or ''}"


def evidence_table(data: ExplorerData, evidence: Evidence, sort: str | None, selected: str | None) -> html.Table:
    """Every row; a header sorts by its column (again: reversed), a row opens its claim."""
    column = (sort or "").lstrip("-")
    heads = []
    for key, label, sortable in COLUMNS:
        if not sortable:
            heads.append(html.Th(label, scope="col"))
            continue
        descending = sort == f"-{key}"
        aria: dict[str, Any] = {"aria-sort": ("descending" if descending else "ascending") if column == key else "none"}
        arrow = (" ▼" if descending else " ▲") if column == key else ""
        heads.append(html.Th(html.Button(label + arrow, id={"type": ids.EVIDENCE_SORT, "index": key}, n_clicks=0,
                                         className="sort", title=f"Sort by {label.lower()}"), scope="col", **aria))
    body = []
    for row in sorted_rows(data, evidence.rows, sort):
        classes = "evidence-row" + (" selected" if selected == f"claim:{row.claim}" else "")
        data_attributes: dict[str, Any] = {"data-study": row.study or "", "data-claim": row.claim}
        cells = _cells(data, row)
        body.append(html.Tr([html.Td(cells[key] or "", className=f"col-{key}") for key, _, _ in COLUMNS],
                            id={"type": ids.EVIDENCE_ROW, "index": row_index(row)}, n_clicks=0, className=classes,
                            title=f"Open claim {row.claim}", **data_attributes))
    return html.Table([html.Thead(html.Tr(heads)), html.Tbody(body)], className="evidence-table",
                      id=ids.EVIDENCE_TABLE)


def evidence_view(data: ExplorerData, state: Mapping[str, Any]) -> html.Div:
    """The whole view: title, what the review says between the compounds, the chart and the table."""
    evidence = evidence_for(data, state)
    if evidence is None:
        return html.Div(html.P("Choose a compound in the Evidence tab (left).", className="notice"))
    between = [html.P([html.Strong("Head to head: "), f"“{c.provenance.quote}” (section {c.provenance.section})"],
                      className="notice") for c in evidence.between]
    if not evidence.rows:
        return html.Div([html.H2(evidence_title(data.kg, evidence)), *between,
                         html.P("The review reports no clinical studies for this choice.", className="notice")])
    counts = {c: sum(1 for r in evidence.rows if r.compound == c) for c in evidence.compounds}
    summary = "; ".join(f"{data.kg.nodes[c].name}: {n} row{'s' if n != 1 else ''}" for c, n in counts.items())
    return html.Div([
        html.H2(evidence_title(data.kg, evidence)),
        html.P(f"{summary}. One row per study the review reports (and per guideline or regulatory statement "
               "without a study). Click a row for its claim: the review's quote, references and study facts.",
               className="muted"),
        *between,
        forest_chart(data, evidence),
        html.Div(evidence_table(data, evidence, state.get("ev_sort"), state.get("sel")), className="table-scroll"),
        html.P(source_line(data.kg, evidence), className="muted small"),
    ])


def rows_json(rows: Sequence[EvidenceRow]) -> str:
    """The rows with every field (and the numbers the review gives for each), as JSON."""
    return json.dumps([dataclasses.asdict(r, dict_factory=lambda kv: {k: v for k, v in kv if k != "location"})
                       for r in rows], indent=2, ensure_ascii=False)


def rows_csv(rows: Sequence[EvidenceRow]) -> str:
    """The rows as CSV, one line per row; lists are '|'-joined, the numbers left to the JSON."""
    names = [f.name for f in dataclasses.fields(EvidenceRow) if f.name != "estimates"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        values = [getattr(row, n) for n in names]
        writer.writerow(["|".join(map(str, v)) if isinstance(v, tuple) else "" if v is None else v for v in values])
    return out.getvalue()


def compound_options(data: ExplorerData) -> list[dict[str, str]]:
    """Compounds of the curated graph, by name."""
    nodes = sorted((n for n in data.kg.nodes.values() if n.kind == "compound"), key=lambda n: n.name.lower())
    return [{"label": n.name, "value": n.id} for n in nodes]


def indication_options(data: ExplorerData) -> list[dict[str, str]]:
    """Diseases and indications of the curated graph, by name."""
    nodes = sorted((n for n in data.kg.nodes.values() if n.kind in DISEASE_KINDS), key=lambda n: n.name.lower())
    return [{"label": n.name, "value": n.id} for n in nodes]


def evidence_tab(data: ExplorerData) -> dcc.Tab:
    """The sidebar tab: a compound, another to compare, an indication."""
    def field(label: str, control: Any) -> html.Div:
        return html.Div([html.Label(label, className="field-label", htmlFor=control.id), control], className="field")

    return dcc.Tab(label="Evidence", value="evidence", id="tab-evidence", children=html.Div([
        html.P("The clinical studies the review reports, side by side: a chart of the numbers it gives and a "
               "table of every study.", className="muted"),
        field("Compound", dcc.Dropdown(id=ids.EV_COMPOUND, options=compound_options(data), placeholder="e.g. ketamine",
                                       clearable=False)),
        field("Compare with (optional)", dcc.Dropdown(id=ids.EV_COMPARE, options=compound_options(data),
                                                      placeholder="e.g. esketamine", clearable=True)),
        field("Indication (optional)", dcc.Dropdown(id=ids.EV_INDICATION, options=indication_options(data),
                                                    placeholder="e.g. treatment-resistant depression", clearable=True)),
        html.Button("Show evidence", id=ids.EV_SHOW, n_clicks=0, className="btn btn-primary"),
        html.P("Or from the command line: kmoa plot evidence ketamine esketamine -i TRD -o evidence.png",
               className="hint"),
    ], className="tab-body"))
