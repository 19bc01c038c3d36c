"""Dash components for the panels, built from the plain data of explorer.views.

Every label, name and quote is passed to Dash as text, which React escapes: nothing here renders
HTML from the data (no dangerously_allow_html, no Markdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import html

from kmoa.explorer import ids
from kmoa.explorer.data import ExplorerData
from kmoa.explorer.links import link_for
from kmoa.explorer.style import edge_legend, node_legend, swatch_style
from kmoa.explorer.views import Scene, Slide, display_cell
from kmoa.graph.path_answers import HypothesisMatch, PathAnswer
from kmoa.graph.paths import MechanismPath

CLAIM_LIST_LIMIT = 60
RESULT_ROWS_SHOWN = 200


def ident_link(curie: str, label: str | None = None) -> html.Span | html.A:
    """An identifier linked to its public page (plain text when it has none)."""
    url = link_for(curie)
    text = label or curie
    if url is None:
        return html.Span(text, className="curie")
    return html.A(text, href=url, target="_blank", rel="noopener noreferrer", className="curie", title=url)


def select_button(selection: str, text: str, class_name: str = "linklike") -> html.Button:
    """A button that shows a node or claim in the evidence panel."""
    return html.Button(text, id={"type": ids.SELECT, "index": selection}, className=class_name, n_clicks=0)


def refs_badges(refs: Sequence[int]) -> html.Span:
    """Review reference numbers as badges ('no reference' when the review cites none)."""
    if not refs:
        return html.Span("none cited", className="muted")
    return html.Span([html.Span(f"[{r}]", className="ref") for r in refs], className="refs")


def flag_banners(flags: Sequence[dict[str, str]]) -> list[html.Div]:
    """Prominent warnings for null, negative, mixed and contested findings."""
    return [html.Div(f["text"], className=f"flag flag-{f['kind']}", role="note") for f in flags]


def facts_table(rows: Sequence[tuple[str, Any]]) -> html.Table:
    """A two-column table of labelled facts (rows with empty values are left out)."""
    body = [html.Tr([html.Th(label), html.Td(value)]) for label, value in rows
            if value not in (None, "", [], ())]
    return html.Table(html.Tbody(body), className="facts")


def kind_badge(kind_label: str, colour: str, shape: str) -> html.Span:
    """The node kind with its legend swatch."""
    return html.Span([html.Span(style=swatch_style(colour, shape, 12)), html.Span(kind_label)], className="kind")


# -- evidence panel ----------------------------------------------------------------------------


EMPTY_TEXT = ("Click a node or an edge on the canvas, a step of a path or a tour, or a search result: its facts, "
              "the review's verbatim quote, reference numbers, evidence type and studies appear here.")


def empty_panel(text: str = EMPTY_TEXT) -> html.Div:
    """What the panel says before anything is selected."""
    return html.Div([html.H2("Evidence"), html.P(text, className="muted")], className="panel-empty")


def study_card(study: dict[str, Any]) -> html.Div:
    """A study or trial with its facts as reported by the review."""
    links = [ident_link(study["id"])] + [ident_link(x["id"]) for x in study["xref"]]
    rows = [("Review refs", refs_badges(study.get("refs", [])))] + list(study["rows"])
    return html.Div([
        html.Div([select_button(f"node:{study['id']}", study["name"], "linklike strong")], className="study-title"),
        html.Div(_join(links), className="xrefs"),
        *flag_banners(study["flags"]),
        facts_table(rows),
    ], className="study-card")


def _join(items: Sequence[Any], sep: str = " · ") -> list[Any]:
    out: list[Any] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def claim_row(summary: dict[str, Any], text: str | None = None) -> html.Li:
    """A claim in a list: selectable words, evidence type, references and flags."""
    flags = []
    if summary["finding"] != "positive":
        flags.append(html.Span(summary["finding"], className=f"pill pill-{summary['finding']}"))
    if summary["contested"]:
        flags.append(html.Span("contested", className="pill pill-contested"))
    return html.Li([
        select_button(f"claim:{summary['id']}", text or summary["text"]),
        html.Span([html.Span(summary["evidence_label"], className="ev-type"), " ", refs_badges(summary["refs"]),
                   " ", *flags], className="claim-meta"),
    ], className="claim-row")


def node_panel(info: dict[str, Any]) -> html.Div:
    """Evidence panel for a node."""
    curie = info["id"]
    actions = [html.Button("Explore neighbourhood", id={"type": ids.FOCUS, "index": curie}, n_clicks=0,
                           className="btn btn-small")]
    if info["mechanistic"]:
        actions += trace_buttons(curie)
    head: list[Any] = [
        kind_badge(info["kind_label"], info["colour"], info["shape"]),
        html.H2(info["name"], className="panel-title"),
        html.Div([ident_link(curie)], className="ident"),
    ]
    if info["synonyms"]:
        head.append(html.Div([html.Span("Synonyms: ", className="label"), "; ".join(info["synonyms"])],
                             className="synonyms"))
    if info["xref"]:
        head.append(html.Div([html.Span("Cross-references: ", className="label"),
                              *_join([ident_link(x["id"]) for x in info["xref"]])], className="xrefs"))
    if info["description"]:
        head.append(html.P(info["description"], className="description"))
    head.append(html.Div(actions, className="actions"))
    body: list[Any] = []
    if info["study"]:
        study = info["study"]
        body += [html.H3("Study facts"), *flag_banners(study["flags"]),
                 facts_table([("Review refs", refs_badges(study["refs"])), ("Section", study.get("section")),
                              *study["rows"]])]
    if info["hypothesis"]:
        body.append(route_card(info["hypothesis"], compact=True))
    claims = info["claims"]
    body.append(html.H3(f"Claims ({len(claims)})"))
    if claims:
        listed = min(len(claims), CLAIM_LIST_LIMIT)
        body.append(html.Div([
            html.Span(f"{listed} of {len(claims)} listed, strongest first. " if listed < len(claims) else "",
                      className="muted small"),
            html.Button(f"Download all {len(claims)} claims (CSV)", n_clicks=0, className="btn btn-small",
                        id={"type": ids.NODE_CLAIMS_CSV, "index": curie})], className="claims-export"))
    items = []
    for c in claims[:CLAIM_LIST_LIMIT]:
        arrow = f"→ {c['predicate_label']} → {c['other_name']}" if c["direction"] == "out" else \
            f"← {c['predicate_label']} ← {c['other_name']}"
        items.append(claim_row(c, arrow))
    body.append(html.Ul(items, className="claim-list"))
    marker: dict[str, Any] = {"data-selection": f"node:{curie}"}
    return html.Div(head + body, className="panel-node", **marker)


def claim_panel(info: dict[str, Any]) -> html.Div:
    """Evidence panel for a claim (an edge): quote, references, evidence, studies."""
    steps = [html.Li(html.Button(f"{s['name']}, step {s['step']}", n_clicks=0, className="linklike",
                                 id={"type": ids.TOUR_GO, "index": f"{s['hypothesis']}#{s['step']}"}))
             for s in info["hypothesis_steps"]]
    facts = [
        ("Source", info["source_name"]),
        ("Section", info["section"]),
        ("References", refs_badges(info["refs"])),
        ("Evidence type", f"{info['evidence_label']} (strength {info['strength']:.2f})"),
        ("Species", info["species_label"]),
        ("Finding", info["finding"] + (" · contested" if info["contested"] else "")),
        ("CANMAT level", info["canmat_level"]),
        ("Route", info["route"]), ("Dose", info["dose"]), ("Timing", info["timing"]),
        ("Where", select_button(f"node:{info['anatomical_context']}", info["anatomical_name"])
         if info["anatomical_context"] else None),
        ("Note", info["note"]),
        ("Derived from", info["derived_from"]),
        ("Biolink", ident_link(info["biolink"])),
        ("Claim id", html.Code(info["id"])),
    ]
    body: list[Any] = [
        html.Span(f"claim · {info['effect']}", className=f"kind effect-tag effect-tag-{info['effect']}"),
        html.H2([select_button(f"node:{info['subject']}", info["subject_name"], "linklike node-link"),
                 html.Span(f" {info['predicate_label']} ", className="predicate"),
                 select_button(f"node:{info['object']}", info["object_name"], "linklike node-link")],
                className="panel-title"),
        *flag_banners(info["flags"]),
        html.Blockquote([html.Span(f"“{info['quote']}”", className="quote-text"),
                         html.Footer([info["source_name"], ", section ", info["section"], " ",
                                      refs_badges(info["refs"])])],
                        className="quote"),
        facts_table(facts),
    ]
    if steps:
        body += [html.H3("In hypothesis tours"), html.Ul(steps, className="plain")]
    if info["studies"]:
        body += [html.H3(f"Studies ({len(info['studies'])})"), *[study_card(s) for s in info["studies"]]]
    if info["publications"]:
        body += [html.H3("Publications"), html.Div(_join([ident_link(p["id"]) for p in info["publications"]]),
                                                   className="xrefs")]
    if info["parallel"]:
        body += [html.H3(f"Other claims between these nodes ({len(info['parallel'])})"),
                 html.Ul([claim_row(c) for c in info["parallel"]], className="claim-list")]
    marker: dict[str, Any] = {"data-selection": f"claim:{info['id']}"}
    return html.Div(body, className="panel-claim", **marker)


def imported_claim_panel(info: dict[str, Any]) -> html.Div:
    """Evidence panel for an imported edge: its knowledge source, KGX file and line, Biolink predicate.

    An imported edge carries no review quote, references or studies: the panel says so plainly.
    """
    source = info["primary_knowledge_source"]
    facts = [
        ("Knowledge source", ident_link(source)),
        ("Imported from", html.Code(f"{info['dataset']}/{info['file']}, line {info['line']}")),
        ("Biolink predicate", ident_link(info["biolink"])),
        ("Path strength", f"{info['strength']:.2f} (fixed for imported edges)"),
        ("Edge id", html.Code(info["id"])),
    ]
    public = info.get("drugmechdb")
    if public:
        facts[1:1] = [("DrugMechDB path", html.Code(public["path"])), ("Drug", public["drug"]),
                      ("Disease", public["disease"]), ("DrugMechDB says", public["predicate"]),
                      ("YAML line", html.Code(f"{public['file']}, line {public['line']}" if public["file"]
                                              else f"line {public['line']}"))]
    body: list[Any] = [
        html.Span("imported edge", className="kind effect-tag effect-tag-imported"),
        html.H2([select_button(f"node:{info['subject']}", info["subject_name"], "linklike node-link"),
                 html.Span(f" {info['predicate_label']} ", className="predicate"),
                 select_button(f"node:{info['object']}", info["object_name"], "linklike node-link")],
                className="panel-title"),
        html.P([f"Imported from {source} ({info['file']}, line {info['line']}): not curated from the review, "
                "so there is no quote, no reference and no study behind it."],
               className="notice imported-notice", id="imported-notice"),
        facts_table(facts),
    ]
    marker: dict[str, Any] = {"data-selection": f"claim:{info['id']}"}
    return html.Div(body, className="panel-claim panel-imported", **marker)


def trace_buttons(curie: str) -> list[html.Button]:
    """'Trace from here' and 'Trace to here' for a node's panel."""
    return [html.Button("Trace from here", id={"type": ids.TRACE_FROM, "index": curie}, n_clicks=0,
                        className="btn btn-small"),
            html.Button("Trace to here", id={"type": ids.TRACE_TO, "index": curie}, n_clicks=0,
                        className="btn btn-small")]


