"""Callbacks: thin Dash wiring around pure handler functions that tests and benchmarks call directly.

Flow: every user action (and the URL on load or back/forward) goes through one router callback
that updates the view state and writes it to the URL; render callbacks draw the state. The router
is the only callback that both reads and writes the URL and the tracer/tour controls, so there is
no cycle between callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from kmoa.explorer import evidence_view, ids, mechanism_panels, mechanisms, panels, views
from kmoa.explorer import state as st
from kmoa.explorer.data import ExplorerData

# Where each key returned by ``render`` goes.
RENDER_OUTPUTS = {
    "elements": (ids.CANVAS, "elements"), "title": (ids.CANVAS_TITLE, "children"),
    "paths": (ids.PATH_LIST, "children"), "tour": (ids.TOUR_PANEL, "children"),
    "compare": (ids.COMPARE, "children"), "canvas_style": (ids.CANVAS_WRAP, "style"),
    "compare_style": (ids.COMPARE, "style"), "legend": (ids.LEGEND, "children"),
    "evidence": (ids.EVIDENCE, "children"), "evidence_style": (ids.EVIDENCE, "style"),
    "prev_disabled": (ids.TOUR_PREV, "disabled"), "next_disabled": (ids.TOUR_NEXT, "disabled"),
    "notices": (ids.NOTICES, "children"), "more_label": (ids.SHOW_MORE, "children"),
    "more_style": (ids.SHOW_MORE, "style"), "handout_disabled": (ids.TOUR_HANDOUT, "disabled"),
    "png_disabled": (ids.EXPORT_PNG, "disabled"), "svg_disabled": (ids.EXPORT_SVG, "disabled"),
    "nodes": (ids.NODE_LIST, "children"), "nodes_style": (ids.NODE_LIST, "style"),
    "slide": (ids.SLIDE_TEXT, "children"), "slide_prev_disabled": (ids.SLIDE_PREV, "disabled"),
    "slide_next_disabled": (ids.SLIDE_NEXT, "disabled"),
}
# Where each control value of the router goes.
CONTROL_OUTPUTS = {
    "source": (ids.SOURCE, "value"), "target": (ids.TARGET, "value"), "min": (ids.MIN_EVIDENCE, "value"),
    "human": (ids.HUMAN_ONLY, "value"), "route": (ids.ROUTE, "value"), "tour": (ids.TOUR, "value"),
    "other": (ids.COMPARE_WITH, "value"),
    "studies": (ids.STUDIES, "value"), "query": (ids.QUERY_TEXT, "value"), "lang": (ids.QUERY_LANG, "value"),
    "ev_compound": (ids.EV_COMPOUND, "value"), "ev_compare": (ids.EV_COMPARE, "value"),
    "ev_indication": (ids.EV_INDICATION, "value"),
}
# Controls set only when the state shows their view (so typing elsewhere is never overwritten).
VIEW_CONTROLS = {"query": "query", "lang": "query"}
TAB_FOR_VIEW = {"explore": "explore", "paths": "paths", "mechanisms": "paths", "tour": "tours", "compare": "tours",
                "query": "query", "evidence": "evidence"}
SEARCH_LIMIT = 15


# -- pure handlers -----------------------------------------------------------------------------


def search_options(data: ExplorerData, text: str | None, value: str | None = None) -> list[dict[str, str]]:
    """Autocomplete options for the search box (names, synonyms, CURIEs, via kg.search)."""
    kg = data.kg
    found = kg.search(text, limit=SEARCH_LIMIT) if text and text.strip() else []
    if value in kg.nodes and all(n.id != value for n in found):
        found = [kg.nodes[value], *found]
    options = []
    for node in found:
        kind = kg.schema.node_kinds[node.kind].label
        haystack = " ".join([node.name, node.id, *node.synonyms, *node.xref, text or ""])
        options.append({"label": f"{node.name} — {kind} ({node.id})", "value": node.id, "search": haystack})
    return options


SOURCE_KINDS = ("compound",)
TARGET_KINDS = ("outcome", "disease", "adverse_effect")


def picker_options(data: ExplorerData, text: str | None, value: str | None,
                   kinds: tuple[str, ...]) -> list[dict[str, str]]:
    """Options of a path-tracer picker, best first: nodes of the given kinds matching the text (kg.search).

    Imported nodes of those kinds whose label contains the text follow, then the current value.
    """
    kg = data.kg
    labels = {kg.schema.node_kinds[k].label for k in kinds if k in kg.schema.node_kinds}

    def option(curie: str) -> dict[str, str] | None:
        node = kg.nodes.get(curie)
        if node is not None:
            return {"label": f"{node.name} · {kg.schema.node_kinds[node.kind].label}", "value": curie,
                    "search": " ".join([node.name, node.id, *node.synonyms, text or ""])}
        found = next((o for o in data.node_options if o["value"] == curie), None)
        return {**found, "search": f"{found['label']} {text or ''}"} if found else None

    wanted = [n.id for n in kg.search(text, limit=SEARCH_LIMIT, kinds=kinds)] if text and text.strip() else []
    if text and text.strip():
        key = text.strip().lower()
        wanted += [o["value"] for o in data.node_options if o["value"] not in kg.nodes and key in o["label"].lower()
                   and any(f" · {label} (imported" in o["label"] for label in labels)][:SEARCH_LIMIT]
    if value and value not in wanted:
        wanted.append(value)
    return [o for o in (option(c) for c in wanted) if o is not None]


def controls_for(state: st.State) -> dict[str, Any]:
    """Values of the tracer, tour and studies controls that show a state."""
    return {
        "source": state.get("source"), "target": state.get("target"), "min": state.get("min_evidence"),
        "human": ["human"] if state.get("human_only") else [], "route": state.get("route"),
        "tour": state.get("tour") if state.get("view") == "tour" else None, "other": state.get("other"),
        "studies": ["studies"] if state.get("studies") else [],
        "query": state.get("query") or st.DEFAULT_QUERY, "lang": state.get("lang") or "sparql",
        "ev_compound": state.get("ev_compound"), "ev_compare": state.get("ev_compare"),
        "ev_indication": state.get("ev_indication"),
    }


# An action: (data, state, pattern index, input value, tracer inputs) -> new state, or None for no change.
Action = Callable[[ExplorerData, st.State, Any, Any, dict[str, Any]], "st.State | None"]


def _search(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    return st.focus(state, value) if value in data.kg.nodes else None


def _tap_node(data: ExplorerData, state: st.State, index: Any, value: Any,
              inputs: dict[str, Any]) -> st.State | None:
    curie = (value or {}).get("id")
    return st.tap_node(state, curie) if data.has_node(curie) else None


def _tap_edge(data: ExplorerData, state: st.State, index: Any, value: Any,
              inputs: dict[str, Any]) -> st.State | None:
    claim = (value or {}).get("claim")
    return st.select(state, f"claim:{claim}") if claim in data.kg.claims or data.has_claim(claim) else None


def _trace(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    source, target = inputs.get("source"), inputs.get("target")
    if not data.has_node(source) or not data.has_node(target):
        return None
    return st.trace(state, source, target, inputs.get("min"), bool(inputs.get("human")), inputs.get("route"))


def _trace_end(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any],
               end: str) -> st.State | None:
    ends = {"source": state.get("source"), "target": state.get("target"), end: index}
    new = {**state, **ends, "view": "paths"}
    if data.has_node(ends["source"]) and data.has_node(ends["target"]) and ends["source"] != ends["target"]:
        new = st.trace(new, ends["source"], ends["target"], state.get("min_evidence"),
                       bool(state.get("human_only")), state.get("route"))
    return new


def tour_length(data: ExplorerData, tour: Any) -> int | None:
    """The number of steps of a hypothesis tour or a contrast tour (None: no such tour)."""
    from kmoa.explorer.mechanisms import tour_total

    if not isinstance(tour, str):
        return None
    hyp = data.kg.hypotheses.get(tour)
    return len(hyp.steps) if hyp is not None else tour_total(data.public, tour)


def _tour_go(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    tour, _, number = str(index).partition("#")
    total = tour_length(data, tour)
    if total is None:
        return None
    return st.step_tour(st.start_tour(state, tour), int(number or 1) - 1, total)


def _tour(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    return st.start_tour(state, value) if tour_length(data, value) else None


# The step buttons whose clicks move a tour or a path: (back, forward) for the tour's and the slide's.
STEP_BUTTONS = {"tour": ("prev", "next"), "slide": ("slide_prev", "slide_next")}


def steps_clicked(inputs: dict[str, Any], pair: str, delta: int) -> int:
    """How far the clicks on a Previous/Next pair move, counting every click the router has not applied yet.

    Two quick clicks on Next send two requests with the same state; the renderer drops the first, still in
    flight, so the second moves by the two clicks (its n_clicks against the count seen), not by one.
    Without click counts (a direct call), ``delta``.
    """
    clicks, seen = inputs.get("clicks"), inputs.get("seen") or {}
    if not clicks:
        return delta
    back, forward = STEP_BUTTONS[pair]
    return (int(clicks.get(forward) or 0) - int(seen.get(forward) or 0)) - \
        (int(clicks.get(back) or 0) - int(seen.get(back) or 0))


def _tour_step(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any],
               delta: int, pair: str = "tour") -> st.State | None:
    total = tour_length(data, state.get("tour"))
    return st.step_tour(state, steps_clicked(inputs, pair, delta), total) if total else None


def _compare(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    from kmoa.explorer.mechanisms import resolve_compound

    source, target = inputs.get("source"), inputs.get("target")
    other = resolve_compound(data.kg, data.public, inputs.get("other"))
    if not data.has_node(source) or not data.has_node(target) or other is None:
        return None
    return st.compare_mechanisms(state, source, other, target)


def _slide_step(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any],
                delta: int) -> st.State | None:
    """Presentation mode's ← →: the next tour step, or the next step of the highlighted path."""
    if state.get("view") == "tour":
        return _tour_step(data, state, index, value, inputs, delta, "slide")
    claims = views.path_step_claims(views.scene_for(data, state), state)
    return st.step_path(state, claims, steps_clicked(inputs, "slide", delta)) if claims else None


