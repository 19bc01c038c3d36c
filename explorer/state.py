"""The view state (a plain JSON dict kept in a dcc.Store), its URL form and the pure actions on it.

The URL query string holds everything needed to reopen a view: the focused node and its expanded
neighbours, the path tracer's source, target, filters and chosen path, the compared compounds
(``source`` and ``other``) and their indication (``target``), the tour and its step, the console's
query text and language, and the selected node or claim. Names and synonyms are accepted
in a hand-written URL (``?focus=esketamine``). A parameter that is unknown or malformed is dropped
with a notice naming it and what is shown instead (``decode``'s ``notices``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from kmoa.graph.model import KnowledgeGraph, UnknownEntityError

if TYPE_CHECKING:
    from kmoa.explorer.mechanisms import PublicPaths
    from kmoa.graph.imported import ImportedGraph

State = dict[str, Any]
VIEWS = ("explore", "paths", "mechanisms", "tour", "compare", "query", "evidence")
PATHS_PER_PAGE = 10  # paths listed at first; "more" lists this many more
MAX_SHOWN = 200  # at most this many paths are listed
MAX_QUERY = 20_000  # characters of console query text a URL may carry
LANGUAGES = ("sparql", "cypher")
DEFAULT_QUERY = ("SELECT ?compound ?label WHERE {\n  ?compound a kmoa:Compound ; rdfs:label ?label .\n}"
                 "\nORDER BY ?label")
PARAMETERS = ("view", "focus", "expand", "studies", "more", "source", "other", "target", "min", "human", "route",
              "path", "shown", "tour", "step", "sel", "q", "lang", "compound", "compare", "indication", "sort",
              "too_long")
MAX_PARAMETER = 8_000  # characters of one parameter kept when a link is too long for the server
MORE_STEP = 8  # "Show more" draws this many more neighbours (explorer.views caps the neighbourhood)
MAX_MORE = 200
SHOWN_VALUE = 60  # characters of a bad value quoted in a notice


def default_state(kg: KnowledgeGraph) -> State:
    """The opening view: ketamine's neighbourhood if it is in the graph, else the first compound."""
    focus: str | None
    try:
        focus = kg.resolve("ketamine", kinds=("compound",))
    except UnknownEntityError:
        compounds = sorted(c for c, n in kg.nodes.items() if n.kind == "compound")
        focus = compounds[0] if compounds else next(iter(sorted(kg.nodes)), None)
    return {
        "view": "explore", "focus": focus, "expanded": [], "studies": False, "more": 0,
        "source": None, "other": None, "target": None, "min_evidence": None, "human_only": False, "route": None,
        "path": 0,
        "shown": PATHS_PER_PAGE, "tour": None, "step": 0, "sel": f"node:{focus}" if focus else None, "matches": [],
        "query": None, "lang": "sparql", "notices": [],
        "ev_compound": None, "ev_compare": None, "ev_indication": None, "ev_sort": None,
    }