def imported_node_panel(info: dict[str, Any]) -> html.Div:
    """Evidence panel for a node known only from the imported graph."""
    curie = info["id"]
    actions = trace_buttons(curie)
    head: list[Any] = [
        kind_badge(info["kind_label"], info["colour"], info["shape"]),
        html.H2(info["name"], className="panel-title"),
        html.Div([ident_link(curie)], className="ident"),
        html.P(f"Imported from {info['dataset']} (category {info['category']}); not in the curated graph.",
               className="notice imported-notice"),
        html.Div(actions, className="actions"),
    ]
    marker: dict[str, Any] = {"data-selection": f"node:{info['id']}"}
    return html.Div(head, className="panel-node panel-imported", **marker)


def evidence_panel(info: dict[str, Any] | None) -> html.Div:
    """The evidence panel for a node, a claim, an imported node or edge, or nothing."""
    if info is None:
        return empty_panel()
    if info["type"] == "imported_claim":
        return imported_claim_panel(info)
    if info["type"] == "imported_node":
        return imported_node_panel(info)
    return node_panel(info) if info["type"] == "node" else claim_panel(info)


# -- paths, tours, routes ----------------------------------------------------------------------


def path_list(data: ExplorerData, scene: Scene, state: dict[str, Any]) -> html.Div:
    """Ranked paths with scores and hypotheses; the selected one lists its steps and detour variants.

    With no path, the reason (which filter removed what) and the pair's direct clinical claims.
    """
    if state.get("view") != "paths":
        return html.Div(html.P("Pick a compound and an outcome or indication, then Trace.", className="muted"))
    paths = scene.paths
    answer = scene.answer
    notes = [html.P(note, className="notice small path-note") for note in (answer.notes if answer else [])]
    if not paths:
        reason = answer.why_none if answer and answer.why_none else scene.subgraph.title + "."
        return html.Div([
            html.P(reason + " Relax the filters or pick another pair.", className="notice"),
            *notes, direct_claims(data, answer),
        ], id="path-empty")
    chosen = min(int(state.get("path") or 0), len(paths) - 1)
    ranked = answer.paths if answer else None
    items = []
    for i, path in enumerate(paths):
        names = " → ".join(data.node_name(n) for n in path.nodes)
        hypothesis = ranked[i].hypothesis if ranked else None
        label = hypothesis_label(hypothesis) if ranked else None
        header = html.Button([
            html.Span(f"#{i + 1}", className="rank"),
            html.Span(f"score {path.score:.2f}", className="score"),
            html.Span(f"mean {path.mean_strength:.2f} · {path.hops} steps", className="muted small"),
            *([label] if label is not None else []),
            html.Div(names, className="chain"),
        ], id={"type": ids.PATH_ITEM, "index": i}, n_clicks=0, className="path-head")
        children: list[Any] = [header]
        if i == chosen:
            children.append(path_steps(data, path))
            if ranked and ranked[i].variants:
                children.append(html.Div([
                    html.Span("Same path with a detour through an enantiomer or metabolite:", className="muted small"),
                    html.Ul([html.Li(" → ".join(data.node_name(n) for n in v.nodes) + f" (score {v.score:.2f})",
                                     className="path-variant") for v in ranked[i].variants]),
                ], className="path-variants"))
        items.append(html.Li(children, className="path-item selected" if i == chosen else "path-item"))
    more: list[Any] = []
    if answer is not None and answer.more:
        more = [html.Button(f"More paths ({answer.total - len(paths)} not listed yet)",
                            id={"type": ids.PATHS_MORE, "index": "more"}, n_clicks=0, className="paths-more")]
    return html.Div([
        html.P("The best path of each of the review's hypotheses first, then more by weakest link: a path is "
               "as strong as its least supported step (meta-analysis 1.0 … mechanistic hypothesis 0.2).",
               className="muted small"),
        *notes,
        html.Ol(items, className="path-list"),
        *more,
        direct_claims(data, answer),
    ])


