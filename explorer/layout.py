"""The page: header with search and exports; sidebar (explore, paths, tours, query); canvas; evidence panel."""

from __future__ import annotations

from typing import Any

import dash_cytoscape as cyto
from dash import dcc, html

from kmoa.explorer import ids
from kmoa.explorer.data import ExplorerData
from kmoa.explorer.evidence_view import evidence_tab
from kmoa.explorer.mechanisms import compound_options
from kmoa.explorer.panels import empty_panel, legend
from kmoa.explorer.state import DEFAULT_QUERY
from kmoa.explorer.style import stylesheet

CANVAS_LAYOUT = {"name": "preset", "fit": True, "padding": 40, "animate": False}
WHEEL_SENSITIVITY = 0.25  # one wheel notch zooms by about a fifth, not 2.5-fold


def _aria(label: str) -> dict[str, Any]:
    return {"aria-label": label}


def _field(label: str, control: Any, hint: str | None = None) -> html.Div:
    return html.Div([html.Label(label, className="field-label"), control,
                     html.Div(hint, className="hint") if hint else None], className="field")


def _explore_tab(data: ExplorerData) -> dcc.Tab:
    return dcc.Tab(label="Explore", value="explore", id="tab-explore", children=html.Div([
        html.P("Search a compound, receptor, process, outcome, study or identifier above. Click a node to "
               "expand or collapse its neighbours and read its evidence; click an edge for the review's quote.",
               className="muted", id=ids.EXPLORE_HELP),
        dcc.Checklist(id=ids.STUDIES, options=[{"label": " show studies and trials", "value": "studies"}],
                      value=[], className="checklist"),
        html.P(f"The graph: {len(data.kg.nodes)} nodes, {len(data.kg.claims)} claims, "
               f"{len(data.kg.hypotheses)} hypotheses, from one review.", className="muted small"),
    ], className="tab-body"))


def _paths_tab(data: ExplorerData) -> dcc.Tab:
    schema = data.kg.schema
    evidence = [{"label": f"{e.label} (≥ {e.strength:.2f})", "value": name}
                for name, e in sorted(schema.evidence_types.items(), key=lambda kv: -kv[1].strength)]
    return dcc.Tab(label="Paths", value="paths", id="tab-paths", children=html.Div([
        _field("Compound (from)", dcc.Dropdown(id=ids.SOURCE, options=[], placeholder="e.g. ketamine",
                                               clearable=True, search_order="original")),
        _field("Outcome or indication (to)", dcc.Dropdown(id=ids.TARGET, options=[],
                                                          placeholder="e.g. treatment-resistant depression",
                                                          clearable=True, search_order="original")),
        html.Details([
            html.Summary("Filters"),
            _field("Minimum evidence", dcc.Dropdown(id=ids.MIN_EVIDENCE, options=evidence, placeholder="any",
                                                    clearable=True)),
            dcc.Checklist(id=ids.HUMAN_ONLY, options=[{"label": " human evidence only", "value": "human"}],
                          value=[], className="checklist"),
            _field("Route of administration", dcc.Dropdown(
                id=ids.ROUTE, options=[{"label": r, "value": r} for r in schema.routes], placeholder="any",
                clearable=True)),
        ], className="filters", open=False),
        html.Button("Trace paths", id=ids.TRACE, n_clicks=0, className="btn btn-primary"),
        html.Details([
            html.Summary("Compare with another compound"),
            _field("Compare with", dcc.Dropdown(id=ids.COMPARE_WITH, options=compound_options(data.kg, data.public),
                                                placeholder="e.g. duloxetine", clearable=True),
                   "Both compounds' mechanisms to the indication above, side by side: the review's, or DrugMechDB's "
                   "paths for a drug the review does not cover."),
            html.Button("Compare mechanisms", id=ids.COMPARE_RUN, n_clicks=0, className="btn"),
        ], className="filters compare-with", open=False),
        html.Div(id=ids.PATH_LIST, className="path-results"),
    ], className="tab-body"))