def _matches(data: ExplorerData, state: st.State, index: Any, value: Any, inputs: dict[str, Any]) -> st.State | None:
    if not value:
        return None
    if value.get("failed") and state.get("view") != "query":
        return None  # a refused or failed query leaves the view as it was
    new = st.show_matches(state, list(value.get("matches") or []), value.get("query"), value.get("lang"))
    return {**new, "failed": bool(value.get("failed"))}


def _show_evidence(data: ExplorerData, state: st.State, index: Any, value: Any,
                   inputs: dict[str, Any]) -> st.State | None:
    compound = inputs.get("ev_compound")
    if compound not in data.kg.nodes:
        return None
    compare = inputs.get("ev_compare") if inputs.get("ev_compare") in data.kg.nodes else None
    indication = inputs.get("ev_indication") if inputs.get("ev_indication") in data.kg.nodes else None
    return st.show_evidence(state, compound, compare, indication)


ACTIONS: dict[str, Action] = {
    ids.SEARCH: _search,
    ids.CANVAS_NODE: _tap_node,
    ids.CANVAS_EDGE: _tap_edge,
    ids.TRACE: _trace,
    ids.PATH_ITEM: lambda data, state, index, value, inputs: st.pick_path(state, int(str(index))),
    ids.PATHS_MORE: lambda data, state, index, value, inputs: st.more_paths(state),
    ids.SELECT: lambda data, state, index, value, inputs: st.select(state, str(index)),
    ids.FOCUS: lambda data, state, index, value, inputs: st.focus(state, str(index)),
    ids.TRACE_FROM: lambda data, state, index, value, inputs: _trace_end(data, state, index, value, inputs, "source"),
    ids.TRACE_TO: lambda data, state, index, value, inputs: _trace_end(data, state, index, value, inputs, "target"),
    ids.TOUR_GO: _tour_go,
    ids.TOUR: _tour,
    ids.TOUR_PREV: lambda data, state, index, value, inputs: _tour_step(data, state, index, value, inputs, -1),
    ids.TOUR_NEXT: lambda data, state, index, value, inputs: _tour_step(data, state, index, value, inputs, 1),
    ids.SLIDE_PREV: lambda data, state, index, value, inputs: _slide_step(data, state, index, value, inputs, -1),
    ids.SLIDE_NEXT: lambda data, state, index, value, inputs: _slide_step(data, state, index, value, inputs, 1),
    ids.NODE_ITEM: lambda data, state, index, value, inputs: st.select(state, f"node:{index}"),
    ids.COMPARE_OPEN: lambda data, state, index, value, inputs: st.compare(state),
    ids.COMPARE_RUN: _compare,
    ids.STUDIES: lambda data, state, index, value, inputs: st.toggle_studies(state, bool(value)),
    ids.SHOW_MORE: lambda data, state, index, value, inputs: st.show_more(state) if value else None,
    ids.QUERY_STORE: _matches,
    ids.EV_SHOW: _show_evidence,
    ids.EVIDENCE_ROW: lambda data, state, index, value, inputs: (
        st.select(state, f"claim:{str(index).partition('#')[0]}") if str(index).partition("#")[0] in data.kg.claims
        else None),
    ids.EVIDENCE_SORT: lambda data, state, index, value, inputs: (
        st.sort_evidence(state, str(index)) if index in evidence_view.SORTABLE else None),
}
# Actions after which the tracer and tour controls are set from the state.
SYNC_CONTROLS = {ids.URL, ids.TRACE_FROM, ids.TRACE_TO, ids.TOUR_GO, ids.EV_SHOW}