def hypothesis_label(match: HypothesisMatch | None) -> html.Span:
    """Which of the review's hypotheses a path follows (and how many of its steps it walks)."""
    if match is None:
        return html.Span("follows no single hypothesis", className="path-hypothesis muted small")
    walked = f" · steps {', '.join(str(i) for i in match.steps)} of {match.step_count}" if match.steps else ""
    return html.Span(f"{match.name}{walked}", className="path-hypothesis small", title=match.hypothesis)


def direct_claims(data: ExplorerData, answer: PathAnswer | None) -> html.Div:
    """The pair's direct clinical claims under the tracer's filters: evidence beside the paths, not walked."""
    if answer is None or not answer.direct_total:
        return html.Div()
    src, dst = data.node_name(answer.source), data.node_name(answer.target)
    count = f"{len(answer.direct)} of {answer.direct_total} pass the filters" \
        if len(answer.direct) != answer.direct_total else f"{answer.direct_total}"
    rows = []
    for a in answer.direct:
        ev = data.kg.schema.evidence_types.get(a["evidence_type"])
        finding = f" · {a['finding']}" if a["finding"] != "positive" else ""
        rows.append(html.Li([
            select_button(f"claim:{a['id']}", f"{src} — {'NOT ' if a.get('negated') else ''}"
                          f"{a['kmoa_predicate'].replace('_', ' ')} → {dst}",
                          "linklike step-button"),
            html.Span([html.Span(ev.label if ev else a["evidence_type"], className="ev-type"),
                       f"{finding} · section {a['review_section']} ", refs_badges(a["review_refs"])],
                      className="claim-meta"),
        ], className="direct-claim"))
    return html.Div([html.H4(f"Direct clinical claims ({count})"), html.Ol(rows, className="direct-claims")],
                    id="path-direct")


