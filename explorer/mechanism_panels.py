"""Dash components of the compare-mechanisms view and of the contrast tours (built from explorer.mechanisms).

The lanes are HTML, not the canvas: large labels a lecturer can project, every step with its source
as text. Labels, quotes and names are passed as text, never rendered as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import html

from kmoa.explorer import ids
from kmoa.explorer.mechanisms import Lane, PreparedTour, lanes, mechanism_of, step_facts, stop_order
from kmoa.explorer.panels import select_button
from kmoa.graph.compare import DRUGMECHDB_CITATION, DRUGMECHDB_LICENCE, CompareStep, Comparison, Mechanism


def _data(**values: Any) -> dict[str, Any]:
    """HTML data attributes (data-NAME) for tests and styles."""
    return {f"data-{name}": str(value) for name, value in values.items()}


def _source_badge(mechanism: Mechanism) -> html.Span:
    if mechanism.source == "review":
        return html.Span("the review", className="source-badge source-review")
    return html.Span("DrugMechDB · public · MIT", className="source-badge source-drugmechdb",
                     title=f"{DRUGMECHDB_LICENCE}. Cite: {DRUGMECHDB_CITATION}")


def _arrow(step: CompareStep, number: int, classes: str) -> html.Div:
    label: Any = f"{step.label} [{number}]"
    if step.claim is not None:
        label = select_button(f"claim:{step.claim}", label, "linklike mech-label")
    else:
        label = html.Span(label, className="mech-label")
    where = "review" if step.claim is not None else "DrugMechDB"
    return html.Div([html.Span("↓", className="mech-arrowhead"), label, html.Span(where, className="mech-where")],
                    className=f"mech-arrow {classes}".strip(), **_data(step=number))


def _lane(lane: Lane, index: int, state_of: Mapping[int, str]) -> html.Div:
    mech = lane.mechanism
    body: list[Any] = []
    for item in lane.items:
        if item[0] == "node":
            body.append(html.Div(item[1], className="mech-node", title=item[2]))
        elif item[0] == "gap":
            body.append(html.Div("⋮", className="mech-gap", title="the next step starts elsewhere"))
        else:
            i = item[1]
            body.append(_arrow(mech.steps[i], i + 1, state_of.get(i, "")))
    head = html.Div([html.Div(lane.compound, className="lane-compound"),
                     html.Div(mech.title, className="lane-title"), _source_badge(mech)], className="lane-head")
    ends = "reaches-end" if lane.reaches_end else "ends-elsewhere"
    kind = "source-review" if mech.source == "review" else "source-drugmechdb"
    return html.Div([head, html.Div(body, className="lane-body")], className=f"mech-lane {kind} {ends}",
                    **_data(lane=index, compound=lane.compound))


def _sources(lane: Lane, index: int) -> html.Div:
    mech = lane.mechanism
    items = []
    for n, step in enumerate(mech.steps, start=1):
        facts = " · ".join(f"{label}: {value}" for label, value in step_facts(step, mech) if value)
        items.append(html.Li([html.Div(f"[{n}] {step.subject} — {step.label} → {step.object}",
                                       className="mech-source-step"),
                              html.Div(facts, className="mech-source-facts"),
                              html.Blockquote(f"“{step.text}”", className="quote mech-quote")
                              if step.claim is not None else None], **_data(step=n)))
    return html.Div([html.H4(f"{lane.compound}: {mech.title}"), html.Ol(items, className="mech-source-list")],
                    className="mech-sources-lane", **_data(lane=index))


def _clinical(comparison: Comparison) -> html.Div:
    cards = []
    for side in comparison.sides:
        facts = side.clinical or ["none (the review does not study this compound for it)"]
        cards.append(html.Div([html.H4(f"What the review gives for {side.name} and {comparison.target_name}"),
                               html.Ul([html.Li(f) for f in facts])], className="mech-clinical-side"))
    return html.Div(cards, className="mech-clinical", id="mechanism-clinical")


def citation() -> html.Footer:
    """DrugMechDB's licence and citation, shown wherever its steps are."""
    return html.Footer(f"DrugMechDB steps come from a separate public source, not from the review: "
                       f"{DRUGMECHDB_LICENCE}. Cite: {DRUGMECHDB_CITATION}", className="mech-citation",
                       id="mechanism-citation")