def route(data: ExplorerData, trigger: Any, value: Any, inputs: dict[str, Any],
          current: st.State | None) -> dict[str, Any]:
    """Apply one action to the state. Returns the outputs (PreventUpdate when nothing happened).

    ``trigger`` is the id of the input that fired (a string, a pattern dict, or None on page load),
    ``value`` its new value, ``inputs`` the tracer's control values.
    """
    state = dict(current) if current else st.default_state(data.kg)
    kind = (trigger.get("type") if isinstance(trigger, dict) else trigger) or ids.URL
    index = trigger.get("index") if isinstance(trigger, dict) else None
    if kind == ids.URL:
        decoded = st.decode(inputs.get("url"), data.kg, data.imported, data.public)
        # A link to a query reruns it (the page's first paint does so itself, see layout.prerendered).
        rerun = decoded["view"] == "query" and bool(decoded.get("query")) and not st.same_view(decoded, current)
        if st.same_view(decoded, current) and not decoded["notices"] and not rerun:
            raise PreventUpdate
        new: st.State | None = decoded
    elif isinstance(trigger, dict) and not value:
        raise PreventUpdate  # a freshly rendered button, not a click
    else:
        action = ACTIONS.get(kind)
        new = action(data, state, index, value, inputs) if action else None
    if new is None:
        raise PreventUpdate
    if kind != ids.URL:
        new = {**new, "notices": []}
    sync_controls = kind in SYNC_CONTROLS
    # The URL is written after every action, and after a link whose bad parameters were dropped.
    url = st.encode(new) if kind != ids.URL or new.get("notices") else no_update
    outputs: dict[str, Any] = {"state": new, "url": url, "search": None if kind == ids.SEARCH else no_update,
                               "seen": inputs["clicks"] if inputs.get("clicks") else no_update}
    controls = controls_for(new)
    changed_view = sync_controls or new.get("view") != state.get("view")
    for key in CONTROL_OUTPUTS:
        shown = VIEW_CONTROLS.get(key) in (None, new.get("view"))
        outputs[key] = controls[key] if sync_controls and shown else no_update
    if changed_view and new.get("view") != "tour":
        outputs["tour"] = None  # leaving a tour clears its picker, so picking it again reopens it
    outputs["tab"] = TAB_FOR_VIEW.get(str(new.get("view")), "explore") if changed_view else no_update
    # A link to the query view runs its query, as the console's Run button would.
    outputs["run"] = (int(inputs.get("run_clicks") or 0) + 1) if kind == ids.URL and rerun else no_update
    return outputs