def path_steps(data: ExplorerData, path: MechanismPath) -> html.Ol:
    """The steps of a path, each a button showing its claim's evidence."""
    rows = []
    for step in path.steps:
        a = step.attributes
        text = f"{data.node_name(step.source)} — {step.label} → {data.node_name(step.target)}"
        if a.get("imported"):
            rows.append(html.Li([
                select_button(f"claim:{step.claim_id}", text, "linklike step-button step-imported"),
                html.Span([html.Span("imported", className="ev-type ev-imported"),
                           f" · {a['primary_knowledge_source']} · {step.strength:.2f}"], className="claim-meta"),
            ], className="step-imported"))
            continue
        ev = data.kg.schema.evidence_types.get(a["evidence_type"])
        extra = f" (+{len(step.evidence) - 1} more claims)" if len(step.evidence) > 1 else ""
        if a.get("inferred"):
            extra += " · curator inference"
        rows.append(html.Li([
            select_button(f"claim:{step.claim_id}", text, "linklike step-button"),
            html.Span([html.Span(ev.label if ev else a["evidence_type"], className="ev-type"),
                       f" · {step.strength:.2f} ", refs_badges(a["review_refs"]), extra], className="claim-meta"),
        ]))
    return html.Ol(rows, className="path-steps")


def tour_panel(data: ExplorerData, scene: Scene, state: dict[str, Any]) -> html.Div:
    """Caption, quote and references of the current tour step, and every step as a link."""
    step = scene.tour
    if state.get("view") != "tour" or step is None:
        return html.Div(html.P("Choose a hypothesis to step through its mechanism.", className="muted"))
    hyp = data.kg.hypotheses[step.hypothesis]
    ev = data.kg.schema.evidence_types.get(step.evidence_type)
    progress = f"{(step.index + 1) / step.total * 100:.0f}%"
    flags = []
    if step.finding != "positive" or step.contested:
        from kmoa.explorer.views import finding_flags

        flags = flag_banners(finding_flags(data.kg, step.finding, step.contested))
    if step.inferred:
        flags += flag_banners([{"kind": "inferred", "text": "INFERRED: a curator inference, not stated in the review"
                                + (f" — {step.note}" if step.note else "")}])
    outline = [html.Li(html.Button(s.caption, id={"type": ids.TOUR_GO, "index": f"{hyp.id}#{i + 1}"}, n_clicks=0,
                                   className="linklike" + (" current" if i == step.index else "")))
               for i, s in enumerate(hyp.steps)]
    return html.Div([
        html.Div(f"Step {step.index + 1} of {step.total}", className="tour-counter", id="tour-counter"),
        html.Div(html.Div(style={"width": progress}, className="bar"), className="progress"),
        html.P(step.caption, className="tour-caption", id="tour-caption"),
        *flags,
        html.Blockquote([html.Span(f"“{step.quote}”", className="quote-text"),
                         html.Footer([f"{step.source_label}, section ", step.section, " ", refs_badges(step.refs)])],
                        className="quote", id="tour-quote"),
        html.Div([select_button(f"claim:{step.claim}",
                                f"{data.node_name(step.subject)} — {step.predicate_label} → "
                                f"{data.node_name(step.object)}"),
                  html.Span(f" · {ev.label if ev else step.evidence_type}, "
                            f"{data.kg.schema.species_label(step.species)}",
                            className="muted small")], className="tour-claim"),
        html.Details([html.Summary(f"All {step.total} steps"), html.Ol(outline, className="tour-outline")],
                     className="tour-all"),
    ], className="tour-step")


