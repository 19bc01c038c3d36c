"""The explorer's pure functions: subgraphs, layouts, styles, tours, evidence, URL state, handlers.

Every expectation is computed from the curated data, so the tests hold while curators add records.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from dash.exceptions import PreventUpdate

from kmoa.explorer import callbacks, ids, panels, views
from kmoa.explorer import state as st
from kmoa.explorer.data import ExplorerData, prepare
from kmoa.explorer.links import link_for
from kmoa.explorer.style import OKABE_ITO, WEAK_STRENGTH, kind_style, node_legend, stylesheet
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.paths import PathFilters, trace_mechanism_paths
from tests.browser_fixtures import HOSTILE_CLAIM, HOSTILE_NAME, HOSTILE_NODE, HOSTILE_QUOTE, hostile_graph
from tests.conftest import HYP_DISINHIBITION


@pytest.fixture(scope="module")
def data(kg: KnowledgeGraph) -> ExplorerData:
    return prepare(kg)


def ketamine(kg: KnowledgeGraph) -> str:
    return kg.resolve("ketamine", kinds=("compound",))


def trd(kg: KnowledgeGraph) -> str:
    return kg.resolve("treatment-resistant depression")


def texts(component: Any) -> list[str]:
    """Every string in a Dash component tree."""
    out: list[str] = []
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        for child in component:
            out += texts(child)
        return out
    children = getattr(component, "children", None)
    if children is not None:
        out += texts(children)
    return out


def components(component: Any) -> list[Any]:
    """Every component in a tree."""
    if isinstance(component, (list, tuple)):
        return [c for child in component for c in components(child)]
    if component is None or isinstance(component, (str, int, float)):
        return []
    return [component, *components(getattr(component, "children", None))]


# -- style -------------------------------------------------------------------------------------


def test_every_kind_has_its_own_colour_and_shape_from_okabe_ito(kg: KnowledgeGraph) -> None:
    pairs = [kind_style(kind) for kind in kg.schema.node_kinds]
    assert len(set(pairs)) == len(pairs)
    assert {colour for colour, _ in pairs} <= set(OKABE_ITO.values())
    rules = {rule["selector"]: rule["style"] for rule in stylesheet(kg.schema)}
    for kind in kg.schema.node_kinds:
        colour, shape = kind_style(kind)
        assert rules[f".kind-{kind}"] == {"background-color": colour, "shape": shape}
    assert [e.key for e in node_legend(kg.schema)] == list(kg.schema.node_kinds)


def test_arrows_differ_for_activating_inhibiting_and_structural(kg: KnowledgeGraph) -> None:
    rules = {rule["selector"]: rule["style"] for rule in stylesheet(kg.schema)}
    assert rules[".effect-activating"]["target-arrow-shape"] == "triangle"
    assert rules[".effect-inhibiting"]["target-arrow-shape"] == "tee"
    assert rules[".effect-structural"]["line-style"] == "dotted"
    assert rules[".effect-structural"]["line-color"] == OKABE_ITO["grey"]
    assert "dashed" in rules[".weak.effect-activating, .weak.effect-inhibiting"]["line-style"]
    assert "strength" in rules["edge"]["width"]


def test_edge_classes_follow_schema_effect_strength_and_finding(data: ExplorerData) -> None:
    kg = data.kg
    focus = ketamine(kg)
    sub = views.neighbourhood(data, focus, studies=True)
    assert sub.edges
    for edge in sub.edges:
        classes = set(views.edge_classes(data, edge))
        effect = kg.schema.predicates[edge.predicate].effect
        if edge.predicate in kg.schema.walk.parent_to_child:
            effect = "structural"
        assert f"effect-{effect}" in classes
        primary = data.edge_rows[edge.claims[0]]
        assert ("weak" in classes) == (primary["evidence_strength"] < WEAK_STRENGTH)
        negative = all(data.edge_rows[c]["finding"] in ("null", "negative") for c in edge.claims)
        assert ("negative" in classes) == negative


# -- neighbourhoods ----------------------------------------------------------------------------


def test_neighbourhoods_are_bounded_and_every_element_is_placed(data: ExplorerData) -> None:
    kg = data.kg
    degree = {c: 0 for c in kg.nodes}
    for claim in kg.claims.values():
        degree[claim.subject] += 1
        degree[claim.object] += 1
    hub = max(degree, key=degree.__getitem__)
    sub = views.neighbourhood(data, hub, studies=True)
    neighbours = {c.object for c in kg.claims.values() if c.subject == hub} | \
                 {c.subject for c in kg.claims.values() if c.object == hub}
    neighbours.discard(hub)
    assert len(sub.nodes) == 1 + min(len(neighbours), views.NEIGHBOUR_LIMIT)
    assert sub.hidden == len(neighbours) - (len(sub.nodes) - 1)
    elements = views.elements_for(data, sub)
    nodes = [e for e in elements if "source" not in e["data"]]
    edges = [e for e in elements if "source" in e["data"]]
    assert {e["data"]["id"] for e in nodes} == set(sub.nodes)
    assert all(isinstance(e["position"]["x"], float) and isinstance(e["position"]["y"], float) for e in nodes)
    assert all(e["data"]["source"] in sub.nodes and e["data"]["target"] in sub.nodes for e in edges)
    assert len(elements) < 200
    drawn = {c for e in sub.edges for c in e.claims}
    inside = set(sub.nodes)
    expected = {cid for cid, c in kg.claims.items() if c.subject in inside and c.object in inside}
    assert drawn == expected


def test_studies_are_hidden_unless_asked_for(data: ExplorerData) -> None:
    kg = data.kg
    focus = ketamine(kg)
    plain = views.neighbourhood(data, focus)
    assert all(kg.nodes[n].kind != "study" for n in plain.nodes)
    has_study = any(kg.nodes[c.object].kind == "study" for c in kg.claims.values() if c.subject == focus)
    with_studies = views.neighbourhood(data, focus, studies=True, limit=500)
    assert any(kg.nodes[n].kind == "study" for n in with_studies.nodes) == has_study


def test_expanding_a_node_keeps_what_was_already_drawn_in_place(data: ExplorerData) -> None:
    focus = ketamine(data.kg)
    before = views.neighbourhood(data, focus)
    other = next(n for n in before.nodes if n != focus)
    after = views.neighbourhood(data, focus, expanded=[other])
    assert set(before.nodes) <= set(after.nodes)
    for node in before.nodes:
        assert after.positions[node] == before.positions[node]
    assert "expanded" in after.classes[other]
    assert "focus" in after.classes[focus]


def test_node_elements_carry_name_kind_and_selection(data: ExplorerData) -> None:
    kg = data.kg
    esk = kg.resolve("esketamine")
    sub = views.neighbourhood(data, esk)
    elements = views.elements_for(data, sub, selected=f"node:{esk}")
    mine = next(e for e in elements if e["data"]["id"] == esk)
    assert mine["data"]["label"] == kg.nodes[esk].name
    assert f"kind-{kg.nodes[esk].kind}" in mine["classes"].split()
    assert mine["selected"] is True
    assert sum(bool(e["selected"]) for e in elements) == 1


# -- paths -------------------------------------------------------------------------------------


def test_path_view_highlights_exactly_the_chosen_path_left_to_right(data: ExplorerData) -> None:
    kg = data.kg
    paths = trace_mechanism_paths(kg, ketamine(kg), trd(kg), k=views.PATH_LIMIT)
    assert paths, "ketamine should reach treatment-resistant depression through a mechanism"
    for i, path in enumerate(paths[:4]):
        sub = views.path_view(data, paths, i)
        highlighted = {n for n in sub.nodes if "highlighted" in sub.classes.get(n, ())}
        assert highlighted == set(path.nodes)
        lit_edges = {e.id for e in sub.edges if "highlighted" in sub.classes.get(e.id, ())}
        assert lit_edges == {f"e:{s.claim_id}" for s in path.steps}
        xs = [sub.positions[n][0] for n in path.nodes]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        assert {sub.positions[n][1] for n in path.nodes} == {0.0}
        assert f"path #{i + 1} highlighted" in sub.title


def test_highlight_marks_given_nodes_and_fades_the_rest(data: ExplorerData) -> None:
    focus = ketamine(data.kg)
    sub = views.neighbourhood(data, focus)
    lit = views.highlight(sub, nodes=[focus])
    for node in sub.nodes:
        assert ("highlighted" if node == focus else "faded") in lit.classes[node]


def test_filters_reach_the_tracer(data: ExplorerData) -> None:
    kg = data.kg
    for human in (False, True):
        got = views.trace(data, ketamine(kg), trd(kg), "preclinical_animal", human, None)
        want = trace_mechanism_paths(kg, ketamine(kg), trd(kg), k=views.PATH_LIMIT,
                                     filters=PathFilters(min_evidence="preclinical_animal", human_only=human))
        assert [p.nodes for p in got] == [p.nodes for p in want]


# -- tours -------------------------------------------------------------------------------------


def test_every_tour_step_shows_the_data_caption_quote_and_references(data: ExplorerData) -> None:
    kg = data.kg
    assert kg.hypotheses
    for hyp in kg.hypotheses.values():
        for i, step in enumerate(hyp.steps):
            shown = views.tour_step(kg, hyp, i)
            claim = kg.claims[step.claim]
            assert (shown.caption, shown.claim, shown.index, shown.total) == (step.caption, step.claim, i,
                                                                              len(hyp.steps))
            assert shown.quote == claim.provenance.quote
            assert shown.refs == claim.provenance.refs
            assert shown.nodes == (claim.subject, claim.object)


def test_a_tour_step_the_curator_inferred_says_so(data: ExplorerData) -> None:
    kg = data.kg
    seen = {True: 0, False: 0}
    for hyp in kg.hypotheses.values():
        for i, step in enumerate(hyp.steps):
            inferred = kg.claims[step.claim].provenance.inferred
            state = {**st.start_tour(st.default_state(kg), hyp.id), "step": i}
            shown = " ".join(texts(panels.tour_panel(data, views.scene_for(data, state), state)))
            assert ("INFERRED" in shown) == inferred, (hyp.id, step.claim)
            seen[inferred] += 1
    assert seen[True] and seen[False]  # the tours hold both kinds of step


def test_tour_view_marks_the_current_step_and_fades_later_ones(data: ExplorerData) -> None:
    kg = data.kg
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    for i, step in enumerate(hyp.steps):
        sub = views.tour_view(data, hyp.id, i)
        edge = sub.edge_for_claim(step.claim)
        assert edge is not None and "current" in sub.classes[edge.id]
        claim = kg.claims[step.claim]
        assert "current" in sub.classes[claim.subject] and "current" in sub.classes[claim.object]
        later = [s.claim for s in hyp.steps[i + 1:] if s.claim not in {x.claim for x in hyp.steps[:i + 1]}]
        for cid in later:
            assert "future" in sub.classes[f"e:{cid}"]
        assert sub.title.endswith(f"step {i + 1} of {len(hyp.steps)}")
    state = st.start_tour(st.default_state(kg), hyp.id)
    assert views.selection_for(data, state) == f"claim:{hyp.steps[0].claim}"


def test_routes_side_by_side_list_the_evidence_for_and_against(data: ExplorerData) -> None:
    kg = data.kg
    routes = views.compare_routes(data)
    assert [r["id"] for r in routes] == sorted(kg.hypotheses, key=lambda h: (
        kg.hypotheses[h].route is None, kg.hypotheses[h].route or 0, kg.hypotheses[h].name.lower()))
    for route in routes:
        hyp = kg.hypotheses[route["id"]]
        assert [c["id"] for c in route["supported_by"]] == list(hyp.supported_by)
        assert [c["id"] for c in route["contradicted_by"]] == list(hyp.contradicted_by)
        for c in route["supported_by"] + route["contradicted_by"]:
            assert c["evidence_type"] == kg.claims[c["id"]].provenance.evidence_type
    view = panels.compare_view(routes)
    strings = " ".join(texts(view))
    for hyp in kg.hypotheses.values():
        assert hyp.name in strings


# -- evidence panel ----------------------------------------------------------------------------


def test_claim_panel_has_quote_references_evidence_and_study_facts(data: ExplorerData) -> None:
    kg = data.kg
    with_study = next(c for c in kg.claims.values()
                      if any(getattr(kg.nodes[s].study, "n", None) for s in c.studies))
    info = views.evidence_panel_data(data, f"claim:{with_study.id}")
    assert info is not None
    prov = with_study.provenance
    assert info["quote"] == prov.quote and info["refs"] == list(prov.refs) and info["section"] == prov.section
    assert info["evidence_label"] == kg.schema.evidence_types[prov.evidence_type].label
    assert info["species"] == prov.species and info["canmat_level"] == prov.canmat_level
    assert [s["id"] for s in info["studies"]] == list(with_study.studies)
    for study in info["studies"]:
        facts = kg.nodes[study["id"]].study
        assert facts is not None
        rows = dict(study["rows"])
        if facts.n is not None:
            assert rows["n"] == str(facts.n)
        if facts.design:
            assert rows["Design"] == facts.design
    strings = " ".join(texts(panels.evidence_panel(info)))
    assert prov.quote in strings
    for ref in prov.refs:
        assert f"[{ref}]" in strings


@pytest.mark.parametrize("finding", ["null", "negative", "mixed"])
def test_null_negative_and_mixed_findings_are_flagged(data: ExplorerData, finding: str) -> None:
    kg = data.kg
    claim = next((c for c in kg.claims.values() if c.provenance.finding == finding), None)
    if claim is None:
        pytest.skip(f"no {finding} finding curated yet")
    info = views.evidence_panel_data(data, f"claim:{claim.id}")
    assert info is not None and info["flags"][0]["kind"] == finding
    assert f"{finding.upper()} FINDING" in " ".join(texts(panels.evidence_panel(info)))


def test_contested_claims_are_flagged(data: ExplorerData) -> None:
    contested = [c for c in data.kg.claims.values() if c.provenance.contested]
    assert contested
    info = views.evidence_panel_data(data, f"claim:{contested[0].id}")
    assert info is not None and any(f["kind"] == "contested" for f in info["flags"])


def test_node_panel_lists_identifier_links_and_every_claim(data: ExplorerData) -> None:
    kg = data.kg
    esk = kg.resolve("esketamine")
    info = views.evidence_panel_data(data, f"node:{esk}")
    assert info is not None and info["name"] == kg.nodes[esk].name and info["url"] == link_for(esk)
    assert {x["id"] for x in info["xref"]} == set(kg.nodes[esk].xref)
    touching = {cid for cid, c in kg.claims.items() if esk in (c.subject, c.object)}
    assert {c["id"] for c in info["claims"]} == touching
    study = next(n.study for n in kg.nodes.values() if n.study is not None and n.study.n is not None)
    study_id = next(n.id for n in kg.nodes.values() if n.study is study)
    facts = views.evidence_panel_data(data, f"node:{study_id}")
    assert study is not None and facts is not None and dict(facts["study"]["rows"])["n"] == str(study.n)
    assert views.evidence_panel_data(data, "claim:no-such-claim") is None


def test_identifiers_link_to_public_pages() -> None:
    assert link_for("CHEBI:6121") == "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:6121"
    assert link_for("GO:0017146") == "https://www.ebi.ac.uk/QuickGO/term/GO:0017146"
    assert str(link_for("HGNC:1033")).startswith("https://www.genenames.org/")
    assert link_for("PMID:31109201") == "https://pubmed.ncbi.nlm.nih.gov/31109201/"
    assert link_for("DOI:10.1176/appi.ajp.2019.19020172") == "https://doi.org/10.1176/appi.ajp.2019.19020172"
    for prefix in ("MONDO", "EFO", "UBERON", "CL", "HP"):
        assert str(link_for(f"{prefix}:0000001")).startswith("https://")
    assert link_for("KMOA:glutamate_surge") is None
    assert link_for('CHEBI:1" onmouseover="alert(1)') is None
    assert link_for("javascript:alert(1)") is None


def test_every_curated_identifier_link_is_https(kg: KnowledgeGraph) -> None:
    for node in kg.nodes.values():
        for curie in (node.id, *node.xref):
            url = link_for(curie)
            assert url is None or url.startswith("https://")


# -- URL state and the router ------------------------------------------------------------------


def test_the_url_reopens_the_same_view(kg: KnowledgeGraph) -> None:
    base = st.default_state(kg)
    hyp = next(iter(kg.hypotheses))
    states = [
        st.focus(base, kg.resolve("esketamine")),
        {**st.tap_node(st.focus(base, ketamine(kg)), kg.resolve("esketamine")), "studies": True},
        st.pick_path(st.trace(base, ketamine(kg), trd(kg), "rct", True, "intravenous"), 2),
        st.select(st.step_tour(st.start_tour(base, hyp), 1, len(kg.hypotheses[hyp].steps)),
                  f"claim:{kg.hypotheses[hyp].steps[0].claim}"),
        st.compare(base),
    ]
    for state in states:
        again = st.decode(st.encode(state), kg)
        for key in ("view", "focus", "expanded", "studies", "source", "target", "min_evidence", "human_only",
                    "route", "path", "tour", "step", "sel"):
            if key in ("focus", "expanded", "studies") and state["view"] != "explore":
                continue
            if key in ("source", "target", "min_evidence", "human_only", "route", "path") and \
                    state["view"] != "paths":
                continue
            if key in ("tour", "step") and state["view"] != "tour":
                continue
            assert again[key] == state[key], (key, st.encode(state))


def test_hand_written_urls_accept_names_and_drop_unknown_values(kg: KnowledgeGraph) -> None:
    state = st.decode("?focus=esketamine&sel=node:ketamine&expand=nonsense", kg)
    assert state["focus"] == kg.resolve("esketamine") and state["sel"] == f"node:{ketamine(kg)}"
    assert state["expanded"] == []
    paths = st.decode("?source=ketamine&target=treatment-resistant depression&min=bogus", kg)
    assert (paths["view"], paths["source"], paths["target"], paths["min_evidence"]) == \
        ("paths", ketamine(kg), trd(kg), None)
    assert st.decode("?tour=KMOA:no_such&step=3", kg)["view"] == "explore"


def route(data: ExplorerData, trigger: Any, value: Any, state: st.State, **inputs: Any) -> dict[str, Any]:
    return callbacks.route(data, trigger, value, inputs, state)


def test_router_actions(data: ExplorerData) -> None:
    kg = data.kg
    esk = kg.resolve("esketamine")
    start = st.default_state(kg)
    out = route(data, ids.SEARCH, esk, start)
    assert out["state"]["focus"] == esk and out["state"]["sel"] == f"node:{esk}"
    assert st.decode(out["url"], kg)["focus"] == esk
    other = next(n for n in views.neighbourhood(data, esk).nodes if n != esk)
    tapped = route(data, ids.CANVAS_NODE, {"id": other}, out["state"])["state"]
    assert tapped["expanded"] == [other] and tapped["sel"] == f"node:{other}"
    assert route(data, ids.CANVAS_NODE, {"id": other}, tapped)["state"]["expanded"] == []
    claim = next(iter(kg.claims))
    assert route(data, ids.CANVAS_EDGE, {"claim": claim}, tapped)["state"]["sel"] == f"claim:{claim}"
    traced = route(data, ids.TRACE, 1, start, source=ketamine(kg), target=trd(kg))
    assert traced["state"]["view"] == "paths" and traced["tab"] == "paths"
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    toured = route(data, ids.TOUR, hyp.id, start)["state"]
    for i in range(1, len(hyp.steps) + 2):
        toured = route(data, ids.TOUR_NEXT, i, toured)["state"]
    assert toured["step"] == len(hyp.steps) - 1
    jumped = route(data, {"type": ids.TOUR_GO, "index": f"{hyp.id}#3"}, 1, start)
    assert jumped["state"]["step"] == 2 and jumped["tour"] == hyp.id
    with pytest.raises(PreventUpdate):
        route(data, {"type": ids.SELECT, "index": f"node:{esk}"}, 0, start)  # rendered, not clicked
    assert callbacks.pick_trigger([{"prop_id": '{"index":"x","type":"select"}.n_clicks', "value": 0},
                                   {"prop_id": "query-store.data", "value": {"matches": []}}]) == \
        (ids.QUERY_STORE, {"matches": []})


def test_search_offers_names_synonyms_and_curies(data: ExplorerData) -> None:
    kg = data.kg
    esk = kg.nodes[kg.resolve("esketamine")]
    for text in (esk.name, esk.id, *esk.synonyms):
        values = [o["value"] for o in callbacks.search_options(data, text)]
        assert esk.id in values, text
    assert callbacks.search_options(data, "") == []


def test_render_fills_every_output_for_every_view(data: ExplorerData) -> None:
    kg = data.kg
    base = st.default_state(kg)
    for state in (base, st.trace(base, ketamine(kg), trd(kg)), st.start_tour(base, HYP_DISINHIBITION),
                  st.compare(base), st.show_matches(base, [ketamine(kg)])):
        out = callbacks.render(data, state)
        assert out["title"]
        assert out["compare_style"] == ({} if state["view"] == "compare" else {"display": "none"})
        if state["view"] != "compare":
            assert out["elements"]


# -- query console and exports -----------------------------------------------------------------


def test_console_runs_named_queries_and_highlights_nodes(data: ExplorerData) -> None:
    assert data.named_queries
    for query in data.named_queries.values():
        out = callbacks.run_console(data, "sparql", query.sparql)
        notice = " ".join(texts(out["message"]))
        assert "row" in notice, (query.name, notice)
        if out["store"]:
            assert set(out["store"]["matches"]) <= set(data.kg.nodes)


def test_console_refuses_writes_visibly(data: ExplorerData) -> None:
    for text in ("INSERT DATA { <http://x> <http://y> <http://z> }",
                 "DELETE WHERE { ?s ?p ?o }", "DROP ALL"):
        out = callbacks.run_console(data, "sparql", text)
        assert out["store"] is None and out["results"] == []
        assert "Refused" in " ".join(texts(out["message"]))
    broken = callbacks.run_console(data, "sparql", "SELECT WHERE {")
    assert "syntax" in " ".join(texts(broken["message"])).lower()
    if data.cypher is None:
        assert "Cypher" in " ".join(texts(callbacks.run_console(data, "cypher", "MATCH (n) RETURN n")["message"]))


def test_exports_hold_the_shown_subgraph(data: ExplorerData) -> None:
    state = st.focus(st.default_state(data.kg), ketamine(data.kg))
    sub = views.scene_for(data, state).subgraph
    payload = json.loads(callbacks.export_data(data, state, "json")["content"])
    assert [n["id"] for n in payload["nodes"]] == list(sub.nodes)
    claims = [c for e in sub.edges for c in e.claims]
    assert [e["id"] for e in payload["edges"]] == claims
    rows = list(csv.DictReader(io.StringIO(callbacks.export_data(data, state, "csv")["content"])))
    assert [r["claim"] for r in rows] == claims
    assert all(r["quote"] == data.edge_rows[r["claim"]]["supporting_text"] for r in rows)


# -- safety ------------------------------------------------------------------------------------


def test_html_in_the_data_stays_text_in_every_component(kg: KnowledgeGraph) -> None:
    hostile = prepare(hostile_graph(kg))
    node_panel = panels.evidence_panel(views.evidence_panel_data(hostile, f"node:{HOSTILE_NODE}"))
    claim_panel = panels.evidence_panel(views.evidence_panel_data(hostile, f"claim:{HOSTILE_CLAIM}"))
    assert HOSTILE_NAME in texts(node_panel)
    assert any(HOSTILE_QUOTE in t for t in texts(claim_panel))
    for tree in (node_panel, claim_panel, panels.compare_view(views.compare_routes(hostile))):
        for component in components(tree):
            assert type(component).__name__ != "Markdown"
            assert not getattr(component, "dangerously_allow_html", False)
            href = getattr(component, "href", None)
            assert href is None or href.startswith("https://")
    elements = views.elements_for(hostile, views.neighbourhood(hostile, HOSTILE_NODE))
    assert next(e for e in elements if e["data"]["id"] == HOSTILE_NODE)["data"]["label"] == HOSTILE_NAME


def test_no_path_is_said_plainly(data: ExplorerData) -> None:
    kg = data.kg
    isolated = next(c for c, n in sorted(kg.nodes.items()) if n.kind == "guideline")
    state = st.trace(st.default_state(kg), ketamine(kg), isolated)
    scene = views.scene_for(data, state)
    assert scene.paths == () and scene.subgraph.title.startswith("No mechanism path")
    assert "No mechanism path" in " ".join(texts(panels.path_list(data, scene, state)))


# -- paths that teach: hypotheses, detours, more, why none ------------------------------------


def _paths_state(kg: KnowledgeGraph, source: str, target: str, **extra: Any) -> st.State:
    return {**st.trace(st.default_state(kg), source, target, extra.get("min_evidence"),
                       bool(extra.get("human_only")), extra.get("route"))}


def test_the_paths_view_lists_paths_as_kmoa_paths_does_with_their_hypotheses(data: ExplorerData) -> None:
    from kmoa.graph.path_answers import answer_paths

    kg = data.kg
    state = _paths_state(kg, ketamine(kg), trd(kg))
    scene = views.scene_for(data, state)
    expected = answer_paths(kg, ketamine(kg), trd(kg), k=views.PATH_LIMIT)
    assert [p.nodes for p in scene.paths] == [r.path.nodes for r in expected.paths]
    shown = " ".join(texts(panels.path_list(data, scene, state)))
    assert kg.hypotheses[HYP_DISINHIBITION].name in shown
    for r in expected.paths[:3]:
        assert (r.hypothesis.name if r.hypothesis else "follows no single hypothesis") in shown
    # The selected path lists the detours folded into it.
    with_variant = next(i for i, r in enumerate(expected.paths) if r.variants)
    panel = panels.path_list(data, scene, st.pick_path(state, with_variant))
    variant = expected.paths[with_variant].variants[0]
    assert " → ".join(kg.nodes[n].name for n in variant.nodes) + f" (score {variant.score:.2f})" in texts(panel)


def test_more_lists_the_next_paths(data: ExplorerData) -> None:
    kg = data.kg
    state = _paths_state(kg, ketamine(kg), trd(kg))
    first = views.scene_for(data, state)
    assert first.answer is not None and first.answer.more
    more = [c for c in components(panels.path_list(data, first, state))
            if isinstance(getattr(c, "id", None), dict) and c.id.get("type") == ids.PATHS_MORE]
    assert len(more) == 1
    outputs = callbacks.route(data, {"type": ids.PATHS_MORE, "index": "more"}, 1, {}, state)
    after = views.scene_for(data, outputs["state"])
    assert after.paths[:len(first.paths)] == first.paths and len(after.paths) > len(first.paths)
    assert "shown=" in outputs["url"]
    assert st.decode(outputs["url"], kg)["shown"] == outputs["state"]["shown"]


def test_when_filters_remove_every_path_the_panel_says_which_and_shows_direct_claims(data: ExplorerData) -> None:
    kg = data.kg
    esketamine = kg.resolve("esketamine")
    state = _paths_state(kg, esketamine, trd(kg), min_evidence="rct", human_only=True)
    scene = views.scene_for(data, state)
    assert not scene.paths and scene.answer is not None
    shown = " ".join(texts(panels.path_list(data, scene, state)))
    assert "--min-evidence rct removes" in shown and "Direct clinical claims" in shown
    for claim in scene.answer.direct:
        assert claim["evidence_type"] in ("rct", "meta_analysis")
    clickable = {c.id["index"] for c in components(panels.path_list(data, scene, state))
                 if isinstance(getattr(c, "id", None), dict) and c.id.get("type") == ids.SELECT}
    assert {f"claim:{a['id']}" for a in scene.answer.direct} <= clickable
    assert scene.subgraph.title == scene.answer.why_none


def test_a_clinical_claims_panel_is_tagged_clinical_not_inhibiting(data: ExplorerData, kg: KnowledgeGraph) -> None:
    """`treats` and `studied to treat` are drawn as clinical on the canvas: the claim panel says the same."""
    clinical = kg.schema.walk.clinical
    for predicate in ("treats", "studied_to_treat"):
        assert predicate in clinical
        claim = next(c for c in kg.claims.values() if c.predicate == predicate)
        info = views.evidence_panel_data(data, f"claim:{claim.id}")
        assert info is not None and info["effect"] == "clinical"
        assert "claim · clinical" in texts(panels.evidence_panel(info))
    inhibit = next(c for c in kg.claims.values() if data.effects.get(c.predicate) == "inhibiting"
                   and c.predicate not in clinical)
    info = views.evidence_panel_data(data, f"claim:{inhibit.id}")
    assert info is not None and info["effect"] == "inhibiting"