def canvas_drawn(scene: views.Scene, view: Any) -> bool:
    """Whether the canvas is shown and draws something (the compare and evidence views show panels instead)."""
    shown = view not in ("compare", "evidence") and scene.comparison is None and scene.contrast is None
    return shown and bool(scene.subgraph.nodes)


def render(data: ExplorerData, state: st.State | None) -> dict[str, Any]:
    """Everything drawn from the state except the evidence panel: canvas, title, lists, legend."""
    state = state or st.default_state(data.kg)
    scene = views.scene_for(data, state)
    view = state.get("view")
    compare = view == "compare" or scene.comparison is not None or scene.contrast is not None
    evidence = view == "evidence"
    tour_total = scene.tour.total if scene.tour else 0
    tour_index = scene.tour.index if scene.tour else 0
    if scene.contrast is not None:
        tour_total, tour_index = len(scene.contrast[0].stops), scene.contrast[1]
    shown: Any = []
    if scene.comparison is not None:
        shown = mechanism_panels.mechanism_view(scene.comparison)
    elif scene.contrast is not None:
        shown = mechanism_panels.contrast_diagram(*scene.contrast)
    elif view == "compare":
        shown = panels.compare_view(views.compare_routes(data))
    hidden = scene.subgraph.hidden if view in (None, "explore") else 0
    drawn = canvas_drawn(scene, view)
    chosen = evidence_view.evidence_for(data, state) if evidence else None
    charted = chosen is not None and bool(chosen.rows)
    slide = views.slide_for(data, scene, state)
    selected = views.selection_for(data, state)
    return {
        "elements": views.elements_for(data, scene.subgraph, selected),
        "title": scene.subgraph.title,
        "paths": panels.path_list(data, scene, state),
        "tour": (mechanism_panels.contrast_tour_panel(*scene.contrast) if scene.contrast is not None
                 else panels.tour_panel(data, scene, state)),
        "compare": shown,
        "canvas_style": {"display": "none"} if compare or evidence else {},
        "compare_style": {} if compare else {"display": "none"},
        "evidence": evidence_view.evidence_view(data, state) if evidence else [],
        "evidence_style": {} if evidence else {"display": "none"},
        "legend": [] if evidence or compare else panels.legend(data, views.kinds_shown(data, scene.subgraph)),
        "prev_disabled": tour_total == 0 or tour_index == 0,
        "next_disabled": tour_total == 0 or tour_index >= tour_total - 1,
        "notices": panels.url_notices(state.get("notices") or []),
        "more_label": f"Show {min(st.MORE_STEP, hidden)} more ({hidden} not shown)" if hidden else "",
        "more_style": {} if hidden else {"display": "none"},
        "handout_disabled": scene.tour is None,
        # PNG and SVG draw the canvas, or the evidence view's chart; nothing while the compare view replaces them.
        "png_disabled": not (drawn or charted), "svg_disabled": not (drawn or charted),
        "nodes": panels.node_list(data, scene.subgraph.nodes, selected),
        "nodes_style": {"display": "none"} if compare or evidence else {},  # no canvas, no list of its nodes
        "slide": panels.slide(slide),
        "slide_prev_disabled": slide is None or slide.first,
        "slide_next_disabled": slide is None or slide.last,
    }