def _tours_tab(data: ExplorerData) -> dcc.Tab:
    hyps = sorted(data.kg.hypotheses.values(), key=lambda h: (h.route is None, h.route or 0, h.name.lower()))
    options = [{"label": h.name, "value": h.id} for h in hyps]
    if data.public is not None:
        options += [{"label": t.tour.name, "value": t.tour.id} for t in data.public.tours.values()]
    return dcc.Tab(label="Tours", value="tours", id="tab-tours", children=html.Div([
        _field("Hypothesis", dcc.Dropdown(id=ids.TOUR, options=options, placeholder="choose a route of action",
                                          clearable=False)),
        html.Div([
            html.Button("◀ Previous", id=ids.TOUR_PREV, n_clicks=0, className="btn", disabled=True),
            html.Button("Next ▶", id=ids.TOUR_NEXT, n_clicks=0, className="btn btn-primary", disabled=True),
        ], className="tour-nav"),
        html.Div(id=ids.TOUR_PANEL),
        html.Button("Download the tour as a handout (HTML)", id=ids.TOUR_HANDOUT, n_clicks=0,
                    className="btn btn-small", disabled=True,
                    title="Every step's figure, caption, quote and references in one file that prints a step a page"),
        html.Div("Tip: the ← and → keys step through the tour.", className="hint"),
        html.Hr(),
        html.Button("Compare routes side by side", id=ids.COMPARE_OPEN, n_clicks=0, className="btn"),
    ], className="tab-body"))


def _query_tab(data: ExplorerData) -> dcc.Tab:
    named = [{"label": q.title, "value": name} for name, q in data.named_queries.items()]
    languages = [{"label": " SPARQL", "value": "sparql"},
                 {"label": " Cypher", "value": "cypher", "disabled": data.cypher is None}]
    return dcc.Tab(label="Query", value="query", id="tab-query", children=html.Div([
        dcc.RadioItems(id=ids.QUERY_LANG, options=languages, value="sparql", inline=True, className="radio"),
        html.Div(data.cypher_note, className="hint"),
        _field("Named queries", dcc.Dropdown(id=ids.QUERY_NAMED, options=named, placeholder="pick a stored query",
                                             clearable=True)),
        dcc.Textarea(id=ids.QUERY_TEXT, className="query-text", spellCheck=False,
                     placeholder="SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 20",
                     value=DEFAULT_QUERY),
        html.Div("Read-only: updates are refused. Prefixes kmoa:, rdfs:, CHEBI:, GO:, ... are predeclared.",
                 className="hint"),
        html.Button("Run query", id=ids.QUERY_RUN, n_clicks=0, className="btn btn-primary"),
        html.Div(id=ids.QUERY_MESSAGE, role="status"),
    ], className="tab-body"))