def _evidence_list(title: str, claims: Sequence[dict[str, Any]], kinds: Sequence[tuple[str, int]],
                   class_name: str) -> html.Div:
    summary = ", ".join(f"{label} ×{n}" for label, n in kinds) or "none recorded"
    return html.Div([
        html.H4(f"{title} ({len(claims)})"),
        html.Div(summary, className="muted small"),
        html.Ul([claim_row(c) for c in claims], className="claim-list"),
    ], className=class_name)


def route_card(route: dict[str, Any], compact: bool = False) -> html.Div:
    """A hypothesis: its chain, the review's statement, and the evidence for and against it."""
    number = f"Route {route['route']}" if route["route"] else "Other route"
    chain = _join([select_button(f"node:{n['id']}", n["name"], "linklike") for n in route["chain"]], " → ")
    return html.Div([
        html.Div(number, className="route-number"),
        html.H3(route["name"]) if not compact else html.H3(f"{number}: {route['steps']} steps"),
        html.Button("Start tour", id={"type": ids.TOUR_GO, "index": f"{route['id']}#1"}, n_clicks=0,
                    className="btn btn-small"),
        html.P(route["description"], className="description") if route["description"] else None,
        html.Div(chain, className="route-chain"),
        html.Blockquote([html.Span(f"“{route['quote']}”", className="quote-text"),
                         html.Footer([f"{route['evidence_label']} · section {route['section']} ",
                                      refs_badges(route["refs"])])], className="quote"),
        _evidence_list("Evidence for", route["supported_by"], route["for_types"], "evidence-for"),
        _evidence_list("Evidence against", route["contradicted_by"], route["against_types"], "evidence-against"),
    ], className="route-card")