def render_panel(data: ExplorerData, state: st.State | None) -> Any:
    """The evidence panel for the selection."""
    state = state or st.default_state(data.kg)
    info = views.evidence_panel_data(data, views.selection_for(data, state))
    if info is None and state.get("view") == "paths":
        return panels.empty_panel("Click a step of the highlighted path (left) or an edge on the canvas to read "
                                  "its evidence: the review's quote, reference numbers, evidence type and studies.")
    return panels.evidence_panel(info)


def run_console(data: ExplorerData, language: str, text: str | None) -> dict[str, Any]:
    """Run a console query; refused, failed and empty queries give a visible message."""
    from dash import html

    from kmoa.graph.sparql import AnswerTooLarge, QueryFailed, QueryRefused, QuerySyntaxError, QueryTimeout
    from kmoa.loaders.stores.sparql_engine import EngineError, run_query

    def message(kind: str, text: str) -> Any:
        return html.Div(text, className=f"notice notice-{kind}", id="query-notice")

    if not text or not text.strip():
        return {"results": [], "message": message("info", "Type a query first."), "store": None}
    if language == "cypher":
        if data.cypher is None:
            return {"results": [], "message": message("error", data.cypher_note), "store": None}
        try:
            variables, rows = data.cypher(text)
        except Exception as err:  # loaders.stores.neo4j's refusals, timeouts and syntax errors, shown as they are
            prefix = "Refused" if type(err).__name__ == "CypherRefused" else "Failed"
            return {"results": [], "message": message("error", f"{prefix}: {err}"), "store": None}
        truncated = False
    else:
        try:
            result = run_query(data.sparql, text, timeout=data.sparql_timeout)
        except QueryRefused as err:
            return {"results": [], "message": message("error", f"Refused: {err}"), "store": None}
        except (QuerySyntaxError, QueryTimeout, QueryFailed, AnswerTooLarge, EngineError) as err:
            return {"results": [], "message": message("error", str(err)), "store": None}
        if result.kind in ("CONSTRUCT", "DESCRIBE"):
            return {"results": [], "message": message("info", "CONSTRUCT and DESCRIBE return graphs; use the CLI "
                                                              "(`kmoa sparql`) to see them. Use SELECT here."),
                    "store": None}
        variables, rows, truncated = result.variables, result.rows, result.truncated
    matches = views.query_matches(data, rows)
    note = f"{len(rows)} row{'s' if len(rows) != 1 else ''}; {len(matches)} node{'s' if len(matches) != 1 else ''} " \
           "highlighted on the canvas"
    return {"results": panels.results_table(data, variables, rows, truncated), "message": message("ok", note),
            "store": {"matches": matches, "rows": len(rows)} if matches else None}


def export_data(data: ExplorerData, state: st.State | None, fmt: str) -> dict[str, Any]:
    """A dcc.Download payload with the current view as JSON or CSV.

    In the paths view both hold the ranked paths: the JSON a "paths" list (scores, steps, each step's claim),
    the CSV one row per step of every path; elsewhere the CSV has one row per claim on the canvas.
    """
    state = state or st.default_state(data.kg)
    scene = views.scene_for(data, state)
    name = f"kmoa-{state.get('view') or 'explore'}"
    evidence = evidence_view.evidence_for(data, state) if state.get("view") == "evidence" else None
    if evidence is not None:  # the evidence view exports its rows, in the table's order
        rows = evidence_view.sorted_rows(data, evidence.rows, state.get("ev_sort"))
        if fmt == "json":
            return {"content": evidence_view.rows_json(rows), "filename": f"{name}.json", "type": "application/json"}
        return {"content": evidence_view.rows_csv(rows), "filename": f"{name}.csv", "type": "text/csv"}
    comparison = scene.contrast[0].comparison if scene.contrast is not None else scene.comparison
    if comparison is not None and not isinstance(comparison, str):  # the compare view exports every step's source
        if fmt == "json":
            return {"content": mechanisms.comparison_json(comparison), "filename": f"{name}.json",
                    "type": "application/json"}
        return {"content": mechanisms.comparison_csv(comparison), "filename": f"{name}.csv", "type": "text/csv"}
    if fmt == "json":
        extra = {"paths": views.ranked_paths(data, scene)} if scene.paths else None
        return {"content": views.subgraph_json(data, scene.subgraph, extra), "filename": f"{name}.json",
                "type": "application/json"}
    content = views.paths_csv(data, scene) if scene.paths else views.subgraph_csv(data, scene.subgraph)
    return {"content": content, "filename": f"{name}.csv", "type": "text/csv"}