def build_layout(data: ExplorerData) -> html.Div:
    """The whole page (contents are filled in by callbacks from the URL's state)."""
    export = html.Div([
        html.Span("Export", className="label"),
        html.Button("PNG", id=ids.EXPORT_PNG, n_clicks=0, className="btn btn-small",
                    title="The view as a picture: title, graph, notes and legend"),
        html.Button("SVG", id=ids.EXPORT_SVG, n_clicks=0, className="btn btn-small",
                    title="The view as a vector figure: title, graph, notes and legend"),
        html.Button("JSON", id=ids.EXPORT_JSON, n_clicks=0, className="btn btn-small",
                    title="Nodes and claims on the canvas, every attribute"),
        html.Button("CSV", id=ids.EXPORT_CSV, n_clicks=0, className="btn btn-small",
                    title="One row per claim on the canvas"),
        html.Button("Link", id=ids.SHARE, n_clicks=0, className="btn btn-small share",
                    title="Copy a link to this view (the address bar's URL)"),
        html.Span(id=ids.SHARE_STATUS, role="status", className="share-status"),
    ], className="exports")
    header = html.Header([
        html.Div([html.Span("kmoa", className="brand-mark"),
                  html.Div([html.H1("Ketamine mechanisms of action", className="brand-title"),
                            html.Div("a knowledge graph of one review, with its evidence", className="brand-sub")])],
                 className="brand"),
        dcc.Dropdown(id=ids.SEARCH, options=[], placeholder="Search names, synonyms or CURIEs (e.g. esketamine, "
                     "Spravato, GO:0017146)…", className="search", searchable=True, clearable=True,
                     search_order="original",
                     optionHeight=40, maxHeight=420),
        export,
    ], className="topbar")
    sidebar = html.Aside(dcc.Tabs(id=ids.SIDEBAR_TABS, value="explore", children=[
        _explore_tab(data), _paths_tab(data), _tours_tab(data), evidence_tab(data), _query_tab(data)],
        className="tabs"),
        className="sidebar")
    canvas = cyto.Cytoscape(
        id=ids.CANVAS, elements=[], layout=CANVAS_LAYOUT, stylesheet=stylesheet(data.kg.schema),
        style={"position": "absolute", "inset": "0", "width": "100%", "height": "100%"},
        minZoom=0.15, maxZoom=3.0, boxSelectionEnabled=False, wheelSensitivity=WHEEL_SENSITIVITY,
        responsive=True,
    )
    pressed: dict[str, Any] = {"aria-pressed": "false"}
    live: dict[str, Any] = {"aria-live": "polite"}
    present = html.Button([html.Span("Present", className="when-normal"),
                           html.Span("Leave presentation", className="when-presenting")],
                          id=ids.PRESENT, n_clicks=0, className="btn btn-small present-toggle",
                          title="Presentation mode: full screen, large labels and captions (key P; Esc leaves)",
                          **pressed)
    slide = html.Div([
        html.Button("◀", id=ids.SLIDE_PREV, n_clicks=0, className="btn slide-nav", title="Previous step (←)",
                    disabled=True, **_aria("Previous step")),
        html.Div(id=ids.SLIDE_TEXT, className="slide-text", **live),
        html.Button("▶", id=ids.SLIDE_NEXT, n_clicks=0, className="btn slide-nav", title="Next step (→)",
                    disabled=True, **_aria("Next step")),
    ], id=ids.SLIDE, className="slide")
    centre = html.Section([
        html.Div(id=ids.NOTICES, role="alert", className="url-notices"),
        html.Div([html.Div(id=ids.CANVAS_TITLE, className="canvas-title", role="status"),
                  html.Details(id=ids.NODE_LIST, className="node-list"), present], className="canvas-bar"),
        html.Div([
            canvas,
            html.Div([
                html.Button("Fit", id=ids.CANVAS_FIT, n_clicks=0, className="btn btn-small",
                            title="Fit the whole graph in the canvas"),
                html.Button("", id=ids.SHOW_MORE, n_clicks=0, className="btn btn-small", style={"display": "none"},
                            title="Draw more of the neighbours left out"),
            ], className="canvas-controls"),
            html.Div(id=ids.CANVAS_TIP, role="tooltip", className="canvas-tooltip", hidden=True),
        ], id=ids.CANVAS_WRAP, className="canvas-wrap"),
        slide,
        html.Div(id=ids.COMPARE, className="compare", style={"display": "none"}),
        html.Div(id=ids.EVIDENCE, className="compare evidence-view", style={"display": "none"}),
        html.Div(legend(data, []), id=ids.LEGEND, className="legend"),
        html.Div(id=ids.RESULTS, className="results-area"),
    ], className="centre")
    aria: dict[str, Any] = {"aria-label": "Evidence"}
    panel = html.Aside(html.Div(empty_panel(), id=ids.PANEL), className="evidence", **aria)
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE), dcc.Store(id=ids.QUERY_STORE), dcc.Store(id=ids.QUERY_RERUN),
        dcc.Store(id=ids.STEPS_SEEN, data={}),
        dcc.Download(id=ids.DOWNLOAD), dcc.Store(id=ids.FIGURE),
        header,
        html.Main([sidebar, centre, panel], className="grid"),
    ], className="app")


def prerendered(data: ExplorerData, state: dict[str, Any] | None = None, url_search: str | None = None) -> html.Div:
    """The page with a state already drawn, so the first paint needs no callback round trip.

    ``url_search`` is the address bar's query string the state was decoded from: the URL component starts
    with it, so the router is not called on load (no request in flight that a first click could race).
    A link with parameters that were dropped leaves it unset: the router then reads the address, shows the
    notices and writes the cleaned URL.
    """
    from kmoa.explorer import callbacks
    from kmoa.explorer.state import default_state

    state = state or default_state(data.kg)
    root = build_layout(data)
    by_id = {c.id: c for c in [root, *root._traverse()] if isinstance(getattr(c, "id", None), str)}
    values: list[tuple[tuple[str, str], Any]] = []
    drawn = callbacks.render(data, state)
    values += [(callbacks.RENDER_OUTPUTS[key], value) for key, value in drawn.items()]
    controls = callbacks.controls_for(state)
    values += [(callbacks.CONTROL_OUTPUTS[key], value) for key, value in controls.items()]
    for picker, end, kinds in ((ids.SOURCE, "source", callbacks.SOURCE_KINDS),
                               (ids.TARGET, "target", callbacks.TARGET_KINDS)):
        values.append(((picker, "options"), callbacks.picker_options(data, None, controls[end], kinds)))
    values += [((ids.PANEL, "children"), callbacks.render_panel(data, state)), ((ids.STATE, "data"), state),
               ((ids.SIDEBAR_TABS, "value"), callbacks.TAB_FOR_VIEW.get(str(state.get("view")), "explore"))]
    if url_search is not None and not state.get("notices"):
        values.append(((ids.URL, "search"), url_search))
    if state.get("view") == "query" and state.get("query"):
        values.append(((ids.QUERY_RERUN, "data"), 1))  # the page runs the linked query once it is drawn
    for (ident, prop), value in values:
        setattr(by_id[ident], prop, value)
    return root