def mechanism_diagram(comparison: Comparison, classes: Mapping[int, Mapping[int, str]] | None = None,
                      beside: Any = None, title: str | None = None) -> html.Div:
    """The lanes side by side, aligned at the shared indication, then each step's source and the clinical facts."""
    drawn = lanes(comparison)
    classes = classes or {}
    public = any(lane.mechanism.path is not None for lane in drawn)
    grid = {"gridTemplateColumns": f"repeat({max(len(drawn), 1)}, minmax(200px, 1fr))"}
    return html.Div([
        html.H2(title or f"Mechanisms to {comparison.target_name}, side by side", className="mech-heading"),
        html.P("Each lane is one mechanism, read top to bottom; all end at the shared indication below. Click a "
               "review step for its quote and studies.", className="muted"),
        html.Div([_lane(lane, i, classes.get(i, {})) for i, lane in enumerate(drawn)], className="mech-lanes",
                 style=grid),
        html.Div(html.Div(comparison.target_name, className="mech-end-name"), className="mech-end",
                 id="mechanism-end", title=", ".join(comparison.diseases)),
        beside,
        html.H3("Sources of the steps"),
        html.Div([_sources(lane, i) for i, lane in enumerate(drawn)], className="mech-sources", style=grid),
        html.H3("Clinical facts"),
        _clinical(comparison),
        citation() if public else None,
    ], className="mech-compare", id="mechanism-compare")


def mechanism_view(result: Comparison | str) -> html.Div:
    """The compare-mechanisms view, or why there is nothing to compare."""
    if isinstance(result, str):
        return html.Div(html.P(result, className="notice notice-error"), id="mechanism-compare")
    return mechanism_diagram(result)


def _claim_card(prepared: PreparedTour, position: int, current: int) -> html.Div:
    stop = prepared.stops[position]
    step = stop.step
    state = "current" if position == current else ("future" if position > current else "")
    return html.Div([html.Div(stop.caption, className="mech-claim-caption"),
                     html.Blockquote(f"“{step.text}”", className="quote"),
                     html.Div(step.reference, className="muted small")],
                    className=f"mech-claim-card {state}".strip())


def contrast_diagram(prepared: PreparedTour, current: int) -> html.Div:
    """The tour's two lanes with the current stop highlighted and stops not yet reached muted."""
    order = stop_order(prepared)
    classes: dict[int, dict[int, str]] = {}
    for (lane, index), position in order.items():
        if lane is not None:
            classes.setdefault(lane, {})[index] = ("current" if position == current else
                                                   "future" if position > current else "")
    last = len(prepared.stops) - 1
    beside = html.Div([_claim_card(prepared, 0, current), _claim_card(prepared, last, current)],
                      className="mech-claims")
    return mechanism_diagram(prepared.comparison, classes, beside, title=prepared.tour.name)


def contrast_tour_panel(prepared: PreparedTour, current: int) -> html.Div:
    """The sidebar's tour step: caption, the step's source (the review's quote or the DrugMechDB path), outline."""
    stop = prepared.stops[current]
    total = len(prepared.stops)
    mech = mechanism_of(prepared.comparison, stop.lane)
    step = stop.step
    if step.claim is not None:
        source: Any = html.Blockquote([
            html.Span(f"“{step.text}”", className="quote-text"),
            html.Footer(f"Review: {step.reference}")],
            className="quote", id="tour-quote")
        claim = html.Div(select_button(f"claim:{step.claim}", f"{step.subject} — {step.label} → {step.object}"),
                         className="tour-claim")
    else:
        rows = [html.Tr([html.Th(label), html.Td(value)]) for label, value in step_facts(step, mech) if value]
        source = html.Div([html.Div("DrugMechDB · a separate public source (MIT licence)",
                                    className="flag flag-public", role="note"),
                           html.Div(step.text, className="public-step-text"),
                           html.Table(html.Tbody(rows), className="facts"),
                           html.Div(f"Cite: {DRUGMECHDB_CITATION}", className="muted small")],
                          className="public-source", id="tour-quote")
        claim = None
    outline = [html.Li(html.Button(s.caption, id={"type": ids.TOUR_GO, "index": f"{prepared.tour.id}#{i + 1}"},
                                   n_clicks=0, className="linklike" + (" current" if i == current else "")))
               for i, s in enumerate(prepared.stops)]
    return html.Div([
        html.Div(f"Step {current + 1} of {total}", className="tour-counter", id="tour-counter"),
        html.Div(html.Div(style={"width": f"{(current + 1) / total * 100:.0f}%"}, className="bar"),
                 className="progress"),
        html.P(stop.caption, className="tour-caption", id="tour-caption"),
        html.Div("From DrugMechDB" if step.claim is None else "From the review",
                 className=f"tour-source {'tour-source-public' if step.claim is None else 'tour-source-review'}",
                 id="tour-source"),
        source, claim,
        html.Details([html.Summary(f"All {total} steps"), html.Ol(outline, className="tour-outline")],
                     className="tour-all"),
    ], className="tour-step")