def handout_export(data: ExplorerData, state: st.State | None) -> dict[str, Any] | None:
    """The open tour as a self-contained HTML handout (None when no tour is open)."""
    from kmoa.explorer.handout import tour_handout

    hyp = (state or {}).get("tour")
    if (state or {}).get("view") != "tour" or hyp not in data.kg.hypotheses:
        return None
    safe = "".join(c if c.isalnum() else "_" for c in hyp)
    return {"content": tour_handout(data, hyp), "filename": f"kmoa-tour-{safe}.html", "type": "text/html"}


def figure_export(data: ExplorerData, state: st.State | None, fmt: str) -> dict[str, Any] | None:
    """The current view as a standalone SVG figure, for the page to save as SVG or turn into a PNG.

    The evidence view exports its chart; None when the canvas draws nothing (the compare view shows
    panels instead).
    """
    from kmoa.explorer.figure import scene_figure

    state = state or st.default_state(data.kg)
    name = f"kmoa-{state.get('view') or 'explore'}"
    evidence = evidence_view.evidence_for(data, state) if state.get("view") == "evidence" else None
    if evidence is not None and evidence.rows:  # the evidence view's chart, as `kmoa plot evidence` draws it
        from kmoa.explorer.evidence_plot import evidence_svg

        return {"type": fmt, "svg": evidence_svg(data.kg, evidence), "filename": name}
    scene = views.scene_for(data, state)
    if not canvas_drawn(scene, state.get("view")):
        return None
    return {"type": fmt, "svg": scene_figure(data, scene), "filename": name}


# -- wiring ------------------------------------------------------------------------------------


def pick_trigger(triggered: list[dict[str, Any]]) -> tuple[Any, Any]:
    """The input that really fired: buttons that were merely (re)rendered, with no clicks, are skipped.

    Returns (id, value); the id is None on the initial call. Canvas taps become CANVAS_NODE/CANVAS_EDGE.
    When the renderer merges a user's input with the URL's (both changed before the request left), the
    user's wins: the URL's change was the page's own.
    """
    import json

    fired: list[tuple[Any, Any]] = []
    for item in triggered:
        prop_id = item.get("prop_id", ".")
        if prop_id == ".":
            continue
        ident, _, prop = prop_id.rpartition(".")
        trigger: Any = json.loads(ident) if ident.startswith("{") else ident
        value = item.get("value")
        if isinstance(trigger, dict) and not value:
            continue
        if trigger == ids.CANVAS:
            trigger = ids.CANVAS_NODE if prop == "tapNodeData" else ids.CANVAS_EDGE
        fired.append((trigger, value))
    if fired:  # a user's action wins over the address (a click merged with the page's own URL request)
        return next((f for f in fired if f[0] != ids.URL), fired[0])
    if any(item.get("prop_id", ".") != "." for item in triggered):
        raise PreventUpdate
    return None, None