def compare_view(routes: Sequence[dict[str, Any]]) -> html.Div:
    """The routes side by side."""
    if not routes:
        return html.Div(html.P("No hypotheses are curated yet (graph/data/hypotheses.yaml).", className="notice"))
    return html.Div([
        html.H2("Routes of action side by side"),
        html.P("Each column is one proposed mechanism with the review's statement and the claims the curators "
               "list as supporting or contradicting it. Click a claim for its quote and studies.",
               className="muted"),
        html.Div([route_card(r) for r in routes], className="route-grid"),
    ])


# -- legend, query results ---------------------------------------------------------------------


def legend(data: ExplorerData, kinds: Sequence[str] | None) -> html.Div:
    """Node kinds on the canvas (colour and shape) and the edge styles."""
    nodes = [html.Span([html.Span(style=swatch_style(e.colour, e.shape)), html.Span(e.label)], className="legend-item",
                       title=e.key) for e in node_legend(data.kg.schema, list(kinds) if kinds is not None else None)]
    edges = []
    sources = data.imported.source_names if data.imported is not None else None
    for e in edge_legend(sources):
        line = {"borderTop": f"3px {e['line']} {e['colour']}", "width": "26px", "display": "inline-block",
                "verticalAlign": "middle"}
        edges.append(html.Span([html.Span(style=line), html.Span(e["end"], style={"color": e["colour"]},
                                                                 className="arrow-end"),
                                html.Span(e["label"])], className="legend-item"))
    return html.Div([html.Div(nodes, className="legend-row"), html.Div(edges, className="legend-row")],
                    className="legend-inner")