def _resolve(kg: KnowledgeGraph, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return kg.resolve(value)
    except UnknownEntityError:
        return None


def _endpoint(kg: KnowledgeGraph, imported: ImportedGraph | None, value: str | None) -> str | None:
    """A curated node, or (with an imported graph) an imported CURIE."""
    from kmoa.explorer.imported import canonical

    return canonical(imported, value) or _resolve(kg, value)


def _selection(kg: KnowledgeGraph, value: str | None, imported: ImportedGraph | None = None) -> str | None:
    if not value or ":" not in value:
        return None
    kind, ident = value.split(":", 1)
    if kind == "claim" and ident in kg.claims:
        return value
    if kind == "claim" and imported is not None:
        from kmoa.explorer.imported import imported_edge_index

        return value if imported_edge_index(imported, ident) is not None else None
    if kind == "node":
        curie = _endpoint(kg, imported, ident)
        return f"node:{curie}" if curie else None
    return None


def _int(value: str | None, default: int = 0) -> int | None:
    """The integer a parameter spells, ``default`` when absent, None when malformed."""
    if value is None:
        return default
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else None


def _shown(value: str) -> str:
    """A parameter value quoted in a notice: one line, at most SHOWN_VALUE characters."""
    flat = " ".join(value.split())
    return flat if len(flat) <= SHOWN_VALUE else f"{flat[:SHOWN_VALUE]}… ({len(value):,} characters)"


def view_summary(kg: KnowledgeGraph, state: State, public: PublicPaths | None = None) -> str:
    """What a state shows, in a few words (for notices)."""
    from kmoa.explorer.mechanisms import compound_name

    def name(curie: str | None) -> str:
        node = kg.nodes.get(curie or "")
        return node.name if node is not None else str(curie)

    view = state.get("view")
    if view == "paths":
        return f"the paths from {name(state.get('source'))} to {name(state.get('target'))}"
    if view == "mechanisms":
        return (f"the mechanisms of {compound_name(kg, public, state.get('source'))} and "
                f"{compound_name(kg, public, state.get('other'))} to {name(state.get('target'))} side by side")
    if view == "tour" and state.get("tour") in kg.hypotheses:
        return f"the tour {kg.hypotheses[state['tour']].name}, step {int(state.get('step') or 0) + 1}"
    if view == "tour" and public is not None and state.get("tour") in public.tours:
        return f"the tour {public.tours[state['tour']].tour.name}, step {int(state.get('step') or 0) + 1}"
    if view == "compare":
        return "the routes side by side"
    if view == "query":
        return "the query console"
    if view == "evidence":
        names = " vs ".join(name(c) for c in (state.get("ev_compound"), state.get("ev_compare")) if c)
        where = f" in {name(state.get('ev_indication'))}" if state.get("ev_indication") else ""
        return f"the clinical evidence for {names}{where}"
    if state.get("focus"):
        return f"the neighbourhood of {name(state.get('focus'))}"
    return "the explorer"


def decode(search: str | None, kg: KnowledgeGraph, imported: ImportedGraph | None = None,
           public: PublicPaths | None = None) -> State:
    """The state a URL query string describes (unknown values are dropped, defaults filled in).

    With an ``imported`` graph, the tracer's ends and the selection may be imported nodes and edges;
    with ``public`` paths, the compared compound ``other`` may be a DrugMechDB drug and the tour a
    contrast tour.
    Every parameter that was dropped or corrected is named in ``state["notices"]``, with what is
    shown instead; ``encode`` of the state is the URL without them.
    """
    state = default_state(kg)
    raw = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    params = {k: v[-1] for k, v in raw.items()}
    problems: list[tuple[str, str, str]] = []  # (parameter, value, why)

    def bad(key: str, why: str) -> None:
        problems.append((key, params.get(key, ""), why))

    for name in raw.get("too_long", []):
        problems.append((name[:40], "", "was too long for the server (over 65,536 characters in the link)"))
    params.pop("too_long", None)
    for key in params:
        if key not in PARAMETERS:
            problems.append((key, params[key], "is not a parameter of the explorer"))
    for key in [k for k in PARAMETERS if params.get(k) == ""]:
        bad(key, "is empty")
        del params[key]
    view = params.get("view")
    if view in VIEWS:
        state["view"] = view
    elif view is not None:
        bad("view", f"is not one of {', '.join(VIEWS)}")
        view = None
    if "focus" in params:
        focus = _resolve(kg, params["focus"])
        if focus is None:
            bad("focus", "is not a node of the graph")
        state["focus"] = focus or state["focus"]
    if params.get("expand"):
        wanted = params["expand"].split(",")
        state["expanded"] = [c for c in (_resolve(kg, x) for x in wanted) if c]
        if len(state["expanded"]) < len(wanted):
            bad("expand", "names nodes that are not in the graph")
    more = _int(params.get("more"))
    if more is None or more % MORE_STEP or more > MAX_MORE:
        bad("more", f"is not a multiple of {MORE_STEP} up to {MAX_MORE}")
        more = 0
    state["more"] = more
    if params.get("studies") not in (None, "0", "1"):
        bad("studies", "is not 0 or 1")
    state["studies"] = params.get("studies") == "1"
    from kmoa.explorer.mechanisms import resolve_compound, tour_total

    for end in ("source", "target"):
        state[end] = _endpoint(kg, imported, params.get(end))
        if params.get(end) and state[end] is None:
            bad(end, "is not a node of the graph")
    if "other" in params:
        state["other"] = resolve_compound(kg, public, params["other"])
        if state["other"] is None:
            bad("other", "is not a compound of the review or a drug of the DrugMechDB paths")
    if params.get("min") in kg.schema.evidence_types:
        state["min_evidence"] = params["min"]
    elif "min" in params:
        bad("min", "is not an evidence type")
    if params.get("human") not in (None, "0", "1"):
        bad("human", "is not 0 or 1")
    state["human_only"] = params.get("human") == "1"
    if params.get("route") in kg.schema.routes:
        state["route"] = params["route"]
    elif "route" in params:
        bad("route", "is not a route of administration")
    path = _int(params.get("path"), 1)
    if path is None or not 1 <= path <= MAX_SHOWN:
        bad("path", f"is not a number from 1 to {MAX_SHOWN}")
        path = 1
    state["path"] = path - 1
    shown = _int(params.get("shown"), PATHS_PER_PAGE)
    if shown is None:
        bad("shown", "is not a number")
        shown = PATHS_PER_PAGE
    state["shown"] = min(max(shown, PATHS_PER_PAGE, state["path"] + 1), MAX_SHOWN)
    if "tour" in params:
        tour = params["tour"] if tour_total(public, params["tour"]) else _resolve(kg, params["tour"])
        if tour in kg.hypotheses or tour_total(public, tour):
            state["tour"] = tour
        else:
            bad("tour", "is not a hypothesis tour")
    step = _int(params.get("step"), 1)
    if state["tour"]:
        total = tour_total(public, state["tour"]) or len(kg.hypotheses[state["tour"]].steps)
        if step is None or not 1 <= step <= total:
            bad("step", f"is not a step from 1 to {total}")
            step = 1
        state["step"] = step - 1
    elif "step" in params and "tour" not in params:
        bad("step", "needs a tour")
    if "sel" in params:
        state["sel"] = _selection(kg, params["sel"], imported)
        if state["sel"] is None:
            bad("sel", "is not a node or claim of the graph")
    else:
        state["sel"] = None
    if "q" in params:
        if len(params["q"]) > MAX_QUERY:
            bad("q", f"is longer than {MAX_QUERY:,} characters")
        else:
            state["query"] = params["q"]
    if params.get("lang") in LANGUAGES:
        state["lang"] = params["lang"]
    elif "lang" in params:
        bad("lang", f"is not one of {', '.join(LANGUAGES)}")
    _decode_evidence(kg, params, state, bad)
    if view is None:
        if state["tour"]:
            state["view"] = "tour"
        elif state["source"] and state["other"] and state["target"]:
            state["view"] = "mechanisms"
        elif state["source"] and state["target"]:
            state["view"] = "paths"
        elif state["query"]:
            state["view"] = "query"
    if state["view"] == "paths" and not (state["source"] and state["target"]):
        if view == "paths" and not any(p[0] in ("source", "target") for p in problems):
            bad("view", "needs a source and a target")
        state["view"] = "explore"
    if state["view"] == "mechanisms" and not (state["source"] and state["other"] and state["target"]):
        if view == "mechanisms" and not any(p[0] in ("source", "other", "target") for p in problems):
            bad("view", "needs a source, an other compound and a target")
        state["view"] = "explore"
    if state["view"] == "tour" and not state["tour"]:
        if view == "tour" and not any(p[0] == "tour" for p in problems):
            bad("view", "needs a tour")
        state["view"] = "explore"
    if state["view"] == "evidence" and not state["ev_compound"]:
        if view == "evidence" and "compound" not in params:
            bad("view", "needs a compound")
        state["view"] = "explore"
    if "sel" not in params and state["view"] == "explore" and state["focus"]:
        state["sel"] = f"node:{state['focus']}"
    instead = view_summary(kg, state, public)
    state["notices"] = [{"param": key, "text": f"The link's parameter {_shown(key)}"
                                              f"{'=“' + _shown(value) + '”' if value else ''} {why}; it was removed "
                                              f"and {instead} is shown instead."}
                        for key, value, why in problems]
    return state


def _decode_evidence(kg: KnowledgeGraph, params: dict[str, str], state: State, bad: Any) -> None:
    """The evidence view's compound, the one it is compared with, the indication and the sorted column."""
    from kmoa.explorer.evidence_view import SORTABLE

    for key, slot, kinds in (("compound", "ev_compound", ("compound",)), ("compare", "ev_compare", ("compound",)),
                             ("indication", "ev_indication", None)):
        if key not in params:
            continue
        curie = _resolve(kg, params[key])
        if curie is None or (kinds and kg.nodes[curie].kind not in kinds):
            bad(key, "is not a compound of the graph" if kinds else "is not a node of the graph")
        else:
            state[slot] = curie
    if "sort" in params:
        if params["sort"].lstrip("-") in SORTABLE:
            state["ev_sort"] = params["sort"]
        else:
            bad("sort", f"is not one of {', '.join(SORTABLE)} (or one of them after '-')")


def encode(state: State) -> str:
    """The URL query string (with its leading '?') for a state."""
    view = state.get("view") or "explore"
    params: list[tuple[str, str]] = [("view", view)]
    if view == "explore" and state.get("focus"):
        params.append(("focus", state["focus"]))
        if state.get("expanded"):
            params.append(("expand", ",".join(state["expanded"])))
        if state.get("studies"):
            params.append(("studies", "1"))
        if state.get("more"):
            params.append(("more", str(int(state["more"]))))
    if view == "paths":
        params += [(key, state[key]) for key in ("source", "target") if state.get(key)]
        if state.get("min_evidence"):
            params.append(("min", state["min_evidence"]))
        if state.get("human_only"):
            params.append(("human", "1"))
        if state.get("route"):
            params.append(("route", state["route"]))
        params.append(("path", str(int(state.get("path") or 0) + 1)))
        if int(state.get("shown") or PATHS_PER_PAGE) > PATHS_PER_PAGE:
            params.append(("shown", str(int(state["shown"]))))
    if view == "mechanisms":
        params += [(key, state[key]) for key in ("source", "other", "target") if state.get(key)]
    if view == "tour" and state.get("tour"):
        params += [("tour", state["tour"]), ("step", str(int(state.get("step") or 0) + 1))]
    if view == "query" and state.get("query"):
        params.append(("q", state["query"]))
        if state.get("lang") and state["lang"] != "sparql":
            params.append(("lang", state["lang"]))
    if view == "evidence":
        params += [(key, state[slot]) for key, slot in (("compound", "ev_compound"), ("compare", "ev_compare"),
                                                        ("indication", "ev_indication"), ("sort", "ev_sort"))
                   if state.get(slot)]
    if state.get("sel"):
        params.append(("sel", state["sel"]))
    return "?" + urlencode(params, safe=":,")


def same_view(a: State | None, b: State | None) -> bool:
    """Whether two states show the same view (query matches and notices aside)."""
    if a is None or b is None:
        return False
    ignore = ("matches", "notices", "failed")
    return {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}


# -- actions: each returns a new state ---------------------------------------------------------


def focus(state: State, curie: str) -> State:
    """Explore a node's neighbourhood and show its evidence."""
    return {**state, "view": "explore", "focus": curie, "expanded": [], "sel": f"node:{curie}", "matches": [],
            "more": 0}


def show_more(state: State) -> State:
    """Draw more neighbours: every cap of the neighbourhood rises by MORE_STEP."""
    return {**state, "view": "explore", "more": min(int(state.get("more") or 0) + MORE_STEP, MAX_MORE)}


def tap_node(state: State, curie: str) -> State:
    """A click on a node: select it; in the neighbourhood view also expand or collapse its neighbours."""
    new = {**state, "sel": f"node:{curie}"}
    if state.get("view") == "explore" and curie != state.get("focus"):
        expanded = list(state.get("expanded") or [])
        new["expanded"] = [c for c in expanded if c != curie] if curie in expanded else expanded + [curie]
    return new


def select(state: State, selection: str) -> State:
    """Show a node ('node:CURIE') or a claim ('claim:ID') in the evidence panel."""
    return {**state, "sel": selection}


def trace(state: State, source: str, target: str, min_evidence: str | None = None, human_only: bool = False,
          route: str | None = None) -> State:
    """Trace ranked mechanism paths; the best one is highlighted first."""
    return {**state, "view": "paths", "source": source, "target": target, "min_evidence": min_evidence or None,
            "human_only": bool(human_only), "route": route or None, "path": 0, "shown": PATHS_PER_PAGE,
            "sel": None}


def pick_path(state: State, index: int) -> State:
    """Highlight another of the listed paths."""
    return {**state, "view": "paths", "path": max(int(index), 0), "sel": None}


def more_paths(state: State) -> State:
    """List the next paths below the ones shown (the selection stays)."""
    shown = min(int(state.get("shown") or PATHS_PER_PAGE) + PATHS_PER_PAGE, MAX_SHOWN)
    return {**state, "view": "paths", "shown": shown}


def step_path(state: State, claims: list[str], delta: int) -> State:
    """Select the next or previous step of the highlighted path (before the first: the whole path, no step)."""
    current = str(state.get("sel") or "")
    at = claims.index(current[len("claim:"):]) if current.startswith("claim:") and current[6:] in claims else -1
    at = min(max(at + delta, -1), len(claims) - 1)
    return {**state, "view": "paths", "sel": f"claim:{claims[at]}" if at >= 0 else None}


def start_tour(state: State, hypothesis: str) -> State:
    """Open a hypothesis tour at its first step."""
    return {**state, "view": "tour", "tour": hypothesis, "step": 0, "sel": None}


def step_tour(state: State, delta: int, total: int) -> State:
    """Move the tour forwards or backwards, staying within its steps."""
    step = min(max(int(state.get("step") or 0) + delta, 0), max(total - 1, 0))
    return {**state, "view": "tour", "step": step, "sel": None}


def compare(state: State) -> State:
    """Show the routes side by side."""
    return {**state, "view": "compare"}


def show_evidence(state: State, compound: str, compare: str | None = None, indication: str | None = None) -> State:
    """Show the clinical evidence for a compound (against another, about an indication); the sort is kept."""
    return {**state, "view": "evidence", "ev_compound": compound, "ev_compare": compare or None,
            "ev_indication": indication or None, "sel": None}


def sort_evidence(state: State, column: str) -> State:
    """Sort the evidence table by a column; the same column again reverses the order."""
    current = state.get("ev_sort")
    return {**state, "view": "evidence", "ev_sort": f"-{column}" if current == column else column}


def compare_mechanisms(state: State, source: str, other: str, target: str) -> State:
    """Show two compounds' mechanisms to one indication side by side."""
    return {**state, "view": "mechanisms", "source": source, "other": other, "target": target, "sel": None}


def show_matches(state: State, curies: list[str], query: str | None = None, lang: str | None = None) -> State:
    """Show the nodes a query returned (and keep its text and language, for the URL)."""
    new = {**state, "view": "query", "matches": list(curies)}
    if query is not None:
        new["query"] = query[:MAX_QUERY]
    if lang in LANGUAGES:
        new["lang"] = lang
    return new


def toggle_studies(state: State, on: bool) -> State:
    """Show or hide study nodes in neighbourhoods."""
    return {**state, "studies": bool(on)}


def long_link_redirect(request_line: str) -> str:
    """Where to send a request whose line was too long for the server: the same page without the long parameters.

    ``request_line`` is the start of ``GET /path?query...`` as far as the server read it; the parameters that
    were cut off or are longer than MAX_PARAMETER are replaced by ``too_long=NAME`` (shown as a notice).
    """
    from urllib.parse import quote

    target = request_line.split(" ", 2)[1] if request_line.count(" ") else "/"
    path, _, query = target.partition("?")
    if not path.startswith("/") or not all(c.isalnum() or c in "/_.-" for c in path):
        path = "/"
    pairs = query.split("&")
    complete = pairs if request_line.count(" ") >= 2 else pairs[:-1]  # without its HTTP version, the line was cut
    kept, dropped = [], []
    for pair in pairs:
        name = pair.partition("=")[0]
        if pair in complete and len(pair) <= MAX_PARAMETER:
            kept.append(pair)
        elif name:
            dropped.append(quote(name[:40], safe=""))
    return path + "?" + "&".join(kept + [f"too_long={name}" for name in dropped])