def register_callbacks(app: Dash, data: ExplorerData) -> None:
    """Attach every callback to the app; all of them close over the prepared data only."""
    pattern = {f"p_{name.replace('-', '_')}": Input({"type": name, "index": ALL}, "n_clicks")
               for name in (ids.PATH_ITEM, ids.PATHS_MORE, ids.SELECT, ids.FOCUS, ids.TRACE_FROM, ids.TRACE_TO,
                            ids.TOUR_GO, ids.EVIDENCE_ROW, ids.EVIDENCE_SORT, ids.NODE_ITEM)}

    @app.callback(
        output={"state": Output(ids.STATE, "data"), "url": Output(ids.URL, "search"),
                "seen": Output(ids.STEPS_SEEN, "data"),
                "search": Output(ids.SEARCH, "value"), "tab": Output(ids.SIDEBAR_TABS, "value"),
                "run": Output(ids.QUERY_RERUN, "data"),
                **{key: Output(ident, prop) for key, (ident, prop) in CONTROL_OUTPUTS.items()}},
        inputs={"url": Input(ids.URL, "search"), "search": Input(ids.SEARCH, "value"),
                "node": Input(ids.CANVAS, "tapNodeData"), "edge": Input(ids.CANVAS, "tapEdgeData"),
                "trace": Input(ids.TRACE, "n_clicks"), "tour": Input(ids.TOUR, "value"),
                "prev": Input(ids.TOUR_PREV, "n_clicks"), "next": Input(ids.TOUR_NEXT, "n_clicks"),
                "slide_prev": Input(ids.SLIDE_PREV, "n_clicks"), "slide_next": Input(ids.SLIDE_NEXT, "n_clicks"),
                "compare": Input(ids.COMPARE_OPEN, "n_clicks"), "studies": Input(ids.STUDIES, "value"),
                "compare_run": Input(ids.COMPARE_RUN, "n_clicks"), "more": Input(ids.SHOW_MORE, "n_clicks"),
                "query": Input(ids.QUERY_STORE, "data"), "ev_show": Input(ids.EV_SHOW, "n_clicks"), **pattern},
        state={"current": State(ids.STATE, "data"), "source_v": State(ids.SOURCE, "value"),
               "target_v": State(ids.TARGET, "value"), "min_v": State(ids.MIN_EVIDENCE, "value"),
               "human_v": State(ids.HUMAN_ONLY, "value"), "route_v": State(ids.ROUTE, "value"),
               "other_v": State(ids.COMPARE_WITH, "value"),
               "run_clicks": State(ids.QUERY_RUN, "n_clicks"), "ev_compound_v": State(ids.EV_COMPOUND, "value"),
               "ev_compare_v": State(ids.EV_COMPARE, "value"), "ev_indication_v": State(ids.EV_INDICATION, "value"),
               "seen": State(ids.STEPS_SEEN, "data")},
        prevent_initial_call=True,  # the page is drawn server-side for its URL (layout.prerendered)
    )
    def _route(**kw: Any) -> dict[str, Any]:
        trigger, value = pick_trigger(ctx.triggered if ctx.triggered else [])
        inputs = {"url": kw["url"], "source": kw["source_v"], "target": kw["target_v"], "min": kw["min_v"],
                  "human": kw["human_v"], "route": kw["route_v"], "run_clicks": kw["run_clicks"],
                  "ev_compound": kw["ev_compound_v"], "ev_compare": kw["ev_compare_v"],
                  "ev_indication": kw["ev_indication_v"], "other": kw["other_v"], "seen": kw["seen"],
                  "clicks": {key: kw[key] or 0 for key in ("prev", "next", "slide_prev", "slide_next")}}
        return route(data, trigger, value, inputs, kw["current"])

    @app.callback(
        output={key: Output(ident, prop) for key, (ident, prop) in RENDER_OUTPUTS.items()},
        inputs={"state": Input(ids.STATE, "data")},
        prevent_initial_call=True,
    )
    def _render(state: st.State | None) -> dict[str, Any]:
        return render(data, state)

    @app.callback(Output(ids.PANEL, "children"), Input(ids.STATE, "data"), prevent_initial_call=True)
    def _panel(state: st.State | None) -> Any:
        return render_panel(data, state)

    @app.callback(Output(ids.SEARCH, "options"), Input(ids.SEARCH, "search_value"), State(ids.SEARCH, "value"),
                  prevent_initial_call=True)
    def _search(text: str | None, value: str | None) -> list[dict[str, str]]:
        if not text:
            raise PreventUpdate
        return search_options(data, text, value)

    for picker, kinds in ((ids.SOURCE, SOURCE_KINDS), (ids.TARGET, TARGET_KINDS)):
        @app.callback(Output(picker, "options"), Input(picker, "search_value"), Input(picker, "value"),
                      prevent_initial_call=True)  # the page starts with the options of its values
        def _picker(text: str | None, value: str | None, kinds: tuple[str, ...] = kinds) -> list[dict[str, str]]:
            return picker_options(data, text, value, kinds)

    @app.callback(
        output={"results": Output(ids.RESULTS, "children"), "message": Output(ids.QUERY_MESSAGE, "children"),
                "store": Output(ids.QUERY_STORE, "data")},
        inputs={"clicks": Input(ids.QUERY_RUN, "n_clicks")},
        state={"language": State(ids.QUERY_LANG, "value"), "text": State(ids.QUERY_TEXT, "value")},
        prevent_initial_call=True,
    )
    def _query(clicks: int, language: str, text: str | None) -> dict[str, Any]:
        outputs = run_console(data, language, text)
        # Every run reaches the router (the URL keeps the text; a refused query clears the canvas).
        failed = "notice-error" in str(getattr(outputs["message"], "className", ""))
        outputs["store"] = {"matches": [], "rows": 0, **(outputs["store"] or {}), "query": text, "lang": language,
                            "run": clicks, "failed": failed}
        return outputs

    @app.callback(Output(ids.QUERY_TEXT, "value", allow_duplicate=True), Input(ids.QUERY_NAMED, "value"),
                  State(ids.QUERY_LANG, "value"), prevent_initial_call=True)
    def _named(name: str | None, language: str) -> str:
        query = data.named_queries.get(name) if name else None
        if query is None:
            raise PreventUpdate
        return query.cypher if language == "cypher" and query.cypher else query.sparql

    @app.callback(Output(ids.FIGURE, "data"), Input(ids.EXPORT_PNG, "n_clicks"),
                  Input(ids.EXPORT_SVG, "n_clicks"), State(ids.STATE, "data"), prevent_initial_call=True)
    def _figure(png: int, svg: int, state: st.State | None) -> dict[str, Any]:
        figure = figure_export(data, state, "svg" if ctx.triggered_id == ids.EXPORT_SVG else "png")
        if figure is None:
            raise PreventUpdate
        return {**figure, "clicks": (png or 0) + (svg or 0)}  # a new value for every click

    # The figure is saved by the page: as it is (SVG), or drawn at twice its size on a canvas (PNG).
    app.clientside_callback(
        """function (figure) {
            if (!figure || !figure.svg) { return window.dash_clientside.no_update; }
            function save(blob, name) {
                var link = document.createElement("a");
                link.href = URL.createObjectURL(blob); link.download = name;
                document.body.appendChild(link); link.click(); document.body.removeChild(link);
                setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
            }
            var svg = new Blob([figure.svg], {type: "image/svg+xml"});
            if (figure.type === "svg") {
                save(svg, figure.filename + ".svg");
                return window.dash_clientside.no_update;
            }
            var image = new Image();
            var url = URL.createObjectURL(svg);
            image.onload = function () {
                var canvas = document.createElement("canvas");
                canvas.width = image.naturalWidth * 2; canvas.height = image.naturalHeight * 2;
                var context = canvas.getContext("2d");
                context.scale(2, 2); context.drawImage(image, 0, 0);
                URL.revokeObjectURL(url);
                canvas.toBlob(function (png) { save(png, figure.filename + ".png"); }, "image/png");
            };
            image.src = url;
            return window.dash_clientside.no_update;
        }""",
        Output(ids.FIGURE, "clear_data"), Input(ids.FIGURE, "data"))

    @app.callback(Output(ids.DOWNLOAD, "data", allow_duplicate=True), Input(ids.TOUR_HANDOUT, "n_clicks"),
                  State(ids.STATE, "data"), prevent_initial_call=True)
    def _handout(clicks: int, state: st.State | None) -> dict[str, Any]:
        payload = handout_export(data, state)
        if not clicks or payload is None:
            raise PreventUpdate
        return payload

    @app.callback(Output(ids.DOWNLOAD, "data", allow_duplicate=True),
                  Input({"type": ids.NODE_CLAIMS_CSV, "index": ALL}, "n_clicks"), prevent_initial_call=True)
    def _node_claims(clicks: list[int]) -> dict[str, Any]:
        curie = (ctx.triggered_id or {}).get("index") if isinstance(ctx.triggered_id, dict) else None
        if not curie or not any(clicks or []) or not data.has_node(curie):
            raise PreventUpdate
        safe = "".join(c if c.isalnum() else "_" for c in curie)
        return {"content": views.claims_csv(data, views.node_claim_ids(data, curie)),
                "filename": f"kmoa-claims-{safe}.csv", "type": "text/csv"}

    @app.callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT_JSON, "n_clicks"),
                  Input(ids.EXPORT_CSV, "n_clicks"), State(ids.STATE, "data"), prevent_initial_call=True)
    def _download(as_json: int, as_csv: int, state: st.State | None) -> dict[str, Any]:
        return export_data(data, state, "json" if ctx.triggered_id == ids.EXPORT_JSON else "csv")

    # A link to the query view runs its query: the Run button is clicked once the text is in place.
    app.clientside_callback(
        """function (rerun) {
            if (rerun) {
                setTimeout(function () {
                    var button = document.getElementById("query-run");
                    if (button) { button.click(); }
                }, 0);
            }
            return window.dash_clientside.no_update;
        }""",
        Output(ids.QUERY_RERUN, "clear_data"), Input(ids.QUERY_RERUN, "data"))

    # A tour's current step in the lanes is scrolled into view (the lanes may be taller than the screen).
    app.clientside_callback(
        """function (children) {
            setTimeout(function () {
                var current = document.querySelector("#compare-view .current");
                if (current) { current.scrollIntoView({block: "center"}); }
            }, 0);
            return window.dash_clientside.no_update;
        }""",
        Output(ids.COMPARE, "title"), Input(ids.COMPARE, "children"))

    # The link is the address bar's (the state writes it there); copied in the browser, no round trip.
    app.clientside_callback(
        """function (clicks) {
            var href = window.location.href;
            function fallback() {
                var area = document.createElement("textarea");
                area.value = href; area.setAttribute("readonly", ""); area.style.position = "fixed";
                area.style.opacity = "0"; document.body.appendChild(area); area.select();
                try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
            }
            if (navigator.clipboard && window.isSecureContext) {
                navigator.clipboard.writeText(href).catch(fallback);
            } else {
                fallback();
            }
            return "Link copied: " + href;
        }""",
        Output(ids.SHARE_STATUS, "children"), Input(ids.SHARE, "n_clicks"), prevent_initial_call=True)