def results_table(data: ExplorerData, variables: Sequence[str], rows: Sequence[dict[str, Any]],
                  truncated: bool) -> html.Div:
    """Query results; cells naming a node select it."""
    head = html.Thead(html.Tr([html.Th(v) for v in variables]))
    body = []
    for row in rows[:RESULT_ROWS_SHOWN]:
        cells = []
        for v in variables:
            text, curie = display_cell(data, row.get(v))
            cells.append(html.Td(select_button(f"node:{curie}", f"{data.node_name(curie)} ({curie})")
                                 if curie else text))
        body.append(html.Tr(cells))
    notes = [f"{len(rows)} row{'s' if len(rows) != 1 else ''}"]
    if len(rows) > RESULT_ROWS_SHOWN:
        notes.append(f"first {RESULT_ROWS_SHOWN} shown")
    if truncated:
        notes.append("truncated by the row limit")
    return html.Div([html.Div(", ".join(notes), className="muted small", id="result-count"),
                     html.Div(html.Table([head, html.Tbody(body)], className="results"), className="results-wrap")])


def url_notices(notices: Sequence[dict[str, str]]) -> list[html.Div]:
    """One visible notice per link parameter that was dropped (the parameter name as a data attribute)."""
    out = []
    for notice in notices:
        param: dict[str, Any] = {"data-param": notice["param"]}
        out.append(html.Div(notice["text"], className="notice notice-error url-notice", **param))
    return out


def slide(info: Slide | None) -> list[Any]:
    """Presentation mode's caption and quote under the canvas, in large type (nothing for a view without steps)."""
    if info is None:
        return []
    quote: list[Any] = []
    if info.quote:
        quote = [html.Blockquote([html.Span(f"“{info.quote}”", className="quote-text"),
                                  html.Footer([f"{info.source_label}, section ", info.section or "?", " ",
                                               refs_badges(info.refs)])],
                                 className="quote slide-quote", id="slide-quote")]
    return [html.Div(info.counter, className="slide-counter"),
            html.P(info.caption, className="slide-caption", id="slide-caption"), *quote]


def node_list(data: ExplorerData, nodes: Sequence[str], selected: str | None) -> list[Any]:
    """The drawn nodes as buttons (a keyboard user's way to the canvas): each selects its node and opens its panel."""
    shown = sorted(nodes, key=lambda n: data.node_name(n).lower())
    items = [html.Li(html.Button(
        [data.node_name(curie), html.Span(f" · {data.kind_label(data.node_kind(curie))}", className="muted small")],
        id={"type": ids.NODE_ITEM, "index": curie}, n_clicks=0,
        className="linklike" + (" current" if selected == f"node:{curie}" else ""))) for curie in shown]
    return [html.Summary(f"Nodes on the canvas ({len(shown)})"), html.Ul(items, className="node-items")]
