"""The view state (a plain JSON dict kept in a dcc.Store), its URL form and the pure actions on it.

The URL query string holds everything needed to reopen a view: the focused node and its expanded
neighbours, the path tracer's source, target, filters and chosen path, the tour and its step, and the
selected node or claim. Names and synonyms are accepted in a hand-written URL (``?focus=esketamine``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from graph.model import KnowledgeGraph, UnknownEntityError

if TYPE_CHECKING:
    from loaders.kgx_import import ImportedGraph

State = dict[str, Any]
VIEWS = ("explore", "paths", "tour", "compare", "query")
PATHS_PER_PAGE = 10  # paths listed at first; "more" lists this many more
MAX_SHOWN = 200  # at most this many paths are listed


def default_state(kg: KnowledgeGraph) -> State:
    """The opening view: ketamine's neighbourhood if it is in the graph, else the first compound."""
    focus: str | None
    try:
        focus = kg.resolve("ketamine", kinds=("compound",))
    except UnknownEntityError:
        compounds = sorted(c for c, n in kg.nodes.items() if n.kind == "compound")
        focus = compounds[0] if compounds else next(iter(sorted(kg.nodes)), None)
    return {
        "view": "explore", "focus": focus, "expanded": [], "studies": False,
        "source": None, "target": None, "min_evidence": None, "human_only": False, "route": None, "path": 0,
        "shown": PATHS_PER_PAGE, "tour": None, "step": 0, "sel": f"node:{focus}" if focus else None, "matches": [],
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
    from explorer.imported import canonical

    return canonical(imported, value) or _resolve(kg, value)


def _selection(kg: KnowledgeGraph, value: str | None, imported: ImportedGraph | None = None) -> str | None:
    if not value or ":" not in value:
        return None
    kind, ident = value.split(":", 1)
    if kind == "claim" and ident in kg.claims:
        return value
    if kind == "claim" and imported is not None:
        from explorer.imported import edge_attributes

        return value if edge_attributes(imported, ident) is not None else None
    if kind == "node":
        curie = _endpoint(kg, imported, ident)
        return f"node:{curie}" if curie else None
    return None


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def decode(search: str | None, kg: KnowledgeGraph, imported: ImportedGraph | None = None) -> State:
    """The state a URL query string describes (unknown values are dropped, defaults filled in).

    With an ``imported`` graph, the tracer's ends and the selection may be imported nodes and edges.
    """
    state = default_state(kg)
    params = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=False).items()}
    view = params.get("view")
    if view in VIEWS:
        state["view"] = "explore" if view == "query" else view
    if "focus" in params:
        state["focus"] = _resolve(kg, params["focus"]) or state["focus"]
    if params.get("expand"):
        state["expanded"] = [c for c in (_resolve(kg, x) for x in params["expand"].split(",")) if c]
    state["studies"] = params.get("studies") == "1"
    state["source"] = _endpoint(kg, imported, params.get("source"))
    state["target"] = _endpoint(kg, imported, params.get("target"))
    if params.get("min") in kg.schema.evidence_types:
        state["min_evidence"] = params["min"]
    state["human_only"] = params.get("human") == "1"
    if params.get("route") in kg.schema.routes:
        state["route"] = params["route"]
    state["path"] = max(_int(params.get("path"), 1) - 1, 0)
    state["path"] = min(state["path"], MAX_SHOWN - 1)
    state["shown"] = min(max(_int(params.get("shown"), PATHS_PER_PAGE), PATHS_PER_PAGE, state["path"] + 1), MAX_SHOWN)
    tour = _resolve(kg, params.get("tour"))
    if tour in kg.hypotheses:
        state["tour"] = tour
        total = len(kg.hypotheses[tour].steps)
        state["step"] = min(max(_int(params.get("step"), 1) - 1, 0), max(total - 1, 0))
    state["sel"] = _selection(kg, params.get("sel"), imported)
    if view is None:
        if state["tour"]:
            state["view"] = "tour"
        elif state["source"] and state["target"]:
            state["view"] = "paths"
    if state["view"] == "paths" and not (state["source"] and state["target"]):
        state["view"] = "explore"
    if state["view"] == "tour" and not state["tour"]:
        state["view"] = "explore"
    if "sel" not in params and state["view"] == "explore" and state["focus"]:
        state["sel"] = f"node:{state['focus']}"
    return state


def encode(state: State) -> str:
    """The URL query string (with its leading '?') for a state."""
    view = state.get("view") or "explore"
    params: list[tuple[str, str]] = [("view", "explore" if view == "query" else view)]
    if view in ("explore", "query") and state.get("focus"):
        params.append(("focus", state["focus"]))
        if state.get("expanded"):
            params.append(("expand", ",".join(state["expanded"])))
        if state.get("studies"):
            params.append(("studies", "1"))
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
    if view == "tour" and state.get("tour"):
        params += [("tour", state["tour"]), ("step", str(int(state.get("step") or 0) + 1))]
    if state.get("sel"):
        params.append(("sel", state["sel"]))
    return "?" + urlencode(params, safe=":,")


# -- actions: each returns a new state ---------------------------------------------------------


def focus(state: State, curie: str) -> State:
    """Explore a node's neighbourhood and show its evidence."""
    return {**state, "view": "explore", "focus": curie, "expanded": [], "sel": f"node:{curie}", "matches": []}


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


def show_matches(state: State, curies: list[str]) -> State:
    """Show the nodes a query returned."""
    return {**state, "view": "query", "matches": list(curies)}


def toggle_studies(state: State, on: bool) -> State:
    """Show or hide study nodes in neighbourhoods."""
    return {**state, "studies": bool(on)}
